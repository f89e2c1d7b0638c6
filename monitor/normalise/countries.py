"""Eligible countries named in call texts, as ISO 3166-1 alpha-2 codes.

Owns: country names (English, native and common EU-language forms) -> codes, and reading eligibility
prose (formats.md §4.2, euro-access §4.4): names, the groups and Interreg programmes `country_groups`
finds, minus the countries an exclusion names ("except Hungary"); a programme's default eligibility.
Must not: do I/O or read settings. It reports the countries a text names; it does not read verdicts
written after the names ("Russia is not eligible") and never matches bare two-letter codes in prose
("IT", "NO").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from monitor.normalise.country_groups import (
    COSME_PARTICIPATING,
    EEA_EFTA,
    EU27,
    HORIZON_ASSOCIATED,
    SMP_ASSOCIATED,
    exclusion_spans,
    group_members,
)
from monitor.normalise.vocab import fold, fold_chars

__all__ = [
    "COSME_PARTICIPATING", "EEA_EFTA", "EU27", "HORIZON_ASSOCIATED", "SMP_ASSOCIATED", "CountryExtraction",
    "country_code", "extract_countries", "programme_default_countries", "user_country",
]  # fmt: skip

# Code, then names separated by "|" (a code may take several lines); matched accent-folded, any case.
# "Island" (German for Iceland) and "Dania" (Polish for Denmark) are left out: common words/names.
_NAMES = """
AT Austria|Österreich|Autriche|Österrike|Rakousko
BE Belgium|Belgique|België|Belgien|Belgio|Bélgica
BG Bulgaria|България|Bulgarie|Bulgarien
HR Croatia|Hrvatska|Croatie|Kroatien|Croazia|Croacia|Chorwacja
CY Cyprus|Κύπρος|Kypros|Chypre|Zypern|Cipro|Chipre|Kıbrıs|Cypr
CZ Czechia|Czech Republic|Česko|Česká republika|Tchéquie|République tchèque|Tschechien|Repubblica Ceca
CZ Chequia|Czechy
DK Denmark|Danmark|Danemark|Dänemark|Danimarca|Dinamarca
EE Estonia|Eesti|Estonie|Estland
FI Finland|Suomi|Finlande|Finnland|Finlandia
FR France|Frankreich|Francia|Francja|Frankrijk|França
DE Germany|Deutschland|Allemagne|Germania|Alemania|Niemcy|Duitsland|Alemanha
GR Greece|Ελλάδα|Ellada|Hellas|Grèce|Griechenland|Grecia|Grecja|Griekenland|Grécia
HU Hungary|Magyarország|Hongrie|Ungarn|Ungheria|Hungría|Węgry|Hongarije
IE Ireland|Éire|Republic of Ireland|Irlande|Irland|Irlanda|Irlandia|Ierland
IT Italy|Italia|Italie|Italien|Włochy|Italië|Itália
LV Latvia|Latvija|Lettonie|Lettland|Lettonia|Letonia|Łotwa|Letland|Letónia
LT Lithuania|Lietuva|Lituanie|Litauen|Lituania|Litwa|Litouwen|Lituânia
LU Luxembourg|Lëtzebuerg|Luxemburg|Lussemburgo|Luxemburgo|Luksemburg
MT Malta|Malte
NL Netherlands|The Netherlands|Nederland|Holland|Pays-Bas|Niederlande|Paesi Bassi|Países Bajos|Holandia
PL Poland|Polska|Pologne|Polen|Polonia
PT Portugal|Portogallo|Portugalia
RO Romania|România|Roumanie|Rumänien|Rumania|Rumunia|Roemenië|Roménia
SK Slovakia|Slovak Republic|Slovensko|Slovaquie|Slowakei|Slovacchia|Eslovaquia|Słowacja|Slowakije
SI Slovenia|Slovenija|Slovénie|Slowenien|Eslovenia|Słowenia|Slovenië|Eslovénia
ES Spain|España|Espagne|Spanien|Spagna|Hiszpania|Spanje|Espanha
SE Sweden|Sverige|Suède|Schweden|Svezia|Suecia|Szwecja|Zweden|Suécia
IS Iceland|Ísland|Islande|Islanda|Islandia|IJsland|Islândia
LI Liechtenstein
NO Norway|Norge|Noreg|Norvège|Norwegen|Norvegia|Noruega|Norwegia|Noorwegen
CH Switzerland|Schweiz|Suisse|Svizzera|Svizra|Suiza|Szwajcaria|Zwitserland|Suíça
GB United Kingdom|UK|U.K.|Great Britain|Britain|England|Scotland|Wales|Northern Ireland|Royaume-Uni
GB Vereinigtes Königreich|Regno Unito|Reino Unido|Wielka Brytania|Verenigd Koninkrijk
AL Albania|Shqipëria|Shqipëri|Albanie|Albanien
BA Bosnia and Herzegovina|Bosnia & Herzegovina|Bosnia-Herzegovina|Bosna i Hercegovina|Bosnie-Herzégovine
BA Bosnien und Herzegowina|Bosnia ed Erzegovina|Bosnia y Herzegovina
GE Georgia|Sakartvelo|საქართველო|Géorgie|Georgien|Gruzja
MD Moldova|Republic of Moldova|Moldavie|Moldau|Moldavia|Mołdawia
ME Montenegro|Crna Gora|Црна Гора|Monténégro|Czarnogóra
MK North Macedonia|Republic of North Macedonia|Macedonia|FYROM|Северна Македонија|Severna Makedonija
MK Macédoine du Nord|Nordmazedonien|Macedonia del Nord|Macedonia del Norte
RS Serbia|Srbija|Србија|Serbie|Serbien
TR Türkiye|Turkey|Turquie|Türkei|Turchia|Turquía|Turcja
UA Ukraine|Україна|Ukraina|Ucraina|Ucrania
XK Kosovo|Kosova|Kosovë|Косово
AM Armenia|Hayastan|Հայաստան|Arménie|Armenien
FO Faroe Islands|Faroes|Føroyar|Færøerne
IL Israel|Israël|Israele
TN Tunisia|Tunisie|Tunesien|Túnez
CA Canada|Kanada|Canadá
NZ New Zealand|Aotearoa|Nouvelle-Zélande|Neuseeland|Nuova Zelanda
KR South Korea|Republic of Korea|Korea|Corée du Sud|Südkorea
KP North Korea|Democratic People's Republic of Korea
JP Japan|Japon|Giappone|Japón
US United States|United States of America|USA|U.S.A.|Vereinigte Staaten|Stati Uniti|Estados Unidos
US États-Unis
AD Andorra
MC Monaco
SM San Marino
VA Vatican|Holy See
BY Belarus
RU Russia|Russian Federation
AZ Azerbaijan
EG Egypt
MA Morocco|Maroc
DZ Algeria
LB Lebanon
JO Jordan
PS Palestine
CN China
IN India
BR Brazil
AU Australia
SG Singapore
ZA South Africa
MX Mexico
CL Chile
AR Argentina
KE Kenya
SN Senegal
GH Ghana
NE Niger
NG Nigeria
TD Chad|Tchad
GN Guinea|Guinée
GQ Equatorial Guinea|Guinée équatoriale
GW Guinea-Bissau|Guinée-Bissau
PG Papua New Guinea|Papouasie-Nouvelle-Guinée
SD Sudan
SS South Sudan
CG Congo|Republic of the Congo
CD Democratic Republic of the Congo|DR Congo|DRC
"""
# Abbreviations that are also ordinary words in lower case ("usa" is Italian for "uses").
_CASE_SENSITIVE = frozenset({"UK", "U.K.", "USA", "U.S.A.", "FYROM", "DRC"})
_BY_NAME: dict[str, str] = {}
for _line in _NAMES.strip().splitlines():
    _code, _names = _line.split(" ", 1)
    _BY_NAME.update({fold(name): _code for name in _names.split("|") if name not in _CASE_SENSITIVE})
_LONGEST_FIRST = sorted(_BY_NAME, key=len, reverse=True)  # "Papua New Guinea" before "Guinea"
_NAME_RE = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, _LONGEST_FIRST)) + r")(?!\w)")
_ABBREVIATION_RE = re.compile(r"(?<![\w.])(?:U\.S\.A\.|U\.K\.|USA|UK|FYROM|DRC)(?![\w-])")
_ABBREVIATIONS = {"UK": "GB", "U.K.": "GB", "USA": "US", "U.S.A.": "US", "FYROM": "MK", "DRC": "CD"}
_ALL_CODES = frozenset(_BY_NAME.values())


@dataclass(frozen=True)
class CountryExtraction:
    codes: list[str]  # sorted, unique ISO alpha-2 (after exclusions)
    # group phrases recognised: "EU", "EEA", "HORIZON-ASSOCIATED", "SMP-ASSOCIATED", "COSME-PARTICIPATING",
    # or an Interreg programme's name ("Interreg Alpine Space")
    groups: list[str]
    text: str  # the input (original wording)
    excluded: list[str] = field(default_factory=list)  # codes an "except ..." clause removed, sorted


def country_code(name: str) -> str | None:
    """ISO alpha-2 code for one country name ("Deutschland", "Czechia", "UK") or code ("EL", "DE")."""
    stripped = name.strip()
    if stripped in _ABBREVIATIONS:
        return _ABBREVIATIONS[stripped]
    if stripped.upper() == "EL":  # the EU's own code for Greece
        return "GR"
    if len(stripped) == 2 and stripped.isupper() and stripped in _ALL_CODES:
        return stripped
    return _BY_NAME.get(fold(stripped))


def user_country(text: str) -> str | None:
    """The code for a country a person typed ("pt", "Portugal", "EL", "UK"); None if unknown."""
    stripped = text.strip()
    return country_code(stripped.upper() if len(stripped) == 2 else stripped)


def _named(text: str, folded: str | None = None) -> set[str]:
    codes = {_BY_NAME[match[0]] for match in _NAME_RE.finditer(fold(text) if folded is None else folded)}
    return codes | {_ABBREVIATIONS[match[0]] for match in _ABBREVIATION_RE.finditer(text)}


def extract_countries(text: str, *, folded: str | None = None) -> CountryExtraction:
    """Countries and country groups named in eligibility prose, minus those an exclusion names.

    "All EU Member States except Hungary" -> the EU without HU; "Interreg Alpine Space" -> its 7 states.
    `folded`: `fold(text)` when the caller has it already (a record's conditions are folded once).
    """
    folded = fold(text) if folded is None else folded
    groups, codes = group_members(folded)
    codes |= _named(text, folded)
    excluded: set[str] = set()
    for start, end in exclusion_spans(fold_chars(text)):
        excluded |= _named(text[start:end])
    return CountryExtraction(sorted(codes - excluded), groups, text, sorted(excluded & codes))


# Horizon Europe topics rarely list countries: their conditions say "Eligible countries:
# described in Annex B of the Work Programme General Annexes", and Annex B makes legal
# entities in EU Member States and associated countries eligible (plus listed low- and
# middle-income countries, which we do not claim).
_HORIZON_ANNEX = re.compile(
    r"eligible countries\s*:?\s*described in annex b of the work programme general annex(?:es)?", re.I
)


def programme_default_countries(
    identifier: str | None, text: str, programme: str | None = None
) -> CountryExtraction | None:
    """The standard eligibility a programme's boilerplate or label refers to, or None.

    An Interreg label ("Interreg VI-A Poland–Ukraine", "Interreg Alpine Space") gives the programme's states.
    """
    if programme and re.search(r"\binterreg\b", programme, re.I):
        found = extract_countries(programme)
        if found.codes:
            return found
    if identifier and identifier.upper().startswith("HORIZON-"):
        match = _HORIZON_ANNEX.search(" ".join(text.split()))
        if match:
            codes = sorted(EU27 | HORIZON_ASSOCIATED)
            return CountryExtraction(codes=codes, groups=["EU", "HORIZON-ASSOCIATED"], text=match.group(0))
    return None
