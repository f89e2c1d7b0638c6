"""The benchmarks' seeded databases: open calls stored as a poll stores them (`store_calls`, for
every benchmark that reads stored calls) and, for bench/digests.py, confirmed subscribers with one
weekly profile each, seeded in transactions of 2,000 so memory stays flat at 100,000, and reset
between runs (what the last run queued and showed is deleted; calls and people stay).

Must not: measure anything (bench/digests.py does) or touch a database it was not given.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bench import data
from bench.common import bench_now


def seed(url: str, *, calls: int, subscribers: int) -> None:
    """Open calls and confirmed subscribers with one weekly profile each (Monday 08:00 Brussels)."""
    from db.engine import make_engine

    now = bench_now()
    engine = make_engine(url)
    calls_in = data.call_ins(calls, now=now)
    store_bench_calls(engine, calls_in, now=now)
    profiles = data.profiles(subscribers, calls_in, seed=17, broad=True)
    for start in range(0, subscribers, 2000):  # a transaction per 2,000: the session stays small
        _seed_subscribers(engine, list(enumerate(profiles))[start : start + 2000], now=now)
    engine.dispose()


def _seed_subscribers(engine: Any, batch: list[tuple[int, dict[str, Any]]], *, now: Any) -> None:
    from db import repo
    from db.engine import session_scope
    from db.models import SubscriberStatus

    with session_scope(engine) as session:
        for index, values in batch:
            row = repo.create_subscriber(
                session, email=f"sme{index}@bench.example.eu", now=now, language="en",
                timezone="Europe/Brussels", digest_weekday=0, digest_hour=8,
            )  # fmt: skip
            assert row.id is not None
            # Confirmed a week before: no digest is owed for a slot that passed before confirmation.
            confirmed = now - timedelta(days=7)
            repo.set_status(session, subscriber_id=row.id, status=SubscriberStatus.CONFIRMED, now=confirmed)
            repo.add_profile(session, subscriber_id=row.id, now=now, frequency="weekly", **values)


def reset(url: str) -> None:
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM shown"))  # what the last run's digests listed
        connection.execute(text("DELETE FROM delivery"))
    engine.dispose()


def store_bench_calls(engine: Any, calls_in: list[Any], *, now: Any) -> None:
    """`calls_in` stored under one ft-portal source "bench", regrouped as a poll leaves them."""
    from db import repo
    from db.engine import session_scope
    from db.models import Source
    from monitor.poll.pipeline import regroup

    with session_scope(engine) as session:
        session.add(
            Source(id="bench", name="Bench calls", kind="ft-portal", url="https://x.test/", created_at=now)
        )
        session.flush()
        repo.store_calls(session, source_id="bench", run_id=None, calls=calls_in, complete=False, now=now)
        regroup(session)
