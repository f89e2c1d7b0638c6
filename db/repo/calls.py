"""Calls and their history: storing one poll's calls, their deadlines, and typed change lines.

Owns: the idempotent upsert of a source's calls (identical data writes nothing, a change writes
typed history from `monitor.model.changes.diff_calls`, a call is never deleted: one missing from
complete polls is marked unlisted on evidence, by `db.repo.unlisting`; a text field damaged by bad bytes
never replaces the stored one), and reading deadlines and history.
Must not: regroup calls across sources (`monitor.poll.pipeline.regroup` does, through
`db.repo.groups`), merge them for display (`db.repo.reads`), or commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import defer, undefer
from sqlmodel import Session, col, select

from db.models import Call, CallChange, Deadline
from db.repo import unlisting
from monitor.model.call import CallIn, DeadlineIn
from monitor.model.changes import FieldChange, diff_calls
from monitor.model.source import UnlistRule
from monitor.model.vocab import ChangeKind

# A damaged text field kept from the stored row brings its HTML form along.
_HTML_OF = {"summary_text": "summary_html", "conditions_text": "conditions_html"}


@dataclass
class StoredClock:
    """What deciding to skip an unchanged record reads of its stored call (no text columns)."""

    raw_digest: str | None
    listed: bool
    status: str
    status_hint: str | None
    opens_at: datetime | None
    deadline_model: str | None
    next_deadline_at: datetime | None
    deadlines: list[DeadlineIn] = field(default_factory=list)


def stored_clocks(session: Session, *, source_id: str) -> dict[str, StoredClock]:
    """Per key, a source's stored calls' digests and clock inputs (two narrow queries)."""
    columns = (Call.key, Call.id, Call.raw_digest, Call.listed, Call.status, Call.status_hint,
               Call.opens_at, Call.deadline_model, Call.next_deadline_at)  # fmt: skip
    rows = session.exec(select(*columns).where(Call.source_id == source_id)).all()  # type: ignore[call-overload]
    by_id = {row[1]: StoredClock(row[2], row[3], *row[4:]) for row in rows}
    stages = (
        select(Deadline)
        .join(Call, col(Call.id) == col(Deadline.call_id))
        .where(Call.source_id == source_id)
        .order_by(col(Deadline.call_id), col(Deadline.position))
    )
    for stage in session.exec(stages):
        by_id[stage.call_id].deadlines.append(_deadline_in(stage))
    return {row[0]: by_id[row[1]] for row in rows}


@dataclass
class StoreCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    unlisted: int = 0
    warnings: list[str] = field(default_factory=list)
    # Set when the poll missed too many listed calls to be believed: nothing was stored.
    suspect_empty: str | None = None


def store_calls(
    session: Session,
    *,
    source_id: str,
    run_id: int | None,
    calls: Iterable[CallIn],
    complete: bool,
    now: datetime,
    unlist: UnlistRule = UnlistRule(),
    unchanged: Collection[str] = (),
    raw_digests: Mapping[str, str] | None = None,
) -> StoreCounts:
    """Upsert one poll's calls; a complete poll counts toward unlisting the ones it misses.

    A complete poll missing all or most listed calls stores nothing (`counts.suspect_empty` says why).
    `unchanged`: keys the poll listed whose stored call stands as it is (same raw record, clock fields
    unmoved): not in `calls`, yet seen. `raw_digests`: the digest to keep with each stored call.
    """
    counts = StoreCounts()
    # Texts are read only for calls that changed (`_load_texts`): an unchanged poll reads none.
    existing = {
        row.key: row
        for row in session.exec(select(Call).where(Call.source_id == source_id).options(*_DEFER_TEXTS))
    }
    seen: set[str] = set(unchanged)
    incoming = [call for call in calls if not (call.key in seen or seen.add(call.key))]  # type: ignore[func-returns-value]
    counts.unchanged = sum(key in existing for key in unchanged)
    digests = raw_digests or {}
    if complete:
        counts.suspect_empty = unlisting.suspect_empty(existing.values(), seen=seen)
        if counts.suspect_empty:
            return counts
    incoming = [_keep_clean(call, existing.get(call.key), source_id, counts.warnings) for call in incoming]
    # One hash per call: on an unchanged poll it is the whole cost of a call.
    hashed = [(call, call.content_hash()) for call in incoming]
    changed_ids = [
        existing[c.key].id for c, digest in hashed if c.key in existing and _differs(existing[c.key], digest)
    ]
    old_deadlines = _deadlines_of(session, [call_id for call_id in changed_ids if call_id is not None])
    _load_texts(session, [call_id for call_id in changed_ids if call_id is not None])
    for call, digest in hashed:
        kind = _upsert(
            session, row=existing.get(call.key), call=call, digest=digest, raw=digests.get(call.key),
            old_deadlines=old_deadlines, source_id=source_id, run_id=run_id, now=now,
        )  # fmt: skip
        setattr(counts, kind, getattr(counts, kind) + 1)
    unlisting.forget_evidence(session, (existing[key] for key in seen if key in existing))
    if complete:
        counts.unlisted, waiting = unlisting.record_missing(
            session, rows=existing.values(), seen=seen, rule=unlist, run_id=run_id, now=now
        )
        counts.warnings.extend(waiting)
    return counts


_TEXTS = (Call.summary_html, Call.summary_text, Call.conditions_html, Call.conditions_text, Call.extra)
_DEFER_TEXTS = [defer(column) for column in _TEXTS]  # type: ignore[arg-type]


def _load_texts(session: Session, call_ids: list[int]) -> None:
    """The deferred texts of the calls about to be compared, in one query instead of one per call."""
    if call_ids:
        query = select(Call).where(col(Call.id).in_(call_ids)).options(*(undefer(c) for c in _TEXTS))  # type: ignore[arg-type]
        session.exec(query).all()


def _upsert(
    session: Session, *, row: Call | None, call: CallIn, digest: str, raw: str | None,
    old_deadlines: dict[int, list[DeadlineIn]], source_id: str, run_id: int | None, now: datetime,
) -> str:  # fmt: skip
    """Insert, update or leave one call; returns which ("new", "changed", "unchanged")."""
    if row is None:
        _insert_call(session, source_id=source_id, call=call, digest=digest, now=now, raw=raw)
        return "new"
    if _differs(row, digest):
        old = _as_call_in(row, old_deadlines.get(row.id or 0, []))
        _update_call(session, row=row, old=old, new=call, digest=digest, run_id=run_id, now=now)
        row.raw_digest = raw or row.raw_digest
        return "changed"
    if raw is not None and row.raw_digest != raw:
        # Same stored values from a record read anew (a first poll since 0013, a new normaliser).
        row.raw_digest = raw
        session.add(row)
    return "unchanged"


def _keep_clean(call: CallIn, row: Call | None, source_id: str, warnings: list[str]) -> CallIn:
    """The call with the stored value of every field whose new text is damaged (U+FFFD, mojibake).

    Bad bytes (invalid UTF-8 in a portal title, windows-1252 declared UTF-8) must not replace
    text users already read correctly; a new call keeps what the source gave, with a warning.
    """
    if not call.text_problems:
        return call
    keep: dict[str, object] = {}
    for name, problem in sorted(call.text_problems.items()):
        stored = getattr(row, name) if row is not None else None
        if not stored:
            warnings.append(f"{source_id} {call.key!r}: {name} has {problem}; stored as the source gave it")
            continue
        if stored != getattr(call, name):
            keep[name] = stored
            if (companion := _HTML_OF.get(name)) is not None:
                keep[companion] = getattr(row, companion)
        warnings.append(f"{source_id} {call.key!r}: {name} has {problem}; kept the stored {name}")
    return call.model_copy(update=keep) if keep else call


def _differs(row: Call, digest: str) -> bool:
    return row.content_hash != digest or not row.listed


def _insert_call(
    session: Session, *, source_id: str, call: CallIn, digest: str, now: datetime, raw: str | None
) -> None:
    row = Call(
        source_id=source_id, content_hash=digest, raw_digest=raw, first_seen_at=now, last_changed_at=now,
        **call.column_values(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    _add_deadlines(session, call_id=row.id, deadlines=call.deadlines)


def _update_call(
    session: Session, *, row: Call, old: CallIn, new: CallIn, digest: str, run_id: int | None, now: datetime
) -> None:
    changes = diff_calls(old, new)
    if not row.listed:
        changes.append(FieldChange("listed", ChangeKind.ADDED, None, "listed again"))
    for name, value in new.column_values().items():
        setattr(row, name, value)
    row.content_hash, row.listed, row.unlisted_at = digest, True, None
    if changes:
        row.last_changed_at = now
    session.add(row)
    if old.deadlines != new.deadlines:
        session.exec(delete(Deadline).where(col(Deadline.call_id) == row.id))  # type: ignore[call-overload]
        _add_deadlines(session, call_id=row.id, deadlines=new.deadlines)
    _add_changes(session, call_id=row.id, run_id=run_id, changes=changes, now=now)


def _add_deadlines(session: Session, *, call_id: int | None, deadlines: list[DeadlineIn]) -> None:
    assert call_id is not None
    for position, deadline in enumerate(deadlines):
        session.add(Deadline(call_id=call_id, position=position, **deadline.model_dump()))


def _add_changes(
    session: Session, *, call_id: int | None, run_id: int | None, changes: list[FieldChange], now: datetime
) -> None:
    assert call_id is not None
    for change in changes:
        session.add(
            CallChange(
                call_id=call_id,
                run_id=run_id,
                at=now,
                field=change.field,
                kind=change.kind,
                old_value=change.old,
                new_value=change.new,
            )  # fmt: skip
        )


def _deadlines_of(session: Session, call_ids: list[int]) -> dict[int, list[DeadlineIn]]:
    found: dict[int, list[DeadlineIn]] = defaultdict(list)
    if not call_ids:
        return found
    query = select(Deadline).where(col(Deadline.call_id).in_(call_ids)).order_by(col(Deadline.position))
    for row in session.exec(query):
        found[row.call_id].append(_deadline_in(row))
    return found


def _deadline_in(row: Deadline) -> DeadlineIn:
    return DeadlineIn(
        at=row.at, label=row.label, text=row.text, date_only=row.date_only, tentative=row.tentative,
        closed=row.closed, published_at=row.published_at,
    )  # fmt: skip


_NOT_COLUMNS = frozenset({"deadlines", "text_problems"})


def _as_call_in(row: Call, deadlines: list[DeadlineIn]) -> CallIn:
    values = {name: getattr(row, name) for name in CallIn.model_fields if name not in _NOT_COLUMNS}
    return CallIn(**values, deadlines=deadlines)


def deadlines_for(session: Session, *, call_ids: list[int]) -> dict[int, list[DeadlineIn]]:
    """Deadlines of several calls, in stage order (one query)."""
    return dict(_deadlines_of(session, call_ids))


def changes_for(session: Session, *, call_id: int) -> Sequence[CallChange]:
    query = select(CallChange).where(CallChange.call_id == call_id).order_by(col(CallChange.id))
    return session.exec(query).all()
