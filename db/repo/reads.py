"""Calls as users see them: one merged view per cross-source group, searched and versioned.

Owns: `search_calls` (a literal substring over every source's text), `logical_call(s)` (the
stored members of a group, with their count of history lines, handed to
`monitor.model.view.merge`), `catalogue_version`, and the
LIKE escaping every query on user text uses.
Must not: write anything, decide groups (`monitor.poll.reconcile` does) or merge fields itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from db.models import Call, CallChange, Source
from db.repo.calls import deadlines_for
from db.repo.sources import list_sources
from monitor.model.view import LogicalCall, Member, merge

# SQLite has no default LIKE escape character: every LIKE on user text names this one.
LIKE_ESCAPE = "\\"


def search_calls(
    session: Session, *, status: str | None = None, text: str | None = None, limit: int = 200
) -> list[LogicalCall]:
    """Calls as users see them (one per cross-source group), soonest deadline first.

    `text` is a plain substring (LIKE wildcards in it are literal) looked for in
    every source's title, summary and identifier; `status` is the shown status.
    """
    query = select(Call.id, Call.group_id, Call.status)
    if text:
        pattern = "%" + like_literal(text.lower()) + "%"
        query = query.where(
            or_(
                func.lower(Call.title).like(pattern, escape=LIKE_ESCAPE),
                func.lower(func.coalesce(Call.summary_text, "")).like(pattern, escape=LIKE_ESCAPE),
                func.lower(func.coalesce(Call.identifier, "")).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    query = query.order_by(col(Call.next_deadline_at).is_(None), col(Call.next_deadline_at), col(Call.id))
    wanted: list[int] = []
    for call_id, group_id, _status in session.exec(query):
        primary = group_id or call_id
        if primary not in wanted:
            wanted.append(primary)
    found = logical_calls(session, primary_ids=wanted)
    if status and status != "all":
        found = [call for call in found if call.status == status]
    found.sort(
        key=lambda c: (c.next_deadline_at is None, c.next_deadline_at or c.primary.first_seen_at, c.id)
    )
    return found[:limit]


def catalogue_version(session: Session) -> str:
    """Changes whenever what users see of the calls may have changed: one statement of index reads.

    Every write users can see leaves a mark an index answers at once: an insert moves the highest
    call id; an update that changes anything (a moved deadline, unlisting, listing again) adds a
    typed history line, so it moves the highest `callchange` id (changes written outside a poll, by
    an operator's script, too); regrouping runs in the transaction of the poll whose new or changed
    calls caused it. Sources are few rows (and a deleted source takes its calls). Never a scan of
    `call`: SQLite would walk the overflow pages of its text columns (90 ms with 20,000 calls). A
    poll that changed nothing leaves it alone, so feed readers keep getting 304s.
    """
    calls = select(func.max(Call.id)).scalar_subquery()
    history = select(func.max(CallChange.id)).scalar_subquery()
    sources = select(func.count(col(Source.id))).scalar_subquery()
    found = session.exec(select(calls, history, sources)).one()  # type: ignore[call-overload]
    return "|".join(str(value) for value in found)


def like_literal(text: str) -> str:
    """`text` for LIKE/ILIKE with `escape=LIKE_ESCAPE`: its % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def logical_calls(session: Session, *, primary_ids: Sequence[int]) -> list[LogicalCall]:
    """The merged view of each group (or lone call) named by its primary id, in the given order."""
    if not primary_ids:
        return []
    ids = list(dict.fromkeys(primary_ids))
    rows: list[Call] = []
    for chunk in _chunks(ids):
        rows.extend(
            session.exec(
                select(Call).where(or_(col(Call.id).in_(chunk), col(Call.group_id).in_(chunk)))
            ).all()
        )
    members = grouped_members(session, rows)
    return [merge(members[primary_id]) for primary_id in ids if primary_id in members]


def grouped_members(session: Session, rows: Sequence[Call]) -> dict[int, list[Member]]:
    """`rows` as members of their logical calls (by primary id), with kind, deadlines and change count."""
    kinds = {source.id: source.kind for source in list_sources(session)}
    row_ids = [row.id for row in rows if row.id is not None]
    deadlines = deadlines_for(session, call_ids=row_ids)
    changes = change_counts(session, call_ids=row_ids)
    members: dict[int, list[Member]] = defaultdict(list)
    for row in rows:
        primary = row.group_id or row.id
        assert primary is not None
        members[primary].append(
            Member(call=row, kind=kinds.get(row.source_id, ""), deadlines=deadlines.get(row.id or 0, []),
                   changes=changes.get(row.id or 0, 0))
        )  # fmt: skip
    return members


def change_counts(session: Session, *, call_ids: Sequence[int]) -> dict[int, int]:
    """How many typed history lines each call has (a calendar event's revision grows with it)."""
    found: dict[int, int] = {}
    for chunk in _chunks(call_ids):
        query = select(CallChange.call_id, func.count()).where(col(CallChange.call_id).in_(chunk))
        found.update(session.exec(query.group_by(col(CallChange.call_id))).all())  # type: ignore[arg-type]
    return found


def logical_call(session: Session, *, call_id: int) -> LogicalCall | None:
    """The logical call that record `call_id` belongs to."""
    row = session.get(Call, call_id)
    if row is None:
        return None
    found = logical_calls(session, primary_ids=[row.group_id or call_id])
    return found[0] if found else None


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
