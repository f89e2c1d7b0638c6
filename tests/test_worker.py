"""`callwatch worker` as operators run it: real processes, the real SMTP server, the test database.

- After downtime: a digest missed by 26 h is sent once; one missed by more than `catch_up_hours`
  is skipped, the operator is told, and the next digest covers the gap.
- Two workers: exactly one is active and each scheduled job runs once; when the active one is
  killed the other takes over; a worker killed while sending leaves no row stuck and loses no
  message (the other worker sends it after the lease).

The worker's clock starts at `--now` and runs at real speed, so "the worker comes back 26 hours
after the digest was due" is one command. Jobs run every second here (config below).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Delivery, FetchRun, Subscriber
from monitor.leader import ADVISORY_KEY
from tests.httpserver import LocalHTTPServer
from tests.mailworld import CALLS, MailWorld, call_in, utc

CALLWATCH = str(Path(sys.executable).parent / "callwatch")
ANNA = "anna@example.org"
OPS = "ops@callwatch.test"
FAST = """
[mail]
rate_per_second = 0
lease_seconds = 10
[worker]
jitter_seconds = 0
mail_check_seconds = 1
send_interval_seconds = 1
standby_retry_seconds = 2
leadership_check_seconds = 2
"""
FEED = Path(__file__).parent / "fixtures" / "feeds" / "eccp_taxonomy_term_feed_RECONSTRUCTED.xml"


class Workers:
    """`callwatch worker` processes with their logs; all are killed when the test ends."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        env = os.environ | {"CALLWATCH_LOG_LEVEL": "INFO"}
        process = subprocess.Popen([CALLWATCH, "worker", *args], env=env, stdout=log, stderr=log)
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    def active(self) -> list[str]:
        return [name for name in self.processes if "active (holds the leader lock)" in self.log(name)]

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    running = Workers(tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


def wait_for(check: Callable[[], Any], timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")


def digests_to(world: MailWorld, address: str) -> list[Any]:
    return [m for m in world.messages_to(address) if "digest" in str(m["Subject"]).lower()]


def subscribe(world: MailWorld, email: str, at: str) -> None:
    result = world.cli(
        "subscribe", email, "--keywords", "hydrogen", "--confirmed", "--timezone", "UTC",
        "--digest-day", "monday", "--digest-hour", "8", "--now", at,
    )  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.fixture
def fast(world: MailWorld, monkeypatch: pytest.MonkeyPatch) -> MailWorld:
    (world.config_dir / "callwatch.toml").write_text(FAST)
    monkeypatch.setenv("CALLWATCH_OPERATOR_EMAIL", OPS)
    world.seed(CALLS, now=utc("2026-11-13T09:00:00Z"))
    subscribe(world, ANNA, "2026-11-14T10:00:00Z")
    return world


# --------------------------------------------------------------------------- downtime


@pytest.mark.slow
def test_digest_missed_by_26_hours_is_sent_once(fast: MailWorld, workers: Workers) -> None:
    # Anna's digest was due Monday 23 November 08:00 UTC; the worker comes back Tuesday 10:00.
    workers.start("w", "--now", "2026-11-24T10:00:00Z")
    [digest] = wait_for(lambda: digests_to(fast, ANNA), what="the catch-up digest")
    assert "Green hydrogen electrolyser pilots for SMEs" in digest.get_body(("plain",)).get_content()
    time.sleep(4)  # four more mail rounds: nothing more is sent
    assert len(digests_to(fast, ANNA)) == 1
    assert fast.messages_to(OPS) == []
    with session_scope(fast.app.engine) as session:
        [row] = session.exec(select(Delivery).where(Delivery.kind == "digest")).all()
    assert (row.period_key, row.status) == ("digest:2026-W48", "sent")


@pytest.mark.slow
def test_digest_missed_by_9_days_is_skipped_with_an_alert_and_the_next_covers_the_gap(
    fast: MailWorld, workers: Workers
) -> None:
    # The last digest went out Monday 16 November; then the worker was down until Wednesday 25.
    assert fast.cli("digest", "--now", "2026-11-16T08:05:00Z").exit_code == 0
    assert len(digests_to(fast, ANNA)) == 1
    fast.seed([call_in("F", "Hydrogen refuelling corridors", deadline="2027-04-01T15:00:00Z")],
              now=utc("2026-11-20T09:00:00Z"))  # fmt: skip
    workers.start("w", "--now", "2026-11-25T09:00:00Z")
    [alert] = wait_for(lambda: fast.messages_to(OPS), what="the operator alert")
    assert "1 digest(s) skipped" in str(alert["Subject"])
    assert "digest:2026-W48" in alert.get_body(("plain",)).get_content()
    time.sleep(3)
    assert len(digests_to(fast, ANNA)) == 1  # still only the one from 16 November
    assert len(fast.messages_to(OPS)) == 1
    workers.stop_all()
    # The next Monday's digest carries the call first seen during the gap.
    assert fast.cli("digest", "--now", "2026-11-30T08:05:00Z").exit_code == 0
    latest = digests_to(fast, ANNA)[-1].get_body(("plain",)).get_content()
    assert "Hydrogen refuelling corridors" in latest


# --------------------------------------------------------------------------- several workers


@pytest.fixture
def polled(fast: MailWorld, http_server: LocalHTTPServer) -> LocalHTTPServer:
    http_server.serve_file("/feed", FEED, "application/rss+xml")
    (fast.config_dir / "sources" / "cluster-feed.toml").write_text(
        f'id = "cluster-feed"\nname = "Cluster feed"\nkind = "feed"\nurl = "{http_server.url}/feed"\n'
        'interval = "1m"\n'
    )
    return http_server


@pytest.mark.slow
def test_two_workers_run_each_job_once(fast: MailWorld, polled: LocalHTTPServer, workers: Workers) -> None:
    for name in ("a", "b"):
        workers.start(name, "--now", "2026-11-23T08:05:00Z")
    wait_for(lambda: digests_to(fast, ANNA), what="the digest")
    wait_for(lambda: polled.requests_to("/feed"), what="the first poll")
    time.sleep(6)
    assert len(workers.active()) == 1, [workers.log(n) for n in workers.processes]
    standby = next(n for n in workers.processes if n not in workers.active())
    assert "standing by" in workers.log(standby)
    assert len(polled.requests_to("/feed")) == 1
    assert len(digests_to(fast, ANNA)) == 1
    with session_scope(fast.app.engine) as session:
        assert len(session.exec(select(FetchRun)).all()) == 1


@pytest.mark.slow
def test_killed_active_worker_is_replaced(fast: MailWorld, workers: Workers) -> None:
    for name in ("a", "b"):
        workers.start(name, "--now", "2026-11-23T08:05:00Z")
    wait_for(lambda: digests_to(fast, ANNA), what="the digest")
    [leader] = wait_for(workers.active, what="an active worker")
    survivor = "b" if leader == "a" else "a"
    workers.processes[leader].send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    wait_for(lambda: survivor in workers.active(), timeout=60, what="the takeover")
    assert time.monotonic() - killed_at < 60
    # The new active worker plans mail: a new subscriber's digest goes out.
    subscribe(fast, "ben@example.org", "2026-11-21T10:00:00Z")
    wait_for(lambda: digests_to(fast, "ben@example.org"), what="Ben's digest from the new worker")
    assert len(digests_to(fast, ANNA)) == 1


@pytest.mark.slow
def test_worker_killed_mid_send_leaves_nothing_stuck_and_loses_nothing(
    fast: MailWorld, workers: Workers
) -> None:
    everyone = [ANNA] + [f"user{i}@example.org" for i in range(11)]
    for address in everyone[1:]:
        subscribe(fast, address, "2026-11-14T10:00:00Z")
    handler = fast.smtp.handler
    original = handler.handle_DATA
    victim: dict[str, subprocess.Popen[bytes]] = {}

    async def kill_at_4(server, session, envelope):  # noqa: ANN001
        answer = await original(server, session, envelope)
        if len(handler.received) == 4 and "process" in victim:
            # The 4th message is stored; its sender dies before reading the 250.
            os.kill(victim["process"].pid, signal.SIGKILL)
        return answer

    handler.handle_DATA = kill_at_4
    victim["process"] = workers.start("a", "--now", "2026-11-23T08:05:00Z")
    victim["process"].wait(timeout=60)
    assert victim["process"].returncode == -signal.SIGKILL
    handler.handle_DATA = original
    workers.start("b", "--now", "2026-11-23T08:06:00Z")
    ids = lambda: {str(r.message["Message-ID"]) for r in handler.received}  # noqa: E731
    # The in-flight row is leased for 10 s; then b sends it too.
    wait_for(lambda: len(ids()) == len(everyone), timeout=60, what="every digest")
    with session_scope(fast.app.engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == "digest")).all()
    assert sorted(r.to_address for r in rows) == sorted(everyone)
    wait_for(lambda: _all_sent(fast), timeout=30, what="every row marked sent")
    assert len(handler.received) - len(ids()) <= 1  # at most the one in flight went twice


def _all_sent(world: MailWorld) -> bool:
    with session_scope(world.app.engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == "digest")).all()
    return all(r.status == "sent" and r.lease_until is None for r in rows)


