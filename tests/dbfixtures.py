"""A fresh, migrated database for every test.

SQLite (default): the schema is migrated once per session into a template
file, and each test gets its own copy. PostgreSQL (when
CALLWATCH_TEST_DATABASE_URL is set): one scratch database per session,
migrated once, and every table truncated after each test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from db.engine import make_engine
from db.migrate import upgrade

PG_URL_ENV = "CALLWATCH_TEST_DATABASE_URL"
# The instant every test lives at unless it sets its own clock.
FROZEN_NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def postgres_url() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


@contextmanager
def scratch_postgres(base_url: str) -> Iterator[str]:
    """Create an empty PostgreSQL database next to `base_url`, drop it afterwards."""
    name = f"callwatch_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a migrated database (SQLite template file, or a PostgreSQL scratch database)."""
    base = postgres_url()
    if base:
        with scratch_postgres(base) as url:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            yield url
        return
    path = tmp_path_factory.mktemp("db") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    yield str(path)


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database for this test."""
    if postgres_url():
        yield database_template
        _truncate_all(database_template)
        return
    copy = tmp_path / "callwatch.db"
    shutil.copyfile(database_template, copy)
    yield f"sqlite:///{copy}"


def _truncate_all(url: str) -> None:
    engine = make_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def now() -> datetime:
    return FROZEN_NOW


@pytest.fixture
def clock(now: datetime):  # noqa: ANN201 - returns a Clock
    return lambda: now
