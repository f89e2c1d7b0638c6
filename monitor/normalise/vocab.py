"""Organisation types and EU industrial ecosystems named in call texts, plus accent folding.

Owns: the controlled vocabularies (`ORG_TYPES`, `ECOSYSTEMS`), the keyword rules that map prose in the
EU languages onto them (cues and word-sense guards, kept as data in `data/org_types.toml` and
`data/ecosystems.toml`, each rule compiled alone), and `fold`/`fold_chars`, the accent- and
case-insensitive forms every other normalise module matches against.
Must not: do I/O beyond reading its own data files at import, read settings, or guess: the rules prefer
precision over recall, so an ambiguous word is left out rather than tagging half of all calls
(exclusions listed in the data files). It tags what a text names; "not eligible" is matching's business.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from monitor.model.vocab import FundingType
from monitor.normalise import needles

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


class _FoldTable(dict[int, str]):
    """`str.translate` table filled on first sight of a character: what `fold` makes of it alone.

    Folding is character by character: NFKD decomposes each character on its own and only reorders
    combining marks, which are all dropped; case folding maps each character without context.
    """

    def __init__(self, fold_one: Callable[[str], str]) -> None:
        super().__init__()
        self._fold_one = fold_one

    def __missing__(self, code: int) -> str:
        folded = self[code] = self._fold_one(chr(code))
        return folded


def _fold_one(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch.translate(_TRANSLATE))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fold_char(ch: str) -> str:
    if ch in _ONE_TO_ONE:
        return _ONE_TO_ONE[ch].lower()
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    if len(base) == 1:
        return base
    lowered = ch.lower()
    return lowered if len(lowered) == 1 else ch


_FOLD = _FoldTable(_fold_one)
_FOLD_CHARS = _FoldTable(_fold_char)


def fold(text: str) -> str:
    """Lower-case, accents removed (NFKD), typographic quotes/dashes made plain, whitespace collapsed."""
    return " ".join(_through(text, _fold_run).split())


def fold_chars(text: str) -> str:
    """Like `fold` but character for character (same length), so match offsets index the original."""
    return _through(text, _fold_chars_run)


# Issue #18: the character-by-character walk was a quarter of normalising a portal record. ASCII needs
# lower-casing only (bytes.lower touches nothing else); runs of other characters go through the tables.
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _through(text: str, run: Callable[[re.Match[str]], str]) -> str:
    if text.isascii():
        return text.lower()
    lowered = text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
    return _NON_ASCII.sub(run, lowered)


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD)


def _fold_chars_run(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD_CHARS)


_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Rule:
    """One vocabulary entry: cues that name it and guards in which a cue means something else."""

    slug: str
    cues: tuple[re.Pattern[str], ...]
    guards: tuple[re.Pattern[str], ...]

    def found_in(self, folded: str) -> bool:
        """A cue matches somewhere that no guard phrase covers ("wind farms" cancels "farms")."""
        if not self.guards:  # the first match decides: the rest of a 50 kB text is not read
            return any(needles.search(cue, folded) is not None for cue in self.cues)
        spans: list[tuple[int, int]] | None = None
        for cue in self.cues:
            for match in needles.finditer(cue, folded):
                # Guards are read only once a cue matched: most texts name few of the vocabulary.
                if spans is None:
                    spans = [m.span() for guard in self.guards for m in needles.finditer(guard, folded)]
                if not any(start <= match.start() and match.end() <= end for start, end in spans):
                    return True
        return False


def _compile_one(slug: str, pattern: str) -> re.Pattern[str]:
    # Each rule is one whole expression compiled alone: a fragment cut in the middle of a group fails
    # here instead of joining its neighbour as an empty alternative (issue #13).
    try:
        return re.compile(pattern)
    except re.error as error:
        raise ValueError(f"rule for {slug!r} does not compile alone: {pattern!r} ({error})") from error


def load_rules(file: str, slugs: dict[str, str]) -> tuple[Rule, ...]:
    """The rules of one data file, checked against the vocabulary they tag."""
    with (_DATA / file).open("rb") as handle:
        table = tomllib.load(handle)
    unknown = set(table) - set(slugs)
    if unknown:
        raise ValueError(f"{file}: slugs not in the vocabulary: {sorted(unknown)}")
    return tuple(
        Rule(
            slug,
            tuple(_compile_one(slug, cue) for cue in entry["cues"]),
            tuple(_compile_one(slug, guard) for guard in entry.get("guards", ())),
        )
        for slug, entry in table.items()
    )


ORG_RULES = load_rules("org_types.toml", ORG_TYPES)
ECOSYSTEM_RULES = load_rules("ecosystems.toml", ECOSYSTEMS)


def _matching(rules: tuple[Rule, ...], text: str, folded: str | None) -> list[str]:
    folded = fold(text) if folded is None else folded
    return sorted(rule.slug for rule in rules if rule.found_in(folded))


def extract_org_types(text: str, *, folded: str | None = None) -> list[str]:
    """Slugs of `ORG_TYPES` named in `text`, sorted (negations such as "not eligible" are not read).

    `folded`: `fold(text)` when the caller has it already.
    """
    return _matching(ORG_RULES, text, folded)


def extract_ecosystems(text: str) -> list[str]:
    """Slugs of `ECOSYSTEMS` named in `text`, sorted; keyword rules with word boundaries."""
    return _matching(ECOSYSTEM_RULES, text, None)
