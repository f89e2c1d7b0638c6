"""monitor.render.words: the one wording of dates, money, budgets, labels and change lines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from monitor.model.call import DeadlineIn
from monitor.model.vocab import FundingType
from monitor.model.zones import BRUSSELS
from monitor.render import labels, words

AT = datetime(2027, 3, 19, 16, 0, tzinfo=UTC)  # 17:00 in Brussels


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (60000, None, "€60,000"),
        (Decimal("60000"), "EUR", "€60,000"),
        (Decimal("60000.5"), "eur", "€60,000.50"),
        (Decimal("1234567.891"), "EUR", "€1,234,567.89"),
        (5000, "PLN", "PLN 5,000"),
        (Decimal("2000000"), "CHF", "CHF 2,000,000"),
        (5000, "GBP", "£5,000"),
        (5000, "USD", "$5,000"),
    ],
)
def test_money_in_one_wording(amount: Decimal | int, currency: str | None, expected: str) -> None:
    assert words.money(amount, currency) == expected
    assert "EUR" not in expected


def test_no_amount_says_nothing() -> None:
    assert words.money(None, "EUR") is None


def test_dates_in_words_and_in_tables() -> None:
    assert words.when(AT) == "19 March 2027 17:00"
    assert words.day(AT) == "19 March 2027"
    assert words.when(AT, BRUSSELS, with_time=False) == "19 March 2027"
    assert words.when_short(AT) == "19 Mar 2027 17:00"
    assert words.brussels(AT) == "19 March 2027 17:00 (Brussels)"
    assert words.brussels_short(AT) == "19 Mar 2027 17:00 (Brussels)"
    assert words.brussels(None) == words.brussels_short(None) == "—"
    assert words.brussels_time(AT) == "19 March 2027 17:00 Brussels time"
    assert words.describe_deadline(DeadlineIn(at=AT, date_only=True)) == "19 March 2027"
    assert words.describe_deadlines([DeadlineIn(at=AT), DeadlineIn(at=AT, date_only=True)]) == (
        "19 March 2027 17:00, 19 March 2027"
    )


def test_days_left() -> None:
    assert [words.days_phrase(n) for n in (0, 1, 41)] == ["deadline today", "1 day left", "41 days left"]


@dataclass
class Budget:
    budget_total: Decimal | None
    contribution_max: Decimal | None
    budget_currency: str | None = "EUR"


def test_budget_line_and_match_phrase() -> None:
    both = Budget(Decimal("2000000"), Decimal("500000"))
    assert words.budget_text(both) == "€2,000,000 in total, up to €500,000 per project"
    assert words.budget_text(Budget(None, Decimal("60000"))) == "up to €60,000 per project"
    assert words.budget_text(Budget(None, None)) is None
    low, high = Decimal("10000"), Decimal("60000")
    assert words.budget_phrase(None, high, "EUR", per_project=True) == "up to €60,000 per project"
    assert words.budget_phrase(high, high, None, per_project=True) == "€60,000 per project"
    assert words.budget_phrase(low, high, None, per_project=True) == "€10,000 to €60,000 per project"
    assert words.budget_phrase(low, high, None, per_project=False) == (
        "from €10,000 per project, €60,000 in total"
    )
    assert words.wanted_budget(low, None) == "at least €10,000"
    assert words.wanted_budget(None, high) == "at most €60,000"


def test_funding_labels_cover_the_one_list() -> None:
    assert set(labels.FUNDING_LABELS) == set(FundingType)
    assert labels.funding_label("cascade") == "Cascade funding"
    assert labels.funding_phrase("cascade") == "cascade funding"
    assert labels.funding_choice("cascade") == "Cascade funding (open calls of EU projects)"
    assert labels.funding_choice("loan") == "Loan or equity"


def test_change_lines() -> None:
    old = json.dumps({"at": "2027-03-12T16:00:00+00:00", "label": None})
    new = json.dumps({"at": "2027-03-19T16:00:00+00:00", "label": None})
    assert words.describe_change("deadline", "changed", old, new, currency=None) == (
        "deadline moved from 12 March 2027 17:00 to 19 March 2027 17:00 (Brussels)"
    )
    assert words.describe_change("contribution_min", "changed", "10000", "20000", currency="EUR") == (
        "minimum grant: €10,000 → €20,000"
    )
    assert words.describe_change("opens_at", "added", None, "2027-03-01T00:00:00+00:00", currency=None) == (
        "opening date added: 1 March 2027"
    )
    assert labels.field_topic("contribution_max") == "budget"


def test_an_opening_date_is_a_day_without_an_invented_time() -> None:
    # The portal's startDate "2026-10-08T00:00:00.000+0000" is 02:00 in Brussels; a page's "Opening
    # 08.10.2026" is stored as midnight Brussels (22:00Z the day before). Both are 8 October, no time.
    assert words.opening(datetime(2026, 10, 8, 0, tzinfo=UTC)) == "8 October 2026"
    assert words.opening(datetime(2026, 10, 7, 22, tzinfo=UTC)) == "8 October 2026"
    assert words.opening(None) == "—"
