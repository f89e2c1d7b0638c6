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
# The criteria a profile, a browse page or a feed can make strict ("only calls that state this"),
# by the name used in URLs and forms -> the criterion's name in verdicts.
STRICT_CRITERIA: dict[str, str] = {
    "country": "country",
    "org_type": "organisation type",
    "ecosystem": "ecosystem",
    "programme": "programme",
    "funding_type": "funding type",
    "budget": "budget",
    "deadline": "time left",
}


def parse_strict(values: Any) -> frozenset[str]:
    """Strict criteria from a form or URL ("ecosystem,country" or a list); unknown names are an error."""
    if isinstance(values, str):
        values = values.split(",")
    names = {str(value).strip().lower().replace("-", "_") for value in values or ()} - {""}
    unknown = sorted(names - STRICT_CRITERIA.keys())
    if unknown:
        known = ", ".join(STRICT_CRITERIA)
        raise ValueError(f"unknown strict criteria: {', '.join(unknown)} (known: {known})")
    return frozenset(names)


@dataclass(frozen=True)
class Criteria:
    """What a profile asks for; empty means "any"."""

    keywords: tuple[str, ...] = ()  # any of these
    keywords_all: tuple[str, ...] = ()  # all of these
    exclude: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    org_types: tuple[str, ...] = ()
    ecosystems: tuple[str, ...] = ()
    programmes: tuple[str, ...] = ()
    funding_types: tuple[str, ...] = ()
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    min_days_left: int | None = None
    # Names from STRICT_CRITERIA: a call that does not state the criterion is left out.
    strict: frozenset[str] = frozenset()

    @classmethod
    def from_profile(cls, profile: Any) -> Criteria:
        """Criteria from a `db.models.Profile` (or anything with the same attributes)."""

        def listed(name: str) -> tuple[str, ...]:
            return tuple(str(value) for value in getattr(profile, name, None) or ())

        return cls(
            keywords=listed("keywords"),
            keywords_all=listed("keywords_all"),
            exclude=listed("exclude"),
            countries=listed("countries"),
            org_types=listed("org_types"),
            ecosystems=listed("ecosystems"),
            programmes=listed("programmes"),
            funding_types=listed("funding_types"),
            budget_min=getattr(profile, "budget_min", None),
            budget_max=getattr(profile, "budget_max", None),
            min_days_left=getattr(profile, "min_days_left", None),
            strict=parse_strict(getattr(profile, "strict", None) or ()),
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

    @property
    def not_stated(self) -> tuple[str, ...]:
        """The criteria asked for that the call does not state (verdict "unknown"), status aside."""
        return tuple(v.criterion for v in self.verdicts if v.outcome == UNKNOWN and v.criterion != "status")
