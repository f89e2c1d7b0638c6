"""Organisation types and EU industrial ecosystems named in call texts, plus accent folding.

Owns: the controlled vocabularies (`ORG_TYPES`, `ECOSYSTEMS`), the keyword rules that map prose
in EN (and common IT/FR/DE/ES/PL words) onto them, and `fold`/`fold_chars`, the accent- and
case-insensitive forms every other normalise module matches against.
Must not: do I/O, read settings, or guess: the rules prefer precision over recall, so an
ambiguous word is left out rather than tagging half of all calls (exclusions listed below).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from monitor.model.vocab import FundingType

# What kind of money a call gives (`Call.funding_type`), in the order forms list them.
FUNDING_TYPES: tuple[str, ...] = tuple(kind.value for kind in FundingType)

ORG_TYPES: dict[str, str] = {
    "sme": "SME",
    "startup": "Start-up",
    "large-enterprise": "Large enterprise",
    "research": "Research organisation",
    "university": "University / higher education",
    "cluster": "Cluster organisation",
    "public-body": "Public body",
    "ngo": "NGO / non-profit",
    "individual": "Individual / natural person",
}

# The 14 industrial ecosystems of the EU Industrial Strategy update (May 2021, Annual Single
# Market Report 2021), with their official labels.
ECOSYSTEMS: dict[str, str] = {
    "aerospace-defence": "Aerospace & Defence",
    "agri-food": "Agri-food",
    "construction": "Construction",
    "cultural-creative": "Cultural and Creative Industries",
    "digital": "Digital",
    "electronics": "Electronics",
    "energy-intensive": "Energy Intensive Industries",
    "renewable-energy": "Energy - Renewables",
    "health": "Health",
    "mobility-transport-automotive": "Mobility - Transport - Automotive",
    "proximity-social-economy": "Proximity, Social Economy and Civil Security",
    "retail": "Retail",
    "textile": "Textile",
    "tourism": "Tourism",
}

# Letters NFKD does not decompose (Polish "ł", Nordic "ø"...) and typographic punctuation that
# pages mix with the plain forms ("dell’Unione", "31 May – 18:00").
_ONE_TO_ONE = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h"}
_ONE_TO_ONE |= {"’": "'", "‘": "'", "ʼ": "'", "´": "'", "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"}
_TRANSLATE = str.maketrans(_ONE_TO_ONE | {"æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"})


def fold(text: str) -> str:
    """Lower-case, accents removed (NFKD), typographic quotes/dashes made plain, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLATE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    if ch in _ONE_TO_ONE:
        return _ONE_TO_ONE[ch].lower()
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    if len(base) == 1:
        return base
    lowered = ch.lower()
    return lowered if len(lowered) == 1 else ch


def fold_chars(text: str) -> str:
    """Like `fold` but character for character (same length), so match offsets index the original."""
    return "".join(_fold_char(ch) for ch in text)


def _compile(rules: dict[str, tuple[str, ...]]) -> dict[str, re.Pattern[str]]:
    return {slug: re.compile("|".join(fragments)) for slug, fragments in rules.items()}


