"""Amounts of money written in free text ("EUR 1,615,000", "max 60.000 Euro", "€1.2m", ranges).

Owns: reading one number with EU and English separators and "m"/"million"/"bn" words
(`parse_amount`), and finding every amount that has a currency in a text (`extract_money`),
ranges included; formats.md §3, §4.2.
Must not: do I/O or read settings, and never report a number without a currency as money:
a year, a count of SMEs or a percentage is not a budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from monitor.normalise.vocab import fold_chars


@dataclass(frozen=True)
class Money:
    amount: Decimal  # for a range, the upper bound
    currency: str  # ISO 4217
    minimum: Decimal | None  # lower bound of a range ("between 20.000 and 50.000 euros"), else None
    text: str  # the snippet read


# A leading group of 1-3 digits followed by groups of exactly 3 is a thousands-grouped number
# ("1,615,000", "20 000", "60.000", Swiss "100'000"), optionally with 1-2 decimals after;
# anything else with one separator is a decimal ("1.2m", "12,5"). A leading "0," is always decimal.
_NUMBER = r"(?:(?!0[ ,.'])\d{1,3}(?:[ ,.']\d{3}(?!\d))+(?:[.,]\d{1,2}(?!\d))?|\d+(?:[.,]\d+)?)"
_MULTIPLIER = (
    r"k|tys|thousand|m|mn|mln|mio|million\w*|milion\w*|millon\w*|miljoen|bn|b|mld|mrd|billion\w*|miliard\w*"
    r"|milliard\w*"
)
_AMOUNT = re.compile(  # a percentage is not an amount
    rf"(?<![\d.,])(?P<num>{_NUMBER})(?![.,]?\d)(?:\s?(?P<mult>{_MULTIPLIER})\b\.?)?(?!\s?(?:%|per\s?cent|pct))"
)
_GROUPED = re.compile(r"(\d{1,3}(?:[ ,.']\d{3})+)([.,]\d{1,2})?")
_CURRENCY = re.compile(
    r"(?P<EUR>€|\beur(?:os?)?\b)|(?P<GBP>£|\bgbp\b)|(?P<USD>\bus\$|\$|\busd\b)|(?P<CHF>\bchf\b)"
    r"|(?P<PLN>\bpln\b|\bzl\b|\bzlotych\b)|(?P<SEK>\bsek\b)|(?P<DKK>\bdkk\b)|(?P<NOK>\bnok\b)"
    r"|(?P<CZK>\bczk\b|\bkc\b)|(?P<HUF>\bhuf\b|\bft\b)|(?P<RON>\bron\b|\blei\b)|(?P<BGN>\bbgn\b|лв)"
)
# "kr" (SEK/DKK/NOK) is left out: it cannot be told apart without the country.
_RANGE_TO = re.compile(r"\s*(?:-|to|bis|a|au|al|do|hasta|tot|ate)\s*")
_RANGE_AND = re.compile(r"\s*(?:and|e|et|und|y|i|en)\s*")
_BETWEEN = re.compile(r"\b(?:between|tra|fra|entre|zwischen|pomiedzy|miedzy|tussen)\s*$")
_FROM = re.compile(r"\b(?:from|da|de|von|od|desde|van)\s*$")


@dataclass
class _Amount:
    start: int
    end: int
    value: Decimal
    multiplier: Decimal  # 1 when no "m"/"million"/"k" word was written
    currency: str | None


def _plain(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _multiplier(word: str | None) -> Decimal:
    if not word:
        return Decimal(1)
    if word in ("k", "tys", "thousand"):
        return Decimal(1000)
    if word in ("bn", "b", "mld", "mrd") or word.startswith(("billion", "miliard", "milliard")):
        return Decimal(10**9)
    return Decimal(10**6)


def _number(num: str, multiplier: str | None) -> Decimal:
    grouped = _GROUPED.fullmatch(num)
    if grouped and not num.startswith(("0,", "0.")):
        whole, fraction = re.sub(r"\D", "", grouped[1]), (grouped[2] or "")[1:]
    else:
        whole, _, fraction = num.replace(",", ".").partition(".")
    return _plain(Decimal(f"{whole}.{fraction or 0}") * _multiplier(multiplier))


def parse_amount(text: str) -> Decimal | None:
    """The first number in `text` ("1,615,000", "60.000", "1.2m", "2 million", "12,5"), or None."""
    match = _AMOUNT.search(fold_chars(text))
    return _number(match["num"], match["mult"]) if match else None


def _amounts(folded: str) -> list[_Amount]:
    currencies = [(m.start(), m.end(), m.lastgroup) for m in _CURRENCY.finditer(folded)]
    found = []
    for match in _AMOUNT.finditer(folded):
        start, end = match.span()
        before = [c for c in currencies if c[1] <= start and not folded[c[1] : start].strip()]
        after = [c for c in currencies if c[0] >= end and not folded[end : c[0]].strip()]
        currency = before[-1] if before else after[0] if after else None
        if currency:  # the snippet covers the currency, wherever it is written
            start, end = min(start, currency[0]), max(end, currency[1])
        value, multiplier = _number(match["num"], match["mult"]), _multiplier(match["mult"])
        found.append(_Amount(start, end, value, multiplier, currency[2] if currency else None))
    return found


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
                result.append(Money(high.value, currency, low_value, text[start : high.end].strip()))
                i += 2
                continue
        if low.currency:
            result.append(Money(low.value, low.currency, None, text[low.start : low.end].strip()))
        i += 1
    return result
