"""Sources and their runs, calls and their history, cross-source groups.

Functions take a `Session` and keyword-only arguments and never commit;
the caller's `session_scope` does. Storing a poll is an idempotent upsert:
identical data writes nothing, a change writes typed history, and a call is
never deleted (a call missing from a complete poll is marked unlisted).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import case, delete, func, or_, update
from sqlmodel import Session, col, select

from db.models import Call, CallChange, Deadline, FetchRun, RunStatus, Source
from monitor.model.call import CallIn, DeadlineIn
from monitor.model.changes import FieldChange, diff_calls
from monitor.model.source import Health
from monitor.model.view import LogicalCall, Member, merge
from monitor.model.vocab import ChangeKind
from monitor.model.zones import BRUSSELS
from monitor.poll.reconcile import group_records, record_of

# A complete poll that would unlist more than this share of a source's calls is
# held back: a half-broken page must not make users believe calls vanished.
UNLIST_GUARD_SHARE = 0.2
UNLIST_GUARD_MIN = 10
# SQLite has no default LIKE escape character: every LIKE on user text names this one.
LIKE_ESCAPE = "\\"


@dataclass
class StoreCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    unlisted: int = 0
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- sources


def sync_source(session: Session, *, config: Any, now: datetime) -> Source:
    """Mirror one validated source config into the `source` table."""
    row = session.get(Source, config.id)
    if row is None:
        row = Source(id=config.id, name=config.name, kind=config.kind, url=config.url, created_at=now)
    row.name, row.kind, row.url, row.enabled = config.name, config.kind, config.url, config.enabled
    row.interval_seconds = config.interval_seconds
    row.alert_after_failures = config.alert_after_failures
    session.add(row)
    # No ORM relationships link the tables, so flush now: runs and calls reference this row.
    session.flush()
    return row


def source_health(session: Session, *, source_id: str) -> Health | None:
    source = session.get(Source, source_id)
    return _health(source) if source is not None else None


def failing_sources(session: Session) -> list[Health]:
    """Enabled sources whose failure streak has reached their alert threshold."""
    query = select(Source).where(
        col(Source.enabled), Source.consecutive_failures >= Source.alert_after_failures
    )
    return [_health(source) for source in session.exec(query.order_by(col(Source.id)))]


def _health(source: Source) -> Health:
    return Health(
        source_id=source.id, name=source.name, consecutive_failures=source.consecutive_failures,
        alert_after_failures=source.alert_after_failures, last_success_at=source.last_success_at,
        last_error=source.last_error,
    )  # fmt: skip


def list_sources(session: Session) -> Sequence[Source]:
    return session.exec(select(Source).order_by(col(Source.id))).all()


def start_run(session: Session, *, source_id: str, now: datetime) -> FetchRun:
    run = FetchRun(source_id=source_id, started_at=now, status=RunStatus.RUNNING)
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, *, run_id: int, status: RunStatus, now: datetime, **values: Any) -> FetchRun:
    """Close a run and update its source's health (last success, failure streak)."""
    run = session.get(FetchRun, run_id)
    assert run is not None, f"run {run_id} vanished"
    run.status, run.finished_at = status, now
    run.duration_ms = int((now - run.started_at).total_seconds() * 1000)
    for name, value in values.items():
        setattr(run, name, value)
    source = session.get(Source, run.source_id)
    if source is not None:
        _update_health(source, run, now)
    session.add(run)
    return run


def _update_health(source: Source, run: FetchRun, now: datetime) -> None:
    source.last_run_at, source.last_status = now, run.status
    if run.status == RunStatus.FAILED:
        source.consecutive_failures += 1
        source.last_error = run.error
    else:
        source.consecutive_failures = 0
        source.last_success_at = now
        source.last_error = None
    source.listed_calls = _listed_count(source)


def _listed_count(source: Source) -> int:
    session = Session.object_session(source)
    assert session is not None
    query = select(func.count()).select_from(Call).where(Call.source_id == source.id, col(Call.listed))
    return int(session.exec(query).one())


def source_validators(session: Session, *, source_id: str) -> dict[str, dict[str, str]]:
    source = session.get(Source, source_id)
    return dict(source.validators) if source is not None else {}


def save_validators(session: Session, *, source_id: str, validators: dict[str, dict[str, str]]) -> None:
    source = session.get(Source, source_id)
    if source is not None and validators and validators != source.validators:
        source.validators = {**source.validators, **validators}
        session.add(source)


def recent_runs(session: Session, *, source_id: str, limit: int = 10) -> Sequence[FetchRun]:
    query = select(FetchRun).where(FetchRun.source_id == source_id)
    return session.exec(query.order_by(col(FetchRun.id).desc()).limit(limit)).all()


# --------------------------------------------------------------------------- calls


