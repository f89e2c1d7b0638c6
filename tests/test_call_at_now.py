"""The one reading of a call at an instant (monitor.model.view: status_at, next_deadline, days_left),
and matching and the catalogue agreeing on it (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from monitor.match.criteria import Criteria
from monitor.match.index import match_call, prepare
from monitor.model.view import days_left, days_until, next_deadline, passed_deadline, status_at

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def stage(days: float, *, closed: bool = False) -> SimpleNamespace:
    return SimpleNamespace(at=NOW + timedelta(days=days), closed=closed, text="")


def call(**values: object) -> SimpleNamespace:
    defaults: dict[str, object] = {
        "id": 1, "status": "open", "opens_at": None, "next_deadline_at": None, "deadlines": [],
    }  # fmt: skip
    return SimpleNamespace(**(defaults | values))


def test_the_stages_come_before_the_stored_next_deadline() -> None:
    # Stored at the last poll, before the first stage passed: the stages say what is next now.
    stored_then = call(next_deadline_at=NOW - timedelta(days=2), deadlines=[stage(-2), stage(12.5)])
    assert next_deadline(stored_then, NOW) == NOW + timedelta(days=12.5)
    assert days_left(stored_then, NOW) == 12
    assert passed_deadline(stored_then, NOW) is None
    assert status_at(stored_then, NOW) == "open"
    # A stage ahead wins over a stored instant that disagrees with it.
    disagreeing = call(next_deadline_at=NOW + timedelta(days=40), deadlines=[stage(5.5)])
    assert next_deadline(disagreeing, NOW) == NOW + timedelta(days=5.5)


def test_the_stored_next_deadline_serves_a_call_without_stages() -> None:
    assert next_deadline(call(next_deadline_at=NOW + timedelta(days=3)), NOW) == NOW + timedelta(days=3)
    assert next_deadline(call(next_deadline_at=NOW - timedelta(seconds=1)), NOW) is None
    assert next_deadline(call(), NOW) is None
    assert days_left(call(), NOW) is None


def test_closed_stages_and_passed_calls() -> None:
    over = call(next_deadline_at=NOW - timedelta(days=1), deadlines=[stage(-1), stage(9, closed=True)])
    assert next_deadline(over, NOW) is None
    assert passed_deadline(over, NOW) == NOW - timedelta(days=1)
    assert status_at(over, NOW) == "closed"
    assert status_at(call(status="forthcoming", next_deadline_at=NOW - timedelta(days=1)), NOW) == "closed"
    assert status_at(call(status="closed", next_deadline_at=NOW - timedelta(days=1)), NOW) == "closed"


def test_a_forthcoming_call_opens_on_its_opening_date() -> None:
    forthcoming = call(status="forthcoming", opens_at=NOW, next_deadline_at=NOW + timedelta(days=30))
    assert status_at(forthcoming, NOW - timedelta(seconds=1)) == "forthcoming"
    assert status_at(forthcoming, NOW) == "open"
    assert status_at(call(status=None), NOW) == "unknown"


def test_days_until_rounds_down_and_ignores_the_past() -> None:
    assert days_until(NOW + timedelta(days=1, hours=23), NOW) == 1
    assert days_until(NOW + timedelta(hours=2), NOW) == 0
    assert days_until(NOW - timedelta(hours=2), NOW) is None
    assert days_until(None, NOW) is None


def test_matching_reads_the_call_as_the_catalogue_does() -> None:
    stored_then = call(
        title="hydrogen",
        keywords=[],
        summary_text="",
        next_deadline_at=NOW - timedelta(days=2),
        deadlines=[stage(-2), stage(12.5)],
    )
    prepared = prepare(stored_then, now=NOW)
    assert (prepared.status, prepared.next_deadline, prepared.days) == (
        status_at(stored_then, NOW),
        next_deadline(stored_then, NOW),
        days_left(stored_then, NOW),
    )
    result = match_call(stored_then, Criteria(keywords=("hydrogen",), min_days_left=10), now=NOW)
    assert result.matches
    assert result.reasons == ("keywords: hydrogen", "12 days left")
    opened = call(
        status="forthcoming", opens_at=NOW - timedelta(days=1), next_deadline_at=NOW + timedelta(days=5)
    )
    assert [v.detail for v in match_call(opened, Criteria(), now=NOW).verdicts] == ["open"]


def test_matching_counts_days_to_the_stage_ahead_not_a_disagreeing_stored_instant() -> None:
    disagreeing = call(next_deadline_at=NOW + timedelta(days=40), deadlines=[stage(5.5)])
    result = match_call(disagreeing, Criteria(min_days_left=10), now=NOW)
    assert not result.matches
    assert result.reasons[0].startswith("5 days left (deadline 15 January 2027), less than the 10 days")
