"""The wording of a call's facts, the only copy, for e-mails, pages, feeds, the API and match reasons.

Owns dates in words ("19 March 2027 17:00"; "19 Mar 2027 17:00" only in compact tables), money
and budgets ("€60,000": worded in `monitor.render.money`, re-exported here), "41 days left",
"deadline unknown — see call page" with the source's own words for a deadline nobody could read,
"Not stated: ecosystem, countries", conflicts between sources, "Monday 7 December 08:00" (a digest's
time), and typed changes as sentences ("deadline moved from
12 March 2027 17:00 to 19 March 2027 17:00 (Brussels)"). Funding types and fields: `labels`. Each
function takes `language` ("en" by default). Must not: do I/O, read a clock, know where text ends up.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime

from monitor.model.call import DeadlineIn
from monitor.model.view import Conflict, deadline_unknown, undated, unread_deadline_text
from monitor.model.zones import BRUSSELS
from monitor.render.i18n import N_, translator
from monitor.render.labels import field_label

# Money and budgets are worded in `monitor.render.money`; callers import all wording from here.
from monitor.render.money import MONEY_FIELDS
from monitor.render.money import Budgeted as Budgeted
from monitor.render.money import budget_phrase as budget_phrase
from monitor.render.money import budget_text as budget_text
from monitor.render.money import money as money
from monitor.render.money import wanted_budget as wanted_budget

# English keeps the house style (day first, as EU calls write it); every other language takes CLDR's
# own patterns, so German reads "3. Januar 2027", Spanish "3 de enero de 2027", Polish "3 stycznia".
_ENGLISH = {"long": "d MMMM y", "short": "d MMM y", "weekday": "EEEE d MMMM"}


@functools.cache
def _pattern(language: str, kind: str, with_time: bool) -> str:
    """The Babel pattern of a date `kind` ("long", "short", "weekday") in `language`, with HH:mm if asked."""
    if language == "en":
        date = _ENGLISH[kind]
        return f"{date} HH:mm" if with_time else date
    locale = Locale.parse(language)
    if kind == "short":
        date = locale.datetime_skeletons["yMMMd"].pattern
    else:
        date = locale.date_formats["full" if kind == "weekday" else "long"].pattern
    if not with_time:
        return date
    # CLDR's glue of a date and a time ("{1}, {0}" in German), quoted words ("'um'") left out.
    glue = str(locale.datetime_formats["medium"])
    return glue.replace("{1}", date).replace("{0}", "HH:mm")


# --------------------------------------------------------------------------- dates


@functools.lru_cache(maxsize=16_384)
def when(at: datetime, tz: ZoneInfo = BRUSSELS, *, with_time: bool = True, language: str = "en") -> str:
    """'19 March 2027 17:00' in `tz` (without the time: '19 March 2027'); cached, as Babel is slow."""
    return format_datetime(at, _pattern(language, "long", with_time), tzinfo=tz, locale=language)


def day(at: datetime, tz: ZoneInfo = BRUSSELS, *, language: str = "en") -> str:
    """'19 March 2027' in `tz`."""
    return when(at, tz, with_time=False, language=language)


def when_short(at: datetime, tz: ZoneInfo = BRUSSELS, *, language: str = "en") -> str:
    """'19 Mar 2027 17:00' in `tz`: only for tables, where a column must stay narrow."""
    return format_datetime(at, _pattern(language, "short", True), tzinfo=tz, locale=language)


def brussels(at: datetime | None, *, language: str = "en") -> str:
    """'19 March 2027 17:00 (Brussels)': the wall-clock time applicants see on the portal."""
    return "—" if at is None else _in_brussels(when(at, BRUSSELS, language=language), language)


def brussels_short(at: datetime | None, *, language: str = "en") -> str:
    """'19 Mar 2027 17:00 (Brussels)', for a table cell."""
    return "—" if at is None else _in_brussels(when_short(at, BRUSSELS, language=language), language)


def _in_brussels(at: str, language: str) -> str:
    _ = translator(language)
    return _("%(when)s (Brussels)", when=at)


def brussels_time(at: datetime, *, language: str = "en") -> str:
    """'19 March 2027 17:00 Brussels time', as feeds and calendars say it."""
    _ = translator(language)
    return _("%(when)s Brussels time", when=when(at, BRUSSELS, language=language))


def opening(at: datetime | None, *, language: str = "en") -> str:
    """'8 October 2026': an opening date is a day. The portal's startDate is midnight UTC (02:00 in
    Brussels) and pages write only a day, so a time of day here would be invented."""
    return "—" if at is None else day(at, BRUSSELS, language=language)


def utc(at: datetime) -> str:
    """'2027-03-19 16:00 UTC': the same instant for readers anywhere."""
    return f"{at.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC"


def describe_deadline(deadline: DeadlineIn, *, language: str = "en") -> str:
    """A deadline in Brussels, without a time the source did not give: '19 March 2027 17:00'."""
    return when(deadline.at, BRUSSELS, with_time=not deadline.date_only, language=language)


def describe_deadlines(deadlines: Sequence[DeadlineIn], *, language: str = "en") -> str:
    """'19 March 2027 17:00, 20 May 2027': how conflicting sources' deadlines are quoted."""
    return ", ".join(describe_deadline(d, language=language) for d in deadlines)


