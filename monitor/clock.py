"""Clocks: every time-dependent part takes one of these instead of calling now().

`--now` on the CLI and the tests' frozen clock replay time through them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock frozen at `at` (must be timezone-aware)."""
    if at.tzinfo is None:
        raise ValueError("a fixed clock needs a timezone-aware datetime")
    return lambda: at


def running_clock(start: datetime) -> Clock:
    """A clock that starts at `start` and runs at real speed (a worker replaying another day)."""
    if start.tzinfo is None:
        raise ValueError("a running clock needs a timezone-aware datetime")
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant for --now; a value without zone is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time like 2027-03-01T08:00:00+01:00") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
