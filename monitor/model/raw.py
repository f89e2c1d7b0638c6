"""The call as one source parsed it, before normalisation (`RawCall`).

Every source kind produces these; `monitor.normalise.call` turns them into
`monitor.model.call.CallIn`.

Must not: import anything of the project but `monitor.model`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.model.vocab import CallStatus, DeadlineModel, FundingType


class RawDeadline(BaseModel):
    """One deadline stage or cut-off, as the source gave it.

    `at` is set when the source gives a machine-readable instant (aware
    datetime); otherwise `text` holds the wording and normalisation reads it.
    """

    model_config = ConfigDict(extra="forbid")

    at: datetime | None = None
    text: str = ""
    label: str | None = None
    tentative: bool = False  # "(tbc)"
    # True when the source keeps a time of day we must not trust (F&T portal
    # topics, types 1 and 2): normalisation then applies the Brussels 17:00 rule
    # of formats.md §1.4 and keeps the instant as published in `published_at`.
    date_only: bool = False
    # The instant exactly as the source published it, when a source reading
    # (not normalisation) had to interpret it: a tender's `deadlineDate` is its
    # local wall time labelled UTC, so `at` is the instant and this the label.
    published_at: datetime | None = None

    @field_validator("at", "published_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("deadline datetimes must be timezone-aware")
        return value


class RawCall(BaseModel):
    """A call as one source sees it, before normalisation.

    Fields a source does not know stay None/empty. Free-text fields
    (`*_text`) are kept verbatim: normalisation extracts values from them
    and the original wording is shown to users next to the value.
    """

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=300)
    title: str
    url: str | None = None
    summary_html: str | None = None
    summary_text: str | None = None
    conditions_html: str | None = None

    identifier: str | None = None
    parent_identifier: str | None = None
    parent_title: str | None = None
    project: str | None = None
    organisation: str | None = None
    language: str | None = None

    programme: str | None = None
    programme_code: str | None = None
    type_of_action: str | None = None
    funding_type: FundingType | None = None
    status_hint: CallStatus | None = None
    deadline_model: DeadlineModel | None = None

    published_at: datetime | None = None
    opens_at: datetime | None = None
    opens_text: str | None = None
    deadlines: list[RawDeadline] = Field(default_factory=list)
    deadline_text: str | None = None

    budget_total: Decimal | None = None
    budget_currency: str | None = None
    budget_text: str | None = None
    contribution_min: Decimal | None = None
    contribution_max: Decimal | None = None
    expected_grants: int | None = None

    countries: list[str] = Field(default_factory=list)
    countries_text: str | None = None
    org_types: list[str] = Field(default_factory=list)
    org_types_text: str | None = None
    # True when `org_types_text` is the source's labelled list of who may apply (euro-access "eligible
    # entities"), not prose: normalisation then reads the list as exclusive (`org_types_exclusive`).
    org_types_listed: bool = False
    ecosystems: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    sme_relevant: bool | None = None

    extra: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
