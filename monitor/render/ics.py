"""iCalendar documents of calls' deadlines (icalendar). Pure: calls and metadata in, bytes out.

Owns what a calendar event says about a deadline and how it is identified: one VEVENT per
deadline stage, UID `call-<id>-deadline-<stage>@<domain>` (the stage key never contains the date,
so a moved deadline keeps its UID and moves in subscribers' calendars; the domain is the
CALLWATCH_ICS_DOMAIN setting handed in as `FeedMeta.uid_domain`, never the site's host, so moving
the site renames no event). DTSTART is the deadline
in UTC (a date-only deadline is shown at the time the rest of Callwatch uses, the 17:00 Brussels
cut-off, and says so), DTEND 30 minutes later. DTSTAMP and LAST-MODIFIED are the call's last
change; SEQUENCE grows with every change (see `sequence`), so clients take a moved deadline as a
newer version. Every
stage is listed, past and closed ones too (a calendar is a record; deleting yesterday's deadline
would surprise), but only stages not marked closed carry alarms: 7 days and 1 day before
(display alarms). A call whose deadline could not be read has no stage and so no event: a
calendar needs a date (RSS and Atom keep it, as "deadline unknown — see call page").
A collection's calendar (`FeedMeta.scope`, "collection-3") prefixes its UIDs with the scope, so
its events never collide with the same call's in another calendar, and puts each call's note
(`remarks`) first in the description. Labels, dates and alarms are in `FeedMeta.language`
(English by default).
Documents are deterministic (no "now" inside): the same calls and metadata give the same bytes.
Each VEVENT is serialised on its own (icalendar folds and escapes it) and the calendar joined from
those texts, which is byte for byte what serialising the whole calendar gives; an `EventCache`
keeps them by what their text is made of (`event_key`), so a calendar rebuilt after a change, or
for another filter, serialises only the events of calls that changed.
Must not: read a clock, the database or settings; word a fact itself (`monitor.render.words`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Alarm, Calendar, Event, vDuration

from monitor.model.call import DeadlineIn
from monitor.render.cards import funder
from monitor.render.entries import (
    CallPage,
    FeedMeta,
    Notes,
    Remarks,
    Stage,
    clean,
    first_seen,
    last_change,
    one_line,
    stage_line,
    stages,
)
from monitor.render.i18n import N_, Translator, translator
from monitor.render.words import NOT_STATED, budget_text

EVENT_LENGTH = timedelta(minutes=30)
ALARMS = (timedelta(days=7), timedelta(days=1))
REFRESH = timedelta(hours=6)
PRODID = "-//Callwatch//Funding call deadlines//EN"
_SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_END = b"END:VCALENDAR\r\n"
DEADLINE, WORDING, DETAILS, SOURCE = N_("Deadline"), N_("Source wording"), N_("Details"), N_("Source")
_DEADLINE_FIELDS = tuple(DeadlineIn.model_fields)  # every field, so none is forgotten in a key


class EventCache:
    """Serialised VEVENTs by `event_key`, least recently used dropped first, within a byte budget."""

    def __init__(self, budget: int = 32 * 1024 * 1024) -> None:
        self.budget = budget
        self.built = 0  # events serialised (not found), for tests and logs
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        text = build()
        with self._lock:
            self.built += 1
            if key not in self._items:
                self._items[key] = text
                self._size += len(text)
                while self._size > self.budget:
                    self._size -= len(self._items.popitem(last=False)[1])
        return text


def event_key(
    call: Any,
    stage: Stage,
    page: str,
    domain: str,
    silent: str | None,
    scope: str = "",
    remark: str | None = None,
    language: str = "en",
) -> Hashable:
    """Everything an event's text is made of: the call's records as stored (their content digest
    moves with any stored field, their change time and count with every typed change, their ids with
    regrouping), the stage with its deadline, the call's page, the UID domain and the "not stated" note,
    and a collection's scope and note."""
    records = tuple(
        (m.call.id, m.kind, m.call.content_hash, m.call.last_changed_at, m.call.first_seen_at,
         m.call.listed, m.changes)
        for m in call.members
    )  # fmt: skip
    deadline = tuple(getattr(stage.deadline, name, None) for name in _DEADLINE_FIELDS)
    extra = (scope, remark, language) if scope or remark or language != "en" else ()
    return (call.id, records, stage.key, stage.name, deadline, page, domain, silent, *extra)


