"""The closed vocabularies a call is described with: funding type, status,
deadline model, and the kinds of change recorded in a call's history.

Must not: import anything of the project. Stored as short strings, so a new
value never needs a schema change.
"""

from __future__ import annotations

from enum import StrEnum


class FundingType(StrEnum):
    """What kind of money a call gives; the one list (forms, filters and checks derive theirs)."""

    GRANT = "grant"
    CASCADE = "cascade"
    TENDER = "tender"
    PRIZE = "prize"
    LOAN = "loan"
    OTHER = "other"


class CallStatus(StrEnum):
    FORTHCOMING = "forthcoming"
    OPEN = "open"
    CLOSED = "closed"
    UNKNOWN = "unknown"


class DeadlineModel(StrEnum):
    SINGLE_STAGE = "single-stage"
    TWO_STAGE = "two-stage"
    MULTIPLE_CUTOFF = "multiple cut-off"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


class ChangeKind(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"
