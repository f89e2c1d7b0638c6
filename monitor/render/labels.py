"""The names of things in words: funding types, a call's fields and the topics they belong to.

Owns the labels pages, forms, change lines and match reasons name a funding type or a stored
field with ("Cascade funding", "minimum grant"). Dates, money and sentences are `words`'s.
Every label is marked with N_ and translated where it is shown (`language=`); the organisation
types and ecosystems are `monitor.normalise.vocab`'s (a layer below, which cannot import the
catalogues), marked here for extraction (tests/test_web_languages.py checks none is left out).
Must not: do I/O, or word anything but a name.
"""

from __future__ import annotations

from babel import Locale

from monitor.model.vocab import FundingType
from monitor.normalise.vocab import ECOSYSTEMS, ORG_TYPES
from monitor.render.i18n import N_, translator

FUNDING_LABELS: dict[str, str] = {
    FundingType.GRANT: N_("Grant"),
    FundingType.CASCADE: N_("Cascade funding"),
    FundingType.TENDER: N_("Tender"),
    FundingType.PRIZE: N_("Prize"),
    FundingType.LOAN: N_("Loan or equity"),
    FundingType.OTHER: N_("Other"),
}
# What a form adds to a label so that a person choosing it knows what it means.
FUNDING_HINTS: dict[str, str] = {FundingType.CASCADE: N_("open calls of EU projects")}

# A stored field named in words, as a change line says it ("minimum grant: €10,000 → €20,000").
FIELD_LABELS = {
    "title": N_("title"),
    "status": N_("status"),
    "opens_at": N_("opening date"),
    "budget_total": N_("budget"),
    "budget_currency": N_("budget currency"),
    "contribution_min": N_("minimum grant"),
    "contribution_max": N_("maximum grant"),
    "expected_grants": N_("number of grants"),
    "url": N_("call page"),
    "programme": N_("programme"),
    "type_of_action": N_("type of action"),
    "funding_type": N_("funding type"),
    "deadline_model": N_("deadline model"),
    "countries": N_("eligible countries"),
    "org_types": N_("eligible organisations"),
    "ecosystems": N_("ecosystems"),
}
# The topic a merged field belongs to on the call page's "taken from this source": several
# fields make one topic (every budget field is "budget"), so a source is credited once for it.
FIELD_TOPICS = {
    "url": N_("link"), "summary_html": N_("description"), "summary_text": N_("description"),
    "programme_code": N_("programme"), "country_groups": N_("countries"), "countries_text": N_("countries"),
    "org_types": N_("organisation types"), "org_types_text": N_("organisation types"),
    "sme_relevant": N_("SME relevance"), "opens_at": N_("opening date"),
    "published_at": N_("publication date"),
    "budget_total": N_("budget"), "budget_currency": N_("budget"), "budget_text": N_("budget"),
    "contribution_min": N_("budget"), "contribution_max": N_("budget"), "next_deadline_at": N_("deadlines"),
    "final_deadline_at": N_("deadlines"), "deadline_model": N_("deadlines"), "deadlines": N_("deadlines"),
    "countries": N_("countries"), "org_types_exclusive": N_("organisation types"),
    "identifier": N_("identifier"), "parent_identifier": N_("parent topic"),
    "parent_title": N_("parent topic"),
    "conditions_html": N_("conditions"), "conditions_text": N_("conditions"), "keywords": N_("keywords"),
    "project": N_("project"), "organisation": N_("organisation"), "language": N_("language"),
    "status_hint": N_("status"),
}  # fmt: skip


VOCABULARY_LABELS = (
    N_("SME"), N_("Start-up"), N_("Large enterprise"), N_("Research organisation"),
    N_("University / higher education"), N_("Cluster organisation"), N_("Public body"),
    N_("NGO / non-profit"), N_("Individual / natural person"),
    N_("Aerospace & Defence"), N_("Agri-food"), N_("Construction"), N_("Cultural and Creative Industries"),
    N_("Digital"), N_("Electronics"), N_("Energy Intensive Industries"), N_("Energy - Renewables"),
    N_("Health"), N_("Mobility - Transport - Automotive"),
    N_("Proximity, Social Economy and Civil Security"), N_("Retail"), N_("Textile"), N_("Tourism"),
)  # fmt: skip


# The words `monitor.render.words.STATED_WORDS` names criteria with (that module cannot mark them
# for the web pages, which translate them one by one) that no label above already marks.
STATED_LABELS = (N_("ecosystem"), N_("deadline"))
STATUS_LABELS = {"open": N_("open"), "forthcoming": N_("forthcoming"), "closed": N_("closed"),
                 "unknown": N_("unknown")}  # fmt: skip


def status_label(status: str, *, language: str = "en") -> str:
    """'open', 'forthcoming': a call's status in words."""
    label = STATUS_LABELS.get(str(status))
    return translator(language)(label) if label else str(status)


def country_name(code: str, *, language: str = "en") -> str:
    """'Spain', 'Espagne': a two-letter country code by its CLDR name (the code when unknown)."""
    upper = "GR" if code.upper() == "EL" else "GB" if code.upper() == "UK" else code.upper()
    return Locale.parse(translator(language).language).territories.get(upper, code)


def funding_label(slug: str, *, language: str = "en") -> str:
    """'Cascade funding', 'Grant': a funding type as a filter or a page names it."""
    label = FUNDING_LABELS.get(slug)
    return translator(language)(label) if label else slug.capitalize()


def funding_phrase(slug: str, *, language: str = "en") -> str:
    """'cascade funding', 'grant': a funding type inside a sentence."""
    label = funding_label(slug, language=language)
    return label[:1].lower() + label[1:]


def funding_choice(slug: str, *, language: str = "en") -> str:
    """'Cascade funding (open calls of EU projects)': a funding type as a form offers it."""
    label, hint = funding_label(slug, language=language), FUNDING_HINTS.get(slug)
    _ = translator(language)
    return _("%(label)s (%(hint)s)", label=label, hint=_(hint)) if hint else label


def field_label(name: str, *, language: str = "en") -> str:
    """A stored field in words: 'minimum grant' for contribution_min."""
    label = FIELD_LABELS.get(name)
    return translator(language)(label) if label else name.replace("_", " ")


def field_topic(name: str, *, language: str = "en") -> str:
    """The topic a merged field belongs to: 'budget' for every budget field; else the field's label."""
    label = FIELD_TOPICS.get(name) or FIELD_LABELS.get(name)
    return translator(language)(label) if label else name.replace("_", " ")


def org_type_label(slug: str, *, language: str = "en") -> str:
    """'SME', 'Cluster organisation': an organisation type as forms and pages name it."""
    label = ORG_TYPES.get(slug)
    return translator(language)(label) if label else slug


def ecosystem_label(slug: str, *, language: str = "en") -> str:
    """'Digital', 'Health': an industrial ecosystem by its official label."""
    label = ECOSYSTEMS.get(slug)
    return translator(language)(label) if label else slug
