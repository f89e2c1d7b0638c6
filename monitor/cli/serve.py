"""`callwatch serve` (web), `worker` (scheduler and sending) and `run` (both in one process).

Owns these commands' options. Must not run anything at import: the processes, their signals and
shutdown are `monitor.processes`'s, imported only when one of these commands runs.
"""

from __future__ import annotations

import asyncio

import click

from monitor.app import App
from monitor.cli.common import check_port, validate_now, with_app
from monitor.clock import running_clock


@click.command()
@click.option("--host", help="Interface to listen on (default CALLWATCH_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default CALLWATCH_PORT or 8000).")
@with_app(migrate=True)
def serve(app: App, host: str | None, port: int | None) -> None:
    """Run the web app (pages, feeds, API) without the scheduler."""
    from monitor.processes import serve_forever

    check_port(host or app.settings.host, port or app.settings.port)
    asyncio.run(serve_forever(app, host=host, port=port))


START_HELP = "Start the clock at this ISO 8601 instant and let it run (replaying a day; testing)."


@click.command()
@click.option("--now", "now_text", help=START_HELP)
# The worker migrates once the database answers (monitor.startup), so it can start before it.
@with_app(wait_for_database=True)
def worker(app: App, now_text: str | None) -> None:
    """Run the scheduler (polls, digests, reminders, alerts; one active worker) and send e-mail."""
    from monitor.processes import worker_forever

    if now_text:
        app.clock = running_clock(validate_now(now_text))
    asyncio.run(worker_forever(app))


@click.command()
@click.option("--host", help="Interface to listen on (default CALLWATCH_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default CALLWATCH_PORT or 8000).")
@click.option("--now", "now_text", help=START_HELP)
@with_app(migrate=True)
def run(app: App, host: str | None, port: int | None, now_text: str | None) -> None:
    """Run web app and worker in one process (the embedded default)."""
    from monitor.processes import run_forever

    check_port(host or app.settings.host, port or app.settings.port)
    if now_text:
        app.clock = running_clock(validate_now(now_text))
    asyncio.run(run_forever(app, host=host, port=port))


COMMANDS = (serve, worker, run)
