"""EU funding programmes: SEDIA `frameworkProgramme` ids, topic-identifier prefixes and label wordings.

Owns the table of programme ids the F&T portal uses (formats.md §1.2, facet labels
of 15 Sep 2026), the programmes other sources name that the portal has no id for (Interreg, IPA),
the lookup from an id or a topic identifier to (abbreviation, full name), and the reading of a
source's programme label ("Horizon Europe: Cluster 3 - Civil security for society" -> Horizon
Europe) from `data/programme_labels.toml`. Pure apart from reading that file at import; no settings.

Must not: confuse a programme with `programmePeriod` ("2021 - 2027"), which is a
different metadata key, or make an unknown label a programme of its own (it is None).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from monitor.normalise.vocab import fold

# frameworkProgramme id -> (abbreviation, full name). Ids from formats.md §1.2.
PROGRAMMES: dict[str, tuple[str, str]] = {
    "43108390": ("HORIZON", "Horizon Europe"),
    "43152860": ("DIGITAL", "Digital Europe Programme"),
    "43251567": ("CEF", "Connecting Europe Facility"),
    "43353764": ("ERASMUS+", "Erasmus+"),
    "44181033": ("EDF", "European Defence Fund"),
    "43252405": ("LIFE", "Programme for the Environment and Climate Action (LIFE)"),
    "43252476": ("SMP", "Single Market Programme"),
    "43251814": ("CREA", "Creative Europe"),
    "43251589": ("CERV", "Citizens, Equality, Rights and Values Programme"),
    "31059643": ("COSME", "COSME 2014-2020"),
    "31045243": ("H2020", "Horizon 2020"),
    "43332642": ("EU4H", "EU4Health Programme"),
    "43298916": ("EURATOM", "Euratom Research and Training Programme"),
    "43089234": ("INNOVFUND", "Innovation Fund"),
    "43252368": ("ISF", "Internal Security Fund"),
    "43252386": ("JUST", "Justice Programme"),
    "43251447": ("AMIF", "Asylum, Migration and Integration Fund"),
    "43251530": ("BMVI", "Border Management and Visa Instrument"),
    "44416173": ("I3", "Interregional Innovation Investments Instrument"),
    "43254019": ("ESF+", "European Social Fund+"),
    "43392145": ("EMFAF", "European Maritime, Fisheries and Aquaculture Fund"),
    "43252449": ("RFCS", "Research Fund for Coal and Steel"),
    "43298203": ("UCPM", "Union Civil Protection Mechanism"),
    "43252517": ("SOCPL", "Social Prerogative and Specific Competencies Lines"),
    "43637601": ("PPPA", "Pilot Projects and Preparatory Actions"),
    "43254037": ("ESC", "European Solidarity Corps"),
    "44773066": ("JTM", "Just Transition Mechanism"),
    "43251842": ("EUAF", "Union Anti-Fraud Programme"),
    "45876777": ("NDICI", "Neighbourhood, Development and International Cooperation Instrument"),
    "111111": ("PROSPECT", "EuropeAid (PROSPECT) external-action calls"),
    "45532249": ("EUBA", "EU Bodies and Agencies"),
    "43298664": ("AGRIP", "Promotion of Agricultural Products"),
    "43697167": ("EP", "European Parliament"),
}

# First dash-separated token of a topic identifier -> programme id. Used when the
# record carries no (or an unknown) frameworkProgramme id.
_PREFIX_TO_ID: dict[str, str] = {
    "HORIZON": "43108390",
    "DIGITAL": "43152860",
    "SMP": "43252476",
    "LIFE": "43252405",
    "ERASMUS": "43353764",
    "CEF": "43251567",
    "EU4H": "43332642",
    "CERV": "43251589",
    "CREA": "43251814",
    "EDF": "44181033",
    "I3": "44416173",
    "EMFAF": "43392145",
    "INNOVFUND": "43089234",
    "RFCS": "43252449",
    "EUBA": "45532249",
    "AGRIP": "43298664",
    "UCPM": "43298203",
    "SOCPL": "43252517",
    "JUST": "43252386",
    "ESF": "43254019",
    "AMIF": "43251447",
    "BMVI": "43251530",
    "ISF": "43252368",
    "EURATOM": "43298916",
    "PPPA": "43637601",
    "ESC": "43254037",
    "JTM": "44773066",
    "EUAF": "43251842",
    # 2014-2020 identifiers: H2020-SC1-..., COS-CLUSTER-2020-...
    "H2020": "31045243",
    "COS": "31059643",
}


def programme_for(code: str | None, identifier: str | None) -> tuple[str | None, str | None]:
    """(abbreviation, full name) by frameworkProgramme id, else by identifier prefix."""
    if code and code.strip() in PROGRAMMES:
        return PROGRAMMES[code.strip()]
    if identifier:
        prefix = identifier.strip().split("-", 1)[0].upper()
        programme_id = _PREFIX_TO_ID.get(prefix)
        if programme_id is not None:
            return PROGRAMMES[programme_id]
    return None, None


def programme_id_for(name: str) -> str | None:
    """A frameworkProgramme id from an id or an abbreviation ("SMP", "horizon", "ERASMUS")."""
    value = name.strip()
    if value in PROGRAMMES:
        return value
    wanted = value.upper().rstrip("+")
    for programme_id, (abbreviation, _) in PROGRAMMES.items():
        if abbreviation.upper().rstrip("+") == wanted:
            return programme_id
    return _PREFIX_TO_ID.get(wanted)


# Programmes sources name that have no frameworkProgramme id (not searchable on the portal).
OTHER_PROGRAMMES: dict[str, tuple[str, str]] = {
    "INTERREG": ("INTERREG", "Interreg (European Territorial Cooperation)"),
    "IPA": ("IPA", "Instrument for Pre-accession Assistance (IPA III)"),
}


def _load_labels() -> tuple[tuple[re.Pattern[str], tuple[str, str]], ...]:
    with (Path(__file__).parent / "data" / "programme_labels.toml").open("rb") as handle:
        rows = tomllib.load(handle)["label"]
    known = {abbreviation: entry for entry in PROGRAMMES.values() for abbreviation in [entry[0]]}
    known |= OTHER_PROGRAMMES
    missing = [row["programme"] for row in rows if row["programme"] not in known]
    if missing:
        raise ValueError(f"programme_labels.toml names unknown programmes: {missing}")
    return tuple((re.compile(row["pattern"]), known[row["programme"]]) for row in rows)


LABEL_RULES = _load_labels()
_IDENTIFIER = re.compile(r"^\s*[A-Z][A-Z0-9+]*(?:-[A-Z0-9]+)+\s*$")


def programme_from_label(label: str | None) -> tuple[str, str] | None:
    """(abbreviation, full name) of the programme a source's label belongs to; None when unknown.

    "Horizon Europe: Cluster 3 - Civil security for society" -> HORIZON, "LIFE - Nature and
    Biodiversity" -> LIFE, "Interreg Czechia-Poland" -> INTERREG, "EIC Accelerator" -> HORIZON,
    "DIGITAL-2023-SKILLS-04" -> DIGITAL (an identifier's prefix), "New European Bauhaus Facility" -> None.
    """
    folded = fold(label or "")
    if not folded:
        return None
    found = next((entry for pattern, entry in LABEL_RULES if pattern.search(folded)), None)
    if found is None and _IDENTIFIER.match(label or ""):
        # A topic or call identifier given as the label: "DIGITAL-2023-SKILLS-04" is Digital Europe.
        abbreviation, name = programme_for(None, label)
        found = (abbreviation, name) if abbreviation and name else None
    return found
