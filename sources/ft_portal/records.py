"""SEDIA search records -> RawCall: the pure half of the `ft-portal` source kind.

Owns reading one F&T portal search-result record (formats.md §1.3) in both
generations of shapes: the call's key (links: `sources.ft_portal.links`), titles and texts,
codes (type, status, deadline model), keywords and extras. Metadata values
are read through `sources.ft_portal.metadata`, budgets through
`sources.ft_portal.budget`, deadlines through `sources.ft_portal.deadlines`
and a tender's own fields through `sources.ft_portal.tenders`.

Must not: do I/O, normalise deadlines (the Brussels 17:00 rule lives in
`monitor.normalise`), sanitise HTML or derive status from dates. Values are
kept as the portal gave them; whatever cannot be read becomes a warning on
the call, never a guess.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from monitor.model.raw import RawCall
from monitor.model.vocab import CallStatus, DeadlineModel, FundingType
from monitor.normalise.programmes import programme_for
from sources.ft_portal import tenders
from sources.ft_portal.budget import money_fields
from sources.ft_portal.deadlines import parse_instant, record_deadlines
from sources.ft_portal.links import call_links
from sources.ft_portal.metadata import decode_json, first, values

logger = logging.getLogger(__name__)

STATUS_HINTS = {
    "31094501": CallStatus.FORTHCOMING,
    "31094502": CallStatus.OPEN,
    "31094503": CallStatus.CLOSED,
}
FUNDING_TYPES = {
    "0": FundingType.TENDER,
    "1": FundingType.GRANT,
    "2": FundingType.GRANT,  # EuropeAid/PROSPECT calls for proposals
    "8": FundingType.CASCADE,
}
# actions[].submissionProcedure.id; the id for multiple cut-off is not known (formats.md §1.2).
SUBMISSION_PROCEDURES = {"31094504": DeadlineModel.SINGLE_STAGE, "31094505": DeadlineModel.TWO_STAGE}
_CASCADE_REFERENCE = re.compile(r"^(\d+)COMPETITIVE_CALL")

# --------------------------------------------------------------------------- identity


def record_key(record: dict[str, Any]) -> str | None:
    """One key per call: the topic identifier, or for cascades (type 8) the competitive-call id.

    Cascade calls share their parent topic's identifier (20 sub-calls under one
    id seen), so their key is `callccm2Id`, else the number in `reference`
    ("14703COMPETITIVE_CALLen" -> "14703"), else the whole reference.
    """
    metadata = record["metadata"]
    if first(metadata, "type") != "8":
        return first(metadata, "identifier")
    call_id = first(metadata, "callccm2Id")
    if call_id:
        return call_id
    reference = str(record.get("reference") or first(metadata, "REFERENCE") or "").strip()
    match = _CASCADE_REFERENCE.match(reference)
    return match.group(1) if match else (reference or None)


# --------------------------------------------------------------------------- codes


def funding_type(type_code: str | None, warnings: list[str]) -> FundingType | None:
    """GRANT for topics and prospects, CASCADE, TENDER; OTHER plus a warning for unknown codes."""
    return _code(FUNDING_TYPES, type_code, "record type", FundingType.OTHER, warnings)


def status_hint(status_code: str | None, warnings: list[str]) -> CallStatus | None:
    """The portal's status code as a hint; UNKNOWN plus a warning for codes we don't know."""
    return _code(STATUS_HINTS, status_code, "status code", CallStatus.UNKNOWN, warnings)


def _code(table: dict[str, Any], code: str | None, what: str, unknown: Any, warnings: list[str]) -> Any:
    if code is None or code in table:
        return None if code is None else table[code]
    warnings.append(f"unknown {what} {code!r}; set to {unknown}")
    logger.warning("F&T portal: unknown %s %r", what, code)
    return unknown


def deadline_model(metadata: dict[str, Any], actions: Any, warnings: list[str]) -> DeadlineModel | None:
    """From `deadlineModel`, else from the actions' submissionProcedure id."""
    text = first(metadata, "deadlineModel")
    if text:
        try:
            return DeadlineModel(" ".join(text.lower().split()))
        except ValueError:
            warnings.append(f"unknown deadlineModel {text!r}")
            return DeadlineModel.UNKNOWN
    for action in actions if isinstance(actions, list) else []:
        procedure = action.get("submissionProcedure") if isinstance(action, dict) else None
        if isinstance(procedure, dict) and str(procedure.get("id")) in SUBMISSION_PROCEDURES:
            return SUBMISSION_PROCEDURES[str(procedure.get("id"))]
    return None


