"""The call as users see it: one stored record, or several sources' records
of one call merged, with provenance per field and deadline conflicts.

Owns `Member`, `Conflict`, `LogicalCall` and `merge`. Each field is taken
from the most trusted source that has it (`KIND_RANK`). Owns also the one
reading of a call at an instant (`status_at`, `next_deadline`, `days_left`,
`live_at`), which matching, the catalogue and rendering share, and which calls
have no deadline (`undated`) or one nobody could read (`deadline_unknown`, `listed_undated`).

Must not: import anything of the project outside `monitor.model`; records
are duck-typed rows handed in by `db.repo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.model.call import DeadlineIn
from monitor.model.zones import BRUSSELS

# Lower is more trusted for structured fields (formats.md §3: SEDIA for deadlines and
# status, ECCP for coverage and links to the call's own site).
KIND_RANK = {"ft-portal": 0, "eccp": 1, "selectors": 2, "feed": 3}
DEFAULT_RANK = 5


@dataclass
class Member:
    """One source's record of a logical call, with what it says."""

    call: Any  # db.models.Call (kept untyped: this module does not import the tables)
    kind: str
    deadlines: list[DeadlineIn]
    changes: int = 0  # typed history lines (CallChange rows) stored for this record

    @property
    def rank(self) -> tuple[int, str, int]:
        return (KIND_RANK.get(self.kind, DEFAULT_RANK), self.call.source_id, self.call.id or 0)


@dataclass
class Conflict:
    """Sources that disagree on a field; `said` is what each says (worded by `monitor.render.words`)."""

    field: str
    said: dict[str, list[DeadlineIn]]  # source id -> its deadlines


@dataclass
class LogicalCall:
    """A call as users see it: one record, or several sources' records merged."""

    primary: Any
    members: list[Member]
    values: dict[str, Any]
    deadlines: list[DeadlineIn]
    provenance: dict[str, str]  # field -> source id it was taken from
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.primary.id)

    @property
    def sources(self) -> list[str]:
        return [m.call.source_id for m in self.members]

    def __getattr__(self, name: str) -> Any:
        # Merged values first, then the primary record's own attributes.
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        return getattr(self.__dict__["primary"], name)


# Fields filled from the most trusted source that has a value. Deadlines and
# status go together: the status was derived from those deadlines.
MERGED_FIELDS = (
    "title", "url", "summary_html", "summary_text", "identifier", "programme", "programme_code",
    "organisation", "project", "funding_type", "type_of_action", "opens_at",
    "countries", "country_groups", "countries_text", "ecosystems", "keywords", "sme_relevant", "published_at",
)  # fmt: skip
# Taken together from the most trusted source that names organisation types: whether they are
# exclusive says something of that source's list, not of another's.
ORG_FIELDS = ("org_types", "org_types_text", "org_types_exclusive")
BUDGET_FIELDS = ("budget_total", "budget_currency", "budget_text", "contribution_min", "contribution_max")
DATE_FIELDS = ("status", "next_deadline_at", "final_deadline_at", "deadline_model")


def merge(members: Sequence[Member]) -> LogicalCall:
    """One logical call from its records (a single record merges to itself)."""
    ordered = sorted(members, key=lambda m: m.rank)
    values: dict[str, Any] = {}
    provenance: dict[str, str] = {}
    for name in MERGED_FIELDS:
        chosen = next((m for m in ordered if _present(getattr(m.call, name))), ordered[0])
        values[name], provenance[name] = getattr(chosen.call, name), chosen.call.source_id
    _take_together(values, provenance, ordered, ORG_FIELDS, lambda m: _present(m.call.org_types))
    _take_together(values, provenance, ordered, BUDGET_FIELDS, lambda m: m.call.budget_total is not None)
    dated = next((m for m in ordered if m.deadlines), ordered[0])
    _take_together(values, provenance, [dated], DATE_FIELDS, lambda m: True)
    provenance["deadlines"] = dated.call.source_id
    return LogicalCall(
        primary=ordered[0].call,
        members=ordered,
        values=values,
        deadlines=dated.deadlines,
        provenance=provenance,
        conflicts=deadline_conflicts(ordered),
    )


def _take_together(
    values: dict[str, Any],
    provenance: dict[str, str],
    ordered: Sequence[Member],
    names: Sequence[str],
    has: Any,
) -> None:
    chosen = next((m for m in ordered if has(m)), ordered[0])
    for name in names:
        values[name], provenance[name] = getattr(chosen.call, name), chosen.call.source_id


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def deadline_conflicts(members: Sequence[Member]) -> list[Conflict]:
    """Sources with deadlines that do not say the same thing.

    Two deadline lists agree when every deadline of each has one on the same
    Brussels day in the other, at the same time unless one of them is a
    date without a stated time.
    """
    dated = [m for m in members if m.deadlines]
    if len(dated) < 2:
        return []
    reference = dated[0]
    disagreeing = [m for m in dated[1:] if not _agree(reference.deadlines, m.deadlines)]
    if not disagreeing:
        return []
    said = {m.call.source_id: list(m.deadlines) for m in [reference, *disagreeing]}
    return [Conflict(field="deadlines", said=said)]


