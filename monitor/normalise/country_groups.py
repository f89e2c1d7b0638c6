"""Country groups that eligibility texts name instead of listing countries, and negations that remove some.

Owns: the member sets (EU27, EEA, Horizon Europe, Single Market Programme and COSME participants), the
phrases in the EU languages that name a group ("EU Member States", "paesi aderenti al programma COSME",
"Enterprise Europe Network partners in the EU"), the cue words that start an exclusion ("except",
"ad eccezione di", "außer"…), and Interreg programme names -> their member states (`data/interreg.toml`).
Must not: do I/O beyond reading its own data file at import, or read settings. Country names are
countries.py's; this module only finds where groups, exclusions and Interreg names are.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from monitor.normalise import needles

# Greece is "GR" (ISO); the EU's own "EL" is accepted by countries.country_code() as input.
EU27: frozenset[str] = frozenset(
    {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
     "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}
)  # fmt: skip
EEA_EFTA: frozenset[str] = frozenset({"IS", "LI", "NO"})
# Horizon Europe associated countries as of 2025 (EC "List of participating countries", 2025):
# the EEA (Iceland, Norway; Liechtenstein is NOT associated), Western Balkans, Türkiye, Ukraine, Moldova,
# Georgia, Armenia, Israel, Tunisia, Faroe Islands, UK (from 2024), New Zealand (2024), Canada (2024),
# Switzerland (2025), Republic of Korea (2025). Egypt, Japan and Morocco were still negotiating: left out.
HORIZON_ASSOCIATED: frozenset[str] = frozenset(
    {"AL", "AM", "BA", "FO", "GE", "IS", "IL", "XK", "MD", "ME", "NZ",
     "MK", "NO", "RS", "TN", "TR", "UA", "GB", "CH", "CA", "KR"}
)  # fmt: skip
# Single Market Programme (SME / competitiveness strand, e.g. SMP-COSME Euroclusters) non-EU participants
# as of 2024, from memory of the EC list and NOT re-verified: EEA (Iceland, Norway, Liechtenstein) plus
# the associated Albania, Armenia, Bosnia and Herzegovina, Kosovo, Moldova, Montenegro, North Macedonia,
# Serbia, Ukraine. Türkiye and Georgia are not associated to the SMP. Check the call's own list.
SMP_ASSOCIATED: frozenset[str] = frozenset(
    {"IS", "LI", "NO", "AL", "AM", "BA", "XK", "MD", "ME", "MK", "RS", "UA"}
)
# "Countries participating in COSME" in 2021-2027 calls (Euroclusters, SMP-COSME-*) means the COSME strand
# of the Single Market Programme: the EU plus the SMP-associated countries above.
COSME_PARTICIPATING: frozenset[str] = EU27 | SMP_ASSOCIATED

_ASSOCIATED = r"(?:associated|associat[ie]|associes|assoziiert\w*|asociados|associados|stowarzyszon\w*)"
_COUNTRIES = r"(?:countr\w*|paesi|pays|lander|staaten|estados|paises|panstw\w*|landen|zem\w*)"
# "Horizon Europe", "Horizonte Europa" (ES, PT), "Orizzonte Europa" (IT), "Horyzont Europa" (PL)
_HORIZON = r"(?:horizon\w*|orizzonte|horyzont\w*)\b"
_PARTICIPATING = (
    r"(?:participating|participat\w*|partecipa\w*|aderenti|aderiscono|teilnehmend\w*|participan\w*"
    r"|uczestnicz\w*|deelnemend\w*)"
)
# The EU named in the EU languages: "EU Member States", "Stati membri dell'UE", "EU-Mitgliedstaaten",
# "États membres de l'UE", "Estados miembros", "Estados-Membros", "państwa członkowskie", "lidstaten",
# "členské státy", "tagállam", "statele membre", "države članice", "държави членки", "κράτη μέλη",
# "jäsenvaltio", "medlemsstat", "valstybės narės", "dalībvalstis", "liikmesriigid".
_EU = (
    r"(?<!non-)(?<!non )\b(?:eu|european union)\s(?:member\s)?(?:states?|countries)\b|\bmember\sstates?\b"
    r"|\beu-?27\b|\bstati\s(?:membri\s)?dell'\s?(?:unione\seuropea|ue)\b|\bstati\smembri\b|\bpaesi\s(?:dell')?ue\b"
    r"|\betats?\smembres?\b|\bpays\sde\sl'\s?(?:ue|union\seuropeenne)\b|\beu-mitgliedstaaten\b|\bmitgliedstaat\w*"
    r"|\bestados?[\s-]miembros?\b|\bestados?[\s-]membros?\b|\bpanstw\w*\sczlonkowsk\w*|\b(?:eu-)?lidsta(?:at|ten)\b"
    r"|\bclensk\w*\sstat\w*|\btagallam\w*|\bstatele\smembre\b|\bstatelor\smembre\b"
    r"|\bdrzav\w*\sclanic\w*|\bдържави[\s-]членки\b|\bκρατ\w*[\s-]μελ\w*|\bjasenvaltio\w*|\bmedlemsstat\w*"
    r"|\bvalstyb\w*\snar\w*|\bdalibvalst\w*|\bliikmesrii\w*"
    # "Enterprise Europe Network partners in the EU", "legal entities established in the EU"
    r"|\b(?:partners?|entities|applicants|established|located|based|registered)\sin\sthe\s(?:eu|european\sunion)\b"
)
_GROUPS: tuple[tuple[str, frozenset[str], re.Pattern[str]], ...] = (
    ("EU", EU27, re.compile(_EU)),
    ("EEA", EEA_EFTA, re.compile(r"\beea[\s/-]efta\b|\befta[\s/-]eea\b")),
    ("EEA", EU27 | EEA_EFTA, re.compile(
        r"\beea\s(?:countries|member\sstates|states)\b|\beuropean\seconomic\sarea\b|\bspazio\seconomico\seuropeo\b"
        r"|\bespace\seconomique\seuropeen\b|\beuropaisch\w*\swirtschaftsraum\w*|\bespacio\seconomico\seuropeo\b"
        r"|\bespaco\seconomico\seuropeu\b|\beuropejski\w*\sobszar\w*\sgospodarcz\w*|\beuropese\seconomische\sruimte\b")),
    ("HORIZON-ASSOCIATED", HORIZON_ASSOCIATED, re.compile(
        rf"\b{_COUNTRIES}\b[^.\n]{{0,30}}?\b{_ASSOCIATED}\b[^.\n]{{0,25}}?\b{_HORIZON}"
        r"|\bhorizon(?:\seurope)?[\s-]associated\scountr"
        r"|\bassociated\scountr\w*\s(?:to|of|in)\s(?:the\s)?horizon\b")),
    ("SMP-ASSOCIATED", SMP_ASSOCIATED, re.compile(
        rf"\bsmp[\s-]associated\scountr|\b{_COUNTRIES}\b[^.\n]{{0,30}}?\b(?:{_ASSOCIATED}|{_PARTICIPATING})\b"
        r"[^.\n]{0,25}?\b(?:single\smarket\sprogramme|smp)\b|\bassociated\scountr\w*\s(?:to|of|in)\s(?:the\s)?"
        r"(?:smp|single\smarket\sprogramme)\b")),
    # "paesi aderenti al programma COSME" (Eurocluster calls, IT), "countries participating in COSME"
    ("COSME-PARTICIPATING", COSME_PARTICIPATING, re.compile(
        rf"\b{_COUNTRIES}\b[^.\n]{{0,30}}?\b(?:{_ASSOCIATED}|{_PARTICIPATING})\b[^.\n]{{0,30}}?\bcosme\b"
        r"|\bcosme[\s-](?:participating|associated)\scountr\w*")),
)  # fmt: skip

# An exclusion starts with one of these and runs to the end of its clause. Prepositions only: the
# postpositions of Hungarian ("kivételével"), Finnish ("lukuun ottamatta") and Estonian are not read.
# Matched on vocab.fold_chars text (same length as the original, so spans index both).
_EXCLUSION = re.compile(
    r"\b(?:except(?:\sfor)?|excluding|exclusive\sof|with\sthe\sexception\sof|other\sthan|apart\sfrom"
    r"|ad\seccezione\sd\w*|eccetto|tranne|esclus[oi]|au(?:ss|ß)er|mit\sausnahme\s(?:von|der|des)|ausgenommen"
    r"|a\sl'exception\sd\w*|sauf|hormis|excepto|salvo|con\sexcepcion\sde|a\sexcecao\sd\w*|exceto"
    r"|z\swyjatkiem|s\svyjimkou|s\svynimkou|cu\sexceptia|izuzev|osim|razen|met\suitzondering\svan|behalve"
    r"|utom|undtagen|med\sundtagelse\saf|με\sεξαιρεση|εκτος\sαπο|с\sизключение\sна|isskyrus|iznemot)\b"
    r"[^.;:\n]*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Interreg:
    name: str
    countries: frozenset[str]
    pattern: re.Pattern[str]
    group: bool  # False: a region that only adds its state (no group of its own)


# A programme's name follows "Interreg" within a few words ("Interreg VI-B Danube Region Programme").
_AFTER_INTERREG = r"\binterreg\b[^.;:\n]{0,40}?"


def _load_interreg() -> tuple[Interreg, ...]:
    with (Path(__file__).parent / "data" / "interreg.toml").open("rb") as handle:
        rows = tomllib.load(handle)["programme"]
    return tuple(
        Interreg(
            row["name"],
            frozenset(row["countries"]),
            re.compile(row["pattern"] if row.get("alone") else _AFTER_INTERREG + f"(?:{row['pattern']})"),
            row.get("group", True),
        )
        for row in rows
    )


INTERREG = _load_interreg()


def group_members(folded: str) -> tuple[list[str], set[str]]:
    """The groups and Interreg programmes `folded` (vocab.fold text) names, and all their members."""
    groups: list[str] = []
    codes: set[str] = set()
    # Needles first: most texts name no group and no programme (issue #18).
    named = [(g, members) for g, members, pattern in _GROUPS if needles.search(pattern, folded)]
    named += [(p.name if p.group else "", p.countries) for p in INTERREG if needles.search(p.pattern, folded)]
    for group, members in named:
        codes |= members
        groups += [] if group in groups or not group else [group]
    return groups, codes


def exclusion_spans(folded_chars: str) -> list[tuple[int, int]]:
    """Where exclusions ("except Hungary and Poland") run, in `vocab.fold_chars` text."""
    return [match.span() for match in _EXCLUSION.finditer(folded_chars)]
