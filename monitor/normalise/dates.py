"""Dates, times of day and deadlines written in free text, read as timezone-aware UTC instants.

Owns: one date ("16 May 2023", "01/09/2023" day-first, "31 maggio 2023", "30 czerwca 2023"), one time
of day ("18.00 CEST", "15 pm CET"), every deadline in a page body or a list of cut-offs, and the
portal's machine formats (epoch ms, ISO "+hhmm"); formats.md §1.4, §4.1. Must not: do I/O, read settings
or the clock (no datetime.now()), decide whether a call is open, or guess an unwritten day/year (it warns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.model.zones import BRUSSELS
from monitor.normalise.vocab import fold_chars

# Per month, accent-folded: EN (+abbr.) DE FR IT ES NL PT, and PL nominative AND genitive ("30 czerwca").
_MONTH_LINES = (
    "january jan januar janner janvier gennaio enero januari janeiro styczen stycznia",
    "february feb februar fevrier febbraio febrero februari fevereiro luty lutego",
    "march mar marz maerz mars marzo maart marco marzec marca",
    "april apr avril aprile abril kwiecien kwietnia",
    "may mai maggio mayo mei maio maj maja",
    "june jun juni juin giugno junio junho czerwiec czerwca",
    "july jul juli juillet luglio julio julho lipiec lipca",
    "august aug aout agosto augustus sierpien sierpnia",
    "september sep sept septembre settembre septiembre setiembre setembro wrzesien wrzesnia",
    "october oct okt oktober octobre ottobre octubre outubro pazdziernik pazdziernika",
    "november nov novembre noviembre novembro listopad listopada",
    "december dec dez dezember decembre dicembre diciembre dezembro grudzien grudnia",
)
MONTHS: dict[str, int] = {name: n for n, line in enumerate(_MONTH_LINES, 1) for name in line.split()}
_MONTH = r"(?P<m>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
_ORDINAL = r"(?:st|nd|rd|th|er|eme)?\.?"
_DATES = (  # day month year; month day, year; year-month-day; day/month/year (EU: day first)
    re.compile(rf"(?<![\d.,/])(?P<d>\d{{1,2}}){_ORDINAL}(?:[\s-]+(?:of|de))?[\s-]*{_MONTH}"
               r"(?:,|[\s-]+(?:de|del))?[\s-]*(?P<y>\d{4})(?!\d)"),
    re.compile(rf"\b{_MONTH},?[\s-]+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*|\s+)(?P<y>\d{{4}})(?!\d)"),
    re.compile(r"(?<![\d.,/-])(?P<y>\d{4})([-/.])(?P<m>\d{1,2})\2(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<![\d.,/-])(?P<d>\d{1,2})([./-])(?P<m>\d{1,2})\2(?P<y>\d{4}|\d{2})(?!\d|[./-]\d)"),
)  # fmt: skip
_PARTIAL = (  # written without a year, or without a day: never completed by guessing
    ("no-year", re.compile(rf"(?<![\d.,/])\d{{1,2}}{_ORDINAL}(?:[\s-]+(?:of|de))?[\s-]*{_MONTH}"
                           r"(?![\s.,-]*\d)")),
    ("no-year", re.compile(rf"\b{_MONTH}[\s-]+\d{{1,2}}(?:st|nd|rd|th)?\b(?![\s,.-]*\d)")),
    ("month-year", re.compile(rf"\b{_MONTH},?\s+\d{{4}}(?!\d)")),
)  # fmt: skip
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
_PROBLEM = {"full": "impossible date", "no-year": "no year in date", "month-year": "month and year, no day"}
_COMPACT_OFFSET = re.compile(r"([+-]\d{2})(\d{2})$")  # portal "+0200": offset without a colon
# Words before a date making it a deadline ("cue") or another date ("anti": opening, publication, ECCP's
# "Submitted by <name> on <date>" byline); "weak" cues ("by", "to") count only right before the date.
_CUES = re.compile(r"""\b(?:
    (?P<launch>launch\w*|lanciat\w*|lancement|lancio)
  | (?P<anti>submitted\sby\s[^\n\d]{1,60}?\son|opening(?:\sfor\ssubmission)?|opens|opened
      |open\s(?:from|on|since)|published|publication|publie\w*|pubblicat\w*
      |start(?!-?ups?\b)\w*|begin\w*|ouverture|apertura|eroffnung|veroffentlich\w*|inicio|otwarcie
      |from|dal|vom|desde|od|a\spartir\sdu)
  | (?P<cue>dead-?lines?|(?:stage|round)\s?\d{1,2}|(?:\d(?:st|nd|rd|th)|first|second|final)\s(?:stage|round)
      |closing|closes|close|closed|cut-?\s?offs?|submission\w*|submit\w*|due\s(?:date|on|by)|expir\w*|scadenz\w*|scade|fino\sal|entro|date\slimite|cloture
      |jusqu'au|frist\w*|einreich\w*|abgabe\w*|(?:bewerbungs|antrags)schluss|plazo|fecha\slimite
      |hasta\sel|termin[eyiu]?|prazo|data\slimite|sluiting\w*|uiterlijk)
  | (?P<weak>until|till|by|before|to|avant|au|al|bis|hasta|do|tot|ate)
)\b""", re.X)  # fmt: skip
# A cue in label form ("Deadline: …") whose next line holds no date at all is an unreadable deadline.
_LABEL_CUE = re.compile(r"\b(?:dead-?line|closing\s(?:date|time)|date\sclosing|cut-?\s?off(?:\sdate)?"
                        r"|scadenza|date\slimite|frist|einreichfrist|plazo|fecha\slimite|termin|prazo)s?\b"
                        r"(?:\s(?:date|time|for\s[^:\n\d]{0,40}))?\s*:")  # fmt: skip
_LABEL = re.compile(r"\b(?:(?:cut-?\s?off|stage|round|phase|deadline)(?:\sdate)?\s?(?:no\.?\s?|#\s?)?"
                    r"\d{1,2}\b|(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|final)\s"
                    r"(?:cut-?\s?off|stage|round|phase|deadline)(?:\sdate)?)")  # fmt: skip
_TENTATIVE_BEFORE = re.compile(r"\b(?:indicative|tentative|provisional|potentially|expected|estimated|tbc)\b")
_CLOSED_BEFORE = re.compile(r"\bclosed\W{0,3}(?:on\s)?$")
_ENTITY = re.compile(r"&(?:nbsp|#160|#xa0|ensp|emsp|thinsp);")
_BARE = re.compile(r"[\W_]*(?:[^\W\d_]{1,3}\.?[\W_]*)?")  # what may surround a bare date: "Thu", "at"
_JOINT = re.compile(r"[\W_]*(?:(?:and|or|et|und|e|y|i|oraz|en)\b[\W_]*)?")  # between two listed dates
_BULLET = re.compile(r"\s*(?:[-*\u2022\u00b7\u25aa>]|\d{1,2}[.)])")


def _verdict(ctx: str, in_list: bool) -> str | None:
    """'cue' / 'anti' / 'launch' from the words between the previous date and this one, or None."""
    near = ctx[-120:]
    tokens = [m for m in _CUES.finditer(near) if m.lastgroup != "weak" or len(near) - m.end() <= 15]
    if tokens:
        kind = tokens[-1].lastgroup
        return kind if kind in ("anti", "launch") else "cue"
    # A list goes on after ", " / " and " or on a new "– " item line; a new "Info day: …" line ends it.
    line = ctx.rsplit("\n", 1)[-1]
    joint = bool(_JOINT.fullmatch(ctx) or ("\n" in ctx and ":" not in line and _BULLET.match(line)))
    return "cue" if in_list and joint and len(ctx) < 200 else None


def _unreadable_labels(text: str, folded: str, spans: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Warnings for "Deadline: end of spring": a deadline label whose next non-empty line holds no date."""
    warnings: list[tuple[int, str]] = []
    padded = folded + "\n"
    for match in _LABEL_CUE.finditer(folded):
        rest = padded[match.end() : match.end() + 300]  # the value may sit on the next line(s)
        begin = match.end() + len(rest) - len(rest.lstrip(" \t\r\n*\u2022-"))
        line_end = padded.index("\n", begin)
        if not any(match.end() <= s < line_end or s < match.end() < e for s, e in spans):
            quoted = " ".join(text[match.start() : line_end].split())[:100]
            warnings.append((match.start(), f"unreadable deadline {quoted!r}"))
    return warnings


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
class _Hit:
    start: int
    end: int
    kind: str  # "full", "no-year", "month-year"
    day: date | None = None  # None for a partial or impossible date


