"""Unlisting only on evidence: when a call missing from a source's complete polls is marked unlisted.

Owns: the suspect-empty guard (a complete poll that misses all or more than half of a source's listed
calls is not believed: a search backend's outage answers "no results found", a half-rendered listing
shows a few calls), the evidence a missing call collects (`missing_since` = the first complete poll
that missed it, `missed_polls` = how many did), unlisting once that evidence spans the `UnlistRule`,
and forgetting the evidence when the call is seen again.
Must not: decide what counts as a complete poll (the source's harvest and `monitor.poll.pipeline` do),
look at incomplete polls (they prove nothing about absence), or commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from db.models import Call, CallChange
from monitor.model.source import UnlistRule
from monitor.model.vocab import ChangeKind

# A complete poll missing more than this share of the listed calls (so: all of them, or more than
# half) is recorded as suspect empty and changes nothing; it counts as a failed run.
UNLIST_GUARD_SHARE = 0.5
# Keys named in a warning line; the rest are counted.
_KEYS_SHOWN = 5


def suspect_empty(rows: Iterable[Call], *, seen: set[str]) -> str | None:
    """The error line for a complete poll that misses too many listed calls to be believed, else None."""
    listed = [row for row in rows if row.listed]
    missing = sorted(row.key for row in listed if row.key not in seen)
    if not listed or len(missing) <= len(listed) * UNLIST_GUARD_SHARE:
        return None
    share = "all" if len(missing) == len(listed) else "more than half"
    return (
        f"suspect empty answer: this complete poll lists {len(listed) - len(missing)} of the "
        f"{len(listed)} listed calls, so it would have unlisted {len(missing)} ({share}; "
        f"{_keys(missing)}); nothing was changed and the run counts as a failure"
    )


def forget_evidence(session: Session, rows: Iterable[Call]) -> None:
    """Calls the source shows again: their absence so far was not evidence of anything."""
    for row in rows:
        if row.missing_since is not None or row.missed_polls:
            row.missing_since, row.missed_polls = None, 0
            session.add(row)


def record_missing(
    session: Session, *, rows: Iterable[Call], seen: set[str], rule: UnlistRule, run_id: int | None,
    now: datetime,
) -> tuple[int, list[str]]:  # fmt: skip
    """Count this complete poll against each listed call it misses; unlist those with enough evidence.

    Returns how many were unlisted and warning lines for the ones still kept listed.
    """
    unlisted, waiting = 0, []
    for row in rows:
        if not row.listed or row.key in seen:
            continue
        if row.missing_since is None:
            row.missing_since, row.missed_polls = now, 0
        row.missed_polls += 1
        if row.missed_polls >= rule.polls and now - row.missing_since >= rule.after:
            row.listed, row.unlisted_at = False, now
            session.add(_removed(row, run_id=run_id, now=now))
            unlisted += 1
        else:
            waiting.append(row.key)
        session.add(row)
    return unlisted, _waiting_warning(sorted(waiting), rule)


def _removed(row: Call, *, run_id: int | None, now: datetime) -> CallChange:
    assert row.id is not None
    return CallChange(
        call_id=row.id, run_id=run_id, at=now, field="listed", kind=ChangeKind.REMOVED,
        old_value="listed", new_value=None,
    )  # fmt: skip


def _waiting_warning(keys: list[str], rule: UnlistRule) -> list[str]:
    if not keys:
        return []
    hours = rule.after.total_seconds() / 3600
    return [
        f"{len(keys)} listed call(s) missing from this complete poll ({_keys(keys)}): kept listed "
        f"until complete polls miss them for {hours:g} h and at least {rule.polls} polls"
    ]


def _keys(keys: list[str]) -> str:
    shown = ", ".join(keys[:_KEYS_SHOWN])
    return shown if len(keys) <= _KEYS_SHOWN else f"{shown} and {len(keys) - _KEYS_SHOWN} more"