def conflict_values(conflict: Conflict, *, language: str = "en") -> dict[str, str]:
    """What each disagreeing source says: {'eccp': '31 March 2025 17:00, 7 July 2025 17:00'}."""
    return {src: describe_deadlines(said, language=language) for src, said in conflict.said.items()}


def conflict_message(conflict: Conflict, *, language: str = "en") -> str:
    """'sources disagree on the deadline: ft-portal says …; eccp says …'."""
    _ = translator(language)
    said = conflict_values(conflict, language=language).items()
    each = "; ".join(_("%(source)s says %(deadlines)s", source=src, deadlines=text) for src, text in said)
    return _("sources disagree on the deadline: %(said)s", said=each)


def days_phrase(days: int, *, language: str = "en") -> str:
    """'deadline today', '1 day left', '41 days left'."""
    _ = translator(language)
    return _("deadline today") if days == 0 else _.plural("%(num)d day left", "%(num)d days left", days)


# Criteria by verdict name, as a card names those a call is silent on ("Not stated: ecosystem, countries").
STATED_WORDS = {"country": N_("countries"), "organisation type": N_("organisation types"),
                "ecosystem": N_("ecosystem"), "programme": N_("programme"),
                "funding type": N_("funding type"), "budget": N_("budget"),
                "time left": N_("deadline")}  # fmt: skip
NOT_STATED = N_("Not stated")  # e-mails translate it (templates/locale)


def stated_words(criteria: Sequence[str], *, language: str = "en") -> str | None:
    """'ecosystem, countries' for these criteria (verdict names); None for none."""
    _ = translator(language)
    return ", ".join(dict.fromkeys(_(STATED_WORDS.get(name, name)) for name in criteria)) or None


def source_note(name: str, last_success: datetime | None, *, language: str = "en") -> str:
    """'EU Funding & Tenders Portal could not be checked since 3 March 2027.': a digest's note on a
    failing source (the same words as `monitor.poll.health.could_not_check`, in `language`)."""
    _ = translator(language)
    if last_success is None:
        return _("%(source)s could not be checked yet.", source=name)
    return _(
        "%(source)s could not be checked since %(day)s.",
        source=name,
        day=day(last_success, language=language),
    )


def weekday_time(at: datetime, tz: ZoneInfo = BRUSSELS, *, language: str = "en") -> str:
    """'Monday 7 December 08:00' in `tz`: when the next digest is due."""
    return format_datetime(at, _pattern(language, "weekday", True), tzinfo=tz, locale=language)


# The one wording of a call whose deadline could not be read (it is not closed: see
# `monitor.model.view.deadline_unknown`). E-mails translate it: it is in the catalogues of templates/locale.
DEADLINE_UNKNOWN = N_("deadline unknown — see call page")
WORDING_SHOWN = 200  # characters of the source's wording shown after it


