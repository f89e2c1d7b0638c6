"""Amounts and budgets in words: "€60,000", "€2,000,000 in total, up to €500,000 per project".

Owns money (Babel's CLDR data: no cents on whole amounts, a currency's own symbol or code, never
"EUR"), a call's budget line, a budget range and a profile's wanted range. `monitor.render.words`
re-exports these: the one wording of a call's facts stays in one place to import from.
Must not: do I/O or know where the text ends up.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from typing import Protocol, overload

from babel import Locale
from babel.numbers import format_currency
from babel.numbers import get_currency_precision as _precision

from monitor.render.i18n import translator

MONEY_FIELDS = frozenset({"budget_total", "contribution_min", "contribution_max"})
# Babel takes ~0.2 ms an amount; a digest run words the same few hundred amounts thousands of times.
_currency = functools.lru_cache(maxsize=8192)(format_currency)
_FRACTION = re.compile(r"\.0+")
# CLDR puts a space between a currency written as letters and the digits; Babel does not.
_CODE_AND_DIGIT = re.compile(r"(?<=[A-Za-z])(?=[\d-])|(?<=\d)(?=[A-Za-z])")


class Budgeted(Protocol):
    budget_total: Decimal | None
    contribution_max: Decimal | None
    budget_currency: str | None


@overload
def money(amount: None, currency: str | None, *, language: str = "en") -> None: ...
@overload
def money(amount: Decimal | int | float, currency: str | None, *, language: str = "en") -> str: ...
def money(amount: Decimal | int | float | None, currency: str | None, *, language: str = "en") -> str | None:
    """'€60,000', '€60,000.50', 'PLN 60,000', '£5,000'; no currency means euros."""
    if amount is None:
        return None
    value, code = Decimal(str(amount)), (currency or "EUR").upper()
    if value == value.to_integral_value() or _precision(code) == 0:
        text = _currency(value, code, format=_whole(language), locale=language, currency_digits=False)
    else:
        text = _currency(value, code, locale=language)
    return _CODE_AND_DIGIT.sub(" ", text)


@functools.cache
def _whole(language: str) -> str:
    """The language's currency pattern without its fraction digits ('¤#,##0')."""
    return _FRACTION.sub("", Locale.parse(language).currency_formats["standard"].pattern)


def budget_text(call: Budgeted, *, language: str = "en") -> str | None:
    """A call's budget line: '€2,000,000 in total, up to €500,000 per project'."""
    total = money(call.budget_total, call.budget_currency, language=language)
    per_project = money(call.contribution_max, call.budget_currency, language=language)
    _ = translator(language)
    if total and per_project and call.contribution_max != call.budget_total:
        return _("%(total)s in total, up to %(each)s per project", total=total, each=per_project)
    return total or (_("up to %(each)s per project", each=per_project) if per_project else None)


def budget_phrase(
    low: Decimal | None,
    high: Decimal | None,
    currency: str | None,
    *,
    per_project: bool,
    language: str = "en",
) -> str:
    """What a call gives per project, as a match reason says it ('€10,000 to €60,000 per project').
    `per_project` says that `high` is the call's maximum contribution rather than its total budget."""
    amount, _ = functools.partial(money, currency=currency, language=language), translator(language)
    if per_project and high is not None:
        if low is None:
            return _("up to %(each)s per project", each=amount(high))
        if low == high:
            return _("%(each)s per project", each=amount(high))
        return _("%(low)s to %(high)s per project", low=amount(low), high=amount(high))
    if low is not None and high is not None:
        return _("from %(low)s per project, %(total)s in total", low=amount(low), total=amount(high))
    if high is not None:
        return _("%(total)s in total", total=amount(high))
    return _("from %(low)s per project", low=amount(low)) if low is not None else ""


def wanted_budget(low: Decimal | None, high: Decimal | None, *, language: str = "en") -> str:
    """A profile's budget range in euros: '€10,000 to €60,000', 'at least €10,000', 'at most …'."""
    _ = translator(language)
    if low is not None and high is not None:
        return _(
            "%(low)s to %(high)s",
            low=money(low, None, language=language),
            high=money(high, None, language=language),
        )
    if low is not None:
        return _("at least %(low)s", low=money(low, None, language=language))
    return _("at most %(high)s", high=money(high or Decimal(0), None, language=language))
