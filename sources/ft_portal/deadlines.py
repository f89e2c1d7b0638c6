"""Deadlines of SEDIA records by record type: which instant the portal published.

Owns reading `deadlineDate` per record type (formats.md §1.2, §1.4):
- call topics (type 1) and external-action calls (type 2): every value is a
  date-only stage; normalisation applies the documented 17:00 Brussels rule
  and keeps the published instant beside it;
- cascade calls (type 8): the cut-off instants their organisers published,
  kept exactly (03:59Z, 07:59Z, 17:00:04Z are seen in
  `sedia_type8_cascade_2records_METU_UMX.json`; moving them to 17:00 Brussels
  stored them up to 15 hours after the call had closed);
- tenders (type 0): the lots' own end of the reception period with its
  offset, else `deadlineDate` read as wall time in the tender's `cftTimezone`.

Must not: do I/O or apply the Brussels rule itself (that is
`monitor.normalise.call`); an unreadable value becomes a warning, never a guess.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.model.raw import RawDeadline
from monitor.model.vocab import DeadlineModel
from monitor.normalise.dates import parse_iso_offset
from sources.ft_portal.metadata import first, values
from sources.ft_portal.tenders import lots as tender_lots

_STAGE_LABELS = {DeadlineModel.TWO_STAGE: "Stage {}", DeadlineModel.MULTIPLE_CUTOFF: "Cut-off {}"}
# The record types whose deadlines follow the portal's documented 17:00 Brussels convention.
PORTAL_TOPIC_TYPES = frozenset({"1", "2"})
# eForms periods of a lot that close submissions: tenders, or requests to participate (restricted).
_LOT_PERIODS = ("tenderSubmissionDeadlinePeriod", "participationRequestReceptionPeriod")


def parse_instant(text: str | None) -> datetime | None:
    """An ISO date-time with offset ("2024-04-18T19:00:00.000+0200"), or None."""
    if not text:
        return None
    try:
        return parse_iso_offset(text)
    except (ValueError, TypeError):
        return None


def parse_deadlines(
    raw: list[Any], model: DeadlineModel | None, warnings: list[str], *, date_only: bool = True
) -> list[RawDeadline]:
    """One RawDeadline per distinct `deadlineDate` instant, sorted, labelled by stage.

    `date_only` marks the portal-topic convention (the time of day is not
    trusted); without it the instant is the published one, kept exactly.
    """
    found: dict[datetime, str] = {}
    for value in raw:
        text = "" if value is None else str(value).strip()
        at = parse_instant(text)
        if at is None:
            if text:
                warnings.append(f"deadlineDate {text!r} is not an ISO date-time; skipped")
            continue
        found.setdefault(at, text)
    ordered = sorted(found.items())
    label = _STAGE_LABELS.get(model) if model else None
    return [
        RawDeadline(at=at, text=text, date_only=date_only, label=label.format(number) if label else None)
        for number, (at, text) in enumerate(ordered, start=1)
    ]


def record_deadlines(metadata: dict[str, Any], model: DeadlineModel | None, warnings: list[str]) -> list:
    """The deadline stages of one record, by its type (see the module docstring)."""
    type_code = first(metadata, "type")
    raw = values(metadata, "deadlineDate")
    if type_code == "0":
        return tender_deadlines(metadata, warnings)
    # Unknown types are kept exactly too: the 17:00 rule is documented for topics only. A row
    # without a type is a topic row trimmed of keys (the MSCA multilang sample keeps 6 keys).
    topic = type_code in PORTAL_TOPIC_TYPES or type_code is None
    return parse_deadlines(raw, model, warnings, date_only=topic)


def tender_zone(metadata: dict[str, Any], warnings: list[str]) -> ZoneInfo | None:
    """The tender's own time zone (`cftTimezone`, e.g. "Europe/Skopje"), or None with a warning."""
    name = first(metadata, "cftTimezone")
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        warnings.append(f"unknown tender time zone cftTimezone {name!r}")
        return None


