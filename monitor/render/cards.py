"""What an e-mail says about a call, before it is rendered: call cards, deadline lines, sections.

Owns the shapes a digest, an alert or a reminder is built from (`CallCard`, `ChangeCard`,
`Digest`), a call's deadlines in the subscriber's time zone next to Brussels time, and the
assembly of a digest's sections. Pure: calls, matches and changes come in, dataclasses go out;
`monitor.render.email` turns them into HTML and text.
Must not: word a fact itself (dates, money, budgets and change lines are `monitor.render.words`'s),
read the database or sign links.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location

from monitor.model.call import DeadlineIn
from monitor.model.view import days_until
from monitor.model.zones import BRUSSELS
from monitor.render.words import (
    UnknownDeadline,
    brussels,
    budget_text,
    conflict_message,
    unknown_deadline,
    when,
)


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
    unknown: UnknownDeadline | None = None  # no deadline could be read: "deadline unknown — see call page"
    not_stated: str | None = None  # the profile's criteria the call does not state: "ecosystem, countries"
    call_language: str | None = None  # what the title and summary are written in (HTML lang), when known


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


# --------------------------------------------------------------------------- deadlines


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or Brussels when it is unknown."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return BRUSSELS


def zone_name(tz: ZoneInfo, *, language: str = "en") -> str:
    """'Lisbon' for Europe/Lisbon: the city a subscriber recognises ('Lisbonne' in French, CLDR)."""
    english = str(tz.key).split("/")[-1].replace("_", " ")
    if language == "en":
        return english
    try:
        return str(get_timezone_location(tz, locale=language, return_city=True))
    except (LookupError, ValueError):
        return english


def deadline_lines(
    deadlines: Sequence[DeadlineIn],
    *,
    tz: ZoneInfo,
    now: datetime,
    upcoming_only: bool = True,
    language: str = "en",
) -> tuple[DeadlineLine, ...]:
    lines = []
    for deadline in deadlines:
        if upcoming_only and (deadline.at < now or deadline.closed):
            continue
        offset = deadline.at.astimezone(tz).utcoffset()
        lines.append(
            DeadlineLine(
                label=deadline.label,
                local=f"{when(deadline.at, tz, language=language)} ({zone_name(tz, language=language)})",
                brussels=brussels(deadline.at, language=language),
                same_zone=offset == deadline.at.astimezone(BRUSSELS).utcoffset()
                and zone_name(tz) == "Brussels",
                days_left=days_until(deadline.at, now),
                closed=deadline.closed,
                tentative=deadline.tentative,
                time_assumed=deadline.date_only,
            )
        )
    return tuple(lines)


def funder(call: Any) -> str | None:
    parts = [call.programme, call.organisation or call.project]
    seen = [part for part in dict.fromkeys(p for p in parts if p)]
    return " · ".join(seen) or None


# --------------------------------------------------------------------------- cards


def call_card(
    call: Any,
    *,
    tz: ZoneInfo,
    now: datetime,
    links: Links,
    why: str | None = None,
    upcoming_only: bool = True,
    not_stated: str | None = None,
    language: str = "en",
) -> CallCard:
    """A call (a merged `LogicalCall`) as an e-mail shows it, in `language` (`why` and `not_stated`
    come already said in it); the call's own title, summary and stage labels stay as written."""
    summary = (call.summary_text or "").strip()
    if len(summary) > 320:
        summary = summary[:320].rsplit(" ", 1)[0] + "…"
    conflicts = getattr(call, "conflicts", [])
    return CallCard(
        call_id=call.id,
        title=call.title,
        funder=funder(call),
        status=call.status,
        deadlines=deadline_lines(
            call.deadlines, tz=tz, now=now, upcoming_only=upcoming_only, language=language
        ),
        budget=budget_text(call, language=language),
        why=why,
        summary=summary or None,
        sources=tuple(getattr(call, "sources", [call.source_id])),
        conflict=conflict_message(conflicts[0], language=language) if conflicts else None,
        links=links,
        unknown=unknown_deadline(call),
        not_stated=not_stated,
        call_language=getattr(call, "language", None) or None,
    )


LinkMaker = Callable[[Any, int | None], Links]