@dataclass(frozen=True)
class UnknownDeadline:
    """A deadline nobody could read: the phrase, and the source's words on one line (or None)."""

    wording: str | None
    phrase: str = DEADLINE_UNKNOWN

    def line(self, phrase: str | None = None) -> str:
        """'deadline unknown — see call page: “Deadline: to be announced”'; `phrase` translated."""
        said = phrase or self.phrase
        return f"{said}: “{self.wording}”" if self.wording else said


def unknown_deadline(call: Any) -> UnknownDeadline | None:
    """How a call with an unknown deadline is worded; None for a call with a deadline (or closed).

    Also a call open or forthcoming by its source's word whose deadline wording could not be read
    (a permanent call has no deadline to read)."""
    wording = unread_deadline_text(call)
    status = str(getattr(call, "status", None) or "")
    permanent = getattr(call, "deadline_model", None) == "permanent"
    unreadable = wording is not None and status in ("open", "forthcoming") and not permanent
    if not (deadline_unknown(call) or (unreadable and undated(call))):
        return None
    return UnknownDeadline(source_wording(wording))


def source_wording(text: str | None) -> str | None:
    """A source's text on one line, cut at a word after `WORDING_SHOWN` characters."""
    flat = " ".join((text or "").split())
    if len(flat) > WORDING_SHOWN:
        flat = flat[:WORDING_SHOWN].rsplit(" ", 1)[0] + "…"
    return flat or None


def describe_change(
    field_name: str,
    kind: str,
    old: str | None,
    new: str | None,
    *,
    currency: str | None,
    language: str = "en",
) -> str:
    """One typed change as a sentence a subscriber understands, in `language`."""
    _ = translator(language)
    if field_name == "deadline":
        return _deadline_change(kind, _deadline(old), _deadline(new), language)
    if field_name == "listed":
        return _("listed again by its source") if kind == "added" else _("no longer listed by its source")
    if field_name in ("summary_text", "conditions_text"):
        return (
            _("description updated") if field_name == "summary_text" else _("eligibility conditions updated")
        )
    # Labels are N_-marked English names (monitor.render.labels): translated here, where shown.
    label = _(field_label(field_name))
    before = _value(field_name, old, currency, language)
    after = _value(field_name, new, currency, language)
    if kind == "added":
        return _("%(field)s added: %(value)s", field=label, value=after)
    if kind == "removed":
        return _("%(field)s removed (was %(value)s)", field=label, value=before)
    return _("%(field)s: %(before)s → %(after)s", field=label, before=before, after=after)


def _value(field_name: str, value: str | None, currency: str | None, language: str) -> str:
    if value is None:
        return "—"
    if field_name in MONEY_FIELDS:
        try:
            return money(Decimal(value), currency, language=language)
        except ArithmeticError:
            return value
    if field_name == "opens_at":
        try:
            return day(datetime.fromisoformat(value), language=language)
        except ValueError:
            return value
    return value


def _deadline(value: str | None) -> dict[str, Any] | None:
    try:
        data = json.loads(value or "null")
        data["at"] = datetime.fromisoformat(data["at"])
    except (ValueError, KeyError, TypeError):
        return None
    return data


def _deadline_change(kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None, language: str) -> str:
    """A deadline's change; a stage's label ("Stage 2") is the source's own word, kept as written."""
    _ = translator(language)
    label = ((new or old or {}).get("label") or "").strip()
    if kind == "added" and new:
        at = brussels(new["at"], language=language)
        return (
            _("new stage added: %(label)s %(when)s", label=label, when=at)
            if label
            else _("new cut-off added: %(when)s", when=at)
        )
    if kind == "removed" and old:
        at = brussels(old["at"], language=language)
        if label:
            return _("%(label)s deadline removed (was %(when)s)", label=label, when=at)
        return _("deadline removed (was %(when)s)", when=at)
    if old and new:
        moved = {"before": when(old["at"], language=language), "after": when(new["at"], language=language)}
        if label:
            return _("%(label)s deadline moved from %(before)s to %(after)s (Brussels)", label=label, **moved)
        return _("deadline moved from %(before)s to %(after)s (Brussels)", **moved)
    return _("%(label)s deadline changed", label=label) if label else _("deadline changed")
