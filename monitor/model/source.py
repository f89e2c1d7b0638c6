"""A source's health as the store reports it after a run, and the evidence a call needs to be unlisted.

Must not: import anything of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Health:
    source_id: str
    name: str
    consecutive_failures: int
    alert_after_failures: int
    last_success_at: datetime | None
    last_error: str | None
    consecutive_incomplete: int = 0
    alert_after_incomplete: int = 3


@dataclass(frozen=True)
class UnlistRule:
    """A call is unlisted only once complete polls missed it for `after` and at least `polls` times.

    One search-backend outage or one half-rendered listing must not make users believe calls vanished
    (`[poll]` in config/callwatch.toml sets both).
    """

    after: timedelta = timedelta(hours=24)
    polls: int = 2
