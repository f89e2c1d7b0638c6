"""Signed links (monitor.tokens) across clocks that disagree: a worker whose clock runs ahead of the
web process mints links the web process must still accept, within a few minutes' allowance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.tokens import CLOCK_SKEW, CONFIRM_VALID, Purpose, Signer, TokenError

WEB_NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SECRET = "s" * 40


def minted(ahead: timedelta, purpose: Purpose = Purpose.MANAGE) -> str:
    return Signer(SECRET, clock=lambda: WEB_NOW + ahead).make(purpose, s=1, v=0)


def web() -> Signer:
    return Signer(SECRET, clock=lambda: WEB_NOW)


@pytest.mark.parametrize("ahead", [timedelta(seconds=1), timedelta(minutes=2), CLOCK_SKEW])
def test_a_link_from_a_clock_a_little_ahead_is_accepted(ahead: timedelta) -> None:
    assert web().read(Purpose.MANAGE, minted(ahead)) == {"s": 1, "v": 0}
    assert web().read(Purpose.CONFIRM, minted(ahead, Purpose.CONFIRM)) == {"s": 1, "v": 0}


def test_a_link_dated_ten_minutes_ahead_is_refused_as_not_valid_yet() -> None:
    with pytest.raises(TokenError, match="10 minutes in the future") as refused:
        web().read(Purpose.MANAGE, minted(timedelta(minutes=10)))
    assert not refused.value.expired  # a 400: a new link from the same clock would fail the same way


def test_lifetimes_still_end_on_time() -> None:
    token = minted(-CONFIRM_VALID, Purpose.CONFIRM)
    assert web().read(Purpose.CONFIRM, token) == {"s": 1, "v": 0}
    with pytest.raises(TokenError) as expired:
        web().read(Purpose.CONFIRM, minted(-CONFIRM_VALID - timedelta(seconds=2), Purpose.CONFIRM))
    assert expired.value.expired and expired.value.payload == {"s": 1, "v": 0}


def test_forged_and_cross_purpose_tokens_are_refused() -> None:
    token = minted(timedelta(0))
    with pytest.raises(TokenError, match="not valid"):
        web().read(Purpose.UNSUBSCRIBE, token)
    with pytest.raises(TokenError, match="not valid"):
        Signer("t" * 40, clock=lambda: WEB_NOW).read(Purpose.MANAGE, token)
