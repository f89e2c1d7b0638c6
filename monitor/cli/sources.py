"""`callwatch sources` (configured sources and their health) and `callwatch poll` (poll them now).

Owns what these commands print and their exit statuses (1 when a poll failed; 0 when a source was
skipped because another process was polling it, with one "already running" line). Must not poll by
itself: `monitor.poll.pipeline` does, through the App's polite HTTP client.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from db import repo
from db.engine import session_scope
from monitor.app import App, sync_sources
from monitor.cli.common import EXIT_FAILED, console, fail, out, table, validate_now, with_app
from monitor.clock import fixed_clock
from monitor.poll.pipeline import RunReport, poll_sources
from sources import SourceConfigError


@click.command("sources")
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
    grid = table("id", "kind", "on", "every", "last run (UTC)", "status", "calls", "fails")
    grid.columns[0].min_width = max((len(row["id"]) for row in rows), default=2)
    for row in rows:
        grid.add_row(
            row["id"], row["kind"], "yes" if row["enabled"] else "no", row["interval"],
            (row["last_run_at"] or "never")[:16].replace("T", " "),
            row["last_status"] or ("not reached yet" if row["enabled"] else "-"),
            str(row["listed_calls"]), str(row["consecutive_failures"]),
        )  # fmt: skip
    console_out = out()
    console_out.print(grid)
    # Below the table, where a long message wraps instead of squeezing every column.
    for row in rows:
        if row["last_error"]:
            console_out.print(f"{row['id']}: {row['last_error'][:300]}", highlight=False, markup=False)


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


@click.command()
@click.argument("source_ids", nargs=-1, metavar="[SOURCE_ID]...")
@click.option("--json", "as_json", is_flag=True, help="Print the run reports as JSON.")
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant (replaying recorded pages).")
@with_app(migrate=True)
def poll(app: App, source_ids: tuple[str, ...], as_json: bool, now_text: str | None) -> None:
    """Poll sources now (all enabled ones by default). Exit 1 if any failed."""
    if now_text:
        app.clock = fixed_clock(validate_now(now_text))
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
    """Poll with a live line per run: the source, the pages fetched and bytes so far, then its result."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("polling", total=len(sources))
        async with app.http_client() as client:
            current = {"id": "", "requests": 0, "bytes": 0}

            def start(source: Any) -> None:
                current.update(id=source.id, requests=client.requests, bytes=client.bytes_received)

            def done(report: RunReport) -> None:
                progress.update(task, advance=1, description=_outcome(report))
                if progress.console.is_terminal:  # a log line per source stays on screen; pipes get the table
                    progress.console.print(_outcome(report), highlight=False, markup=False)

            ticker = asyncio.create_task(_tick(progress, task, client, current))
            try:
                return await poll_sources(
                    sources,
                    client=client,
                    engine=app.engine,
                    clock=app.clock,
                    on_start=start,
                    on_done=done,
                    unlist=app.unlist,
                )
            finally:
                ticker.cancel()


async def _tick(progress: Progress, task: Any, client: Any, current: dict[str, Any]) -> None:
    """Refresh the live line: requests are pages (retries included), bytes as received."""
    while True:
        pages = client.requests - current["requests"]
        received = (client.bytes_received - current["bytes"]) / 1_000_000
        if current["id"]:
            progress.update(task, description=f"{current['id']}: {pages} pages, {received:.1f} MB")
        await asyncio.sleep(0.2)


ALREADY_RUNNING = "already running: another process is polling this source now; skipped"


def _outcome(report: RunReport) -> str:
    """'ft-portal: ok, 142 records, 3 new, 1 changed (4.2 s)'."""
    if report.already_running:
        return f"{report.source_id}: {ALREADY_RUNNING}"
    counts = f"{report.found} records, {report.new} new, {report.changed} changed"
    return f"{report.source_id}: {report.status}, {counts} ({report.seconds:.1f} s)"


def _report_dict(report: RunReport) -> dict[str, Any]:
    keys = ("source_id", "found", "new", "changed", "unchanged", "unlisted", "error", "warnings", "run_id")
    status = "already_running" if report.already_running else str(report.status)
    return {"status": status, "seconds": round(report.seconds, 2)} | {k: getattr(report, k) for k in keys}


def _print_reports(reports: list[RunReport]) -> None:
    grid = table("source", "status", "found", "new", "changed", "unchanged", "unlisted", "seconds")
    # Ids are what operators type next (`callwatch poll ID`): never cut; numbers' headers may wrap.
    grid.columns[0].min_width = max((len(r.source_id) for r in reports), default=6)
    for r in reports:
        status = f"[red]{r.status}[/red]" if r.failed else str(r.status)
        status = "already running" if r.already_running else status
        grid.add_row(
            r.source_id, status, str(r.found), str(r.new), str(r.changed), str(r.unchanged), str(r.unlisted),
            f"{r.seconds:.1f}",
        )  # fmt: skip
    console_out = out()
    console_out.print(grid)
    for r in reports:
        if r.already_running:
            console_out.print(_outcome(r), highlight=False, markup=False)
        if r.error:
            console_out.print(
                f"{r.source_id}: {r.error.splitlines()[0][:300]}", highlight=False, markup=False
            )
    for r in reports:
        for warning in r.warnings[:5]:
            console.print(f"[yellow]{r.source_id}: {warning}[/yellow]", highlight=False)
        if len(r.warnings) > 5:
            console.print(f"[yellow]{r.source_id}: … and {len(r.warnings) - 5} more warnings[/yellow]")


COMMANDS = (sources_command, poll)
