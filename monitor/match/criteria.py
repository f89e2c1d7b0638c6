"""What a profile asks for and what matching answers, as plain values.

Owns `Criteria` (a profile's criteria; empty means "any"), `Verdict` (one criterion's outcome in
words, with the call's wording as evidence), `Match`, and the three outcomes. A criterion the
profile leaves empty is not checked and has no verdict; the status always has one. A call matches
when no verdict is "not eligible"; "unknown" means the call does not say, and such a call still
matches, with a lower score.

Must not: import the rest of `monitor.match`, do I/O or read the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ELIGIBLE, NOT_ELIGIBLE, UNKNOWN = "eligible", "not eligible", "unknown"


@dataclass(frozen=True)
class Criteria:
    """What a profile asks for; empty means "any"."""

    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    org_types: tuple[str, ...] = ()
    ecosystems: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    funding_types: tuple[str, ...] = ()
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    min_days_left: int | None = None

    @classmethod
    def from_profile(cls, profile: Any) -> Criteria:
        """Criteria from a `db.models.Profile` (or anything with the same attributes)."""

        def listed(name: str) -> tuple[str, ...]:
            return tuple(str(value) for value in getattr(profile, name, None) or ())

        return cls(
            keywords=listed("keywords"),
            exclude=listed("exclude"),
            countries=listed("countries"),
            org_types=listed("org_types"),
            ecosystems=listed("ecosystems"),
            programmes=listed("programmes"),
            funding_types=listed("funding_types"),
            budget_min=getattr(profile, "budget_min", None),
            budget_max=getattr(profile, "budget_max", None),
            min_days_left=getattr(profile, "min_days_left", None),
        )


@dataclass(frozen=True)
class Verdict:
    """One criterion's outcome for one call, in words, with the call's wording it rests on."""

    criterion: str
    outcome: str  # "eligible" | "not eligible" | "unknown"
    detail: str
    evidence: str | None


@dataclass(frozen=True)
class Match:
    """Whether a call matches a profile, its score, the short reasons and every verdict."""

    matches: bool
    score: float
    reasons: tuple[str, ...]
    verdicts: tuple[Verdict, ...]

    @property
    def summary(self) -> str:
        return " · ".join(self.reasons)
