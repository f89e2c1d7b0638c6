"""What one planning run did, for the worker's log and the CLI's summary line.

Owns the counters only. Must not plan, render or claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PlanReport:
    claimed: int = 0
    empty: int = 0
    late: int = 0
    already: int = 0
    notes: list[str] = field(default_factory=list)