def type_of_action(metadata: dict[str, Any]) -> str | None:
    """typesOfAction with the portal's double spaces collapsed ("HORIZON  Research..." -> one space)."""
    names = [" ".join(str(value).split()) for value in values(metadata, "typesOfAction") if value]
    unique = list(dict.fromkeys(name for name in names if name))
    return "; ".join(unique) or None


# --------------------------------------------------------------------------- text fields


def parse_keywords(metadata: dict[str, Any], drop: set[str], warnings: list[str]) -> list[str]:
    """Keywords in both shapes: old `["[\\"a\\",\\"b\\"]"]` (one JSON string) and new plain lists.

    New records start the list with the topic and call identifiers: `drop` them.
    """
    keywords: list[str] = []
    for value in values(metadata, "keywords"):
        items: list[Any] = [value]
        if isinstance(value, str) and value.lstrip().startswith("["):
            try:
                decoded = json.loads(value)
            except ValueError:
                warnings.append("keywords is not valid JSON; left empty")
                continue
            items = decoded if isinstance(decoded, list) else [decoded]
        for item in items:
            text = "" if item is None else str(item).strip()
            if text and text.upper() not in drop and text not in keywords:
                keywords.append(text)
    return keywords


def sme_relevant(metadata: dict[str, Any], keywords: list[str]) -> bool | None:
    """True on an `sme` flag or an "SME" cross-cutting priority/keyword; None when unknown."""
    if any(value is True or str(value).strip().lower() == "true" for value in values(metadata, "sme")):
        return True
    tags = [*values(metadata, "crossCuttingPriorities"), *keywords]
    return True if any(str(tag).strip().upper() in {"SME", "SMES"} for tag in tags) else None


def _texts(record: dict[str, Any], key: str) -> dict[str, Any]:
    """Title, parent title, description and conditions; cascades keep theirs in other keys.

    Both condition fields are prose written per topic or per cascade project (formats.md §1.2, §1.3),
    not a list of eligible types: a type they name is only mentioned unless their wording excludes
    others. The `sme` flag says a call is relevant for SMEs, not reserved to them.
    """
    metadata = record["metadata"]
    content = record.get("content") if isinstance(record.get("content"), str) else None
    summary = record.get("summary") if isinstance(record.get("summary"), str) else None
    if first(metadata, "type") == "8":
        # A cascade's `title` may be its parent topic's title (formats.md §1.3).
        title = first(metadata, "callTitle") or first(metadata, "caName") or (content or "").strip()
        return {
            "title": title or first(metadata, "title") or key,
            "parent_title": first(metadata, "title"),
            "summary_html": first(metadata, "description") or first(metadata, "descriptionByte"),
            "conditions_html": first(metadata, "beneficiaryAdministration"),
        }
    title = first(metadata, "title") or (summary or "").strip() or (content or "").strip()
    return {
        "title": title or key,
        "parent_title": first(metadata, "callTitle"),
        "summary_html": first(metadata, "descriptionByte"),
        "conditions_html": first(metadata, "topicConditions"),
    }


