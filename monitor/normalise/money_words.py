"""The words of money in the EU languages: scales ("milioni", "Mio.", "tys.") and currency names.

Owns the tables `money.py` matches against, built once from Babel's CLDR data for the 24 official EU
languages (compact number formats give the scale words, currency names and symbols give the
currencies), plus the few abbreviations calls write that CLDR does not list ("mn", "bn", "mln" in
English, "M€"-style fused forms). Every word is stored folded (`vocab.fold_chars`), as matched.
Must not: read text or decide what an amount means; no I/O beyond Babel's bundled data.
"""

from __future__ import annotations

import re
from decimal import Decimal

from babel import Locale
from babel.numbers import get_currency_name, get_currency_symbol

from monitor.normalise.vocab import fold_chars

EU_LOCALES = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr",
    "hu", "it", "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
)  # fmt: skip
CURRENCIES = ("EUR", "GBP", "CHF", "PLN", "SEK", "DKK", "NOK", "CZK", "HUF", "RON", "BGN", "USD")

# Abbreviations calls write that CLDR's compact formats do not list (seen on Eurocluster, cascade-call
# and national-agency pages: "EUR 2.5 mn", "€1.5 bn", "1,2 mln euro", "3 Mio €", "500 Tsd. €").
_EXTRA_SCALES = {
    "k": 10**3, "thousand": 10**3, "thousands": 10**3, "tsd.": 10**3, "tys": 10**3, "tis": 10**3,
    "m": 10**6, "mn": 10**6, "mln": 10**6, "mio": 10**6, "mill.": 10**6, "millions": 10**6,
    "εκατ.": 10**6, "млн": 10**6, "mm": 10**6, "milijone": 10**6,  # Slovenian accusative "4 milijone"
    "b": 10**9, "bn": 10**9, "mld": 10**9, "mrd": 10**9, "mds": 10**9, "billions": 10**9,
}  # fmt: skip
# Short forms CLDR gives that read as ordinary words next to a number: Hungarian "E" (ezer) is the
# Italian/Portuguese "e" of "tra 20.000 e 50.000 euro"; Maltese "G" is a unit.
_REFUSED_SCALES = {"e", "g"}
# Scale words are kept only up to 10^9: a call budget is never in trillions, and "billion" is 10^12 in
# German, French, Spanish and Polish CLDR but 10^9 in English.
_MAX_SCALE = 10**9


def _pattern_words(pattern: str) -> tuple[str, int] | None:
    """("mil millones", 3 zeros) from a CLDR pattern like "0 mil millones" / "0000 M" / "0 Mio'.'"."""
    text = pattern.replace("'.'", ".").replace("'", "").replace("¤", " ").replace("\xa0", " ")
    zeros = text.count("0")
    words = " ".join(w for w in text.replace("0", " ").split() if w != "de")
    return (fold_chars(words).strip(), zeros) if words and zeros else None


def _cldr_scales() -> dict[str, int]:
    scales: dict[str, int] = {}
    for code in EU_LOCALES:
        locale = Locale.parse(code)
        for formats in (locale.compact_decimal_formats, locale.compact_currency_formats):
            for kind in formats:
                for plural in formats[kind]:
                    for magnitude, pattern in formats[kind][plural].items():
                        found = _pattern_words(getattr(pattern, "pattern", str(pattern)))
                        if found is None or int(magnitude) > _MAX_SCALE:
                            continue
                        words, zeros = found
                        value = int(magnitude) // 10 ** (zeros - 1)
                        if " " not in words and words not in _REFUSED_SCALES and value >= 1000:
                            scales.setdefault(words, value)
    return scales


_PLURAL_COUNTS = (1, 2, 3, 5, 11, 21, 0.5)


def _currency_words() -> dict[str, str]:
    """Folded currency word or symbol -> ISO code, from CLDR names, plural names and symbols."""
    words: dict[str, str] = {}
    for code in EU_LOCALES + ("nb",):
        locale = Locale.parse(code)
        for currency in CURRENCIES:
            names = {locale.currencies.get(currency, ""), get_currency_symbol(currency, code)}
            # One count per CLDR plural category (one, two, few, many, other): "euro", "eura", "eurų"…
            names |= {get_currency_name(currency, count, code) for count in _PLURAL_COUNTS}
            for name in names:
                folded = fold_chars(name).strip()
                # "kr"/"kr." is SEK, DKK or NOK alike: `money.py` reads it only with a telling word.
                if len(folded) > 1 and folded not in ("kr", "kr.") or name in ("€", "£", "$"):
                    words.setdefault(folded.rstrip("."), currency)
    words.update({code.lower(): code for code in CURRENCIES})
    # Written forms CLDR lacks: "złotych" (PLN genitive), "korun" (CZK), "kronor" (SEK plural), "€".
    words.update({"zlotych": "PLN", "zl": "PLN", "korun": "CZK", "kc": "CZK", "kronor": "SEK", "lei": "RON"})
    words.update({"leva": "BGN", "лева": "BGN", "pounds": "GBP", "sterling": "GBP", "us$": "USD"})
    return words


def _alternation(words: object) -> str:
    """A regular expression alternative of `words`, longest first so "mln" wins over "m"."""
    ordered = sorted({str(w) for w in words}, key=lambda w: (-len(w), w))  # type: ignore[attr-defined]
    return "|".join(re.escape(w).replace(r"\ ", r"\s") for w in ordered)


SCALES: dict[str, Decimal] = {
    word.rstrip("."): Decimal(value) for word, value in {**_cldr_scales(), **_EXTRA_SCALES}.items()
}
# Czech, Slovak, Croatian and Romanian "mil." is a million; Spanish and Portuguese "mil" is a thousand.
# The dot tells them apart ("5 mil. Kč" vs "300 mil euros"), so the dotted form is its own word.
SCALES["mil."] = Decimal(10**6)
SCALES["mil"] = Decimal(1000)
CURRENCY_WORDS: dict[str, str] = _currency_words()
SCALE_PATTERN = _alternation(w if w.endswith(".") else w for w in SCALES)
CURRENCY_PATTERN = _alternation(CURRENCY_WORDS)


def scale_value(words: str) -> Decimal:
    """The multiplier of one or two scale words as matched ("milioni" -> 10^6, "mil millones" -> 10^9)."""
    value = Decimal(1)
    for word in words.replace("de ", " ").split():
        word = word if word == "mil." else word.rstrip(".")
        value *= SCALES[word]
    return value
