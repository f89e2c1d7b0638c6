"""Reading a call's recorded history for planning e-mail: changes in a window, and group primaries.

Owns the two read queries the planners need besides the catalogue's.
Must not write, commit, or decide what a change means to a subscriber.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from db.models import Call, CallChange


def changes_since(session: Session, *, since: datetime) -> dict[int, list[CallChange]]:
    """Every change recorded after `since`, by call record id, oldest first."""
    found: dict[int, list[CallChange]] = defaultdict(list)
    query = select(CallChange).where(col(CallChange.at) > since).order_by(col(CallChange.id))
    for change in session.exec(query):
        found[change.call_id].append(change)
    return found


def primary_ids(session: Session, *, call_ids: Sequence[int]) -> list[int]:
    """The logical call ids of these records (a tracked record may since have joined a group)."""
    if not call_ids:
        return []
    rows = session.exec(select(Call.id, Call.group_id).where(col(Call.id).in_(list(call_ids))))
    return list(dict.fromkeys(group or cid for cid, group in rows))