@dataclass(frozen=True)
class _Tail:
    start: int  # where the snippet starts (a time written before the date moves it)
    end: int  # end of date + time + zone: the snippet
    stop: int  # after status marks such as "- CLOSED": where the next date's context starts
    clock: time | None = None
    zone: ZoneInfo | None = None
    tentative: bool = False
    closed: bool = False


def _make_date(year: str, month: str, day: str) -> date | None:
    number = int(year) + (2000 if len(year) == 2 else 0)  # "30/09/23": two-digit years are 20xx
    month_number = int(month) if month.isdigit() else MONTHS[month.rstrip(".")]
    try:
        return date(number, month_number, int(day)) if 1990 <= number <= 2100 else None
    except ValueError:  # 31/02: impossible, reported by the caller, never moved to another day
        return None


def _find_hits(folded: str) -> list[_Hit]:
    matches = sorted((m for p in _DATES for m in p.finditer(folded)), key=lambda m: (m.start(), -m.end()))
    hits: list[_Hit] = []
    for match in matches:  # leftmost, then longest, non-overlapping
        if not hits or match.start() >= hits[-1].end:
            hits.append(_Hit(*match.span(), "full", _make_date(match["y"], match["m"], match["d"])))
    taken = [(h.start, h.end) for h in hits]
    for kind, pattern in _PARTIAL:
        for match in pattern.finditer(folded):
            if all(match.end() <= s or match.start() >= e for s, e in taken):
                hits.append(_Hit(match.start(), match.end(), kind))
                taken.append(match.span())
    return sorted(hits, key=lambda h: h.start)


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


