"""RawCall (as a source parsed it) -> CallIn (as Callwatch stores it).

Owns the rules every source shares: deadlines to aware UTC (with the
portal's Brussels-17:00 rule), status derived from dates with the source's
status kept as a hint, sanitised summaries, budget from free text, and
countries, organisation types (and whether the call is restricted to them) and ecosystems read
from eligibility prose.
Pure: the clock comes in as `now`; no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from monitor.model.call import CallIn, DeadlineIn
from monitor.model.raw import RawCall, RawDeadline
from monitor.model.vocab import CallStatus, DeadlineModel
from monitor.model.zones import BRUSSELS
from monitor.normalise.budget import read_budget
from monitor.normalise.countries import extract_countries, programme_default_countries
from monitor.normalise.dates import brussels_cutoff, extract_deadlines, parse_date_words
from monitor.normalise.eligibility import org_types_exclusive
from monitor.normalise.html import html_to_text, sanitise_html
from monitor.normalise.programmes import programme_for
from monitor.normalise.text_quality import text_problems
from monitor.normalise.vocab import extract_ecosystems, extract_org_types, fold

# Bump when a change to monitor/normalise may store a different result for the same record: every
# stored `raw_digest` then differs, so the next poll normalises every record again (issue #18).
NORMALISER_VERSION = 1
_CENT = Decimal("0.01")
# "17:00:00 Brussels time" / "17.00 (Brussels Time)" in a topic's conditions overrides the 17:00 default.
_CUTOFF_IN_TEXT = re.compile(
    r"\b([01]?\d|2[0-3])[:.]([0-5]\d)(?::00)?\s*(?:h\s*)?\(?\s*(?:CET|CEST|Brussels)", re.I
)


def normalise_call(raw: RawCall, *, now: datetime) -> CallIn:
    """Normalise one parsed call; problems become warnings, never exceptions."""
    warnings = list(raw.warnings)
    summary_html = sanitise_html(raw.summary_html)
    summary_text = html_to_text(raw.summary_html) if raw.summary_html else _clean(raw.summary_text)
    conditions_text = html_to_text(raw.conditions_html)
    deadlines = _deadlines(raw, conditions_text, warnings)
    opens_at = raw.opens_at or _opening(raw.opens_text, warnings)
    programme = raw.programme or programme_for(raw.programme_code, raw.identifier)[1]
    values = {
        **raw.model_dump(
            exclude={
                "deadlines",
                "deadline_text",
                "warnings",
                "opens_text",
                "status_hint",
                "org_types_listed",
            }
        ),
        "title": " ".join(raw.title.split()),
        "summary_html": summary_html,
        "summary_text": summary_text,
        "conditions_html": sanitise_html(raw.conditions_html),
        "conditions_text": conditions_text,
        "programme": programme,
        "funding_type": raw.funding_type.value if raw.funding_type else None,
        "deadline_model": raw.deadline_model.value if raw.deadline_model else None,
        "status_hint": raw.status_hint.value if raw.status_hint else None,
        "deadlines": deadlines,
        "next_deadline_at": next_deadline_from(deadlines, now),
        "final_deadline_at": max((d.at for d in deadlines), default=None),
        "opens_at": opens_at,
        "status": derive_status(raw.model_copy(update={"opens_at": opens_at}), deadlines, now).value,
    }
    if not deadlines and (unread := _unread_deadline_text(raw)):
        # Kept so that the call can say "deadline unknown" next to the source's own words.
        values["extra"] = {**values["extra"], "deadline_text": unread}
        if not any("deadline" in warning for warning in warnings):
            warnings.append(f"no deadline could be read in {unread[:120]!r}; shown as deadline unknown")
    values.update(_budget(raw, warnings))
    values.update(_eligibility(raw, conditions_text, summary_text))
    values["warnings"] = sorted(set(warnings))
    values["text_problems"] = text_problems(values)
    return CallIn(**values)


def derive_status(raw: RawCall, deadlines: Sequence[DeadlineIn], now: datetime) -> CallStatus:
    """Status from dates; the source's own status only where dates can't tell.

    The portal's status lags (topics stay "open" for months after their
    deadline), so a passed final deadline always means closed.
    """
    return status_from_dates(raw.status_hint, raw.opens_at, raw.deadline_model, deadlines, now)


def status_from_dates(
    hint: CallStatus | None, opens_at: datetime | None, deadline_model: DeadlineModel | None,
    deadlines: Sequence[Any], now: datetime,
) -> CallStatus:  # fmt: skip
    """`derive_status` from the values it reads, which a stored call keeps too (`clock_fields`)."""
    if deadlines:
        if max(d.at for d in deadlines) < now:
            return CallStatus.CLOSED
        if opens_at is not None:
            return CallStatus.FORTHCOMING if opens_at > now else CallStatus.OPEN
        return CallStatus.FORTHCOMING if hint == CallStatus.FORTHCOMING else CallStatus.OPEN
    if deadline_model == DeadlineModel.PERMANENT and hint != CallStatus.CLOSED:
        return CallStatus.OPEN
    return hint or CallStatus.UNKNOWN


def next_deadline_from(deadlines: Sequence[Any], now: datetime) -> datetime | None:
    """The earliest stage still ahead at `now` and not closed (`next_deadline_at`)."""
    future = [d.at for d in deadlines if d.at >= now and not d.closed]
    return min(future) if future else None


def clock_fields(call: Any, deadlines: Sequence[Any], now: datetime) -> tuple[str, datetime | None]:
    """(status, next_deadline_at) of a stored call at `now`, by the rules `normalise_call` applies.

    These are the only values of a call that move with the clock (everything else is a function
    of the source's record), so a record whose `raw_digest` is unchanged is re-read through this.
    """
    hint = CallStatus(call.status_hint) if call.status_hint else None
    model = DeadlineModel(call.deadline_model) if call.deadline_model else None
    status = status_from_dates(hint, call.opens_at, model, deadlines, now)
    return status.value, next_deadline_from(deadlines, now)


def raw_digest(raw: RawCall) -> str:
    """A stable digest of a source's record and of the normaliser that reads it (`NORMALISER_VERSION`)."""
    payload = f"{NORMALISER_VERSION}\n".encode() + raw.model_dump_json().encode()
    return hashlib.sha256(payload).hexdigest()


def _deadlines(raw: RawCall, conditions_text: str | None, warnings: list[str]) -> list[DeadlineIn]:
    cutoff = _cutoff_time(conditions_text)
    found: dict[tuple[datetime, str | None], DeadlineIn] = {}
    for item in raw.deadlines:
        for deadline in _from_raw(item, cutoff, warnings):
            found.setdefault((deadline.at, deadline.label), deadline)
    if raw.deadline_text:
        extraction = extract_deadlines(raw.deadline_text)
        warnings.extend(extraction.warnings)
        for hit in extraction.deadlines:
            deadline = DeadlineIn(
                at=hit.at, label=hit.label, text=hit.text, date_only=hit.date_only,
                tentative=hit.tentative, closed=hit.closed,
            )  # fmt: skip
            found.setdefault((deadline.at, deadline.label), deadline)
    return sorted(found.values(), key=lambda d: (d.at, d.label or ""))


def _from_raw(item: RawDeadline, cutoff: time, warnings: list[str]) -> list[DeadlineIn]:
    flags = {"label": item.label, "tentative": item.tentative}
    if item.at is not None:
        if not item.date_only:
            # The instant as published (cascade cut-offs, tenders, stated times): kept exactly.
            published = item.published_at if item.published_at != item.at else None
            return [DeadlineIn(at=item.at, text=item.text, published_at=published, **flags)]
        # formats.md §1.4, portal topics only: the time of day is unreliable; the
        # Brussels calendar date is right, and the cut-off is 17:00 Brussels unless
        # the conditions state one. The rule moves the instant, so the published
        # one is kept beside it (the invariant: never later than published unless
        # a documented rule says so, and then both are stored).
        day = item.at.astimezone(BRUSSELS).date()
        at = brussels_cutoff(day, cutoff)
        published = item.published_at or item.at
        return [
            DeadlineIn(
                at=at,
                text=item.text,
                date_only=True,
                published_at=published if published != at else None,
                **flags,
            )  # fmt: skip
        ]
    extraction = extract_deadlines(item.text)
    warnings.extend(extraction.warnings)
    if not extraction.deadlines and not extraction.warnings:
        warnings.append(f"could not read a deadline in {item.text!r}")
    return [
        DeadlineIn(
            at=hit.at,
            text=hit.text,
            date_only=hit.date_only,
            closed=hit.closed,
            label=item.label or hit.label,
            tentative=item.tentative or hit.tentative,
        )  # fmt: skip
        for hit in extraction.deadlines
    ]


def _unread_deadline_text(raw: RawCall) -> str | None:
    """The deadline wording of a call of which no deadline could be read, at most 500 characters."""
    texts = [item.text for item in raw.deadlines if item.at is None] + [raw.deadline_text or ""]
    text = "\n".join(t.strip() for t in texts if t and t.strip())
    return text[:500] or None


def _opening(text: str | None, warnings: list[str]) -> datetime | None:
    """An opening date written in words: the start of that day in Brussels."""
    if not text or not text.strip():
        return None
    day = parse_date_words(text)
    if day is None:
        warnings.append(f"could not read an opening date in {text.strip()[:120]!r}")
        return None
    return brussels_cutoff(day, time(0, 0))


def _cutoff_time(conditions_text: str | None) -> time:
    match = _CUTOFF_IN_TEXT.search(conditions_text or "")
    return time(int(match.group(1)), int(match.group(2))) if match else time(17, 0)


def _budget(raw: RawCall, warnings: list[str]) -> dict[str, object]:
    values: dict[str, object] = {
        "budget_total": _cents(raw.budget_total),
        "contribution_min": _cents(raw.contribution_min),
        "contribution_max": _cents(raw.contribution_max),
        "budget_currency": raw.budget_currency,
    }
    if raw.budget_total is None and raw.budget_text:
        # The call's total and one project's grant are stored apart ("6 milioni di euro … massimo
        # per ciascuna pari a 500.000 euro"); an unreadable text stores nothing and warns.
        reading = read_budget(raw.budget_text)
        warnings.extend(reading.warnings)
        if reading.currency is not None:
            values["budget_total"] = _cents(reading.total)
            values["budget_currency"] = reading.currency
            if raw.contribution_min is None and raw.contribution_max is None:
                values["contribution_min"] = _cents(reading.minimum)
                values["contribution_max"] = _cents(reading.maximum)
    return values


def _eligibility(raw: RawCall, conditions_text: str | None, summary_text: str | None) -> dict[str, object]:
    # The conditions (5-54 kB on the portal) are folded once for every reader of them (issue #18).
    folded = (
        fold(conditions_text) if conditions_text and not (raw.countries_text and raw.org_types_text) else None
    )
    country_text = raw.countries_text or conditions_text or ""
    from_conditions = None if raw.countries_text else folded
    countries = extract_countries(country_text, folded=from_conditions) if country_text else None
    if countries is None or not countries.codes:
        countries = programme_default_countries(raw.identifier, country_text, raw.programme) or countries
    org_text = raw.org_types_text or conditions_text or ""
    found = extract_org_types(org_text, folded=None if raw.org_types_text else folded) if org_text else []
    org_types = sorted(set(raw.org_types) | set(found))
    topic_text = " \n".join(filter(None, [raw.title, " ".join(raw.keywords), summary_text]))
    listed = raw.org_types_listed and bool(raw.org_types_text)
    return {
        "countries": sorted(set(raw.countries) | set(countries.codes if countries else [])),
        "country_groups": countries.groups if countries else [],
        "countries_text": raw.countries_text or (countries.text if countries and countries.codes else None),
        "org_types": org_types,
        # Types found in prose are only mentioned; exclusive wording or a source's list makes them the rule.
        "org_types_exclusive": org_types_exclusive(org_types, org_text, listed=listed),
        "ecosystems": sorted(set(raw.ecosystems) | set(extract_ecosystems(topic_text))),
    }


def _cents(value: Decimal | None) -> Decimal | None:
    return value.quantize(_CENT) if value is not None else None


def _clean(text: str | None) -> str | None:
    return text.strip() or None if text else None
