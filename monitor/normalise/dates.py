"""Dates, times of day and deadlines written in free text, read as timezone-aware UTC instants.

Owns: one time of day ("18.00 CEST", "15 pm CET"), every deadline in a page body or a list of cut-offs
(dates from `date_words`, what they mean from `deadline_cues`), and the portal's machine formats (epoch
ms, ISO "+hhmm"); formats.md §1.4, §4.1. Must not: do I/O, read settings or the clock (no
datetime.now()), decide whether a call is open, or guess an unwritten day/year or month (it warns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.model.zones import BRUSSELS
from monitor.normalise.date_words import Hit, find_hits, parse_date_words
from monitor.normalise.deadline_cues import cue_after, languages_in, unreadable_labels, verdict
from monitor.normalise.vocab import fold_chars

__all__ = ["extract_deadlines", "parse_date_words", "parse_time_words", "parse_iso_offset", "epoch_ms_to_utc",
           "brussels_cutoff", "DeadlineExtraction", "FoundDeadline"]  # fmt: skip

_TIME_BODY = r"""(?<![\d.,:/])(?:
    (?P<h>[01]?\d|2[0-4])\s?[:.h]\s?(?P<mi>[0-5]\d)(?::(?P<s>[0-5]\d))?(?:\s?(?P<ap>[ap])\.?\s?m\b\.?)?
  | (?P<h2>[01]?\d|2[0-4])\s?(?:(?P<ap2>[ap])\.?\s?m\b\.?|h\b|uhr\b)
  | (?P<word>noon|midday|midnight|mezzogiorno|mezzanotte|midi|minuit|mitternacht|mediodia|medianoche)
)(?![.:]?\d)"""
_TIME = re.compile(_TIME_BODY, re.X)
_TIME_AFTER = re.compile(r"[^\d\n]{0,20}?" + _TIME_BODY, re.X)  # "…2020 (17.00", "…2022, at 18.00"
_TIME_BEFORE = re.compile(_TIME_BODY + r"(?P<gap>[^\d\n]{0,25})$", re.X)  # "by 17:00 CET on 15 March"
_ZONE = re.compile(r"""[\s,;:()\[\]-]*(?:
    (?P<bru>cest|cet|mesz|mez|central\seuropean(?:\ssummer)?\stime|(?:europe/)?brussels(?:\s(?:local\s)?time)?
      |(?:heure|ora|hora)\s(?:de\s|di\s)?(?:bruxelles|bruselas)|bruxelles|brussel|bruselas|bruksela)
  | (?P<utc>utc|gmt)(?:\s?(?P<sign>[+-])\s?(?P<off>\d{1,2})(?::?00)?)?
  | (?P<eet>eest|eet) | (?P<lon>bst|uk\stime|london\stime)
)\b\)?""", re.X)  # fmt: skip
_MARK = re.compile(r"""[\s,;:()\[\]*-]*(?:
    (?P<closed>closed|expired|chius[oa]|clos|cloture|geschlossen|cerrad[oa])
  | (?P<tent>tbc|tbd|to\sbe\s(?:confirmed|determined)|indicative|tentative|provisional|da\sconfermare)
)\b\)?""", re.X)  # fmt: skip
_PROBLEM = {
    "full": "impossible date",
    "no-year": "no year in date",
    "month-year": "month and year, no day",
    "ambiguous": "month name of two months in different languages, in date",
}
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")  # portal "+0200": offset without a colon
_LABEL = re.compile(r"\b(?:(?:cut-?\s?off|stage|round|phase|deadline)(?:\sdate)?\s?(?:no\.?\s?|#\s?)?"
                    r"\d{1,2}\b|(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|final)\s"
                    r"(?:cut-?\s?off|stage|round|phase|deadline)(?:\sdate)?)")  # fmt: skip
_TENTATIVE_BEFORE = re.compile(r"\b(?:indicative|tentative|provisional|potentially|expected|estimated|tbc)\b")
_CLOSED_BEFORE = re.compile(r"\bclosed\W{0,3}(?:on\s)?$")
_ENTITY = re.compile(r"&(?:nbsp|#160|#xa0|ensp|emsp|thinsp);")
_BARE = re.compile(r"[\W_]*(?:[^\W\d_]{1,3}\.?[\W_]*)?")  # what may surround a bare date: "Thu", "at"


@dataclass(frozen=True)
class FoundDeadline:
    at: datetime  # aware, UTC
    text: str  # the exact snippet of the input it was read from
    date_only: bool  # no time of day written: `at` is default_time in default_tz on that date
    label: str | None  # "Cut-off 2", "Stage 1", "1st cut-off" when the wording names it
    tentative: bool  # "(tbc)", "to be confirmed", "indicative"
    closed: bool  # "- CLOSED" / "is closed" next to it


@dataclass(frozen=True)
class DeadlineExtraction:
    deadlines: list[FoundDeadline]  # text order, one per instant
    warnings: list[str]  # one per deadline-looking phrase that could not be read, quoting it


@dataclass(frozen=True)
class _Tail:
    start: int  # where the snippet starts (a time written before the date moves it)
    end: int  # end of date + time + zone: the snippet
    stop: int  # after status marks such as "- CLOSED": where the next date's context starts
    clock: time | None = None
    zone: ZoneInfo | None = None
    tentative: bool = False
    closed: bool = False


def _clock(match: re.Match[str]) -> time:
    if match["word"]:
        # "midnight" = 00:00 of that date, like "12 am": the earlier reading, never a later deadline.
        return time(12) if match["word"] in ("noon", "midday", "mezzogiorno", "midi", "mediodia") else time(0)
    hour, minute, second = int(match["h"] or match["h2"]), int(match["mi"] or 0), int(match["s"] or 0)
    meridiem = match["ap"] or match["ap2"]
    if meridiem and hour <= 12:  # "15 pm" (ECCP) already is 24-hour: only 1-12 shift
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    return time(23, 59, 59) if hour == 24 else time(hour, minute, second)


def _zones(folded: str, pos: int, limit: int) -> tuple[ZoneInfo | None, int]:
    """Zone words written at `pos` ("CET (Brussels time)": the first one wins) and where they end."""
    zones: list[ZoneInfo] = []
    while match := _ZONE.match(folded, pos, limit):
        pos, hours = match.end(), int(match["off"] or 0)
        if match["bru"]:  # "CET" written in summer still means the Brussels wall clock (formats.md §4.1)
            zones.append(BRUSSELS)
        elif match["utc"]:  # Etc/GMT-1 is UTC+1 (POSIX sign convention)
            sign = "-" if match["sign"] == "+" else "+"
            zones.append(ZoneInfo(f"Etc/GMT{sign}{hours}" if 0 < hours <= 12 else "UTC"))
        else:
            zones.append(ZoneInfo("Europe/Athens" if match["eet"] else "Europe/London"))
    return (zones[0] if zones else None), pos


def _read_tail(folded: str, hit: Hit, prev_stop: int, limit: int) -> _Tail:
    if hit.kind != "full":
        return _Tail(hit.start, hit.end, hit.end)
    start, end, clock, zone = hit.start, hit.end, None, None
    if after := _TIME_AFTER.match(folded, end, limit):
        clock, end = _clock(after), after.end()
    elif before := _TIME_BEFORE.search(folded, max(prev_stop, hit.start - 45), hit.start):
        clock, start = _clock(before), before.start()
        zone, _ = _zones(folded, before.start("gap"), hit.start)
    zone_after, end = _zones(folded, end, limit)
    stop, tentative, closed = end, False, False
    while mark := _MARK.match(folded, stop, limit):
        closed, tentative, stop = closed or bool(mark["closed"]), tentative or bool(mark["tent"]), mark.end()
    return _Tail(start, end, stop, clock, zone or zone_after, tentative, closed)


def _found(
    text: str, folded: str, day: date, tail: _Tail, ctx_start: int, defaults: tuple[ZoneInfo, time]
) -> FoundDeadline:
    local = datetime.combine(day, tail.clock or defaults[1], tzinfo=tail.zone or defaults[0])
    labels = list(_LABEL.finditer(folded, ctx_start, tail.start))
    line = folded[ctx_start : tail.start].rsplit("\n", 1)[-1]
    return FoundDeadline(
        at=local.astimezone(UTC),
        text=text[tail.start : tail.end].strip(),
        date_only=tail.clock is None,
        label=" ".join(text[labels[-1].start() : labels[-1].end()].split()) if labels else None,
        tentative=tail.tentative or bool(_TENTATIVE_BEFORE.search(line)),
        closed=tail.closed or bool(_CLOSED_BEFORE.search(folded, ctx_start, tail.start)),
    )


def extract_deadlines(
    text: str,
    *,
    default_tz: ZoneInfo = BRUSSELS,
    default_time: time = time(17, 0),
    language: str | None = None,
) -> DeadlineExtraction:
    """Every deadline in free text: dates after cue words, cut-off lists, or a bare date string."""
    folded = _ENTITY.sub(lambda m: " " * len(m[0]), fold_chars(text))  # "&nbsp;" left in SEDIA text
    hits = find_hits(folded)
    if any(h.kind == "ambiguous" for h in hits):  # "listopada": October in Croatian, November in Polish
        hits = find_hits(folded, languages_in(folded) | ({language} if language else set()))
    tails: list[_Tail] = []
    for i, hit in enumerate(hits):
        limit = hits[i + 1].start if i + 1 < len(hits) else len(folded)
        tails.append(_read_tail(folded, hit, tails[-1].stop if tails else 0, limit))
    # A bare date string (a table cell like "27.01.2026 17:00") is a deadline without any cue word.
    rest = folded[: tails[0].start] + " " + folded[tails[0].stop :] if hits else ""
    bare = len(hits) == 1 and _BARE.fullmatch(rest) is not None
    found: dict[datetime, FoundDeadline] = {}
    warnings: list[tuple[int, str]] = unreadable_labels(text, folded, [(h.start, h.end) for h in hits])
    ctx_start, in_list = 0, False
    for hit, tail in zip(hits, tails, strict=True):
        said = verdict(folded[ctx_start : tail.start], in_list)
        said = said or ("cue" if bare or cue_after(folded, hit.start, tail.stop) else None)
        if said == "cue" and hit.day is not None:
            deadline = _found(text, folded, hit.day, tail, ctx_start, (default_tz, default_time))
            found.setdefault(deadline.at, deadline)
        elif said == "cue" or (said == "launch" and hit.kind == "month-year"):
            warnings.append((hit.start, f"{_PROBLEM[hit.kind]} {text[tail.start : tail.end].strip()!r}"))
        ctx_start, in_list = tail.stop, said == "cue"
    return DeadlineExtraction(list(found.values()), [message for _, message in sorted(warnings)])


def parse_time_words(text: str) -> tuple[time, ZoneInfo | None] | None:
    """The first time of day in `text` and the zone written after it (None: no zone written)."""
    folded = fold_chars(text)
    if (match := _TIME.search(folded)) is None:
        return None
    return _clock(match), _zones(folded, match.end(), len(folded))[0]


def epoch_ms_to_utc(value: int | str) -> datetime:
    """Portal epoch milliseconds (number or string, e.g. "1790640000000") as aware UTC."""
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(value))  # int() strips spaces


def parse_iso_offset(value: str) -> datetime:
    """ISO datetime with an offset ("2024-04-18T19:00:00.000+0200", "…Z") as UTC; ValueError without one."""
    parsed = datetime.fromisoformat(_COMPACT_OFFSET.sub(r"\1:\2", value.strip()))
    if parsed.tzinfo is None:
        raise ValueError(f"no UTC offset in {value!r}")
    return parsed.astimezone(UTC)


def brussels_cutoff(day: date, cutoff: time = time(17, 0)) -> datetime:
    """That Brussels wall-clock time on `day`, as aware UTC (DST-correct)."""
    return datetime.combine(day, cutoff, tzinfo=BRUSSELS).astimezone(UTC)
