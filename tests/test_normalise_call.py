"""RawCall -> CallIn rules that every source relies on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from monitor.model.raw import RawCall, RawDeadline
from monitor.model.vocab import CallStatus, DeadlineModel
from monitor.normalise.call import normalise_call

NOW = datetime(2026, 11, 21, 9, tzinfo=UTC)


def _raw(**values) -> RawCall:
    return RawCall(key="k", title="  A   call ", **values)


def test_opening_in_words_makes_a_call_forthcoming() -> None:
    call = normalise_call(
        _raw(opens_text="Opening\n15.01.2027", deadline_text="Deadline: 30.04.2027 17:00"), now=NOW
    )
    assert call.opens_at == datetime(2027, 1, 14, 23, tzinfo=UTC)  # midnight Brussels (CET)
    assert call.status == "forthcoming" and call.title == "A call"


def test_unreadable_opening_is_a_warning_not_a_guess() -> None:
    call = normalise_call(_raw(opens_text="spring 2027", deadline_text="Deadline: 30.04.2027"), now=NOW)
    assert call.opens_at is None and call.status == "open"
    assert any("opening date" in warning for warning in call.warnings)


def test_portal_time_of_day_is_replaced_by_the_stated_cut_off() -> None:
    deadline = RawDeadline(
        at=datetime(2027, 3, 17, 23, tzinfo=UTC), text="2027-03-17T23:00:00.000+0000", date_only=True
    )
    call = normalise_call(
        _raw(deadlines=[deadline], conditions_html="<p>Deadline: 18 March 2027 12:00:00 Brussels time</p>"),
        now=NOW,
    )
    # 23:00Z on the 17th is the 18th in Brussels; the conditions say 12:00 Brussels (CET) = 11:00 UTC
    assert [d.at for d in call.deadlines] == [datetime(2027, 3, 18, 11, tzinfo=UTC)]


def test_status_from_dates_overrides_a_lagging_portal_status() -> None:
    passed = RawDeadline(at=datetime(2026, 9, 15, tzinfo=UTC), date_only=True)
    call = normalise_call(_raw(deadlines=[passed], status_hint=CallStatus.OPEN), now=NOW)
    assert (call.status, call.status_hint, call.next_deadline_at) == ("closed", "open", None)


def test_permanent_call_without_deadline_is_open() -> None:
    call = normalise_call(_raw(deadline_model=DeadlineModel.PERMANENT), now=NOW)
    assert call.status == "open"
    assert normalise_call(_raw(), now=NOW).status == "unknown"


def test_next_deadline_skips_passed_and_closed_cut_offs() -> None:
    text = "Cut-off 1: 15 October 2026 – CLOSED\nCut-off 2: 15 January 2027\nCut-off 3: 15 May 2027 (tbc)"
    call = normalise_call(_raw(deadline_text=text), now=NOW)
    assert call.next_deadline_at == datetime(2027, 1, 15, 16, tzinfo=UTC)
    assert call.final_deadline_at == datetime(2027, 5, 15, 15, tzinfo=UTC)
    assert [d.tentative for d in call.deadlines] == [False, False, True]


def test_scripts_in_descriptions_are_removed_and_text_kept() -> None:
    call = normalise_call(
        _raw(summary_html='<p onclick="x()">Hydrogen <script>alert(1)</script>valleys</p>'), now=NOW
    )
    assert call.summary_html == "<p>Hydrogen valleys</p>" and call.summary_text == "Hydrogen valleys"


def test_budget_from_free_text_range() -> None:
    call = normalise_call(_raw(budget_text="between 20.000 and 50.000 euros per SME"), now=NOW)
    # issue #13: a per-SME range is what one SME gets, not the call's total
    assert (call.budget_total, call.budget_currency) == (None, "EUR")
    assert (call.contribution_min, call.contribution_max) == (Decimal("20000.00"), Decimal("50000.00"))


def test_budget_total_and_per_project_are_stored_apart() -> None:
    # issue #13: this text used to store a total of 500,000
    text = "un budget pari a 6 milioni di euro … budget massimo per ciascuna pari a 500.000 euro"
    call = normalise_call(_raw(budget_text=text), now=NOW)
    assert (call.budget_total, call.contribution_min, call.contribution_max, call.budget_currency) == (
        Decimal("6000000.00"), None, Decimal("500000.00"), "EUR"
    )  # fmt: skip
    gbp = normalise_call(_raw(budget_text="between £150,000 and £300,000"), now=NOW)
    assert (gbp.budget_total, gbp.contribution_min, gbp.contribution_max, gbp.budget_currency) == (
        None, Decimal("150000.00"), Decimal("300000.00"), "GBP"
    )  # fmt: skip
    # A per-project figure the source gave as a field is kept; the text only adds the total.
    text = "Total budget: EUR 600,000; up to € 60 000 per SME"
    both = normalise_call(_raw(budget_text=text, contribution_max=Decimal(50000)), now=NOW)
    assert (both.budget_total, both.contribution_max) == (Decimal("600000.00"), Decimal("50000.00"))


def test_unreadable_budget_stores_nothing() -> None:
    call = normalise_call(_raw(budget_text="Dotazione: 6 milioni"), now=NOW)
    assert (call.budget_total, call.contribution_max, call.budget_currency) == (None, None, None)
    assert call.warnings == ["no amount with a currency in budget text 'Dotazione: 6 milioni'"]


def test_unreadable_budget_is_a_warning() -> None:
    call = normalise_call(_raw(budget_text="to be announced"), now=NOW)
    assert call.budget_total is None and any("budget" in w for w in call.warnings)
