"""`callwatch demo`: Callwatch working offline on the recordings the tests poll (monitor.demo).

Owns the command's options and what it prints: where the web app, the demo database and the outbox
are, what to try, and how to point other commands at the demo. Must not poll, serve or shift dates
itself (monitor.demo does), nor touch ./var outside ./var/demo.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.common import configure_logging, fail
from monitor.demo.replay import RecordingError
from monitor.settings import SettingsError
from sources import SourceConfigError

if TYPE_CHECKING:
    from monitor.demo.runner import Demo


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno not in (errno.EADDRINUSE, errno.EACCES)
    return True


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface for the web app.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="Web app port.")
@click.option("--folder", type=click.Path(path_type=Path), default=Path("var/demo"), show_default=True,
              help="The demo's database, outbox and configs.")  # fmt: skip
@click.option("--fresh", is_flag=True, help="Start from an empty demo database (forget earlier sign-ups).")
def demo(host: str, port: int, folder: Path, fresh: bool) -> None:
    """Run Callwatch on recorded pages of every source, dates shifted to today, fully offline."""
    from monitor.demo import runner

    configure_logging("WARNING")
    if not _port_free(host, port):
        fail(f"port {port} on {host} is in use: choose another with --port")
    now = datetime.now(UTC)
    try:
        replays = runner.start_replays(folder, today=now.date(), fresh=fresh)
        app = runner.build_demo_app(replays, host=host, port=port)
    except (RecordingError, SettingsError, SourceConfigError) as exc:
        fail(str(exc))
    try:
        _say("Callwatch demo: recorded pages of every source, not live data.")
        for server in replays.servers:
            recording = server.recording
            _say(f"  replaying {recording.source_id:<12} recorded {recording.now:%Y-%m-%d}, dates moved "
                 f"{server.shift_days:+d} days, on {server.url} ({recording.provenance()})")  # fmt: skip
        for report in asyncio.run(runner.first_poll(app)):
            outcome = (
                report.error.splitlines()[0] if report.error else f"{report.found} calls ({report.new} new)"
            )
            _say(f"  polled    {report.source_id:<12} {report.status}: {outcome}")
        _print_start(app.settings.base_url, replays, app.settings.smtp_url is not None,
                     runner.next_digest_time(now))  # fmt: skip
        asyncio.run(runner.serve(app, replays))
    finally:
        replays.stop()


def _say(text: str) -> None:
    click.echo(text)


def _print_start(url: str, replays: Demo, smtp: bool, digest_at: datetime) -> None:
    outbox = "CALLWATCH_SMTP_URL (mail goes to that server)" if smtp else f"{replays.folder / 'outbox'}/"
    env = " ".join(f"{name}={value}" for name, value in replays.env().items())

    _say(f"""
Web app   {url}
Database  {replays.database}
Outbox    {outbox}

Try:
  browse and search  {url}/calls  (sources and their health: {url}/sources; API: {url}/api/calls)
  sign up            {url}/subscribe, then open the confirmation e-mail in the outbox and follow its link
  feeds              {url}/feeds/calls.rss  and the calendar {url}/feeds/calls.ics
  a digest now       {env} callwatch digest --now {digest_at.isoformat()}
  (the same settings are in {replays.folder / "demo.env"}; any callwatch command works on the demo with them)
Stop with Ctrl+C. `callwatch demo --fresh` starts again from an empty demo database.
""")


COMMANDS = (demo,)
