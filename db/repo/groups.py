"""Cross-source groups as stored: what regrouping reads, and the group ids it writes back.

Owns: `group_inputs` (every stored call's identity fields, its source's kind and its deadline
instants, in two queries) and `set_groups` (make each call's `group_id` match a mapping, writing
only the ids that move).
Must not: decide which records are one call: `monitor.poll.reconcile.group_records` does, and
`monitor.poll.pipeline.regroup` runs read -> decide -> write. Never commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from db.models import Call, Deadline
from db.repo.sources import list_sources


@dataclass(frozen=True)
class GroupInput:
    """One stored call as regrouping reads it."""

    id: int
    source_id: str
    kind: str
    title: str
    url: str | None
    identifier: str | None
    extra: dict[str, Any]
    deadlines: tuple[datetime, ...]


def group_inputs(session: Session) -> list[GroupInput]:
    """Every stored call with its source's kind and its deadlines (UTC instants)."""
    kinds = {source.id: source.kind for source in list_sources(session)}
    deadlines: dict[int, list[datetime]] = defaultdict(list)
    for call_id, at in session.exec(select(Deadline.call_id, Deadline.at)):
        deadlines[call_id].append(at)
    rows = session.exec(select(Call.id, Call.source_id, Call.title, Call.url, Call.identifier, Call.extra))
    return [
        GroupInput(
            id=int(call_id),
            source_id=source_id,
            kind=kinds.get(source_id, ""),
            title=title,
            url=url,
            identifier=identifier,
            extra=extra or {},
            deadlines=tuple(deadlines.get(int(call_id), ())),
        )  # fmt: skip
        for call_id, source_id, title, url, identifier, extra in rows
    ]


def set_groups(session: Session, *, groups: Mapping[int, int]) -> int:
    """Give each call the group primary `groups` names (None when absent); returns how many moved."""
    current = session.exec(select(Call.id, Call.group_id)).all()
    moved = [
        (call_id, groups.get(call_id)) for call_id, group_id in current if group_id != groups.get(call_id)
    ]
    for call_id, group_id in moved:
        session.exec(update(Call).where(col(Call.id) == call_id).values(group_id=group_id))  # type: ignore[call-overload]
    return len(moved)