_ORG_RULES = _compile(
    {
        "sme": (
            r"\bsmes?\b", r"\bsme's\b", r"\bmicro[\s-]?enterprises?\b",
            r"\bsmall\s(?:and|&)\smedium[\s-]*(?:sized\s)?(?:enterprises?|companies|businesses)\b",
            r"\bpmis?\b", r"\bpmes?\b", r"\bkmus?\b", r"\bpymes?\b", r"\bmsp\b", r"\bmkb\b",
            r"\bpiccole\se\smedie\simprese\b", r"\bpetites\set\smoyennes\sentreprises\b",
            r"\bkleine[nr]?\sund\smittlere[nr]?\sunternehmen\b", r"\bpequenas\sy\smedianas\sempresas\b",
        ),
        "startup": (r"\bstart[\s-]?ups?\b", r"\bscale[\s-]?ups?\b", r"\bjeunes\spousses\b"),
        "large-enterprise": (
            r"\blarge\s(?:enterprises?|compan(?:y|ies)|corporations?|industr(?:y|ies)|firms?)\b",
            r"\bmid[\s-]?caps?\b", r"\bgrandes?\sentreprises?\b", r"\bgrandi\simprese\b",
            r"\bgrossunternehmen\b", r"\bgrandes\sempresas\b",
        ),
        "research": (
            r"\bresearch\s(?:and\stechnology\s)?(?:organi[sz]ations?|institutions?|institutes?|centres?|centers?",
            r"|bod(?:y|ies)|performing\sorgani[sz]ations?|entit(?:y|ies)|laborator(?:y|ies))\b",
            r"\brtos?\b", r"\b(?:organismi|centri|istituti)\sdi\sricerca\b",
            r"\b(?:organismes?|centres?)\sde\srecherche\b",
            r"\bforschungs(?:einrichtung|institut|organisation)\w*", r"\bcentros?\sde\sinvestigacion\b",
        ),
        "university": (
            r"\buniversi(?:ty|ties|ta|te|tes|tat|taten|dad|dades|dade|teit|teiten)\b", r"\buniwersytet\w*",
            r"\bhigher\seducation\s(?:institutions?|establishments?)\b", r"\bheis?\b", r"\bacademia\b",
            r"\bacademic\sinstitutions?\b", r"\bhochschulen?\b",
        ),
        "cluster": (
            r"\bcluster\s(?:management\s)?(?:organi[sz]ations?|managers?)\b", r"\bclusterorgani[sz]ation",
            r"\bcluster[\s-]organisationen\b", r"\bpoles?\sde\scompetitivite\b",
        ),
        "public-body": (
            r"\bpublic\s(?:authorit(?:y|ies)|bod(?:y|ies)|administrations?|entit(?:y|ies)|institutions?"
            r"|sector\sbodies|agenc(?:y|ies))\b",
            r"\b(?:national|regional|local)(?:\s?(?:/|,|and|or)\s?(?:national|regional|local))*\s(?:public\s)?",
            r"(?:authorit(?:y|ies)|governments?|administrations?)\b",
            r"\bmunicipalit(?:y|ies)\b", r"\bgovernment(?:al)?\s(?:bod(?:y|ies)|agenc(?:y|ies))\b",
            r"\bpubblich[ea]\samministrazion[ei]\b", r"\benti\spubblici\b", r"\bautorites?\spubliques?\b",
            r"\bcollectivites\s(?:territoriales|locales)\b",
            r"\boffentliche\s(?:einrichtungen|stellen|verwaltung)\b", r"\badministracion(?:es)?\spublicas?\b",
        ),
        "ngo": (
            r"\bngos?\b", r"\bongs?\b", r"\bnon[\s-]?profit\w*", r"\bnot[\s-]for[\s-]profit\b",
            r"\bnon[\s-]governmental\sorgani[sz]ations?\b", r"\bcivil\ssociety\sorgani[sz]ations?\b",
            r"\bcharit(?:y|ies)\b", r"\bsenza\sscopo\sdi\slucro\b", r"\bsans\sbut\slucratif\b",
            r"\bgemeinnutzig\w*", r"\bsin\sanimo\sde\slucro\b", r"\bterzo\ssettore\b",
        ),
        "individual": (
            r"\bnatural\spersons?\b", r"\bindividuals\b", r"\bfreelancers?\b", r"\bself[\s-]employed\b",
            r"\bindividual\s(?:applicants?|persons?|entrepreneurs?|researchers?|experts?|artists?)\b",
            r"\bpersone\sfisiche\b", r"\bpersonnes?\sphysiques?\b", r"\bnaturliche\spersonen\b",
            r"\bpersonas?\sfisicas?\b", r"\bosoby\sfizyczne\b",
        ),
    }
)  # fmt: skip

