"""One poll per source at a time: two `callwatch poll` processes (cron and the worker, two workers
after a failover) on one source.

The server holds its answer back until one of the two processes has exited, so the polls overlap
for certain: the one holding the source's lock fetches, the other says "already running" and exits 0.
Without the lock both would fetch and this test would time out, not pass.
"""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import select

from db.engine import make_engine, session_scope
from db.models import Call, CallChange, FetchRun
from tests.httpserver import LocalHTTPServer, Reply, SeenRequest
from tests.test_runs import CALLWATCH, FEED, RSS, poll_env, start, wait_for

MOVED = FEED.read_bytes().replace(b"1 April 2023, at 18.00 CET", b"8 April 2023, at 18.00 CET")
RENAMED = MOVED.replace(b"PowerUp NetZero: Open Call", b"PowerUp NetZero: Second Open Call")


def _two_polls(tmp: Path, env: dict[str, str], server: LocalHTTPServer, body: bytes) -> list[str]:
    """Start two polls at once; answer only after one has exited. Returns both outputs."""
    one_exited = threading.Event()

    def answer(_request: SeenRequest) -> Reply:
        one_exited.wait(60)
        return Reply(200, body=body, headers=RSS)

    server.route("/feed", answer)
    before = len(server.requests_to("/feed"))
    logs = [tmp / f"poll-{name}-{before}.log" for name in ("a", "b")]
    processes = [start(env, log, "poll") for log in logs]
    try:
        wait_for(lambda: any(p.poll() is not None for p in processes), what="one poll to give way")
    finally:
        one_exited.set()
    codes = [p.wait(timeout=60) for p in processes]
    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0], outputs
    assert len(server.requests_to("/feed")) == before + 1
    return outputs


def _stored(database_url: str) -> tuple[list[str], list[tuple[str, str, str | None, str | None]], int]:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            titles = sorted(call.title for call in session.exec(select(Call)))
            changes = [
                (str(c.call_id), c.field, c.old_value, c.new_value) for c in session.exec(select(CallChange))
            ]
            return titles, changes, len(session.exec(select(FetchRun)).all())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_two_first_polls_end_with_exit_0_and_one_set_of_calls(
    tmp_path: Path, database_url: str, http_server: LocalHTTPServer
) -> None:
    env = poll_env(tmp_path, database_url, f"{http_server.url}/feed")
    outputs = _two_polls(tmp_path, env, http_server, FEED.read_bytes())
    said = [text for text in outputs if "cluster-feed: already running" in text]
    assert len(said) == 1, outputs
    assert "already running: another process is polling this source now; skipped" in said[0]
    assert all("Traceback" not in text and "IntegrityError" not in text for text in outputs)
    titles, changes, run_count = _stored(database_url)
    assert titles == [
        "ECCP – Call for Expression of Interest – Clusters meet Regions",
        "Euroclusters for Thriving Creative and Cultural Industries - 1st Call for financial support"
        " to CCIs SMEs",
        "PowerUp NetZero: Open Call for Business Innovation and Technology Adoption Services",
    ]
    assert (changes, run_count) == ([], 1)


@pytest.mark.slow
def test_two_re_polls_record_each_change_once(
    tmp_path: Path, database_url: str, http_server: LocalHTTPServer
) -> None:
    http_server.route("/feed", Reply(200, body=FEED.read_bytes(), headers=RSS))
    env = poll_env(tmp_path, database_url, f"{http_server.url}/feed")
    assert subprocess.run([CALLWATCH, "poll"], env=env, capture_output=True).returncode == 0
    _two_polls(tmp_path, env, http_server, RENAMED)
    titles, changes, run_count = _stored(database_url)
    assert (
        "PowerUp NetZero: Second Open Call for Business Innovation and Technology Adoption Services" in titles
    )
    assert run_count == 2
    assert changes and Counter(changes).most_common(1)[0][1] == 1, changes
    fields = Counter(field for _call, field, _old, _new in changes)
    assert fields["title"] == 1 and any("deadline" in field for field in fields), fields
    # And a third poll of the same answer, after both, records nothing more.
    http_server.route("/feed", Reply(200, body=RENAMED, headers=RSS))
    assert subprocess.run([CALLWATCH, "poll"], env=env, capture_output=True).returncode == 0
    assert _stored(database_url)[1] == changes
