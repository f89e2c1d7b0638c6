"""Calls as plain dicts for JSON output (CLI `--json`, the web API).

Pure: takes rows already loaded, returns JSON-ready values. Every instant
is given in UTC and as Brussels wall-clock time, with the source's wording.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from db.schemas import DeadlineIn
from monitor.normalise.dates import BRUSSELS
from monitor.reconcile import LogicalCall


def call_summary(call: LogicalCall) -> dict[str, Any]:
    """What a user wants to see of one call, with every source that lists it."""
    return {
        "id": call.id,
        "source": call.source_id,
        "key": call.key,
        "sources": [_member(member) for member in call.members],
        "provenance": call.provenance,
        "conflicts": [{"field": c.field, "message": c.message, "values": c.values} for c in call.conflicts],
        "identifier": call.identifier,
        "title": call.title,
        "url": call.url,
        "status": call.status,
        "status_from_source": call.status_hint,
        "programme": call.programme,
        "funding_type": call.funding_type,
        "type_of_action": call.type_of_action,
        "parent": {"identifier": call.parent_identifier, "title": call.parent_title, "project": call.project},
        "opens_at": _instant(call.opens_at),
        "deadline_model": call.deadline_model,
        "next_deadline": _instant(call.next_deadline_at),
        "final_deadline": _instant(call.final_deadline_at),
        "deadlines": [_deadline(d) for d in call.deadlines],
        "budget": {
            "total": _number(call.budget_total),
            "currency": call.budget_currency,
            "per_project_min": _number(call.contribution_min),
            "per_project_max": _number(call.contribution_max),
            "expected_grants": call.expected_grants,
            "wording": call.budget_text,
        },
        "eligibility": {
            "countries": call.countries,
            "country_groups": call.country_groups,
            "countries_wording": call.countries_text,
            "organisation_types": call.org_types,
            "sme_relevant": call.sme_relevant,
        },
        "ecosystems": call.ecosystems,
        "keywords": call.keywords,
        "summary": (call.summary_text or "")[:600] or None,
        "listed": call.listed,
        "first_seen": _instant(call.first_seen_at),
        "last_changed": _instant(call.last_changed_at),
        "warnings": call.warnings,
    }


def _member(member: Any) -> dict[str, Any]:
    return {
        "source": member.call.source_id,
        "record_id": member.call.id,
        "key": member.call.key,
        "url": member.call.url,
        "title": member.call.title,
        "deadlines": [_instant(d.at) for d in member.deadlines],
    }


def _deadline(deadline: DeadlineIn) -> dict[str, Any]:
    return {
        "label": deadline.label,
        "at_utc": _instant(deadline.at),
        "at_brussels": deadline.at.astimezone(BRUSSELS).isoformat(),
        "wording": deadline.text,
        "time_assumed": deadline.date_only,
        "tentative": deadline.tentative,
        "closed": deadline.closed,
    }


def _instant(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
