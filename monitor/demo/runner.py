"""`callwatch demo`: the shipped sources replayed from their recordings, polled into a demo database,
with the web app and the worker running, so a newcomer sees Callwatch work without the portals.

Owns the demo's folder (`./var/demo`: database, outbox, secret, the configs pointed at the replay),
starting one replay server per shipped source (`monitor.demo.replay`, dates shifted to today), the
first poll before the web app opens, the banner's facts (given to every page as the template global
`demo`) and what is printed at start. Must not change the shipped configs or the recordings, nor
reach the network: every source URL is the replay's loopback address.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from monitor.app import App, build_app
from monitor.demo.replay import Recording, ReplayServer
from monitor.poll.pipeline import RunReport, run_source
from monitor.processes import run_forever
from monitor.settings import load_settings

SHIPPED = Path(__file__).resolve().parents[2] / "config"
BRUSSELS = ZoneInfo("Europe/Brussels")  # db.models.people: a new subscriber's default time zone


@dataclass
class Demo:
    """The demo's folder and its running replays."""

    folder: Path
    servers: list[ReplayServer] = field(default_factory=list)

    @property
    def config_dir(self) -> Path:
        return self.folder / "config"

    @property
    def database(self) -> Path:
        return self.folder / "callwatch.db"

    def env(self) -> dict[str, str]:
        """The settings that point any `callwatch` command at the demo (shown, and in demo.env)."""
        return {
            "CALLWATCH_VAR_DIR": str(self.folder),
            "CALLWATCH_CONFIG_DIR": str(self.config_dir),
            "CALLWATCH_DATABASE_URL": f"sqlite:///{self.database}",
        }

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def banner(self) -> dict[str, Any]:
        """What the banner on every page says: which recordings, how far their dates moved."""
        return {
            "sources": [
                {
                    "id": s.recording.source_id,
                    "recorded": s.recording.now.date(),
                    "shift_days": s.shift_days,
                    "provenance": s.recording.provenance(),
                }
                for s in self.servers
            ]
        }


def start_replays(folder: Path, *, today: date, fresh: bool = False, shipped: Path = SHIPPED) -> Demo:
    """Prepare `folder` and start a replay for every shipped source, its config pointed at it."""
    if fresh and folder.exists():
        shutil.rmtree(folder)
    demo = Demo(folder)
    sources = demo.config_dir / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    for stale in sources.glob("*.toml"):
        stale.unlink()
    shutil.copyfile(shipped / "callwatch.toml", demo.config_dir / "callwatch.toml")
    for config in sorted((shipped / "sources").glob("*.toml")):
        recording = Recording.load(config.stem, overlay=True)
        server = ReplayServer(recording, today=today).start()
        demo.servers.append(server)
        text = config.read_text(encoding="utf-8").replace(recording.origin, server.url)
        (sources / config.name).write_text(text, encoding="utf-8")
    env = "".join(f"{name}={value}\n" for name, value in demo.env().items())
    (folder / "demo.env").write_text(env, encoding="utf-8")
    return demo


def build_demo_app(demo: Demo, *, host: str, port: int) -> App:
    """The app on the demo's folder; CALLWATCH_SMTP_URL (if set) is the only setting kept from outside."""
    settings = load_settings(
        var_dir=demo.folder, config_dir=demo.config_dir, database_url=f"sqlite:///{demo.database}",
        outbox_dir=demo.folder / "outbox", host=host, port=port, base_url=f"http://{host}:{port}",
        env="development", log_level="WARNING",
    )  # fmt: skip
    app = build_app(settings, migrate=True)
    # The replay is on loopback: waiting a second between its pages (politeness towards a real
    # site) or retrying its 404s (pages that were never saved) would only slow the first poll.
    app.defaults.http.update(min_interval=0.0, max_attempts=1)
    return app


async def first_poll(app: App) -> list[RunReport]:
    """Poll every source once before the web app opens, so the first page has calls."""
    reports = []
    async with app.http_client() as client:
        for source in app.enabled_sources():
            reports.append(
                await run_source(source, client=client, engine=app.engine, clock=app.clock, unlist=app.unlist)
            )
    return reports


def next_digest_time(now: datetime) -> datetime:
    """The next Monday 08:00 in Brussels (the sign-up form's default digest slot), for the hint."""
    local = now.astimezone(BRUSSELS)
    monday = (local + timedelta(days=-local.weekday())).replace(hour=8, minute=5, second=0, microsecond=0)
    return monday if monday > local else monday + timedelta(days=7)


async def serve(app: App, demo: Demo) -> None:
    """Web app in the foreground with the banner on every page, the worker beside it (the demo
    prints its own addresses, so the usual announcement is left out)."""
    await run_forever(app, template_globals={"demo": demo.banner()}, announce=False)