@pytest.mark.slow
@pytest.mark.postgres
def test_worker_that_loses_its_lock_stops_its_jobs_and_stands_by(fast: MailWorld, workers: Workers) -> None:
    if fast.app.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock's session is a PostgreSQL thing")
    workers.start("a", "--now", "2026-11-23T08:05:00Z")
    wait_for(workers.active, what="an active worker")
    # A database restart or network cut ends the session that holds the advisory lock.
    with fast.app.engine.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = :high AND objid = :low"
            ),
            {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF},
        ).all()
    assert ended == [(True,)]
    wait_for(lambda: "lost the leader lock" in workers.log("a"), what="the loss to be noticed")
    # Nobody else holds it, so the same worker becomes active again.
    wait_for(lambda: workers.log("a").count("active (holds the leader lock)") == 2, what="re-election")
    assert workers.processes["a"].poll() is None


def test_housekeeping_erases_old_unconfirmed_sign_ups_and_old_message_bodies(world: MailWorld) -> None:
    from monitor.plan.housekeeping import housekeep

    for email, at in (
        ("old@example.org", "2026-10-01T10:00:00Z"),
        ("new@example.org", "2026-11-10T10:00:00Z"),
    ):
        result = world.cli("subscribe", email, "--keywords", "hydrogen", "--now", at)
        assert result.exit_code == 0, result.output
    subscribe(world, ANNA, "2026-10-01T10:00:00Z")  # confirmed: never erased
    world.seed(CALLS, now=utc("2026-11-13T09:00:00Z"))
    assert world.cli("digest", "--now", "2026-11-16T08:05:00Z").exit_code == 0
    done = housekeep(world.app, utc("2026-11-21T10:00:00Z"))
    assert done.erased_unconfirmed == 1
    with session_scope(world.app.engine) as session:
        left = {s.email for s in session.exec(select(Subscriber)).all()}
        rows = session.exec(select(Delivery).order_by(Delivery.id)).all()
        bodies = [repo.delivery_body(session, delivery_id=r.id or 0) for r in rows]
    assert left == {"new@example.org", ANNA}
    # The old confirmation's row stays, scrubbed; the newer rows keep their bodies until 30 days pass.
    assert [(r.to_address, body is None) for r, body in zip(rows, bodies, strict=True)] == [
        ("", True),
        ("new@example.org", False),
        (ANNA, False),
    ]
    later = housekeep(world.app, utc("2026-12-17T10:00:00Z"))
    assert (later.erased_unconfirmed, later.dropped_messages) == (1, 1)  # new@ now, and Anna's digest body
    with session_scope(world.app.engine) as session:
        [digest] = session.exec(select(Delivery).where(Delivery.kind == "digest")).all()
        body = repo.delivery_body(session, delivery_id=digest.id or 0)
    assert (digest.status, body, digest.to_address) == ("sent", None, ANNA)
