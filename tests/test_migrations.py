"""Migrations bring an empty SQLite and an empty PostgreSQL database to head,
and the head schema is exactly what the models declare; 0011 backfills the shown-log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel, select

from db.engine import make_engine
from db.migrate import current_revision, head_revision, upgrade
from db.models import Delivery, Profile, Shown, Source, Subscriber
from db.repo import store_calls
from tests.dbfixtures import postgres_url, scratch_postgres
from tests.mailworld import call_in

EXPECTED_TABLES = {
    "source", "fetchrun", "call", "deadline", "callchange", "subscriber", "profile", "consent",
    "trackedcall", "dismissal", "delivery", "deliverybody", "ratehit", "shown", "alembic_version",
    "collection", "collectioneditor", "collectionitem", "signinlink", "websession",
    "collectionmember", "collectionissue", "interest",
    "chattarget",
}  # fmt: skip


def _check_upgrade(url: str) -> None:
    engine = make_engine(url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        assert set(inspect(engine).get_table_names()) == EXPECTED_TABLES
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        upgrade(engine)  # a second upgrade is a no-op
    finally:
        engine.dispose()


def test_upgrade_empty_sqlite(tmp_path: Path) -> None:
    _check_upgrade(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.mark.skipif(not postgres_url(), reason="CALLWATCH_TEST_DATABASE_URL not set")
def test_upgrade_empty_postgres() -> None:
    with scratch_postgres(postgres_url() or "") as url:
        _check_upgrade(url)


def test_0011_takes_the_calls_of_sent_digests_as_shown(tmp_path: Path) -> None:
    # A database from before the shown-log: Anna's sent digest listed A and B, an empty (skipped)
    # one listed nothing, and an expired one (never read) listed C. After 0011, A and B are shown to
    # each of her profiles, once, by the sent digest; C is still new.
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    at = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
    try:
        upgrade(engine, "0010")
        with Session(engine) as session:
            session.add(Source(id="s", name="S", kind="feed", url="https://x.test/", created_at=at))
            session.flush()
            calls = [call_in(k, f"Call {k}", deadline="2027-01-03T16:00:00Z") for k in "ABC"]
            # The ORM writes the columns of later revisions too (0013 call.raw_digest): lent for the
            # seeding, dropped before the upgrade adds it for real.
            session.exec(text("ALTER TABLE call ADD COLUMN raw_digest VARCHAR(64)"))
            store_calls(session, source_id="s", run_id=None, calls=calls, complete=False, now=at)
            session.exec(text("ALTER TABLE call DROP COLUMN raw_digest"))
            a, b, c = (session.exec(text(f"SELECT id FROM call WHERE key = '{k}'")).scalar() for k in "ABC")
            anna = Subscriber(email="anna@example.org", status="confirmed", created_at=at)
            session.add(anna)
            session.flush()
            profiles = [Profile(subscriber_id=anna.id, name=n, created_at=at, updated_at=at) for n in "12"]
            session.add_all(profiles)
            session.flush()
            pids = [p.id for p in profiles]
            session.exec(text("ALTER TABLE delivery ADD COLUMN chat_target_id INTEGER"))  # 0016's, lent too
            for key, status, ids in (
                ("w48", "sent", [a, b]),
                ("w49", "skipped", []),
                ("w50", "expired", [c]),
            ):
                session.add(Delivery(subscriber_id=anna.id, kind="digest", period_key=key, status=status,
                                     created_at=at, sent_at=at, call_ids=ids))  # fmt: skip
            session.flush()
            session.exec(text("ALTER TABLE delivery DROP COLUMN chat_target_id"))
            session.commit()
        upgrade(engine)
        with Session(engine) as session:
            rows = session.exec(select(Shown.profile_id, Shown.call_id, Shown.change_id)).all()
            sent = session.exec(select(Delivery.id).where(Delivery.period_key == "w48")).one()
            delivered = set(session.exec(select(Shown.delivery_id)).all())
        assert sorted(rows) == sorted((p, cid, None) for p in pids for cid in (a, b))
        assert delivered == {sent}
    finally:
        engine.dispose()