def _read_tail(folded: str, hit: _Hit, prev_stop: int, limit: int) -> _Tail:
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
    text: str, *, default_tz: ZoneInfo = BRUSSELS, default_time: time = time(17, 0)
) -> DeadlineExtraction:
    """Every deadline in free text: dates after cue words, cut-off lists, or a bare date string."""
    folded = _ENTITY.sub(lambda m: " " * len(m[0]), fold_chars(text))  # "&nbsp;" left in SEDIA text
    hits = _find_hits(folded)
    tails: list[_Tail] = []
    for i, hit in enumerate(hits):
        limit = hits[i + 1].start if i + 1 < len(hits) else len(folded)
        tails.append(_read_tail(folded, hit, tails[-1].stop if tails else 0, limit))
    # A bare date string (a table cell like "27.01.2026 17:00") is a deadline without any cue word.
    rest = folded[: tails[0].start] + " " + folded[tails[0].stop :] if hits else ""
    bare = len(hits) == 1 and _BARE.fullmatch(rest) is not None
    found: dict[datetime, FoundDeadline] = {}
    warnings: list[tuple[int, str]] = _unreadable_labels(text, folded, [(h.start, h.end) for h in hits])
    ctx_start, in_list = 0, False
    for hit, tail in zip(hits, tails, strict=True):
        said = _verdict(folded[ctx_start : tail.start], in_list) or ("cue" if bare else None)
        if said == "cue" and hit.day is not None:
            deadline = _found(text, folded, hit.day, tail, ctx_start, (default_tz, default_time))
            found.setdefault(deadline.at, deadline)
        elif said == "cue" or (said == "launch" and hit.kind == "month-year"):
            warnings.append((hit.start, f"{_PROBLEM[hit.kind]} {text[tail.start : tail.end].strip()!r}"))
        ctx_start, in_list = tail.stop, said == "cue"
    return DeadlineExtraction(list(found.values()), [message for _, message in sorted(warnings)])


def parse_date_words(text: str) -> date | None:
    """The first date written in `text` in any supported way; None if absent or impossible."""
    full = [h for h in _find_hits(fold_chars(text)) if h.kind == "full"]
    return full[0].day if full else None


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
