"""What changed between the stored and the newly polled version of a call.

Pure: takes two `CallIn`s, returns typed `FieldChange`s (deadline added,
moved or removed; status, budget, title... changed). The digest and the
change alerts show these lines; `db.repo` stores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from monitor.model.call import TEXT_FIELDS, TRACKED_FIELDS, CallIn, DeadlineIn
from monitor.model.vocab import ChangeKind


@dataclass(frozen=True)
class FieldChange:
    field: str
    kind: ChangeKind
    old: str | None
    new: str | None


def diff_calls(old: CallIn, new: CallIn) -> list[FieldChange]:
    """Every user-visible difference between two versions of one call."""
    changes = [change for name in TRACKED_FIELDS if (change := _field_change(name, old, new))]
    changes.extend(diff_deadlines(old.deadlines, new.deadlines))
    return changes


def _field_change(name: str, old: CallIn, new: CallIn) -> FieldChange | None:
    before, after = getattr(old, name), getattr(new, name)
    if _same(before, after):
        return None
    if name in TEXT_FIELDS:
        return FieldChange(name, ChangeKind.CHANGED, None, None)
    kind = ChangeKind.ADDED if _empty(before) else ChangeKind.REMOVED if _empty(after) else ChangeKind.CHANGED
    return FieldChange(name, kind, _render(before), _render(after))


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, list) or isinstance(after, list):
        return sorted(before or []) == sorted(after or [])
    if _empty(before) and _empty(after):
        return True
    return bool(before == after)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _render(value: Any) -> str | None:
    if _empty(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list):
        return ", ".join(str(item) for item in sorted(value))
    return str(value)


def diff_deadlines(old: list[DeadlineIn], new: list[DeadlineIn]) -> list[FieldChange]:
    """Deadline stages added, moved or removed.

    Stages with the same label are paired first (two-stage topics); what is
    left is paired in date order, so one cut-off that moves is a move, not a
    removal plus an addition.
    """
    old_left, new_left = _unmatched(old, new), _unmatched(new, old)
    changes: list[FieldChange] = []
    for before in list(old_left):
        twin = next((d for d in new_left if before.label and d.label == before.label), None)
        if twin is not None:
            changes.append(_deadline_change(ChangeKind.CHANGED, before, twin))
            old_left.remove(before)
            new_left.remove(twin)
    for before, after in zip(old_left, new_left, strict=False):
        changes.append(_deadline_change(ChangeKind.CHANGED, before, after))
    paired = min(len(old_left), len(new_left))
    changes += [_deadline_change(ChangeKind.REMOVED, d, None) for d in old_left[paired:]]
    changes += [_deadline_change(ChangeKind.ADDED, None, d) for d in new_left[paired:]]
    return changes


def _unmatched(these: list[DeadlineIn], others: list[DeadlineIn]) -> list[DeadlineIn]:
    instants = {(d.at, d.label) for d in others}
    return sorted((d for d in these if (d.at, d.label) not in instants), key=lambda d: d.at)


def _deadline_change(kind: ChangeKind, before: DeadlineIn | None, after: DeadlineIn | None) -> FieldChange:
    return FieldChange("deadline", kind, _deadline_value(before), _deadline_value(after))


def _deadline_value(deadline: DeadlineIn | None) -> str | None:
    if deadline is None:
        return None
    return json.dumps({"at": deadline.at.isoformat(), "label": deadline.label, "text": deadline.text})
