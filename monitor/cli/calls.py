"""`callwatch calls`: stored calls, soonest deadline first, as a table or JSON.

Owns what the command prints, and the hint when nothing is shown (why, and what to run). Must not
filter calls itself beyond picking the statuses asked for: `db.repo.search_calls` does the rest.
"""

from __future__ import annotations

import json

import click

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.cli.common import out, table, with_app
from monitor.model.view import LogicalCall
from monitor.model.zones import BRUSSELS
from monitor.render.api import call_summary
from monitor.render.words import conflict_message

STATUSES = ["open", "forthcoming", "closed", "unknown", "all"]
# The web's default too (monitor.web.calls.form_fields): what a person can still apply to.
DEFAULT_STATUSES = ("open", "forthcoming")
MAX_SCAN = 100_000


@click.command()
@click.option(
    "--status",
    "statuses",
    type=click.Choice(STATUSES),
    multiple=True,
    help="Repeat for several; default open and forthcoming, as on the web.",
)
@click.option("--search", "text", help="Words to look for in titles, summaries and identifiers.")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Full details as JSON.")
@with_app(migrate=True)
def calls(app: App, statuses: tuple[str, ...], text: str | None, limit: int, as_json: bool) -> None:
    """List stored calls, soonest deadline first (open and forthcoming ones unless --status)."""
    wanted = set(statuses or DEFAULT_STATUSES)
    with session_scope(app.engine) as session:
        found = repo.search_calls(session, status="all", text=text, limit=MAX_SCAN)
        reached = any(source.last_success_at for source in repo.list_sources(session))
    shown = [call for call in found if "all" in wanted or call.status in wanted][:limit]
    if as_json:
        click.echo(json.dumps([call_summary(call) for call in shown], indent=2))
    elif shown:
        _print_table(shown)
    if not shown:
        # Unwrapped on stderr (like errors), so `--json` output stays pure and the hint greppable.
        click.echo(f"callwatch: {_why_empty(found, wanted, text, reached=reached)}", err=True)


def _why_empty(found: list[LogicalCall], wanted: set[str], text: str | None, *, reached: bool) -> str:
    if found:
        kinds = " or ".join(sorted(wanted))
        return f"no {kinds} call among the {len(found)} that match; `--status all` shows every one"
    if text:
        return f"no stored call mentions {text!r}"
    if not reached:
        return (
            "no calls stored yet: no source has been polled successfully (see `callwatch sources`). "
            "Run `callwatch poll` to poll them now, or `callwatch demo` to see Callwatch with recorded data."
        )
    return "no calls stored: the sources answered but listed none (see `callwatch sources`)"


def _print_table(found: list[LogicalCall]) -> None:
    console_out = out()
    # Narrow terminals: one source id per line, never cut (rich cuts a no-wrap cell rather than
    # honour a minimum width); wide ones and pipes keep "ft-portal, eccp" on one line.
    separator = ", " if console_out.width >= 120 else ",\n"
    grid = table("id", "status", "next deadline", "programme", "title", "sources")
    for column in grid.columns[:3]:
        column.no_wrap = True
    # Source ids are what operators type next: never cut (one per line when several); titles wrap.
    grid.columns[5].no_wrap = True
    for call in found:
        upcoming = (
            call.next_deadline_at.astimezone(BRUSSELS).isoformat(" ")[:16] if call.next_deadline_at else "-"
        )
        sources = separator.join(call.sources)
        if call.conflicts:
            sources += " [red]⚠ deadlines differ[/red]"
        grid.add_row(str(call.id), call.status, upcoming, call.programme or "-", call.title[:90], sources)
    console_out.print(grid)
    console_out.print("Deadlines are Brussels time.", highlight=False)
    for call in found:
        for conflict in call.conflicts:
            console_out.print(f"[red]⚠ call {call.id}: {conflict_message(conflict)}[/red]", highlight=False)


COMMANDS = (calls,)