def tender_deadlines(metadata: dict[str, Any], warnings: list[str]) -> list[RawDeadline]:
    """A tender's deadlines: its lots' own end instants, else `deadlineDate` in the tender's zone.

    Evidence (sedia_type0_tenders_PIN_and_CN_2of35_apiv2.154.json, the `-CN`
    record): `deadlineDate` "2025-05-15T12:00:59.000+0000", `cftTimezone`
    "Europe/Skopje", the lot's `participationRequestReceptionPeriod`
    endDate "2025-05-15+02:00" endTime "12:00:59+02:00". The lot's value
    carries a real offset and is the published instant (10:00:59Z);
    `deadlineDate` is the same local wall time labelled UTC, so it is read as
    wall time in `cftTimezone` (which gives the same instant) when no lot
    states one. Lots closing at different instants are stages, labelled by lot.
    """
    lots = lot_deadlines(metadata, warnings)
    if lots:
        if len({at for at, _, _ in lots}) == 1:
            at, text, _ = lots[0]
            return [RawDeadline(at=at, text=text)]
        return [RawDeadline(at=at, text=text, label=label) for at, text, label in sorted(lots)]
    zone = tender_zone(metadata, warnings)
    found: list[RawDeadline] = []
    for text in dict.fromkeys(str(v).strip() for v in values(metadata, "deadlineDate") if v):
        labelled = parse_instant(text)
        if labelled is None:
            warnings.append(f"deadlineDate {text!r} is not an ISO date-time; skipped")
        elif zone is None or labelled.utcoffset():
            if zone is None:
                warnings.append(f"tender deadline {text!r} has no time zone (cftTimezone); kept as labelled")
            found.append(RawDeadline(at=labelled, text=text))
        else:
            wall = labelled.replace(tzinfo=None).replace(tzinfo=zone)
            local = f"{text} ({zone.key} local time)"
            found.append(RawDeadline(at=wall.astimezone(UTC), text=local, published_at=labelled))
    return sorted(found, key=lambda deadline: deadline.at or datetime.min)


def lot_deadlines(metadata: dict[str, Any], warnings: list[str]) -> list[tuple[datetime, str, str]]:
    """(instant, source text, lot label) for every lot period with an end date and time."""
    found: list[tuple[datetime, str, str]] = []
    for lot in tender_lots(metadata, warnings):
        process = lot.get("tenderingProcess")
        for name in _LOT_PERIODS:
            period = process.get(name) if isinstance(process, dict) else None
            # A period with a date and no time of day is not an instant: deadlineDate stands in.
            if isinstance(period, dict) and period.get("endDate") and period.get("endTime"):
                at = _lot_instant(str(period["endDate"]), str(period.get("endTime") or ""))
                text = f"{name}: {period['endDate']} {period.get('endTime') or ''}".strip()
                if at is None:
                    warnings.append(f"lot deadline {text!r} has no readable date and time with offset")
                else:
                    found.append((at, text, _lot_label(lot)))
    return found


def _lot_instant(end_date: str, end_time: str) -> datetime | None:
    """ "2025-05-15+02:00" + "12:00:59+02:00" -> 2025-05-15 12:00:59+02:00; None without a time."""
    try:
        day = date.fromisoformat(end_date[:10])
        clock = time.fromisoformat(end_time) if end_time else None
    except ValueError:
        return None
    if clock is None or clock.tzinfo is None:
        return None  # a date alone is not an instant: deadlineDate is used instead
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=clock.tzinfo).astimezone(UTC)


def _lot_label(lot: dict[str, Any]) -> str:
    project = lot.get("procurementProject") if isinstance(lot.get("procurementProject"), dict) else {}
    number = str(lot.get("procurementProjectLotID") or "").strip()
    name = " ".join(str(project.get("name") or "").split())
    return ": ".join(part for part in (number, name[:120]) if part) or "Lot"
