"""Migrations bring an empty SQLite and an empty PostgreSQL database to head,
and the head schema is exactly what the models declare."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from db.engine import make_engine
from db.migrate import current_revision, head_revision, upgrade
from tests.dbfixtures import postgres_url, scratch_postgres

EXPECTED_TABLES = {
    "source", "fetchrun", "call", "deadline", "callchange", "subscriber", "profile", "consent",
    "trackedcall", "dismissal", "delivery", "ratehit", "shown", "alembic_version",
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
