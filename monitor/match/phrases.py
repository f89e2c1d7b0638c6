"""The labels matching words its verdicts and reasons with: organisation types in the plural,
country groups (and who is in them), ecosystems, and `join` ("a, b and c").

Dates, amounts, budgets and funding types are worded by `monitor.render.words`, as everywhere else.

Must not: decide anything about a match, do I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from monitor.normalise.countries import (
    COSME_PARTICIPATING,
    EEA_EFTA,
    EU27,
    HORIZON_ASSOCIATED,
    SMP_ASSOCIATED,
)
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
    "COSME-PARTICIPATING": ("countries participating in COSME", COSME_PARTICIPATING),
}


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