# Left out on purpose (too ambiguous for precision): bare "digital"/"digitalisation" (every call
# mentions the digital transition), "space" ("public space"), "building" ("capacity building"),
# "electronic" ("submitted electronically"), "media" ("social media"), "culture", "creative",
# "mobility" after learning/student/staff/labour/youth (Erasmus+), "social innovation"
# (a cross-cutting priority), "shop" ("one-stop shop"), singular "CCI" (also a French chamber of
# commerce; plural "CCIs" is kept), "health and safety". "net-zero" counts as renewable energy.
_ECOSYSTEM_RULES = _compile(
    {
        "aerospace-defence": (
            r"\baero[\s-]?space\b", r"\baeronautic\w*", r"\baviation\b", r"\bdefen[cs]e\b",
            r"\bdual[\s-]use\b",
            r"\bdrones?\b", r"\bspace\s(?:industry|sector|technolog\w*|economy|applications?)\b",
            r"\bsatellites?\b",
        ),
        "agri-food": (
            r"\bagri[\s-]?food\b", r"\bagro[\s-]?food\b", r"\bagricultur\w*", r"\bagricol\w*",
            r"\bagro[\s-]?aliment\w*", r"\bfoods?\b", r"\bseafood\b", r"\bbeverages?\b",
            r"\bfarm(?:s|ers?|ing)\b",
            r"\baquaculture\b", r"\bfisher(?:y|ies)\b", r"\blebensmittel\w*",
        ),
        "construction": (
            r"\bconstruction\b", r"\bbuilt\senvironment\b", r"\bbuildings\b",
            r"\bbuilding\s(?:sector|industry|materials?|renovation|stock)\b", r"\brenovation\swave\b",
            r"\bedilizia\b", r"\bbatiment\w*", r"\bbau(?:wirtschaft|industrie|gewerbe)\b",
            r"\bconstruccion\b",
            r"\bcostruzion[ei]\b",
        ),
        "cultural-creative": (
            r"\bcultural[\s-](?:and|&)[\s-]creative\b", r"\bcreative[\s-](?:and|&)[\s-]cultural\b",
            r"\b(?:creative|cultural)\sindustr\w*", r"\bccis\b", r"\baudio[\s-]?visual\b",
            r"\bperforming\sarts?\b",
            r"\bcultural\sheritage\b", r"\bvideo[\s-]?games?\b", r"\bmusic\s(?:industry|sector)\b",
            r"\bindustrie\sculturali\se\screative\b", r"\bindustries\sculturelles\set\screatives\b",
            r"\bkultur[\s-]+und\skreativwirtschaft\b", r"\bindustrias\sculturales\sy\screativas\b",
        ),
        "digital": (
            r"\bict\b", r"\bsoftware\b", r"\bartificial\sintelligence\b", r"\bcyber[\s-]?security\b",
            r"\bbig\sdata\b", r"\bdata\seconomy\b", r"\bcloud\scomputing\b", r"\btelecom\w*", r"\b5g\b",
            r"\bblockchain\b", r"\binternet\sof\sthings\b", r"\biot\b",
            r"\bdigital\s(?:ecosystem|industry|sector|economy)\b",
            r"\b(?:high[\s-]performance|quantum)\scomputing\b",
        ),
        "electronics": (
            r"\belectronics\b", r"\bmicro[\s-]?electronic\w*", r"\bsemiconductors?\b", r"\bmicrochips?\b",
            r"\bchips\sact\b", r"\bphotonics\b", r"\belectronic\scomponents?\b",
        ),
        "energy-intensive": (
            r"\benergy[\s-]intensive\b", r"\bsteel\b", r"\bcement\b", r"\bchemicals?\b", r"\bceramics?\b",
            r"\bpulp\sand\spaper\b", r"\bpaper\sand\spulp\b", r"\bnon[\s-]ferrous\b", r"\balumin(?:i)?um\b",
            r"\bprocess\sindustr\w*", r"\bglass\s(?:industry|sector)\b", r"\brefiner(?:y|ies)\b",
            r"\bfertili[sz]ers?\b",
        ),
        "renewable-energy": (
            r"\brenewable\senerg\w*", r"\brenewables\b", r"\bsolar\b", r"\bphotovoltaic\w*",
            r"\bwind\s(?:energy|power|turbines?|farms?)\b", r"\boffshore\swind\b", r"\bhydrogen\b",
            r"\bgeothermal\b", r"\bheat\spumps?\b", r"\bclean\senergy\b", r"\bnet[\s-]?zero\b",
            r"\benergie\srinnovabil\w*", r"\benergies\srenouvelables\b", r"\berneuerbare\w*\senergi\w*",
            r"\benergias\srenovables\b",
        ),
        "health": (
            r"\bhealth\s?care\b", r"\bhealth\b(?!\sand\ssafety)", r"\bmedical\b", r"\bmed[\s-]?tech\b",
            r"\bpharma\w*", r"\blife\sciences?\b", r"\be[\s-]?health\b", r"\bbiotech\w*", r"\bhospitals?\b",
            r"\bsanita\b", r"\bsante\b", r"\bgesundheit\w*", r"\bsalud\b",
        ),
        "mobility-transport-automotive": (
            r"(?<!learning\s)(?<!student\s)(?<!labour\s)(?<!staff\s)(?<!youth\s)\bmobility\b",
            r"\btransport(?:ation|s)?\b", r"\bautomotive\b", r"\blogistics?\b", r"\bvehicles?\b",
            r"\brail(?:ways?)?\b", r"\bshipbuilding\b", r"\bmta\secosystem\b", r"\bautomobil\w*",
            r"\bmobilit(?:a|e|at)\b", r"\bmovilidad\b", r"\btrasporti?\b",
        ),
        "proximity-social-economy": (
            r"\bsocial\seconom\w*", r"\bsocial\senterprises?\b", r"\bproximity\s(?:economy|and\ssocial)\b",
            r"\bcivil\ssecurity\b", r"\bco-?operatives?\b", r"\beconomi[ae]\ssociale?\b",
            r"\bsozialwirtschaft\b",
        ),
        "retail": (
            r"\bretail\w*", r"\be[\s-]?commerce\b", r"\bwholesale\b", r"\bcommercio\sal\sdettaglio\b",
            r"\bcommerce\sde\sdetail\b", r"\beinzelhandel\b", r"\bcomercio\sminorista\b",
        ),
        "textile": (
            r"\btextil\w*", r"\bfashion\b", r"\bclothing\b", r"\bapparel\b", r"\bgarments?\b",
            r"\bfootwear\b",
            r"\bleather\b", r"\btessil\w*",
        ),
        "tourism": (
            r"\btouris\w*", r"\bturis\w*", r"\bturyst\w*", r"\bhospitality\b", r"\bhotels?\b", r"\bhoreca\b",
        ),
    }
)  # fmt: skip


def _matching(rules: dict[str, re.Pattern[str]], text: str) -> list[str]:
    folded = fold(text)
    return sorted(slug for slug, pattern in rules.items() if pattern.search(folded))


def extract_org_types(text: str) -> list[str]:
    """Slugs of `ORG_TYPES` named in `text`, sorted (negations such as "not eligible" are not read)."""
    return _matching(_ORG_RULES, text)


def extract_ecosystems(text: str) -> list[str]:
    """Slugs of `ECOSYSTEMS` named in `text`, sorted; keyword rules with word boundaries."""
    return _matching(_ECOSYSTEM_RULES, text)
