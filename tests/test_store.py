"""Storing polls: idempotent upsert, typed history, unlisting only after complete polls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Call, CallChange, Deadline
from monitor.model.call import CallIn, DeadlineIn
from tests.kinds import scripted_config

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(hours=6)


def _call(key: str, **values) -> CallIn:
    defaults = {
        "title": f"Call {key}", "status": "open", "budget_total": Decimal("1000000.00"),
        "deadlines": [DeadlineIn(at=datetime(2027, 3, 12, 16, 0, tzinfo=UTC), text="2027-03-12")],
    }  # fmt: skip
    return CallIn(key=key, **{**defaults, **values})


@contextmanager
def count_writes(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _store(
    engine: Engine, calls: list[CallIn], *, complete: bool = True, now: datetime = T0
) -> repo.StoreCounts:
    with session_scope(engine) as session:
        repo.sync_source(session, config=scripted_config("demo", "http://example.invalid/"), now=now)
        return repo.store_calls(
            session, source_id="demo", run_id=None, calls=calls, complete=complete, now=now
        )


def _changes(engine: Engine) -> list[CallChange]:
    with session_scope(engine) as session:
        return list(session.exec(select(CallChange).order_by(CallChange.id)))


def test_first_poll_inserts_calls_with_deadlines(engine: Engine) -> None:
    counts = _store(engine, [_call("A"), _call("B")])
    assert (counts.new, counts.changed, counts.unchanged) == (2, 0, 0)
    with session_scope(engine) as session:
        rows = session.exec(select(Call).order_by(Call.key)).all()
        assert [r.key for r in rows] == ["A", "B"]
        assert rows[0].first_seen_at == T0 and rows[0].budget_total == Decimal("1000000.00")
        deadlines = session.exec(select(Deadline)).all()
        assert len(deadlines) == 2 and deadlines[0].at == datetime(2027, 3, 12, 16, 0, tzinfo=UTC)
    assert _changes(engine) == []


def test_identical_poll_writes_nothing(engine: Engine) -> None:
    _store(engine, [_call("A"), _call("B")])
    with count_writes(engine) as writes:
        counts = _store(engine, [_call("A"), _call("B")], now=T1)
    assert (counts.new, counts.changed, counts.unchanged, counts.unlisted) == (0, 0, 2, 0)
    assert writes == []


def test_moved_deadline_gives_exactly_one_typed_change(engine: Engine) -> None:
    _store(engine, [_call("A"), _call("B")])
    moved = _call("A", deadlines=[DeadlineIn(at=datetime(2027, 3, 19, 16, 0, tzinfo=UTC), text="2027-03-19")])
    counts = _store(engine, [moved, _call("B")], now=T1)
    assert (counts.changed, counts.unchanged) == (1, 1)
    [change] = _changes(engine)
    assert (change.field, change.kind, change.at) == ("deadline", "changed", T1)
    assert json.loads(change.old_value)["at"] == "2027-03-12T16:00:00+00:00"
    assert json.loads(change.new_value)["at"] == "2027-03-19T16:00:00+00:00"
    with session_scope(engine) as session:
        row = session.exec(select(Call).where(Call.key == "A")).one()
        assert row.last_changed_at == T1 and row.first_seen_at == T0


def test_status_budget_and_title_changes_are_typed(engine: Engine) -> None:
    _store(engine, [_call("A", status="forthcoming")])
    _store(
        engine, [_call("A", status="open", title="Call A (amended)", budget_total=Decimal("1200000"))], now=T1
    )
    found = {(c.field, c.kind, c.old_value, c.new_value) for c in _changes(engine)}
    assert found == {
        ("status", "changed", "forthcoming", "open"),
        ("title", "changed", "Call A", "Call A (amended)"),
        ("budget_total", "changed", "1000000", "1200000"),
    }


def test_new_cut_off_is_an_addition(engine: Engine) -> None:
    first = DeadlineIn(at=datetime(2027, 1, 10, 16, 0, tzinfo=UTC), label="Cut-off 1")
    second = DeadlineIn(at=datetime(2027, 5, 10, 15, 0, tzinfo=UTC), label="Cut-off 2")
    _store(engine, [_call("A", deadlines=[first])])
    _store(engine, [_call("A", deadlines=[first, second])], now=T1)
    [change] = _changes(engine)
    assert (change.field, change.kind, change.old_value) == ("deadline", "added", None)
    assert json.loads(change.new_value)["label"] == "Cut-off 2"


def test_missing_call_is_unlisted_not_deleted_after_complete_polls_a_day_apart(engine: Engine) -> None:
    _store(engine, [_call(k) for k in "ABCDEFGHIJKL"])
    assert _store(engine, [_call(k) for k in "ABCDEFGHIJK"], now=T1).unlisted == 0
    later = T1 + timedelta(hours=24)
    counts = _store(engine, [_call(k) for k in "ABCDEFGHIJK"], now=later)
    assert counts.unlisted == 1
    with session_scope(engine) as session:
        gone = session.exec(select(Call).where(Call.key == "L")).one()
        assert (gone.listed, gone.unlisted_at, gone.status) == (False, later, "open")
        assert (gone.missing_since, gone.missed_polls) == (T1, 2)
    assert [(c.field, c.kind) for c in _changes(engine)] == [("listed", "removed")]


def test_incomplete_poll_unlists_nothing(engine: Engine) -> None:
    _store(engine, [_call("A"), _call("B")])
    counts = _store(engine, [_call("A")], complete=False, now=T1)
    assert counts.unlisted == 0
    with session_scope(engine) as session:
        assert all(row.listed for row in session.exec(select(Call)))


def test_mass_disappearance_is_suspect_empty_and_writes_no_call(engine: Engine) -> None:
    _store(engine, [_call(str(n)) for n in range(30)])
    with count_writes(engine) as writes:
        counts = _store(engine, [_call(str(n)) for n in range(14)], now=T1)
    assert counts.unlisted == 0
    assert counts.suspect_empty == (
        "suspect empty answer: this complete poll lists 14 of the 30 listed calls, so it would have "
        "unlisted 16 (more than half; 14, 15, 16, 17, 18 and 11 more); nothing was changed and the run "
        "counts as a failure"
    )
    assert not [w for w in writes if "call" in w.lower() and "source" not in w.lower()]


def test_relisted_call_is_recorded(engine: Engine) -> None:
    _store(engine, [_call(k) for k in "ABCDEFGHIJKL"])
    _store(engine, [_call(k) for k in "ABCDEFGHIJK"], now=T1)
    _store(engine, [_call(k) for k in "ABCDEFGHIJK"], now=T1 + timedelta(hours=24))
    counts = _store(engine, [_call(k) for k in "ABCDEFGHIJKL"], now=T1 + timedelta(hours=30))
    assert counts.changed == 1
    assert [(c.field, c.kind) for c in _changes(engine)][-1] == ("listed", "added")
    with session_scope(engine) as session:
        assert session.exec(select(Call).where(Call.key == "L")).one().listed


def test_duplicate_keys_in_one_poll_store_once(engine: Engine) -> None:
    counts = _store(engine, [_call("A"), _call("A", title="dupe")])
    assert counts.new == 1


def _version(engine: Engine) -> str:
    with session_scope(engine) as session:
        return repo.catalogue_version(session)


def test_catalogue_version_moves_with_what_users_see_and_only_then(engine: Engine) -> None:
    calls = [_call(str(i)) for i in range(12)]
    _store(engine, calls)
    first = _version(engine)
    _store(engine, calls, now=T1)  # a poll that changed nothing: feeds keep answering 304
    assert _version(engine) == first
    moved = _call("0", deadlines=[DeadlineIn(at=datetime(2027, 3, 19, 16, 0, tzinfo=UTC), text="2027-03-19")])
    _store(engine, [moved, *calls[1:]], now=T1)
    second = _version(engine)
    assert second != first
    _store(engine, [moved, *calls[1:11]], now=T1 + timedelta(hours=1))  # call 11 missed once: still listed
    assert _version(engine) == second
    _store(engine, [moved, *calls[1:11]], now=T1 + timedelta(hours=25))  # missed for 24 h: unlisted
    third = _version(engine)
    assert third != second
    _store(engine, [moved, *calls[1:]], now=T1 + timedelta(hours=26))  # and listed again
    assert _version(engine) not in (second, third)
