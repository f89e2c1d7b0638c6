"""Tenders (SEDIA type 0): notice kind, budget with its currency, buyer and time zone.

Owns what a tender record says beyond a call topic's fields (formats.md §1.3
"Tender (type 0) extras"): prior-information notice (`…-PIN`) or contract
notice (`…-CN`), the estimated contract amount with its own currency, the
lead contracting authority, the tender's time zone and the countries the
lots benefit.

Must not: do I/O or assume a currency: an amount without one keeps the
currency empty with a warning.
"""

from __future__ import annotations

import json
from typing import Any

from monitor.model.vocab import CallStatus
from sources.ft_portal.budget import to_decimal
from sources.ft_portal.metadata import decode_json, first, values

PRIOR_INFORMATION = "Prior information notice (no call for tenders yet)"
CONTRACT_NOTICE = "Call for tenders (contract notice)"


def is_prior_information(metadata: dict[str, Any]) -> bool:
    """A prior-information notice announces a tender: ids end "-PIN" (sample: fcc1ce26-…-PIN)."""
    ids = (first(metadata, "identifier"), first(metadata, "cftId"), first(metadata, "REFERENCE"))
    return any(str(value).upper().endswith("-PIN") for value in ids if value)


def notice_kind(metadata: dict[str, Any]) -> str:
    """What users see as the type of action of a tender."""
    return PRIOR_INFORMATION if is_prior_information(metadata) else CONTRACT_NOTICE


def tender_status(metadata: dict[str, Any], hint: CallStatus | None) -> CallStatus | None:
    """A PIN is "forthcoming" (no deadline yet) unless the portal already closed it."""
    if is_prior_information(metadata) and hint != CallStatus.CLOSED:
        return CallStatus.FORTHCOMING
    return hint


def tender_money(metadata: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """`cftEstimatedOverallContractAmount` + `cftEstimatedOverallContractCurrency` (the lots' as fallback)."""
    raw = first(metadata, "cftEstimatedOverallContractAmount")
    if raw is None:
        return {}
    amount = to_decimal(raw)
    currency = first(metadata, "cftEstimatedOverallContractCurrency") or _lot_currency(metadata, warnings)
    fields: dict[str, Any] = {
        "budget_total": amount,
        "budget_currency": currency.upper() if currency else None,
    }
    if amount is None:
        warnings.append(f"tender amount {raw!r} is not a plain number; kept as text")
        fields["budget_text"] = " ".join(filter(None, [raw, currency]))
    elif currency is None:
        warnings.append(f"tender amount {raw} has no currency; currency left empty")
    return fields


def lots(metadata: dict[str, Any], warnings: list[str]) -> list[dict[str, Any]]:
    """The lots of a tender: `lots` is a JSON string holding {"procurementProjectLots": [...]}."""
    decoded = decode_json(metadata, "lots", warnings)
    entries = decoded.get("procurementProjectLots") if isinstance(decoded, dict) else None
    return [lot for lot in entries if isinstance(lot, dict)] if isinstance(entries, list) else []


def _lot_currency(metadata: dict[str, Any], warnings: list[str]) -> str | None:
    for lot in lots(metadata, warnings):
        project = lot.get("procurementProject")
        total = project.get("requestedTenderTotal") if isinstance(project, dict) else None
        if isinstance(total, dict) and total.get("estimatedOverallContractAmountCurrencyId"):
            return str(total["estimatedOverallContractAmountCurrencyId"])
    return None


def contracting_authority(metadata: dict[str, Any]) -> str | None:
    """The lead authority's name from `cftLeadContractingAuthorityCode` (a list of JSON strings)."""
    for value in values(metadata, "cftLeadContractingAuthorityCode"):
        try:
            parties = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            continue
        for party in parties if isinstance(parties, list) else []:
            if isinstance(party, dict) and party.get("name") and party.get("isLeadAuthority", True):
                return " ".join(str(party["name"]).split())
    return None


def tender_extra(metadata: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Time zone (for display) and benefitting countries (where the work is done, not who may bid)."""
    extra: dict[str, Any] = {}
    zone = first(metadata, "cftTimezone")
    if zone:
        extra["time_zone"] = zone
    codes = [
        str(place["ccmCode"]).upper()
        for lot in lots(metadata, warnings)
        for place in lot.get("benefittingZones") or []
        if isinstance(place, dict) and place.get("ccmType") == "Country" and place.get("ccmCode")
    ]
    if codes:
        # Seen: "benefittingZones" [{"ccmCode": "MK", "ccmType": "Country", "description": ...}].
        # The place of performance, not eligibility: kept apart so matching never excludes bidders by it.
        extra["benefitting_countries"] = sorted(set(codes))
    return extra
