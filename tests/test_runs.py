"""Runs that end: real `callwatch` processes killed mid-poll, and a worker started before its database.

- Three polls SIGKILLed while fetching from a slow local server: the next poll of the source finds
  each one (it holds the source's lock, so no live process owns a `running` run), marks it
  `crashed`, and the failure streak grows by one per crash, so repeated out-of-memory kills alert.
- A worker whose database folder does not exist yet keeps running, logs one line per attempt, and
  polls once the folder appears.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from db.engine import make_engine, session_scope
from db.models import FetchRun, RunStatus, Source
from db.repo import start_run, sync_source
from monitor.clock import system_clock
from monitor.startup import close_stale_runs
from tests.httpserver import LocalHTTPServer, Reply
from tests.mailworld import MailWorld
from tests.test_web_calls import get

CALLWATCH = str(Path(sys.executable).parent / "callwatch")
FEED = Path(__file__).parent / "fixtures" / "feeds" / "eccp_taxonomy_term_feed_RECONSTRUCTED.xml"
RSS = {"Content-Type": "application/rss+xml"}
FAST = "[http]\nmin_interval = 0.1\nmax_attempts = 1\n[worker]\njitter_seconds = 0\n"


def poll_env(tmp: Path, database_url: str, feed_url: str) -> dict[str, str]:
    """An operator's environment with one feed source polling `feed_url`."""
    sources = tmp / "config" / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    (sources / "cluster-feed.toml").write_text(
        f'id = "cluster-feed"\nname = "Cluster feed"\nkind = "feed"\nurl = "{feed_url}"\ninterval = "1h"\n'
    )
    (tmp / "config" / "callwatch.toml").write_text(FAST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLWATCH_")}
    return env | {
        "CALLWATCH_DATABASE_URL": database_url, "CALLWATCH_CONFIG_DIR": str(tmp / "config"),
        "CALLWATCH_VAR_DIR": str(tmp / "var"), "CALLWATCH_LOG_LEVEL": "INFO",
    }  # fmt: skip


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen([CALLWATCH, *args], env=env, stdout=handle, stderr=handle)


def wait_for(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")


def source_row(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [CALLWATCH, "sources", "--json"], env=env, capture_output=True, text=True, check=True
    )
    [row] = json.loads(done.stdout)
    return row


def runs(database_url: str) -> list[tuple[str, str | None]]:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            rows = session.exec(select(FetchRun).order_by(FetchRun.id)).all()  # type: ignore[arg-type]
            return [(row.status, (row.error or "").split(":")[0] or None) for row in rows]
    finally:
        engine.dispose()


@pytest.fixture
def held() -> Iterator[threading.Event]:
    """Set when the test ends: frees the server threads still holding an answer back."""
    release = threading.Event()
    yield release
    release.set()


@pytest.mark.slow
def test_three_killed_polls_are_three_crashed_runs_and_raise_the_failure_count(
    tmp_path: Path, database_url: str, http_server: LocalHTTPServer
) -> None:
    http_server.route("/feed", Reply(200, body=FEED.read_bytes(), headers=RSS, delay=60))
    env = poll_env(tmp_path, database_url, f"{http_server.url}/feed")
    logs = []
    for number in (1, 2, 3):
        logs.append(tmp_path / f"poll{number}.log")
        process = start(env, logs[-1], "poll")
        wait_for(lambda n=number: len(http_server.requests_to("/feed")) == n, what=f"poll {number} fetching")
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    # Each poll found its predecessor dead; the third one's crash is found by the next poll.
    assert runs(database_url) == [("crashed", "crashed"), ("crashed", "crashed"), ("running", None)]
    row = source_row(env)
    assert (row["last_status"], row["consecutive_failures"], row["alerting"]) == ("crashed", 2, True)
    assert "ALERT source cluster-feed (Cluster feed) failed 2 times in a row" in logs[2].read_text()
    assert "crashed: the process running this poll stopped" in row["last_error"]
    # The fourth poll meets a server error: three crashes and one failure make a streak of four.
    http_server.route("/feed", Reply(500, body="down"))
    done = subprocess.run([CALLWATCH, "poll"], env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert runs(database_url) == [("crashed", "crashed")] * 3 + [("failed", "fetch failed")]
    row = source_row(env)
    assert (row["last_status"], row["consecutive_failures"], row["listed_calls"]) == ("failed", 4, 0)
    table = subprocess.run([CALLWATCH, "sources"], env=env, capture_output=True, text=True, check=True)
    assert " failed " in table.stdout
    # A good poll ends the streak; the crashed runs stay in the record.
    http_server.route("/feed", Reply(200, body=FEED.read_bytes(), headers=RSS))
    assert subprocess.run([CALLWATCH, "poll"], env=env, capture_output=True).returncode == 0
    row = source_row(env)
    assert (row["last_status"], row["consecutive_failures"], row["listed_calls"]) == ("ok", 0, 3)
    assert [status for status, _ in runs(database_url)] == ["crashed"] * 3 + ["failed", "ok"]


def test_worker_start_marks_only_stale_runs_crashed_and_the_sources_page_shows_it(world: MailWorld) -> None:
    now = world.web_clock()
    with session_scope(world.app.engine) as session:
        config = SimpleNamespace(
            id="s1", name="Source one", kind="feed", url="http://127.0.0.1:9/", enabled=True,
            interval_seconds=3600, alert_after_failures=1, alert_after_incomplete=3,
        )  # fmt: skip
        sync_source(session, config=config, now=now)
        dead = start_run(session, source_id="s1", now=now, heartbeat=system_clock() - timedelta(minutes=5))
        alive = start_run(session, source_id="s1", now=now, heartbeat=system_clock())
    # Worker start: only the run whose heartbeat stopped is dead; the fresh one may be polling now.
    assert close_stale_runs(world.app) == 1
    with session_scope(world.app.engine) as session:
        source = session.get(Source, "s1")
        statuses = {r.id: r.status for r in session.exec(select(FetchRun))}
    assert statuses == {dead.id: RunStatus.CRASHED, alive.id: RunStatus.RUNNING}
    assert source is not None and (source.last_status, source.consecutive_failures) == ("crashed", 1)
    page = BeautifulSoup(get(world, "/sources").text, "html.parser")
    row = page.select_one("#source-s1")
    assert row is not None and "crashed" in row.get_text(" ")
    assert "the process running this poll stopped" in row.get_text(" ")
    assert "1 (alert at 1)" in row.get_text(" ")


@pytest.mark.slow
def test_worker_started_before_its_database_waits_and_polls_once_it_is_there(
    tmp_path: Path, http_server: LocalHTTPServer
) -> None:
    http_server.route("/feed", Reply(200, body=FEED.read_bytes(), headers=RSS))
    # A folder outside CALLWATCH_VAR_DIR that is not there yet: a mount attached after boot.
    folder = tmp_path / "mnt" / "data"
    database_url = f"sqlite:///{folder}/callwatch.db"
    env = poll_env(tmp_path, database_url, f"{http_server.url}/feed")
    log = tmp_path / "worker.log"
    worker = start(env, log, "worker")
    try:
        wait_for(lambda: log.read_text().count("database unreachable") >= 2, what="two attempts")
        assert worker.poll() is None, log.read_text()
        text = log.read_text()
        assert (
            f"database unreachable (attempt 1): CALLWATCH_DATABASE_URL: the folder {folder} does not exist"
            in text
        )
        assert "next attempt in 1 s" in text and "(attempt 2)" in text and "next attempt in 2 s" in text
        assert "Traceback" not in text
        folder.mkdir(parents=True)
        wait_for(lambda: "poll cluster-feed ok: 3 found" in log.read_text(), what="the first poll")
        assert "database reachable after" in log.read_text()
        assert runs(database_url) == [("ok", None)]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