def extra_fields(record: dict[str, Any]) -> dict[str, Any]:
    """Small portal scalars worth keeping (codes, ids), plus the cross-cutting priorities."""
    metadata = record["metadata"]
    found = {
        "status_code": first(metadata, "status"),
        "sort_status": first(metadata, "sortStatus"),
        "type_code": first(metadata, "type"),
        "type_of_mga": first(metadata, "typeOfMGAs"),
        "destination": first(metadata, "destination"),
        "call_identifier": first(metadata, "callIdentifier"),
        "callccm2id": first(metadata, "callccm2Id"),
        "reference": str(record.get("reference") or first(metadata, "REFERENCE") or "") or None,
        "datasource": first(metadata, "DATASOURCE") or first(metadata, "datasource"),
        "api_version": str(record["apiVersion"]) if record.get("apiVersion") else None,
    }
    extra: dict[str, Any] = {name: value for name, value in found.items() if value is not None}
    priorities = [str(value).strip() for value in values(metadata, "crossCuttingPriorities") if value]
    if priorities:
        extra["cross_cutting_priorities"] = priorities
    return extra


# --------------------------------------------------------------------------- the record


def record_to_call(record: dict[str, Any]) -> RawCall:
    """Map one search record (dict with a `metadata` dict) to a RawCall; problems become warnings."""
    metadata = record["metadata"]
    key = record_key(record)
    if not key:
        raise ValueError("record has no identifier")
    warnings: list[str] = []
    identifier = first(metadata, "identifier")
    model = deadline_model(metadata, decode_json(metadata, "actions", warnings), warnings)
    extra = extra_fields(record)
    drop = {value.upper() for value in (identifier, first(metadata, "callIdentifier")) if value}
    keywords = parse_keywords(metadata, drop, warnings)
    code = first(metadata, "frameworkProgramme")
    start = first(metadata, "startDate")
    fields: dict[str, Any] = {
        **_identity(record, key, extra),
        **_texts(record, key),
        **money_fields(metadata, extra, warnings),
        "language": str(record.get("language") or first(metadata, "language") or "") or None,
        "programme_code": code,
        # H2020 topic ids carry no programme prefix ("SC1-PHE-..."); their call ids do ("H2020-SC1-...").
        "programme": programme_for(code, identifier)[1]
        or programme_for(None, first(metadata, "callIdentifier"))[1],
        "type_of_action": type_of_action(metadata),
        "funding_type": funding_type(first(metadata, "type"), warnings),
        "status_hint": status_hint(first(metadata, "status"), warnings),
        "deadline_model": model,
        "opens_at": parse_instant(start),
        "opens_text": start if start and parse_instant(start) is None else None,
        "published_at": parse_instant(first(metadata, "es_SortDate")),
        "deadlines": record_deadlines(metadata, model, warnings),
        "keywords": keywords,
        "sme_relevant": sme_relevant(metadata, keywords),
    }
    if first(metadata, "type") == "0":
        fields.update(_tender_fields(metadata, fields, extra, warnings))
    return RawCall(**fields, extra=extra, warnings=warnings)


def _tender_fields(
    metadata: dict[str, Any], fields: dict[str, Any], extra: dict[str, Any], warnings: list[str]
) -> dict[str, Any]:
    """A tender's own budget, notice kind, status, buyer and time zone (sources.ft_portal.tenders)."""
    extra.update(tenders.tender_extra(metadata, warnings))
    return {
        **tenders.tender_money(metadata, warnings),
        "type_of_action": fields["type_of_action"] or tenders.notice_kind(metadata),
        "status_hint": tenders.tender_status(metadata, fields["status_hint"]),
        "organisation": tenders.contracting_authority(metadata),
    }


def _identity(record: dict[str, Any], key: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Key and links; a cascade's `identifier` is its parent topic, so the call id stands in."""
    metadata = record["metadata"]
    identifier = first(metadata, "identifier")
    cascade = first(metadata, "type") == "8"
    url, links = call_links(record, key)
    if links:
        extra["links"] = links
    return {
        "key": key,
        "url": url,
        "identifier": key if cascade else identifier,
        "parent_identifier": identifier if cascade else first(metadata, "callIdentifier"),
    }
