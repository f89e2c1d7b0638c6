"""What an RSS/Atom item and a calendar event share: the feed's metadata, text that XML and
iCalendar can carry, a call's first-seen and last-change instants, and its deadline stages.

Owns:
- Text: characters that XML 1.0 cannot carry (C0 controls except tab and newline, DEL and C1
  controls, lone surrogates, U+FFFE/U+FFFF) are removed from every string, which also keeps them
  out of iCalendar (RFC 5545 forbids controls in TEXT). Escaping is the libraries' job: lxml
  escapes `<`, `&` in XML, icalendar escapes `\\ ; ,` and newlines.
- Instants: a merged call was first seen when its earliest record was, and last changed when its
  newest change was (what "published"/"updated" and "created"/"last-modified" mean everywhere).
- Stages: one per deadline, keyed by its label ("label-cut-off-2") or, without one, its place
  among the unlabelled stages in date order ("stage-1"), never the date, so that a moved
  deadline keeps its key (and its calendar UID).
Must not: build a document (`monitor.render.rss` and `monitor.render.ics` do) or read a clock.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.model.call import DeadlineIn
from monitor.normalise.vocab import fold
from monitor.render.i18n import N_, translator
from monitor.render.words import brussels_time

CallPage = Callable[[int], str]
# Call id -> the criteria asked for that the call does not state, worded ("ecosystem, countries").
Notes = Mapping[int, str]
# Call id -> plain text put first in its item or event (a collection's editor's note), escaped there.
Remarks = Mapping[int, str]

# XML 1.0 Char minus the discouraged C1 block; the same set is invalid in iCalendar TEXT.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class FeedMeta:
    """What a feed says about itself. `updated` must not be "now": it is part of the cached bytes."""

    title: str
    self_url: str
    page_url: str
    updated: datetime
    description: str = "EU funding calls for SMEs, from Callwatch"
    feed_id: str | None = None  # Atom id; the self URL when not given
    uid_domain: str = "callwatch"  # right of the @ in calendar UIDs: CALLWATCH_ICS_DOMAIN
    language: str = "en"  # the feed's language (RSS <language>)
    # A published collection's "collection-7": its items and events get ids of their own, so a
    # reader or calendar that also follows another feed with the same call keeps both.
    scope: str = ""


def entry_id(call_id: int, domain: str, scope: str = "") -> str:
    """'tag:callwatch,2026:call/7': a call's Atom id and RSS guid (an RFC 4151 tag URI). Its
    authority is CALLWATCH_ICS_DOMAIN, as in calendar UIDs, never the site's host, so a site that
    moves to another address keeps its entries: readers do not show every call again as new.
    In a collection's feed: 'tag:callwatch,2026:collection-3/call/7' (`scope`)."""
    return f"tag:{domain},2026:{scope + '/' if scope else ''}call/{call_id}"


def clean(text: str | None) -> str:
    """`text` without the characters XML and iCalendar cannot carry; CR/CRLF become LF."""
    if not text:
        return ""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str | None) -> str:
    return " ".join(clean(text).split())


def last_change(call: Any) -> datetime:
    """The newest change of any record of the call (what "updated" means in every feed)."""
    return max(m.call.last_changed_at for m in call.members)


def first_seen(call: Any) -> datetime:
    """When Callwatch first saw any record of the call (what "new" means in feeds and digests)."""
    return min(m.call.first_seen_at for m in call.members)


@dataclass(frozen=True)
class Stage:
    """One deadline stage of a call with the key its calendar event is known by."""

    key: str
    deadline: DeadlineIn
    name: str | None  # "Cut-off 2", or "deadline 2 of 3" for unlabelled stages of a multi-stage call


def stages(deadlines: Sequence[DeadlineIn]) -> list[Stage]:
    """The stages in date order, keyed by label (or by place among the unlabelled ones), not by date."""
    ordered = sorted(deadlines, key=lambda d: (d.at, d.label or ""))
    slugs = [_slug(d.label) for d in ordered]
    repeated = {slug for slug, n in Counter(s for s in slugs if s).items() if n > 1}
    seen: Counter[str] = Counter()
    unlabelled = sum(1 for s in slugs if not s)
    found = []
    for deadline, slug in zip(ordered, slugs, strict=True):
        seen[slug] += 1
        if slug:
            key = f"label-{slug}" + (f"-{seen[slug]}" if slug in repeated else "")
            name = one_line(deadline.label)
        else:
            key = f"stage-{seen[slug]}"
            name = f"deadline {seen[slug]} of {unlabelled}" if unlabelled > 1 else None
        found.append(Stage(key, deadline, name))
    return found


def _slug(label: str | None) -> str:
    return _NOT_SLUG.sub("-", fold(clean(label))).strip("-")[:40]


def stage_line(stage: Stage, language: str = "en") -> str:
    """'Stage 1: 20 January 2027 17:00 Brussels time (tentative)', in `language` (the label as written)."""
    _ = translator(language)
    text = brussels_time(stage.deadline.at, language=language)
    if stage.name and not stage.name.startswith("deadline "):
        text = f"{_.label(stage.name)} {text}"
    notes = [
        _(note)
        for flag, note in (
            (stage.deadline.tentative, N_("tentative")),
            (stage.deadline.closed, N_("closed")),
            (stage.deadline.date_only, N_("time not stated by the source")),
        )
        if flag
    ]
    return f"{text} ({', '.join(notes)})" if notes else text
