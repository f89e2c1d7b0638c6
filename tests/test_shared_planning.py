"""Several workers planning digests at once on PostgreSQL: each subscriber is planned by the first
planner to lease them (`repo.lease_planning`, transaction-scoped advisory locks), the others skip
them, and nobody waits. Checked with real sessions and threads on the test database, and with a
`callwatch worker` process standing by (another holds the leader lock) that still plans and sends.
On SQLite one worker plans per database file, so a lease there is every id."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from db import repo
from db.engine import session_scope
from db.models import Delivery, Subscriber
from monitor.leader import LeaderLock
from monitor.plan.claim import mail_context
from monitor.plan.digests import plan_digests
from tests.mailworld import CALLS, MailWorld, utc
from tests.test_worker import FAST, Workers, digests_to, subscribe, wait_for

MONDAY = utc("2026-11-23T08:05:00Z")  # the subscribers' digest hour (Monday 08:00 UTC)
PEOPLE = ["anna@example.org", "ben@example.org", "chiara@example.org", "dana@example.org"]


def _needs_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("planners share subscribers through PostgreSQL's advisory locks")


@pytest.fixture
def people(world: MailWorld) -> MailWorld:
    world.seed(CALLS, now=utc("2026-11-13T09:00:00Z"))
    for address in PEOPLE:
        subscribe(world, address, "2026-11-14T10:00:00Z")
    return world


def _ids(world: MailWorld) -> dict[str, int]:
    with session_scope(world.app.engine) as session:
        return {s.email: int(s.id or 0) for s in session.exec(select(Subscriber)).all()}


def _digest_rows(world: MailWorld) -> list[str]:
    with session_scope(world.app.engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == "digest")).all()
    return sorted(row.to_address for row in rows)


def test_sqlite_planning_leases_every_id(engine: Engine) -> None:
    with Session(engine) as session:
        assert repo.lease_planning(session, subscriber_ids=[3, 1, 2], postgres=False) == [3, 1, 2]
        assert repo.lease_planning(session, subscriber_ids=[], postgres=True) == []


@pytest.mark.postgres
def test_a_held_lease_hides_its_ids_until_its_transaction_ends(engine: Engine) -> None:
    _needs_postgres(engine)
    with Session(engine) as first, Session(engine) as second:
        assert repo.lease_planning(first, subscriber_ids=[1, 2, 3], postgres=True) == [1, 2, 3]
        # Another planner gets only what the first does not hold, without waiting.
        assert repo.lease_planning(second, subscriber_ids=[2, 3, 4, 5], postgres=True) == [4, 5]
        second.commit()
        first.commit()  # the claims are committed: the locks end with the transaction
        assert repo.lease_planning(second, subscriber_ids=[1, 2, 3], postgres=True) == [1, 2, 3]
        second.rollback()


@pytest.mark.postgres
def test_a_planner_skips_the_subscribers_another_is_planning(people: MailWorld) -> None:
    engine, mail = people.app.engine, mail_context(people.app)
    _needs_postgres(engine)
    anna = _ids(people)[PEOPLE[0]]
    with Session(engine) as other:
        assert repo.lease_planning(other, subscriber_ids=[anna], postgres=True) == [anna]
        report = plan_digests(engine, mail, now=MONDAY)
        assert report.claimed == len(PEOPLE) - 1
        assert PEOPLE[0] not in _digest_rows(people)
        other.rollback()  # that planner died before claiming: its lease ends with its transaction
    assert plan_digests(engine, mail, now=MONDAY).claimed == 1  # the next run plans Anna
    assert plan_digests(engine, mail, now=MONDAY).claimed == 0
    assert _digest_rows(people) == sorted(PEOPLE)


@pytest.mark.postgres
def test_planners_running_at_once_claim_each_digest_once(people: MailWorld) -> None:
    engine, mail = people.app.engine, mail_context(people.app)
    _needs_postgres(engine)
    claimed: list[int] = []
    start = threading.Barrier(3)

    def plan() -> None:
        start.wait()
        claimed.append(plan_digests(engine, mail, now=MONDAY, page=1).claimed)

    threads = [threading.Thread(target=plan) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(claimed) == len(PEOPLE) and len(claimed) == 3
    assert _digest_rows(people) == sorted(PEOPLE)


# --------------------------------------------------------------------------- a worker standing by


@pytest.fixture
def held_leadership(people: MailWorld) -> Iterator[LeaderLock]:
    (people.config_dir / "callwatch.toml").write_text(FAST)
    lock = LeaderLock(people.app.engine, people.app.settings.var_dir)
    assert lock.acquire()
    try:
        yield lock
    finally:
        lock.release()


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_standing_by_plans_and_sends_digests(
    people: MailWorld, held_leadership: LeaderLock, tmp_path: Path
) -> None:
    _needs_postgres(people.app.engine)
    workers = Workers(tmp_path)
    try:
        workers.start("w", "--now", "2026-11-23T08:05:00Z")
        for address in PEOPLE:
            wait_for(lambda a=address: digests_to(people, a), what=f"{address}'s digest")
        assert "standing by" in workers.log("w") and workers.active() == []
        assert "mail (standing by): claimed 4 digest(s)" in workers.log("w")
    finally:
        workers.stop_all()
    assert [len(digests_to(people, a)) for a in PEOPLE] == [1, 1, 1, 1]
