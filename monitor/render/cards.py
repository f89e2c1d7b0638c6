"""What an e-mail says, before it is rendered: call cards, change lines, sections.

Owns the wording of deadlines (the subscriber's time zone and Brussels
time), budgets and typed changes ("deadline moved from 12 March 2027 17:00
to 19 March 2027 17:00 (Brussels)", "status: forthcoming → open"), and the
assembly of a digest's sections. Pure: calls, matches and changes come in,
dataclasses go out; `monitor.mail.render` turns them into HTML and text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from monitor.model.call import DeadlineIn
from monitor.model.view import days_until
from monitor.model.zones import BRUSSELS

FIELD_LABELS = {
    "title": "title",
    "status": "status",
    "opens_at": "opening date",
    "budget_total": "budget",
    "budget_currency": "budget currency",
    "contribution_min": "minimum grant",
    "contribution_max": "maximum grant",
    "expected_grants": "number of grants",
    "url": "call page",
    "programme": "programme",
    "type_of_action": "type of action",
    "funding_type": "funding type",
    "deadline_model": "deadline model",
    "countries": "eligible countries",
    "org_types": "eligible organisations",
    "ecosystems": "ecosystems",
}
MONEY_FIELDS = frozenset({"budget_total", "contribution_min", "contribution_max"})


@dataclass(frozen=True)
class DeadlineLine:
    label: str | None
    local: str  # in the subscriber's time zone
    brussels: str  # the wall-clock time the portal shows
    same_zone: bool
    days_left: int | None
    closed: bool
    tentative: bool
    time_assumed: bool


@dataclass(frozen=True)
class Links:
    call_page: str
    track: str | None = None
    not_relevant: str | None = None
    source: str | None = None  # the call's own page at its source


@dataclass(frozen=True)
class CallCard:
    call_id: int
    title: str
    funder: str | None  # programme, or organisation / project for cascade calls
    status: str
    deadlines: tuple[DeadlineLine, ...]
    budget: str | None
    why: str | None  # the match reasons, "keywords: hydrogen · open to SMEs in PT · 41 days left"
    summary: str | None
    sources: tuple[str, ...]
    conflict: str | None
    links: Links


@dataclass(frozen=True)
class ChangeCard:
    card: CallCard
    lines: tuple[str, ...]


@dataclass
class Digest:
    """One subscriber's digest; `is_empty` digests are not sent."""

    new: list[CallCard] = field(default_factory=list)
    changed: list[ChangeCard] = field(default_factory=list)
    closing: list[CallCard] = field(default_factory=list)
    source_notes: list[str] = field(default_factory=list)
    first: bool = False  # the first digest lists open calls, not only new ones
    more_new: int = 0  # matches left out to keep the e-mail short

    @property
    def is_empty(self) -> bool:
        return not (self.new or self.changed or self.closing)

    @property
    def call_ids(self) -> list[int]:
        ids = [c.call_id for c in self.new] + [c.card.call_id for c in self.changed]
        return list(dict.fromkeys(ids + [c.call_id for c in self.closing]))


# --------------------------------------------------------------------------- wording


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return BRUSSELS


def when(at: datetime, tz: ZoneInfo, *, with_time: bool = True) -> str:
    """'19 March 2027 17:00' in `tz`."""
    local = at.astimezone(tz)
    text = f"{local.day} {local:%B %Y}"
    return f"{text} {local:%H:%M}" if with_time else text


def deadline_lines(
    deadlines: Sequence[DeadlineIn], *, tz: ZoneInfo, now: datetime, upcoming_only: bool = True
) -> tuple[DeadlineLine, ...]:
    lines = []
    for deadline in deadlines:
        if upcoming_only and (deadline.at < now or deadline.closed):
            continue
        local = deadline.at.astimezone(tz)
        brussels = deadline.at.astimezone(BRUSSELS)
        lines.append(
            DeadlineLine(
                label=deadline.label,
                local=f"{when(deadline.at, tz)} ({_zone_name(tz)})",
                brussels=f"{when(deadline.at, BRUSSELS)} (Brussels)",
                same_zone=local.utcoffset() == brussels.utcoffset() and _zone_name(tz) == "Brussels",
                days_left=days_until(deadline.at, now),
                closed=deadline.closed,
                tentative=deadline.tentative,
                time_assumed=deadline.date_only,
            )
        )
    return tuple(lines)


