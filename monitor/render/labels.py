"""The names of things in words: funding types, a call's fields and the topics they belong to.

Owns the labels pages, forms, change lines and match reasons name a funding type or a stored
field with ("Cascade funding", "minimum grant"). Dates, money and sentences are `words`'s.
Must not: do I/O, or word anything but a name.
"""

from __future__ import annotations

from monitor.model.vocab import FundingType

FUNDING_LABELS: dict[str, str] = {
    FundingType.GRANT: "Grant",
    FundingType.CASCADE: "Cascade funding",
    FundingType.TENDER: "Tender",
    FundingType.PRIZE: "Prize",
    FundingType.LOAN: "Loan or equity",
    FundingType.OTHER: "Other",
}
# What a form adds to a label so that a person choosing it knows what it means.
FUNDING_HINTS: dict[str, str] = {FundingType.CASCADE: "open calls of EU projects"}

# A stored field named in words, as a change line says it ("minimum grant: €10,000 → €20,000").
FIELD_LABELS = {
    "title": "title",
    "status": "status",
    "opens_at": "opening date",
    "budget_total": "budget",
    "budget_currency": "budget currency",
    "contribution_min": "minimum grant",
    "contribution_max": "maximum grant",
    "expected_grants": "number of grants",
    "url": "call page",
    "programme": "programme",
    "type_of_action": "type of action",
    "funding_type": "funding type",
    "deadline_model": "deadline model",
    "countries": "eligible countries",
    "org_types": "eligible organisations",
    "ecosystems": "ecosystems",
}
# The topic a merged field belongs to on the call page's "taken from this source": several
# fields make one topic (every budget field is "budget"), so a source is credited once for it.
FIELD_TOPICS = {
    "url": "link", "summary_html": "description", "summary_text": "description",
    "programme_code": "programme", "country_groups": "countries", "countries_text": "countries",
    "org_types": "organisation types", "org_types_text": "organisation types",
    "sme_relevant": "SME relevance", "opens_at": "opening date", "published_at": "publication date",
    "budget_total": "budget", "budget_currency": "budget", "budget_text": "budget",
    "contribution_min": "budget", "contribution_max": "budget", "next_deadline_at": "deadlines",
    "final_deadline_at": "deadlines", "deadline_model": "deadlines",
}  # fmt: skip


def funding_label(slug: str, *, language: str = "en") -> str:
    """'Cascade funding', 'Grant': a funding type as a filter or a page names it."""
    return FUNDING_LABELS.get(slug, slug.capitalize())


def funding_phrase(slug: str, *, language: str = "en") -> str:
    """'cascade funding', 'grant': a funding type inside a sentence."""
    label = funding_label(slug, language=language)
    return label[:1].lower() + label[1:]


def funding_choice(slug: str, *, language: str = "en") -> str:
    """'Cascade funding (open calls of EU projects)': a funding type as a form offers it."""
    label, hint = funding_label(slug, language=language), FUNDING_HINTS.get(slug)
    return f"{label} ({hint})" if hint else label


def field_label(name: str, *, language: str = "en") -> str:
    """A stored field in words: 'minimum grant' for contribution_min."""
    return FIELD_LABELS.get(name, name.replace("_", " "))


def field_topic(name: str, *, language: str = "en") -> str:
    """The topic a merged field belongs to: 'budget' for every budget field."""
    return FIELD_TOPICS.get(name, name.replace("_", " "))
