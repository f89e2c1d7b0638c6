"""Budgets of SEDIA records: the pure money half of `sources.ft_portal.records`.

Owns: this topic's share of a call-wide budgetOverview (the entries whose
action names this topic, summed over budgetYearMap, with min/max
contribution and expected grants, and whether a budget line is shared with
other topics), a cascade call's own budget and project, and reading plain
numbers.

Must not: do I/O or guess: an amount that is not a plain number leaves the
field empty (a cascade's is kept as text), with a warning.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sources.ft_portal.metadata import decode_json, first

_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def to_decimal(value: Any) -> Decimal | None:
    """A number or plain numeric string as Decimal; None for anything else ("n/a", true, "1,5")."""
    text = "" if isinstance(value, bool) or value is None else str(value).strip()
    return Decimal(text) if _PLAIN_NUMBER.match(text) else None


def budget_entries(overview: Any, identifier: str | None) -> tuple[list[dict[str, Any]], bool]:
    """budgetOverview entries of THIS topic, and whether a budget line is shared with other topics.

    The overview covers the whole call; an entry is ours when its `action`
    starts with "<identifier> - ". Several topics may list the same line.
    """
    action_map = overview.get("budgetTopicActionMap") if isinstance(overview, dict) else None
    if not isinstance(action_map, dict) or not identifier:
        return [], False
    prefix = identifier.upper() + " - "
    ours: list[dict[str, Any]] = []
    shared = False
    for line in action_map.values():
        entries = [entry for entry in line if isinstance(entry, dict)] if isinstance(line, list) else []
        mine = [entry for entry in entries if str(entry.get("action", "")).upper().startswith(prefix)]
        ours.extend(mine)
        shared = shared or (bool(mine) and len(mine) < len(entries))
    return ours, shared


def topic_budget(overview: Any, identifier: str | None, warnings: list[str]) -> dict[str, Any]:
    """RawCall budget fields summed over this topic's entries (budgetYearMap numbers or strings)."""
    entries, shared = budget_entries(overview, identifier)
    if not entries:
        return {}
    totals = [_year_total(entry, warnings) for entry in entries]
    mins = [value for entry in entries if (value := _amount(entry, "minContribution", warnings)) is not None]
    maxes = [value for entry in entries if (value := _amount(entry, "maxContribution", warnings)) is not None]
    grants = [
        int(value) for entry in entries if (value := _amount(entry, "expectedGrants", warnings)) is not None
    ]
    known = [total for total in totals if total is not None]
    fields: dict[str, Any] = {
        # One unreadable year or entry leaves the total empty: a partial sum would understate it.
        "budget_total": sum(known, Decimal(0)) if len(known) == len(totals) else None,
        "contribution_min": min(mins, default=None),
        "contribution_max": max(maxes, default=None),
        "expected_grants": sum(grants) if grants else None,
    }
    if fields["budget_total"] is not None or mins or maxes:
        fields["budget_currency"] = "EUR"  # budgetOverview amounts are in euro
    if shared:
        fields["budget_line_shared"] = True  # moved into `extra` by the caller
    return fields


def _year_total(entry: dict[str, Any], warnings: list[str]) -> Decimal | None:
    year_map = entry.get("budgetYearMap")
    if not isinstance(year_map, dict) or not year_map:
        return None
    total = Decimal(0)
    for year, amount in year_map.items():
        value = to_decimal(amount)
        if value is None:
            warnings.append(f"budget for {year} is {amount!r}, not a number; budget left empty")
            return None
        total += value
    return total


def _amount(entry: dict[str, Any], key: str, warnings: list[str]) -> Decimal | None:
    if entry.get(key) is None:
        return None
    value = to_decimal(entry[key])
    if value is None:
        warnings.append(f"budget {key} is {entry[key]!r}, not a number; left empty")
    return value


def cascade_fields(metadata: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Budget and project of a cascade call: `budget` + `currency`, projectAcronym/projectName."""
    fields: dict[str, Any] = {"project": first(metadata, "projectAcronym") or first(metadata, "projectName")}
    raw = first(metadata, "budget")
    if raw is not None:
        amount = to_decimal(raw)
        if amount is None:
            warnings.append(f"cascade budget {raw!r} is not a plain number; kept as text")
            fields["budget_text"] = raw
        fields["budget_total"] = amount
        fields["budget_currency"] = first(metadata, "currency")
    return fields


def money_fields(metadata: dict[str, Any], extra: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Budget fields: a cascade's own `budget`, or this topic's share of the call budgetOverview."""
    if first(metadata, "type") == "8":
        return cascade_fields(metadata, warnings)
    overview = decode_json(metadata, "budgetOverview", warnings)
    fields = topic_budget(overview, first(metadata, "identifier"), warnings)
    if fields.pop("budget_line_shared", False):
        extra["budget_line_shared"] = True
    return fields