def _zone_name(tz: ZoneInfo) -> str:
    return str(tz.key).split("/")[-1].replace("_", " ")


def money(amount: Decimal | int | float | None, currency: str | None) -> str | None:
    if amount is None:
        return None
    value = Decimal(str(amount))
    digits = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return f"{currency or 'EUR'} {digits}"


def budget_text(call: Any) -> str | None:
    total = money(call.budget_total, call.budget_currency)
    per_project = money(call.contribution_max, call.budget_currency)
    if total and per_project and call.contribution_max != call.budget_total:
        return f"{total} in total, up to {per_project} per project"
    return total or (f"up to {per_project} per project" if per_project else None)


def funder(call: Any) -> str | None:
    parts = [call.programme, call.organisation or call.project]
    seen = [part for part in dict.fromkeys(p for p in parts if p)]
    return " · ".join(seen) or None


def describe_change(
    field_name: str, kind: str, old: str | None, new: str | None, *, currency: str | None
) -> str:
    """One typed change as a sentence a subscriber understands."""
    if field_name == "deadline":
        return _deadline_change(kind, _deadline(old), _deadline(new))
    if field_name == "listed":
        return "listed again by its source" if kind == "added" else "no longer listed by its source"
    if field_name == "summary_text":
        return "description updated"
    if field_name == "conditions_text":
        return "eligibility conditions updated"
    label = FIELD_LABELS.get(field_name, field_name.replace("_", " "))
    before, after = _value(field_name, old, currency), _value(field_name, new, currency)
    if kind == "added":
        return f"{label} added: {after}"
    if kind == "removed":
        return f"{label} removed (was {before})"
    return f"{label}: {before} → {after}"


def _value(field_name: str, value: str | None, currency: str | None) -> str:
    if value is None:
        return "—"
    if field_name in MONEY_FIELDS:
        try:
            return money(Decimal(value), currency) or value
        except ArithmeticError:
            return value
    if field_name == "opens_at":
        try:
            return when(datetime.fromisoformat(value), BRUSSELS, with_time=False)
        except ValueError:
            return value
    return value


def _deadline(value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        data = json.loads(value)
        data["at"] = datetime.fromisoformat(data["at"])
    except (ValueError, KeyError, TypeError):
        return None
    return data


def _deadline_change(kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    label = ((new or old or {}).get("label") or "").strip()
    prefix = f"{label} deadline" if label else "deadline"
    if kind == "added" and new:
        return f"new {'stage' if label else 'cut-off'} added: {label + ' ' if label else ''}{_brussels(new)}"
    if kind == "removed" and old:
        return f"{prefix} removed (was {_brussels(old)})"
    if old and new:
        return f"{prefix} moved from {when(old['at'], BRUSSELS)} to {when(new['at'], BRUSSELS)} (Brussels)"
    return f"{prefix} changed"


def _brussels(deadline: dict[str, Any]) -> str:
    return f"{when(deadline['at'], BRUSSELS)} (Brussels)"


# --------------------------------------------------------------------------- cards


def call_card(
    call: Any,
    *,
    tz: ZoneInfo,
    now: datetime,
    links: Links,
    why: str | None = None,
    upcoming_only: bool = True,
) -> CallCard:
    """A call (a merged `LogicalCall`) as an e-mail shows it."""
    summary = (call.summary_text or "").strip()
    if len(summary) > 320:
        summary = summary[:320].rsplit(" ", 1)[0] + "…"
    conflicts = getattr(call, "conflicts", [])
    return CallCard(
        call_id=call.id,
        title=call.title,
        funder=funder(call),
        status=call.status,
        deadlines=deadline_lines(call.deadlines, tz=tz, now=now, upcoming_only=upcoming_only),
        budget=budget_text(call),
        why=why,
        summary=summary or None,
        sources=tuple(getattr(call, "sources", [call.source_id])),
        conflict=conflicts[0].message if conflicts else None,
        links=links,
    )


LinkMaker = Callable[[Any, int | None], Links]
