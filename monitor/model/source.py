"""A source's health as the store reports it after a run.

Must not: import anything of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Health:
    source_id: str
    name: str
    consecutive_failures: int
    alert_after_failures: int
    last_success_at: datetime | None
    last_error: str | None