def calendar(
    calls: Sequence[Any],
    meta: FeedMeta,
    *,
    call_page: CallPage,
    notes: Notes | None = None,
    events: EventCache | None = None,
    remarks: Remarks | None = None,
) -> bytes:
    """An iCalendar document with one event per deadline stage of `calls`; `notes`, `remarks`: see
    entries; `events` keeps serialised events between documents (none: every event serialised here)."""
    texts = []
    for call in calls:
        page = call_page(call.id)
        silent, remark = (notes or {}).get(call.id), (remarks or {}).get(call.id)
        for stage in stages(call.deadlines):

            def build(
                call: Any = call, stage: Stage = stage, page: str = page, silent: str | None = silent,
                remark: str | None = remark,
            ) -> bytes:  # fmt: skip
                event = _event(call, stage, page, meta.uid_domain, silent, meta.scope, remark, meta.language)
                return event.to_ical()  # type: ignore[no-any-return]

            key = (
                event_key(call, stage, page, meta.uid_domain, silent, meta.scope, remark, meta.language)
                if events is not None
                else None
            )
            texts.append(events.get(key, build) if events is not None else build())
    head = _head(meta)
    assert head.endswith(_END)
    return head[: -len(_END)] + b"".join(texts) + _END


def _head(meta: FeedMeta) -> bytes:
    """The calendar's own properties, as a document without events."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", one_line(meta.title))
    cal.add("name", one_line(meta.title))
    cal.add("x-wr-caldesc", one_line(meta.description))
    cal.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    return cal.to_ical()  # type: ignore[no-any-return]


def event_uid(call_id: int, stage: Stage, domain: str, scope: str = "") -> str:
    return f"{scope + '-' if scope else ''}call-{call_id}-deadline-{stage.key}@{domain}"


def _event(
    call: Any,
    stage: Stage,
    page: str,
    domain: str,
    silent: str | None,
    scope: str = "",
    remark: str | None = None,
    language: str = "en",
) -> Event:
    _ = translator(language)
    deadline, changed = stage.deadline, last_change(call)
    title = one_line(call.title) or f"Call {call.id}"
    event = Event()
    event.add("uid", event_uid(call.id, stage, domain, scope))
    event.add("dtstamp", changed)
    event.add("last-modified", changed)
    event.add("created", first_seen(call))
    event.add("sequence", sequence(call))
    event.add("dtstart", deadline.at.astimezone(UTC))
    event.add("dtend", deadline.at.astimezone(UTC) + EVENT_LENGTH)
    event.add("summary", f"{_.label(_(DEADLINE))} {title}" + (f" ({stage.name})" if stage.name else ""))
    event.add("description", event_text(call, stage, page, silent, remark, language))
    event.add("url", clean(page))
    event.add("status", "TENTATIVE" if deadline.tentative else "CONFIRMED")
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    if not deadline.closed:
        for before in ALARMS:
            event.add_component(_alarm(before, title, _))
    return event


def _alarm(before: timedelta, title: str, _: Translator) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -before)
    if before == timedelta(days=1):
        text = _("Deadline tomorrow: %(title)s", title=title)
    else:
        text = _.plural("Deadline in %(num)d day: %(title)s", "Deadline in %(num)d days: %(title)s",
                        before.days, title=title)  # fmt: skip
    alarm.add("description", text)
    return alarm


def event_text(
    call: Any,
    stage: Stage,
    page: str,
    silent: str | None = None,
    remark: str | None = None,
    language: str = "en",
) -> str:
    """The plain-text DESCRIPTION of a deadline event in `language` (icalendar escapes it); `silent`
    as in feeds; `remark` (a collection's note) first."""
    _ = translator(language)
    lines = [clean(remark).strip(), ""] if remark and remark.strip() else []
    deadline, wording, details, source = (_.label(_(t)) for t in (DEADLINE, WORDING, DETAILS, SOURCE))
    lines += [one_line(call.title), f"{deadline} {stage_line(stage, _.language)}"]
    if stage.deadline.date_only:
        lines.append(_("The source gives the date only; the time shown is the usual 17:00 Brussels cut-off."))
    if stage.deadline.text:
        lines.append(f"{wording} {one_line(stage.deadline.text)}")
    facts = (
        (_("Programme"), funder(call)),
        (_("Identifier"), call.identifier),
        (_("Budget"), budget_text(call, language=_.language)),
        (_(NOT_STATED), silent),
    )
    lines += [f"{_.label(name)} {one_line(value)}" for name, value in facts if value]
    if call.summary_text:
        lines += ["", clean(call.summary_text).strip()[:1000]]
    lines += ["", f"{details} {clean(page)}"]
    if call.url:
        lines.append(f"{source} {one_line(call.url)}")
    return "\n".join(lines)


def sequence(call: Any) -> int:
    """The event's revision: the minutes from 2020 to the call's last change plus the number of
    typed changes stored for its records. The count makes every change count, two within one
    minute (or one second) too; the minutes keep it above the numbers Callwatch published before
    it counted changes (minutes alone), so calendars holding those events still take updates."""
    minutes = int((last_change(call) - _SEQUENCE_EPOCH).total_seconds() // 60)
    return max(0, minutes) + sum(member.changes for member in call.members)
