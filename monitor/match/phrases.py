"""The phrases matching words its verdicts and reasons with: money, days, budgets and labels.

Owns `money` ("€60,000"), `day` ("3 March 2027", Brussels), `days_phrase` ("41 days left"),
`budget_phrase`, `wanted_budget`, the organisation-type plurals, the country-group, funding-type
and ecosystem labels, and `join` ("a, b and c"). Kept apart so that one wording of money and dates
(`monitor.render.words`) can replace them in one place.

Must not: decide anything about a match, do I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from monitor.match.criteria import Criteria
from monitor.match.prepare import Prepared, attr
from monitor.model.zones import BRUSSELS
from monitor.normalise.countries import EEA_EFTA, EU27, HORIZON_ASSOCIATED, SMP_ASSOCIATED
from monitor.normalise.vocab import ECOSYSTEMS, ORG_TYPES

ORG_TYPE_PLURALS: dict[str, str] = {
    "sme": "SMEs",
    "startup": "start-ups",
    "large-enterprise": "large enterprises",
    "research": "research organisations",
    "university": "universities",
    "cluster": "cluster organisations",
    "public-body": "public bodies",
    "ngo": "NGOs",
    "individual": "individuals",
}
# country_groups values (monitor.normalise.countries) -> what users read, and who is in them.
COUNTRY_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "EU": ("EU Member States", EU27),
    "EEA": ("EEA countries", EU27 | EEA_EFTA),
    "HORIZON-ASSOCIATED": ("Horizon Europe associated countries", HORIZON_ASSOCIATED),
    "SMP-ASSOCIATED": ("Single Market Programme associated countries", SMP_ASSOCIATED),
}
FUNDING_LABELS: dict[str, str] = {"cascade": "cascade funding"}


def join(items: Sequence[str], last: str = "and") -> str:
    """Items in words: "a", "a and b", "a, b and c" (or another last word)."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def plural(slug: str) -> str:
    """An organisation type as a plural ("SMEs")."""
    return ORG_TYPE_PLURALS.get(slug, ORG_TYPES.get(slug, slug))


def ecosystem_labels(slugs: Iterable[str]) -> str:
    """Ecosystem slugs as their labels, comma-separated."""
    return ", ".join(ECOSYSTEMS.get(slug, slug) for slug in slugs)


def day(at: datetime) -> str:
    """The Brussels day of an instant: "3 March 2027"."""
    local = at.astimezone(BRUSSELS)
    return f"{local.day} {local:%B %Y}"


def days_phrase(days: int) -> str:
    """Days left in words: "deadline today", "1 day left", "41 days left"."""
    return "deadline today" if days == 0 else "1 day left" if days == 1 else f"{days} days left"


def money(amount: Decimal, currency: str | None) -> str:
    """An amount in words: "€60,000" for euros (or no currency), else "USD 60,000"."""
    number = f"{int(amount):,}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    return f"€{number}" if currency in (None, "EUR") else f"{currency} {number}"


def budget_phrase(prep: Prepared) -> str:
    """The call's amount per project (or in total) in words."""
    call, currency = prep.call, prep.currency
    low, high = prep.budget
    if attr(call, "contribution_max") is not None and high is not None:
        if low is None:
            return f"up to {money(high, currency)} per project"
        if low == high:
            return f"{money(high, currency)} per project"
        return f"{money(low, currency)} to {money(high, currency)} per project"
    total = f"{money(high, currency)} in total" if high is not None else ""
    start = f"from {money(low, currency)} per project" if low is not None else ""
    return ", ".join(part for part in (start, total) if part)


def wanted_budget(criteria: Criteria) -> str:
    """The profile's budget range in words."""
    low, high = criteria.budget_min, criteria.budget_max
    if low is not None and high is not None:
        return f"{money(low, None)} to {money(high, None)}"
    if low is not None:
        return f"at least {money(low, None)}"
    return f"at most {money(high or Decimal(0), None)}"
