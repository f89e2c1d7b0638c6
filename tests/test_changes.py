"""Deadline diffing: pairs by label, then by date order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from monitor.model.call import CallIn, DeadlineIn
from monitor.model.changes import diff_calls, diff_deadlines


def _d(day: int, label: str | None = None) -> DeadlineIn:
    return DeadlineIn(at=datetime(2027, 3, day, 16, tzinfo=UTC), label=label)


def _kinds(old, new) -> list[tuple[str, str | None, str | None]]:
    def day(value: str | None) -> str | None:
        return json.loads(value)["at"][:10] if value else None

    return [(c.kind, day(c.old), day(c.new)) for c in diff_deadlines(old, new)]


def test_unchanged_deadlines() -> None:
    assert diff_deadlines([_d(1), _d(2)], [_d(1), _d(2)]) == []


def test_single_deadline_moved() -> None:
    assert _kinds([_d(12)], [_d(19)]) == [("changed", "2027-03-12", "2027-03-19")]


def test_stage_two_moved_is_paired_by_label() -> None:
    old = [_d(1, "Stage 1"), _d(20, "Stage 2")]
    new = [_d(1, "Stage 1"), _d(27, "Stage 2")]
    assert _kinds(old, new) == [("changed", "2027-03-20", "2027-03-27")]


def test_cut_off_removed_and_added() -> None:
    assert _kinds([_d(1), _d(5)], [_d(1)]) == [("removed", "2027-03-05", None)]
    assert _kinds([_d(1)], [_d(1), _d(9)]) == [("added", None, "2027-03-09")]


def test_identical_calls_have_no_changes() -> None:
    call = CallIn(key="K", title="T", countries=["PT", "ES"], deadlines=[_d(3)])
    assert diff_calls(call, call.model_copy(update={"countries": ["ES", "PT"]})) == []


def test_long_texts_are_flagged_without_copying_them() -> None:
    old = CallIn(key="K", title="T", summary_text="old words")
    [change] = diff_calls(old, old.model_copy(update={"summary_text": "new words"}))
    assert (change.field, change.old, change.new) == ("summary_text", None, None)
