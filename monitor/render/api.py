"""Calls as plain values for machines: JSON for the CLI's `--json` and the web API.

Owns the dicts a call and its history become (`call_summary`, `change_summary`) and the API's
response models, the OpenAPI description of those dicts (`*Public`). Every instant is given in
UTC and as Brussels wall-clock time, with the source's wording.
Must not: load anything (rows come in already loaded), or word a fact itself: the sentence of a
change is `monitor.render.words`'s; CSV rows are `monitor.render.csv`'s.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from monitor.model.call import DeadlineIn
from monitor.model.view import Conflict, LogicalCall, days_left, next_deadline, status_at
from monitor.model.zones import BRUSSELS
from monitor.render.words import conflict_message, conflict_values, describe_change, unknown_deadline


def call_summary(
    call: LogicalCall, *, now: datetime | None = None, page_url: str | None = None
) -> dict[str, Any]:
    """What a user wants to see of one call, with every source that lists it.

    With `now`, the status, next deadline and days left are those at `now` (a stored status
    dates from the last poll); `page_url` adds the link to the call's web page.
    """
    at = next_deadline(call, now) if now else call.next_deadline_at
    summary = {
        **_identity(call),
        "status": status_at(call, now) if now else call.status,
        "status_from_source": call.status_hint,
        "programme": call.programme,
        "funding_type": call.funding_type,
        "type_of_action": call.type_of_action,
        "parent": {"identifier": call.parent_identifier, "title": call.parent_title, "project": call.project},
        "opens_at": instant(call.opens_at),
        "deadline_model": call.deadline_model,
        "next_deadline": instant(at),
        "deadline_unknown": unknown.line() if (unknown := unknown_deadline(call)) else None,
        "final_deadline": instant(call.final_deadline_at),
        "deadlines": [_deadline(d) for d in call.deadlines],
        "budget": _budget(call),
        "eligibility": _eligibility(call),
        "ecosystems": call.ecosystems,
        "keywords": call.keywords,
        "summary": (call.summary_text or "")[:600] or None,
        "listed": call.listed,
        "first_seen": instant(call.first_seen_at),
        "last_changed": instant(call.last_changed_at),
        "warnings": call.warnings,
    }
    if now is not None:
        summary["days_left"] = days_left(call, now)
    if page_url is not None:
        summary["page_url"] = page_url
    return summary


def _identity(call: LogicalCall) -> dict[str, Any]:
    """Which call this is and where its fields come from."""
    return {
        "id": call.id,
        "source": call.source_id,
        "key": call.key,
        "sources": [_member(member) for member in call.members],
        "provenance": call.provenance,
        "conflicts": [_conflict(c) for c in call.conflicts],
        "identifier": call.identifier,
        "title": call.title,
        "url": call.url,
    }


def _budget(call: LogicalCall) -> dict[str, Any]:
    return {
        "total": number(call.budget_total),
        "currency": call.budget_currency,
        "per_project_min": number(call.contribution_min),
        "per_project_max": number(call.contribution_max),
        "expected_grants": call.expected_grants,
        "wording": call.budget_text,
    }


def _eligibility(call: LogicalCall) -> dict[str, Any]:
    return {
        "countries": call.countries,
        "country_groups": call.country_groups,
        "countries_wording": call.countries_text,
        "organisation_types": call.org_types,
        "organisation_types_wording": call.org_types_text,
        "sme_relevant": call.sme_relevant,
    }


def change_summary(change: Any, *, source: str, currency: str | None) -> dict[str, Any]:
    """One history line (`db.models.CallChange`) with the sentence e-mails use for it."""
    return {
        "at": instant(change.at),
        "source": source,
        "record_id": change.call_id,
        "field": change.field,
        "kind": change.kind,
        "old": change.old_value,
        "new": change.new_value,
        "description": describe_change(
            change.field, change.kind, change.old_value, change.new_value, currency=currency
        ),
    }


def _member(member: Any) -> dict[str, Any]:
    return {
        "source": member.call.source_id,
        "record_id": member.call.id,
        "key": member.call.key,
        "url": member.call.url,
        "title": member.call.title,
        "deadlines": [instant(d.at) for d in member.deadlines],
    }


def _deadline(deadline: DeadlineIn) -> dict[str, Any]:
    return {
        "label": deadline.label,
        "at_utc": instant(deadline.at),
        "at_brussels": brussels_iso(deadline.at),
        "wording": deadline.text,
        "time_assumed": deadline.date_only,
        "tentative": deadline.tentative,
        "closed": deadline.closed,
    }


def brussels_iso(value: datetime | None) -> str | None:
    """The same instant as Brussels wall-clock time, ISO 8601 with its offset."""
    return value.astimezone(BRUSSELS).isoformat() if value else None


def instant(value: datetime | None) -> str | None:
    """An ISO 8601 instant in UTC, 'Z' for the offset."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def number(value: Decimal | None) -> float | int | None:
    """An amount as JSON carries it: an integer when it is whole."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


# --------------------------------------------------------------------------- API response models


class DeadlinePublic(BaseModel):
    label: str | None = Field(description="Stage or cut-off name, e.g. 'Stage 1'")
    at_utc: str = Field(description="ISO 8601 instant in UTC")
    at_brussels: str = Field(description="The same instant as Brussels wall-clock time, with offset")
    wording: str = Field(description="The source's own wording of this deadline")
    time_assumed: bool = Field(description="The source gave a date only; 17:00 Brussels is assumed")
    tentative: bool
    closed: bool = Field(description="The source marks this stage or cut-off as closed")


class SourceRecordPublic(BaseModel):
    source: str
    record_id: int
    key: str
    url: str | None
    title: str
    deadlines: list[str | None] = Field(description="The deadlines this source gives (UTC)")


class ConflictPublic(BaseModel):
    field: str
    message: str
    values: dict[str, str] = Field(description="Source id -> what it says")


class ParentPublic(BaseModel):
    identifier: str | None
    title: str | None
    project: str | None


class BudgetPublic(BaseModel):
    total: int | float | None
    currency: str | None
    per_project_min: int | float | None
    per_project_max: int | float | None
    expected_grants: int | None
    wording: str | None = Field(description="The source's own budget wording")


class EligibilityPublic(BaseModel):
    countries: list[str] = Field(description="ISO 3166 alpha-2 codes; empty when the call does not say")
    country_groups: list[str]
    countries_wording: str | None
    organisation_types: list[str]
    organisation_types_wording: str | None
    sme_relevant: bool | None


class CallPublic(BaseModel):
    """One call as users see it: merged across the sources that list it."""

    id: int = Field(description="The call's id (its most trusted source's record)")
    source: str
    key: str
    sources: list[SourceRecordPublic]
    provenance: dict[str, str] = Field(description="Field -> the source id it was taken from")
    conflicts: list[ConflictPublic]
    identifier: str | None
    title: str
    url: str | None
    status: str = Field(description="open, forthcoming, closed or unknown, as of the request")
    status_from_source: str | None
    programme: str | None
    funding_type: str | None
    type_of_action: str | None
    parent: ParentPublic
    opens_at: str | None
    deadline_model: str | None
    next_deadline: str | None = Field(description="The next deadline still ahead (UTC)")
    deadline_unknown: str | None = Field(
        None, description="'deadline unknown — see call page' + source words"
    )
    final_deadline: str | None
    deadlines: list[DeadlinePublic]
    budget: BudgetPublic
    eligibility: EligibilityPublic
    ecosystems: list[str]
    keywords: list[str]
    summary: str | None = Field(description="The first 600 characters of the description")
    listed: bool = Field(description="False when the source no longer lists the call")
    first_seen: str | None
    last_changed: str | None
    warnings: list[str]
    days_left: int | None = Field(default=None, description="Whole days to the next deadline")
    page_url: str | None = None
    not_stated: list[str] = Field(
        default_factory=list, description="Asked criteria the call does not state (`strict` names)"
    )


class ChangePublic(BaseModel):
    at: str
    source: str
    record_id: int
    field: str
    kind: str = Field(description="added, changed or removed")
    old: str | None
    new: str | None
    description: str


class CallDetailPublic(CallPublic):
    description: str | None = Field(description="The full description as plain text")
    changes: list[ChangePublic] = Field(description="Change history of every source's record, newest first")


class CallsPublic(BaseModel):
    total: int = Field(description="Calls matching the filters")
    page: int
    per_page: int
    calls: list[CallPublic]
    next: str | None = Field(description="URL of the next page, or null on the last one")


class SourcePublic(BaseModel):
    id: str
    name: str
    kind: str
    url: str
    enabled: bool
    interval_seconds: int
    last_run_at: datetime | None
    last_status: str | None
    last_success_at: datetime | None
    last_error: str | None
    consecutive_failures: int
    alert_after_failures: int
    failing: bool = Field(description="consecutive_failures has reached alert_after_failures")
    listed_calls: int


def _conflict(conflict: Conflict) -> dict[str, Any]:
    return {
        "field": conflict.field,
        "message": conflict_message(conflict),
        "values": conflict_values(conflict),
    }
