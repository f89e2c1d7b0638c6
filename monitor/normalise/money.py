"""Amounts of money written in free text ("EUR 1,615,000", "1,4 milioni di euro", "€1.2m", ranges).

Owns: reading one number with the EU languages' separators and scale words ("milioni", "Mio.",
"tys.", "mil millones"; `money_words`) (`parse_amount`), and finding every amount that has a currency
in a text (`extract_money`), ranges included; formats.md §3, §4.2.
Must not: do I/O or read settings, decide whether an amount is a total or per project (`budget.py`),
and never report a number without a currency as money: a year, a count of SMEs or a percentage is not
a budget; "kr" alone (SEK, DKK or NOK) is not a currency.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale

from monitor.normalise.money_words import (
    CURRENCY_PATTERN,
    CURRENCY_WORDS,
    EU_LOCALES,
    SCALE_PATTERN,
    scale_value,
)
from monitor.normalise.vocab import fold_chars


@dataclass(frozen=True)
class Money:
    amount: Decimal  # for a range, the upper bound
    currency: str  # ISO 4217
    minimum: Decimal | None  # lower bound of a range ("between 20.000 and 50.000 euros"), else None
    text: str  # the snippet read
    start: int = 0  # the snippet's place in the text read
    end: int = 0


# CLDR's group separators of the EU languages (".", ",", no-break and narrow spaces, folded to " ") and
# the Swiss apostrophe ("100'000"); the decimal mark is the other of "," and ".".
_GROUPS = {fold_chars(Locale.parse(code).number_symbols["latn"]["group"]) for code in (*EU_LOCALES, "de_CH")}
_GROUP = "".join(sorted(_GROUPS | {" "}))
_SEP = f"[{re.escape(_GROUP)}]"
# A leading group of 1-3 digits followed by groups of exactly 3 is a thousands-grouped number
# ("1,615,000", "20 000", "60.000", Swiss "100'000"), optionally with 1-2 decimals after;
# anything else with one separator is a decimal ("1.2m", "1,4 milioni"). A leading "0," is always decimal.
_NUMBER = rf"(?:(?!0{_SEP})\d{{1,3}}(?:{_SEP}\d{{3}}(?!\d))+(?:[.,]\d{{1,2}}(?!\d))?|\d+(?:[.,]\d+)?)"
# A scale word ends the word, or is fused with a currency code: "M€", "k€", "MEUR", Swedish "mnkr"/"tkr".
_SCALE_END = r"(?:\.?(?!\w)|(?=(?:eur|sek|nok|dkk|chf|pln|gbp|kr)(?!\w)))"
_MULTIPLIER = rf"(?:{SCALE_PATTERN}){_SCALE_END}(?:\s(?:{SCALE_PATTERN}){_SCALE_END})?"
_AMOUNT = re.compile(  # a percentage is not an amount; Romanian writes "20 de milioane"
    rf"(?<![\d.,])(?P<num>{_NUMBER})(?![.,]?\d)(?:\s?(?:de\s)?(?P<mult>{_MULTIPLIER}))?"
    r"(?!\s?(?:%|per\s?cent|pct))"
)
_GROUPED = re.compile(rf"(\d{{1,3}}(?:{_SEP}\d{{3}})+)([.,]\d{{1,2}})?")
_CURRENCY = re.compile(CURRENCY_PATTERN)
# Swedish fuses kronor with the scale ("12 mnkr", "500 tkr", "3 Mkr"): that "kr" is SEK.
_SWEDISH_KR = re.compile(r"(?<=\d)\s?(?:mn|m|t)kr(?!\w)")
_KRONER = re.compile(
    rf"{_NUMBER}(?:\s?(?:{_MULTIPLIER}))?\s?(?:kr\.?|kroner|kronen)(?!\w)|(?<!\w)kr\.?\s?\d[\d.,' ]*"
)
# Between the number (or its scale) and a currency after it: "6 milioni di euro", "millions d'euros".
_CONNECTOR = re.compile(r"\s*(?:(?:di|de|d')\s*)?")
_RANGE_TO = re.compile(r"\s*(?:-|to|bis|a|au|al|do|hasta|tot|ate|la|till|til|iki|lidz|kuni|εως|μεχρι|до)\s*")
_RANGE_AND = re.compile(r"\s*(?:and|e|et|und|y|i|en|og|och|a|ja|ir|un|si|es|και|и)\s*")
_BETWEEN = re.compile(
    r"(?<!\w)(?:between|tra|fra|entre|zwischen|pomiedzy|miedzy|tussen|mellan|mellem|intre|μεταξυ|между|mezi)\s*$"
)
_FROM = re.compile(r"(?<!\w)(?:from|da|de|de la|von|od|desde|van|fran|fra|nuo|no|alates|απο|от)\s*$")


@dataclass
class _Amount:
    start: int
    end: int
    value: Decimal
    multiplier: Decimal  # 1 when no "m"/"million"/"k" word was written
    currency: str | None


def _plain(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _multiplier(words: str | None) -> Decimal:
    return scale_value(words) if words else Decimal(1)


def _number(num: str, multiplier: str | None) -> Decimal:
    grouped = _GROUPED.fullmatch(num)
    if grouped and not num.startswith(("0,", "0.")):
        whole, fraction = re.sub(r"\D", "", grouped[1]), (grouped[2] or "")[1:]
    else:
        whole, _, fraction = num.replace(",", ".").partition(".")
    return _plain(Decimal(f"{whole}.{fraction or 0}") * _multiplier(multiplier))


def parse_amount(text: str) -> Decimal | None:
    """The first number in `text` ("1,615,000", "60.000", "1.2m", "1,4 milioni", "2,5 Mio."), or None."""
    match = _AMOUNT.search(fold_chars(text))
    return _number(match["num"], match["mult"]) if match else None


def _currencies(folded: str, amount_ends: set[int]) -> list[tuple[int, int, str]]:
    """Currency words and symbols; a word counts where it starts a word or follows a fused scale ("MEUR")."""
    found = []
    for match in _CURRENCY.finditer(folded):
        start, end = match.span()
        if match[0][-1].isalpha() and end < len(folded) and folded[end].isalnum():
            continue  # "euro" in "Eurocluster"
        if start == 0 or not folded[start - 1].isalpha() or start in amount_ends:
            found.append((start, match.end(), CURRENCY_WORDS[match[0].rstrip(".")]))
    for match in _SWEDISH_KR.finditer(folded):
        found.append((match.end() - 2, match.end(), "SEK"))
    return sorted(found)


def _amounts(folded: str) -> list[_Amount]:
    matches = list(_AMOUNT.finditer(folded))
    currencies = _currencies(folded, {m.end() for m in matches})
    found = []
    for match in matches:
        start, end = match.span()
        before = [c for c in currencies if c[1] <= start and not folded[c[1] : start].strip()]
        # A currency written against the next number ("In 2026 €3 million") is that number's prefix.
        after = [
            c for c in currencies
            if c[0] >= end and _CONNECTOR.fullmatch(folded[end : c[0]])
            and not folded[c[1] : c[1] + 1].isdigit()
        ]  # fmt: skip
        currency = before[-1] if before else after[0] if after else None
        if currency:  # the snippet covers the currency, wherever it is written
            start, end = min(start, currency[0]), max(end, currency[1])
        value, multiplier = _number(match["num"], match["mult"]), _multiplier(match["mult"])
        found.append(_Amount(start, end, value, multiplier, currency[2] if currency else None))
    return found


def kroner_without_country(text: str) -> str | None:
    """An amount in "kr"/"kroner" alone (SEK, DKK or NOK cannot be told apart), as written, or None."""
    folded = fold_chars(text)
    match = _KRONER.search(folded)
    if match is None or _SWEDISH_KR.search(folded):
        return None
    return text[match.start() : match.end()].strip()


def _range(folded: str, low: _Amount, high: _Amount) -> int | None:
    """Start of the range phrase when `low` and `high` are the two ends of one range, else None."""
    gap = folded[low.end : high.start]
    if low.currency and high.currency and low.currency != high.currency:
        return None
    between = _BETWEEN.search(folded, 0, low.start)
    if _RANGE_TO.fullmatch(gap):
        opener = _FROM.search(folded, 0, low.start)
        return opener.start() if opener else low.start
    if _RANGE_AND.fullmatch(gap) and between:
        return between.start()
    return None


def extract_money(text: str) -> list[Money]:
    """Every amount with a currency in `text`, in order; "A to B" / "between A and B" become one range."""
    folded = fold_chars(text)
    amounts, result, i = _amounts(folded), [], 0
    while i < len(amounts):
        low, high = amounts[i], amounts[i + 1] if i + 1 < len(amounts) else None
        if high and (low.currency or high.currency) and (start := _range(folded, low, high)) is not None:
            low_value = low.value
            if low.multiplier == 1 and low_value < 1000:  # "EUR 1-2 million": the word covers both ends
                low_value = _plain(low_value * high.multiplier)
            if low_value <= high.value:
                currency = str(high.currency or low.currency)
                snippet = text[start : high.end].strip()
                result.append(Money(high.value, currency, low_value, snippet, start, high.end))
                i += 2
                continue
        if low.currency:
            snippet = text[low.start : low.end].strip()
            result.append(Money(low.value, low.currency, None, snippet, low.start, low.end))
        i += 1
    return result
