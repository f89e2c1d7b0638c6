"""`callwatch calls`: stored calls, soonest deadline first, as a table or JSON.

Owns what the command prints. Must not filter calls itself: `db.repo.search_calls` does.
"""

from __future__ import annotations

import json

import click
from rich.table import Table

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.cli.common import out, with_app
from monitor.model.zones import BRUSSELS
from monitor.render.api import call_summary
from monitor.render.words import conflict_message

STATUSES = ["open", "forthcoming", "closed", "unknown", "all"]


@click.command()
@click.option("--status", type=click.Choice(STATUSES), default="open", show_default=True)
@click.option("--search", "text", help="Words to look for in titles, summaries and identifiers.")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Full details as JSON.")
@with_app(migrate=True)
def calls(app: App, status: str, text: str | None, limit: int, as_json: bool) -> None:
    """List stored calls, soonest deadline first."""
    with session_scope(app.engine) as session:
        found = repo.search_calls(session, status=status, text=text, limit=limit)
    if as_json:
        click.echo(json.dumps([call_summary(call) for call in found], indent=2))
        return
    table = Table("id", "status", "next deadline (Brussels)", "programme", "title", "sources")
    for call in found:
        upcoming = (
            call.next_deadline_at.astimezone(BRUSSELS).isoformat()[:16] if call.next_deadline_at else "-"
        )
        sources = ", ".join(call.sources)
        if call.conflicts:
            sources += " [red]⚠ deadlines differ[/red]"
        table.add_row(str(call.id), call.status, upcoming, call.programme or "-", call.title[:90], sources)
    console = out()
    console.print(table)
    for call in found:
        for conflict in call.conflicts:
            console.print(f"[red]⚠ call {call.id}: {conflict_message(conflict)}[/red]", highlight=False)


COMMANDS = (calls,)
