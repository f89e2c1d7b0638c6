"""Words reduced to their stems, per language, and which stems count as the same word.

Owns the Snowball stemmer of each language (PyStemmer: 30 languages, 20 of the EU's 24), `stem`,
the languages that write compounds as one word, and `Lexicon`: for a keyword's stem, the stems
of a set of calls that count as the same word.

Rules. A word is lower-cased, stemmed in its text's language and then folded (accents off), so
"pompy ciepła" and "pomp ciepła" meet at "pomp ciepl", "heat pumps" and "heat pump" at "heat
pump". A language without a Snowball stemmer is folded only. Two stems of at least 5 letters
are also the same word when one is the other plus at most 2 letters: light stemmers leave such
pairs ("agroalimentare"/"agroalimentari" -> "agroaliment"/"agroalimentar"); not in English,
whose stemmer is thorough and where the rule would make "greener" "green". In a text of a
language that compounds (German, Dutch, the Nordic languages), a keyword's stem of at least 5
letters is found at the end or start of a longer word with at least 3 letters left over:
"Gutschein" in "Innovationsgutscheine", "Wasserstoff" in "Wasserstoffprojekte".

Must not: know about calls or profiles, do I/O.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable

import Stemmer

from monitor.normalise.vocab import fold

# ISO 639-1 -> Snowball algorithm. Slovak is stemmed as Czech and Croatian as Serbian (Latin
# script): close enough that inflection is stripped, and better than folding alone.
SNOWBALL: dict[str, str] = {
    "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek", "en": "english",
    "es": "spanish", "et": "estonian", "fi": "finnish", "fr": "french", "ga": "irish", "hu": "hungarian",
    "it": "italian", "lt": "lithuanian", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "sv": "swedish", "sk": "czech", "hr": "serbian",
    "sr": "serbian", "tr": "turkish", "ru": "russian",
}  # fmt: skip
# Stemmers thorough enough that near forms would only add false friends ("green"/"greener").
THOROUGH = frozenset({"en"})
COMPOUNDING = frozenset({"de", "nl", "da", "sv", "no", "fi", "is"})
DEFAULT_LANGUAGE = "en"
MIN_STEM = 5  # letters a stem needs before near forms or compound parts count
NEAR = 2  # letters one stem may have beyond the other
MIN_REST = 3  # letters a compound must have beyond the keyword


@functools.cache
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    algorithm = SNOWBALL.get(language)
    return Stemmer.Stemmer(algorithm, 100_000) if algorithm else None


def language_key(language: str | None) -> str:
    """The two-letter code words are stemmed with ("en" when not known)."""
    code = (language or "").strip().lower()[:2]
    return code if code.isalpha() and len(code) == 2 else DEFAULT_LANGUAGE


@functools.lru_cache(maxsize=500_000)
def stem(word: str, language: str) -> str:
    """The folded stem of one word in `language` (a two-letter code)."""
    if len(word) > 2 and word[-1] == "s" and word[:-1].isupper():
        word = word[:-1]  # an acronym's plural ("SMEs", "KMUs"): no stemmer knows it
    stemmer = _stemmer(language)
    lowered = word.casefold()  # "Straße" and "Strasse" alike
    return fold(stemmer.stemWord(lowered) if stemmer else lowered)


def stem_words(words: Iterable[str], language: str) -> tuple[str, ...]:
    return tuple(stem(word, language) for word in words)


class Lexicon:
    """The stems of a set of calls, to find which count as the same word as a keyword's stem."""

    def __init__(self, stems: Iterable[str], compound_stems: Iterable[str]) -> None:
        self._stems = frozenset(stems)
        self._sorted = sorted(self._stems)
        self._parts: dict[str, set[str]] = {}
        for whole in set(compound_stems):
            for cut in range(MIN_STEM, len(whole) - MIN_REST + 1):
                self._parts.setdefault(whole[:cut], set()).add(whole)
                self._parts.setdefault(whole[-cut:], set()).add(whole)
        self._related: dict[tuple[str, bool], frozenset[str]] = {}

    def related(self, key: str, language: str) -> frozenset[str]:
        """The stems of the lexicon that count as `key`, a stem in `language` (itself included)."""
        near = language not in THOROUGH
        found = self._related.get((key, near))
        if found is None:
            found = self._related[(key, near)] = frozenset(self._find(key, near))
        return found

    def _find(self, key: str, near: bool) -> set[str]:
        found = {key} & self._stems
        if len(key) < MIN_STEM:
            return found
        if not near:
            return found | self._parts.get(key, set())
        # Shorter: the key minus one or two letters. Longer: the key plus one or two letters.
        found |= {key[:-cut] for cut in range(1, NEAR + 1) if len(key) - cut >= MIN_STEM} & self._stems
        at = bisect.bisect_right(self._sorted, key)
        while at < len(self._sorted) and self._sorted[at].startswith(key):
            if len(self._sorted[at]) - len(key) <= NEAR:
                found.add(self._sorted[at])
            at += 1
        return found | self._parts.get(key, set())