def _agree(left: Sequence[DeadlineIn], right: Sequence[DeadlineIn]) -> bool:
    return _covered(left, right) and _covered(right, left)


def _covered(these: Sequence[DeadlineIn], others: Sequence[DeadlineIn]) -> bool:
    return all(any(_same(d, other) for other in others) for d in these)


def _same(a: DeadlineIn, b: DeadlineIn) -> bool:
    local_a, local_b = a.at.astimezone(BRUSSELS), b.at.astimezone(BRUSSELS)
    if local_a.date() != local_b.date():
        return False
    return a.date_only or b.date_only or local_a.time() == local_b.time()


# --------------------------------------------------------------------------- the call at `now`

# A stored status dates from the last poll; these functions say what it is at a given instant.
# Calls are duck-typed: a stored row, a `LogicalCall`, or anything with the same attributes.
LIVE_STATUSES = frozenset({"open", "forthcoming"})


def stored_status(call: Any) -> str:
    """The status as stored at the last poll, as a lower-case word ("unknown" when missing)."""
    status = getattr(call, "status", None)
    return str(getattr(status, "value", status) or "unknown").lower()


def next_deadline(call: Any, now: datetime) -> datetime | None:
    """The next deadline still ahead at `now`.

    The stages are the truth: `next_deadline_at` was computed at the last poll and may have passed
    by `now`, so it is used only when no open stage lies ahead (a call stored without stages).
    """
    later = [d.at for d in _stages(call) if d.at >= now and not getattr(d, "closed", False)]
    if later:
        return min(later)
    at = getattr(call, "next_deadline_at", None)
    return at if at is not None and at >= now else None


def passed_deadline(call: Any, now: datetime) -> datetime | None:
    """The stored next deadline when it has passed by `now` and no stage lies ahead: the call is over."""
    at = getattr(call, "next_deadline_at", None)
    if at is None or at >= now or next_deadline(call, now) is not None:
        return None
    return at


def deadline_unknown(call: Any) -> bool:
    """No deadline could be read (none stated, or the wording was unreadable) and the status is unknown.

    Such a call is not known to be closed: its wording is "deadline unknown" and the source's own
    text is kept (`unread_deadline_text`). A call that ever had a deadline is dated, never this.
    """
    return stored_status(call) == "unknown" and undated(call)


def undated(call: Any) -> bool:
    """The call has no deadline at all (none stated, or none that could be read)."""
    dated = (getattr(call, name, None) for name in ("next_deadline_at", "final_deadline_at"))
    return not _stages(call) and all(at is None for at in dated)


def listed_undated(call: Any) -> bool:
    """A call with an unknown deadline that its source still lists: kept with the live calls."""
    return deadline_unknown(call) and getattr(call, "listed", True) is not False


def live_at(call: Any, now: datetime) -> bool:
    """Open or forthcoming at `now`, or still listed with a deadline nobody could read."""
    return status_at(call, now) in LIVE_STATUSES or listed_undated(call)


def unread_deadline_text(call: Any) -> str | None:
    """The source's deadline wording that could not be read, from any record of the call."""
    records = [m.call for m in getattr(call, "members", None) or ()] or [call]
    for record in records:
        text = (getattr(record, "extra", None) or {}).get("deadline_text")
        if isinstance(text, str) and text.strip():
            return text.strip()
    return None


def status_at(call: Any, now: datetime) -> str:
    """The status at `now`: a live call whose last deadline has passed is closed, and a forthcoming
    call whose opening date has come is open."""
    status = stored_status(call)
    if status in LIVE_STATUSES and passed_deadline(call, now) is not None:
        return "closed"
    opens = getattr(call, "opens_at", None)
    if status == "forthcoming" and opens is not None and opens <= now:
        return "open"
    return status


def days_until(at: datetime | None, now: datetime) -> int | None:
    """Whole days from `now` to `at`, rounded down; None for no instant or one already passed."""
    return (at - now) // timedelta(days=1) if at is not None and at >= now else None


def days_left(call: Any, now: datetime) -> int | None:
    """Whole days to the next deadline, as in profiles' "at least N days left"."""
    return days_until(next_deadline(call, now), now)


def _stages(call: Any) -> Sequence[Any]:
    return getattr(call, "deadlines", None) or ()