def store_calls(
    session: Session,
    *,
    source_id: str,
    run_id: int | None,
    calls: Iterable[CallIn],
    complete: bool,
    now: datetime,
) -> StoreCounts:
    """Upsert one poll's calls; unlist the missing ones only after a complete poll."""
    counts = StoreCounts()
    existing = {row.key: row for row in session.exec(select(Call).where(Call.source_id == source_id))}
    seen: set[str] = set()
    incoming = [call for call in calls if not (call.key in seen or seen.add(call.key))]  # type: ignore[func-returns-value]
    # One hash per call: on an unchanged poll it is the whole cost of a call.
    hashed = [(call, call.content_hash()) for call in incoming]
    changed_ids = [
        existing[c.key].id for c, digest in hashed if c.key in existing and _differs(existing[c.key], digest)
    ]
    old_deadlines = _deadlines_of(session, [call_id for call_id in changed_ids if call_id is not None])
    for call, digest in hashed:
        row = existing.get(call.key)
        if row is None:
            _insert_call(session, source_id=source_id, call=call, digest=digest, now=now)
            counts.new += 1
        elif _differs(row, digest):
            old = _as_call_in(row, old_deadlines.get(row.id or 0, []))
            _update_call(session, row=row, old=old, new=call, digest=digest, run_id=run_id, now=now)
            counts.changed += 1
        else:
            counts.unchanged += 1
    if complete:
        _unlist_missing(session, existing=existing, seen=seen, run_id=run_id, now=now, counts=counts)
    return counts


def _differs(row: Call, digest: str) -> bool:
    return row.content_hash != digest or not row.listed


def _insert_call(session: Session, *, source_id: str, call: CallIn, digest: str, now: datetime) -> None:
    row = Call(
        source_id=source_id, content_hash=digest, first_seen_at=now, last_changed_at=now,
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


def _unlist_missing(
    session: Session, *, existing: dict[str, Call], seen: set[str], run_id: int | None, now: datetime,
    counts: StoreCounts,
) -> None:  # fmt: skip
    listed = [row for row in existing.values() if row.listed]
    missing = [row for row in listed if row.key not in seen]
    limit = max(UNLIST_GUARD_MIN, int(len(listed) * UNLIST_GUARD_SHARE))
    if len(missing) > limit:
        counts.warnings.append(
            f"{len(missing)} of {len(listed)} listed calls are missing from this poll; "
            "held back (not marked unlisted) until a poll confirms it"
        )
        return
    for row in missing:
        row.listed, row.unlisted_at = False, now
        session.add(row)
        change = FieldChange("listed", ChangeKind.REMOVED, "listed", None)
        _add_changes(session, call_id=row.id, run_id=run_id, changes=[change], now=now)
    counts.unlisted = len(missing)


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
        closed=row.closed,
    )  # fmt: skip


def _as_call_in(row: Call, deadlines: list[DeadlineIn]) -> CallIn:
    values = {name: getattr(row, name) for name in CallIn.model_fields if name != "deadlines"}
    return CallIn(**values, deadlines=deadlines)


def deadlines_for(session: Session, *, call_ids: list[int]) -> dict[int, list[DeadlineIn]]:
    """Deadlines of several calls, in stage order (one query)."""
    return dict(_deadlines_of(session, call_ids))


def changes_for(session: Session, *, call_id: int) -> Sequence[CallChange]:
    query = select(CallChange).where(CallChange.call_id == call_id).order_by(col(CallChange.id))
    return session.exec(query).all()


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
    """Changes whenever what users see of the calls may have changed (three cheap aggregate queries).

    A changed call gets a new `last_changed_at`; inserts move the count and the highest id; regrouping
    moves the sum of group ids; unlisting and relisting move the listed count and `unlisted_at`. A
    poll that changed nothing leaves it alone, so feed readers keep getting 304s.
    """
    calls = session.exec(
        select(func.count(col(Call.id)), func.max(Call.id), func.max(Call.last_changed_at),
               func.sum(func.coalesce(Call.group_id, 0)), func.sum(case((col(Call.listed), 1), else_=0)),
               func.max(Call.unlisted_at))
    ).one()  # fmt: skip
    # Changes written outside a poll (an operator's script) still add history lines.
    sources = session.exec(select(func.count(col(Source.id)))).one()
    history = session.exec(select(func.max(CallChange.id))).one()
    return "|".join(str(value) for value in (*calls, sources, history))


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
    kinds = {source.id: source.kind for source in list_sources(session)}
    deadlines = _deadlines_of(session, [row.id for row in rows if row.id is not None])
    members: dict[int, list[Member]] = defaultdict(list)
    for row in rows:
        primary = row.group_id or row.id
        assert primary is not None
        members[primary].append(
            Member(call=row, kind=kinds.get(row.source_id, ""), deadlines=deadlines.get(row.id or 0, []))
        )
    return [merge(members[primary_id]) for primary_id in ids if primary_id in members]


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


def reconcile_calls(session: Session) -> int:
    """Recompute cross-source groups over every stored call; returns how many records moved.

    Only `group_id` values that change are written, so an unchanged poll writes nothing.
    """
    kinds = {source.id: source.kind for source in list_sources(session)}
    rows = session.exec(
        select(Call.id, Call.source_id, Call.title, Call.url, Call.identifier, Call.extra, Call.group_id)
    ).all()
    days: dict[int, set[Any]] = defaultdict(set)
    for call_id, at in session.exec(select(Deadline.call_id, Deadline.at)):
        days[call_id].add(at.astimezone(BRUSSELS).date())
    records = [
        record_of(
            SimpleNamespace(id=r[0], source_id=r[1], title=r[2], url=r[3], identifier=r[4], extra=r[5] or {}),
            kinds.get(r[1], ""),
            deadline_days=frozenset(days.get(r[0], ())),
        )
        for r in rows
    ]
    groups = group_records(records)
    moved = [(r[0], groups.get(r[0])) for r in rows if r[6] != groups.get(r[0])]
    for call_id, group_id in moved:
        session.exec(update(Call).where(col(Call.id) == call_id).values(group_id=group_id))  # type: ignore[call-overload]
    return len(moved)
