"""Two processes starting on a fresh database both mirror the source files into it.

The CI run of two workers started together showed the loser's insert failing on the source's
primary key and the worker exiting. Here the other process's insert is made certain: it is
committed through a second engine between the loser's look-up and its insert.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import monitor.app as app_module
from db import repo
from db.engine import make_engine, session_scope
from db.models import Source
from monitor.app import App, build_app, sync_sources
from monitor.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Iterator[App]:
    for name in list(os.environ):
        if name.startswith("CALLWATCH_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    (config / "sources").mkdir(parents=True)
    shipped = (ROOT / "config" / "sources" / "eccp.toml").read_text()
    (config / "sources" / "eccp.toml").write_text(shipped)
    for name, value in {
        "CALLWATCH_DATABASE_URL": database_url, "CALLWATCH_CONFIG_DIR": str(config),
        "CALLWATCH_VAR_DIR": str(tmp_path / "var"), "CALLWATCH_LOG_LEVEL": "WARNING",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    built = build_app(load_settings(), migrate=True)
    yield built
    built.engine.dispose()


def test_a_source_row_inserted_by_another_process_meanwhile_is_updated_not_an_error(
    app: App, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    real = repo.sync_source
    lost: list[str] = []

    def racing(session: Session, *, config: Any, now: Any) -> Source:
        if not lost:
            lost.append(config.id)
            assert session.get(Source, config.id) is None  # the loser looks first ...
            other = make_engine(database_url)
            with session_scope(other) as winner:  # ... the other process inserts and commits ...
                winner.add(
                    Source(id=config.id, name="old name", kind=config.kind, url=config.url, created_at=now)
                )
            other.dispose()
            session.add(
                Source(id=config.id, name=config.name, kind=config.kind, url=config.url, created_at=now)
            )
            session.flush()  # ... and the loser's insert fails on the primary key
        return real(session, config=config, now=now)

    monkeypatch.setattr(app_module.repo, "sync_source", racing)
    sync_sources(app)
    assert lost == ["eccp"]
    with session_scope(app.engine) as session:
        [row] = session.exec(select(Source)).all()
        assert (row.id, row.name) == ("eccp", app.source_configs[0].name)


def test_a_write_that_keeps_failing_is_still_an_error_after_three_tries(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    with session_scope(app.engine) as session:
        session.add(
            Source(id="taken", name="taken", kind="eccp", url="https://example.eu", created_at=app.clock())
        )
    tries: list[str] = []

    def always_duplicate(session: Session, *, config: Any, now: Any) -> Source:
        tries.append(config.id)
        row = _row("taken", config.name, config, now)
        session.add(row)
        session.flush()
        return row

    monkeypatch.setattr(app_module.repo, "sync_source", always_duplicate)
    with pytest.raises(IntegrityError):
        sync_sources(app)
    assert tries == ["eccp"] * 3


def _row(source_id: str, name: str, config: Any, now: Any) -> Source:
    return Source(id=source_id, name=name, kind=config.kind, url=config.url, created_at=now)
