"""Date shifting for the demo: every full date in a recorded body moved by a whole number of days.

Owns which written dates are shifted and how each keeps its shape: ISO 8601 dates and timestamps
(the F&T portal's `2024-04-18T19:00:00.000+0200`), day-first numeric dates (`27.01.2026` on
euro-access, `20/03/2023` on ECCP listings: both sites are European and write the day first) and
English dates in words (`13 May 2026`, `13th May 2026`, `July 13, 2026`, `June 7th 2023`), month
names from Babel's CLDR data. A timestamp whose offset was Brussels time at its date gets Brussels'
offset at the new date, so "17:00 Brussels" stays 17:00 Brussels across a daylight-saving change;
any other offset (UTC, `Z`) is kept. Left as written, on purpose: a month without a day ("May
2027", it cannot move by days), a year alone (budget years, identifiers like HORIZON-CL5-2024-…),
day-first text that is no valid date (a version number) and dates in other languages (the demo
keeps a portal topic's English row). Must not read files or know about sources: it transforms text.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import get_month_names

BRUSSELS = ZoneInfo("Europe/Brussels")
_WIDE = {name: number for number, name in get_month_names("wide", locale="en").items()}
_ABBR = {name: number for number, name in get_month_names("abbreviated", locale="en").items()}
_MONTHS = "|".join(sorted([*_WIDE, *_ABBR], key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)"

_ISO = re.compile(
    r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})"
    r"(?:([T ])(\d{2}):(\d{2})(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?(?![\d-])"
)
_NUMERIC = re.compile(r"(?<![\w./])(\d{1,2})([./])(\d{1,2})\2(\d{4})(?![\w/]|\.\d)")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})({_ORD})?( +)({_MONTHS})\b(\.?,? +)(\d{{4}})\b")
_MONTH_DAY = re.compile(rf"\b({_MONTHS})\b(\.? +)(\d{{1,2}})({_ORD})?(,? +)(\d{{4}})\b")


def shift_dates(text: str, days: int) -> str:
    """`text` with every full date moved by `days` days, each written as it was."""
    if days == 0:
        return text
    text = _ISO.sub(lambda m: _iso(m, days), text)
    text = _NUMERIC.sub(lambda m: _numeric(m, days), text)
    text = _DAY_MONTH.sub(lambda m: _day_month(m, days), text)
    return _MONTH_DAY.sub(lambda m: _month_day(m, days), text)


def _moved(year: str, month: int | str, day: str, days: int) -> date | None:
    try:
        return date(int(year), int(month), int(day)) + timedelta(days=days)
    except (ValueError, OverflowError):
        return None


def _iso(match: re.Match[str], days: int) -> str:
    year, month, day, sep, hour, minute, seconds, fraction, offset = match.groups()
    new = _moved(year, month, day, days)
    if new is None:
        return match.group(0)
    if sep is None:
        return new.isoformat()
    if offset and offset != "Z":
        offset = _brussels_offset(match, new, offset)
    return f"{new.isoformat()}{sep}{hour}:{minute}{seconds or ''}{fraction or ''}{offset or ''}"


def _brussels_offset(match: re.Match[str], new: date, offset: str) -> str:
    """The new date's Brussels offset if the recorded one was Brussels', else the recorded one."""
    year, month, day, _, hour, minute = match.groups()[:6]
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    recorded = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        then = datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=recorded)
    except ValueError:
        return offset
    if then.astimezone(BRUSSELS).utcoffset() != then.utcoffset():
        return offset
    local = then.astimezone(BRUSSELS).replace(tzinfo=None)
    after = datetime.combine(new, local.time()).replace(tzinfo=BRUSSELS).utcoffset() or timedelta(0)
    minutes = int(after.total_seconds() // 60)
    text = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}{':' if ':' in offset else ''}"
    return text + f"{abs(minutes) % 60:02d}"


def _numeric(match: re.Match[str], days: int) -> str:
    day, sep, month, year = match.groups()
    new = _moved(year, month, day, days)
    if new is None:
        return match.group(0)
    width_day, width_month = (2 if len(day) == 2 else 1), (2 if len(month) == 2 else 1)
    return f"{new.day:0{width_day}d}{sep}{new.month:0{width_month}d}{sep}{new.year}"


def _month_name(written: str, number: int) -> str:
    names = get_month_names("wide" if written in _WIDE else "abbreviated", locale="en")
    return str(names[number])


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _day_month(match: re.Match[str], days: int) -> str:
    day, ordinal, space, month, between, year = match.groups()
    new = _moved(year, _WIDE.get(month) or _ABBR[month], day, days)
    if new is None:
        return match.group(0)
    written = f"{new.day:02d}" if day.startswith("0") else str(new.day)
    suffix = _ordinal(new.day) if ordinal else ""
    return f"{written}{suffix}{space}{_month_name(month, new.month)}{between}{new.year}"


def _month_day(match: re.Match[str], days: int) -> str:
    month, space, day, ordinal, between, year = match.groups()
    new = _moved(year, _WIDE.get(month) or _ABBR[month], day, days)
    if new is None:
        return match.group(0)
    written = f"{new.day:02d}" if day.startswith("0") else str(new.day)
    suffix = _ordinal(new.day) if ordinal else ""
    return f"{_month_name(month, new.month)}{space}{written}{suffix}{between}{new.year}"
