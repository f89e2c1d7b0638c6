"""The labels matching words its verdicts and reasons with: organisation types in the plural,
country groups (and who is in them), ecosystems, and `join` ("a, b and c").

Dates, amounts, budgets and funding types are worded by `monitor.render.words`, as everywhere else.

Must not: decide anything about a match, do I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from babel import Locale
from babel.lists import format_list

from monitor.normalise.countries import (
    COSME_PARTICIPATING,
    EEA_EFTA,
    EU27,
    HORIZON_ASSOCIATED,
    SMP_ASSOCIATED,
)
from monitor.normalise.vocab import ECOSYSTEMS, ORG_TYPES
from monitor.render.i18n import N_, translator
from monitor.render.phrase import Local, Phrase, say

ORG_TYPE_PLURALS: dict[str, str] = {
    "sme": N_("SMEs"),
    "startup": N_("start-ups"),
    "large-enterprise": N_("large enterprises"),
    "research": N_("research organisations"),
    "university": N_("universities"),
    "cluster": N_("cluster organisations"),
    "public-body": N_("public bodies"),
    "ngo": N_("NGOs"),
    "individual": N_("individuals"),
}
# country_groups values (monitor.normalise.countries) -> what users read, and who is in them.
COUNTRY_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "EU": (N_("EU Member States"), EU27),
    "EEA": (N_("EEA countries"), EU27 | EEA_EFTA),
    "HORIZON-ASSOCIATED": (N_("Horizon Europe associated countries"), HORIZON_ASSOCIATED),
    "SMP-ASSOCIATED": (N_("Single Market Programme associated countries"), SMP_ASSOCIATED),
    "COSME-PARTICIPATING": (N_("countries participating in COSME"), COSME_PARTICIPATING),
}


def join(items: Sequence[str], last: str = "and") -> str:
    """Items in words: "a", "a and b", "a, b and c" (or another last word)."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


# The EU's own codes for two countries CLDR names otherwise.
_CLDR_TERRITORY = {"EL": "GR", "UK": "GB"}
# The verdicts' names of the fields a keyword is found in (monitor.match.prepare.FIELD_NAMES).
FIELD_WORDS = {"title": N_("title"), "call keywords": N_("call keywords"), "summary": N_("summary"),
               "programme": N_("programme"), "conditions": N_("conditions")}  # fmt: skip


def plural(slug: str) -> str:
    """An organisation type as a plural ("SMEs"); said in another language by `say`."""
    return Phrase(ORG_TYPE_PLURALS.get(slug, ORG_TYPES.get(slug, slug)))


def ecosystem_labels(slugs: Iterable[str]) -> str:
    """Ecosystem slugs as their labels, comma-separated (labels translated where said)."""
    labels = [ECOSYSTEMS.get(slug, slug) for slug in slugs]
    return Local(lambda language: ", ".join(translator(language)(label) for label in labels))


def spoken(items: Sequence[Any], last: str = "and") -> str:
    """`join` said in each language ("a, b et c" in French, from CLDR), each item said too."""
    kept = list(items)

    def word(language: str) -> str:
        said = [say(item, language) for item in kept]
        if language == "en":
            return join(said, last)
        return format_list(said, style="standard" if last == "and" else "or", locale=language)

    return Local(word)


def countries(codes: Sequence[str], last: str = "and") -> str:
    """Country codes as English reasons write them ("PT and ES"), by name in other languages."""
    return spoken([Local(lambda language, code=code: _territory(code, language)) for code in codes], last)


def field_words(names: Sequence[str]) -> str:
    """The fields a keyword was found in: "title and summary"."""
    return spoken([Phrase(FIELD_WORDS[name]) if name in FIELD_WORDS else name for name in names])


def _territory(code: str, language: str) -> str:
    if language == "en":
        return code
    return Locale.parse(language).territories.get(_CLDR_TERRITORY.get(code, code), code)
