"""The topicDetails JSON of an EU topic (formats.md §2.1): which calls are worth one, and what it adds.

Owns: `needs_details` (only type-1 topics lacking conditions or budget) and `apply_topic_details`
(conditions, budget and the SME flag filled in from the answer). Pure.

Must not: fetch (`sources.ft_portal.FtPortalSource._enrich` does), touch the database or read settings.
"""

from __future__ import annotations

from typing import Any

from monitor.model.raw import RawCall
from sources.errors import ParseError
from sources.ft_portal.budget import topic_budget


def needs_details(call: RawCall) -> bool:
    """Only EU topics (type 1) lacking conditions or budget are worth a topicDetails request."""
    wanted = call.conditions_html is None or call.budget_total is None
    return bool(call.identifier) and call.extra.get("type_code") == "1" and wanted


def apply_topic_details(call: RawCall, body: Any) -> RawCall:
    """Fill conditions, budget and the SME flag from a topicDetails JSON (formats.md §2.1)."""
    details = body.get("TopicDetails") if isinstance(body, dict) else None
    if not isinstance(details, dict):
        raise ParseError("topicDetails answer has no TopicDetails object")
    update: dict[str, Any] = {}
    warnings = list(call.warnings)
    if call.conditions_html is None and isinstance(details.get("conditions"), str):
        update["conditions_html"] = details["conditions"] or None
    if call.budget_total is None:
        budget = topic_budget(details.get("budgetOverviewJSONItem"), call.identifier, warnings)
        budget.pop("budget_line_shared", None)
        update.update({name: value for name, value in budget.items() if value is not None})
    if details.get("sme") is True:
        update["sme_relevant"] = True
    return call.model_copy(update={**update, "warnings": warnings})
