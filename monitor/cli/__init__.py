"""The `callwatch` command: the contract operators and scripts rely on.

Owns argument parsing, logging set-up, progress display and exit statuses
(0 ok, 1 a source or delivery failed, 2 bad usage/configuration or not
implemented yet). Every command builds its own settings and app; nothing
happens at import.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from db import repo
from db.engine import session_scope
from db.migrate import current_revision, head_revision, upgrade
from monitor.app import App, build_app, sync_sources
from monitor.clock import fixed_clock, parse_instant, running_clock, system_clock
from monitor.model.zones import BRUSSELS
from monitor.poll.pipeline import RunReport, poll_sources
from monitor.render.api import call_summary
from monitor.settings import SettingsError, load_settings
from sources import SourceConfigError

console = Console(stderr=True)
EXIT_FAILED, EXIT_USAGE = 1, 2


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # One line per job run every few seconds drowns what matters; the worker logs its own results.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def _out() -> Console:
    """Standard output; wide when piped so a table never truncates ids or errors."""
    return Console(width=None if sys.stdout.isatty() else 200)


def fail(message: str, status: int = EXIT_USAGE) -> None:
    """Print an error unwrapped (operators grep for file names and keys) and exit."""
    click.echo(f"callwatch: {message}", err=True)
    sys.exit(status)


def with_app(*, migrate: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Build settings and app for a command; configuration errors exit 2 with the message."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                settings = load_settings()
                configure_logging(settings.log_level)
                app = build_app(settings, migrate=migrate)
            except (SettingsError, SourceConfigError) as exc:
                fail(str(exc))
            return command(app, *args, **kwargs)

        return wrapper

    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option("0.1.0", prog_name="callwatch")
def main() -> None:
    """Callwatch: EU funding calls, polled, normalised, matched and delivered.

    Settings come from CALLWATCH_* environment variables (and .env); sources
    from config/sources/*.toml. See README.md.
    """


# --------------------------------------------------------------------------- db


@main.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
@with_app()
def db_upgrade(app: App) -> None:
    """Apply every pending migration (safe to run any time)."""
    before = current_revision(app.engine)
    upgrade(app.engine)
    after = current_revision(app.engine)
    console.print(f"database at revision {after} (was {before or 'empty'}) — {_safe_url(app)}")


@db.command("status")
@with_app()
def db_status(app: App) -> None:
    """Show the database revision and whether migrations are pending; exit 1 if they are."""
    current, head = current_revision(app.engine), head_revision(app.engine)
    click.echo(f"current: {current or 'empty'}  head: {head}")
    if current != head:
        sys.exit(EXIT_FAILED)


def _safe_url(app: App) -> str:
    return app.engine.url.render_as_string(hide_password=True)


# --------------------------------------------------------------------------- sources


@main.command("sources")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@with_app(migrate=True)
def sources_command(app: App, as_json: bool) -> None:
    """List configured sources with their health (last run, status, calls, failures)."""
    sync_sources(app)
    with session_scope(app.engine) as session:
        rows = [_source_health(row) for row in repo.list_sources(session)]
    configured = {config.id for config in app.source_configs}
    rows = [row for row in rows if row["id"] in configured]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "kind", "enabled", "every", "last run", "status", "calls", "failures", "last error")
    for row in rows:
        table.add_row(
            row["id"], row["kind"], "yes" if row["enabled"] else "no", row["interval"],
            row["last_run_at"] or "never",
            row["last_status"] or "-", str(row["listed_calls"]), str(row["consecutive_failures"]),
            (row["last_error"] or "")[:80],
        )  # fmt: skip
    _out().print(table)


def _source_health(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "kind": row.kind, "url": row.url, "enabled": row.enabled,
        "interval": _interval(row.interval_seconds),
        "last_run_at": row.last_run_at.isoformat() if row.last_run_at else None,
        "last_success_at": row.last_success_at.isoformat() if row.last_success_at else None,
        "last_status": row.last_status, "last_error": row.last_error,
        "consecutive_failures": row.consecutive_failures, "listed_calls": row.listed_calls,
        "alerting": row.consecutive_failures >= row.alert_after_failures,
    }  # fmt: skip


def _interval(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


# --------------------------------------------------------------------------- poll


@main.command()
@click.argument("source_ids", nargs=-1, metavar="[SOURCE_ID]...")
@click.option("--json", "as_json", is_flag=True, help="Print the run reports as JSON.")
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant (replaying recorded pages).")
@with_app(migrate=True)
def poll(app: App, source_ids: tuple[str, ...], as_json: bool, now_text: str | None) -> None:
    """Poll sources now (all enabled ones by default). Exit 1 if any failed."""
    if now_text:
        app.clock = fixed_clock(_validate_now(now_text))
    try:
        sources = app.enabled_sources(list(source_ids))
    except SourceConfigError as exc:
        fail(str(exc))
    reports = asyncio.run(_poll_with_progress(app, sources))
    if as_json:
        click.echo(json.dumps([_report_dict(r) for r in reports], indent=2))
    else:
        _print_reports(reports)
    if any(report.failed for report in reports):
        sys.exit(EXIT_FAILED)


async def _poll_with_progress(app: App, sources: list[Any]) -> list[RunReport]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("polling", total=len(sources))

        def done(report: RunReport) -> None:
            progress.update(task, advance=1, description=f"{report.source_id}: {report.status}")

        async with app.http_client() as client:
            return await poll_sources(
                sources, client=client, engine=app.engine, clock=app.clock, on_done=done
            )


def _report_dict(report: RunReport) -> dict[str, Any]:
    keys = ("source_id", "found", "new", "changed", "unchanged", "unlisted", "error", "warnings", "run_id")
    return {"status": str(report.status), "seconds": round(report.seconds, 2)} | {
        k: getattr(report, k) for k in keys
    }


def _print_reports(reports: list[RunReport]) -> None:
    table = Table("source", "status", "found", "new", "changed", "unchanged", "unlisted", "seconds", "error")
    for r in reports:
        status = f"[red]{r.status}[/red]" if r.failed else str(r.status)
        table.add_row(
            r.source_id, status, str(r.found), str(r.new), str(r.changed), str(r.unchanged), str(r.unlisted),
            f"{r.seconds:.1f}", (r.error or "").splitlines()[0][:100] if r.error else "",
        )  # fmt: skip
    _out().print(table)
    for r in reports:
        for warning in r.warnings[:5]:
            console.print(f"[yellow]{r.source_id}: {warning}[/yellow]", highlight=False)
        if len(r.warnings) > 5:
            console.print(f"[yellow]{r.source_id}: … and {len(r.warnings) - 5} more warnings[/yellow]")


# --------------------------------------------------------------------------- calls


STATUSES = ["open", "forthcoming", "closed", "unknown", "all"]


@main.command()
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
    out = _out()
    out.print(table)
    for call in found:
        for conflict in call.conflicts:
            out.print(f"[red]⚠ call {call.id}: {conflict.message}[/red]", highlight=False)


def _validate_now(now_text: str) -> datetime:
    try:
        return parse_instant(now_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None


# --------------------------------------------------------------------------- processes


@main.command()
@click.option("--host", help="Interface to listen on (default CALLWATCH_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port (default CALLWATCH_PORT or 8000).")
@with_app(migrate=True)
def serve(app: App, host: str | None, port: int | None) -> None:
    """Run the web app (pages, feeds, API) without the scheduler."""
    from monitor.processes import serve_forever

    asyncio.run(serve_forever(app, host=host, port=port))


START_HELP = "Start the clock at this ISO 8601 instant and let it run (replaying a day; testing)."


@main.command()
@click.option("--now", "now_text", help=START_HELP)
@with_app(migrate=True)
def worker(app: App, now_text: str | None) -> None:
    """Run the scheduler (polls, digests, reminders, alerts; one active worker) and send e-mail."""
    from monitor.processes import worker_forever

    if now_text:
        app.clock = running_clock(_validate_now(now_text))
    asyncio.run(worker_forever(app))


@main.command()
@click.option("--host", help="Interface to listen on (default CALLWATCH_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port (default CALLWATCH_PORT or 8000).")
@click.option("--now", "now_text", help=START_HELP)
@with_app(migrate=True)
def run(app: App, host: str | None, port: int | None, now_text: str | None) -> None:
    """Run web app and worker in one process (the embedded default)."""
    from monitor.processes import run_forever

    if now_text:
        app.clock = running_clock(_validate_now(now_text))
    asyncio.run(run_forever(app, host=host, port=port))


__all__ = ["main", "system_clock"]


# Subscriber and e-mail commands live in their own module; importing it registers them.
from monitor.cli import mail as cli_mail  # noqa: E402, F401
