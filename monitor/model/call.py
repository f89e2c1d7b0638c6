"""The shapes the repository accepts: a normalised call and its deadlines.

`CallIn` is what `monitor.normalise.call.normalise_call` produces and what
`db.repo.store_calls` writes; `content_hash` covers every stored field, so
an unchanged call costs one string comparison and no write.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Fields compared one by one to write typed change records (deadlines are diffed separately).
TRACKED_FIELDS = (
    "title", "status", "opens_at", "budget_total", "budget_currency", "contribution_min",
    "contribution_max", "expected_grants", "url", "programme", "type_of_action", "funding_type",
    "deadline_model", "countries", "org_types", "ecosystems", "summary_text", "conditions_text",
)  # fmt: skip
# Long texts: the change is recorded, the values are not copied into the history.
TEXT_FIELDS = frozenset({"summary_text", "conditions_text"})


class DeadlineIn(BaseModel):
    """One stored deadline stage: `at` is the instant Callwatch acts on.

    `published_at` is the instant as the source published it, kept whenever a
    documented rule moved `at` away from it (the portal topics' 17:00 Brussels
    rule): both values are stored and the call page shows both.
    """

    model_config = ConfigDict(frozen=True)

    at: datetime
    label: str | None = None
    text: str = ""
    date_only: bool = False
    tentative: bool = False
    closed: bool = False
    published_at: datetime | None = None


class CallIn(BaseModel):
    """A call ready to store: values normalised, HTML sanitised, status derived."""

    key: str
    title: str
    url: str | None = None
    summary_html: str | None = None
    summary_text: str | None = None
    conditions_html: str | None = None
    conditions_text: str | None = None
    identifier: str | None = None
    parent_identifier: str | None = None
    parent_title: str | None = None
    project: str | None = None
    organisation: str | None = None
    language: str | None = None
    programme: str | None = None
    programme_code: str | None = None
    type_of_action: str | None = None
    funding_type: str | None = None
    status: str = "unknown"
    status_hint: str | None = None
    deadline_model: str | None = None
    published_at: datetime | None = None
    opens_at: datetime | None = None
    next_deadline_at: datetime | None = None
    final_deadline_at: datetime | None = None
    budget_total: Decimal | None = None
    budget_currency: str | None = None
    budget_text: str | None = None
    contribution_min: Decimal | None = None
    contribution_max: Decimal | None = None
    expected_grants: int | None = None
    countries: list[str] = Field(default_factory=list)
    country_groups: list[str] = Field(default_factory=list)
    countries_text: str | None = None
    org_types: list[str] = Field(default_factory=list)
    org_types_text: str | None = None
    # True: only these types may apply (exclusive wording, or a source's list of eligible entities);
    # False: the text names them, no more; None: no type found.
    org_types_exclusive: bool | None = None
    ecosystems: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    sme_relevant: bool | None = None
    extra: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)
    deadlines: list[DeadlineIn] = Field(default_factory=list)
    # Field -> what damaged its text (U+FFFD, mojibake); not stored, never hashed: the store
    # keeps the stored value of such a field (`db.repo.calls`).
    text_problems: dict[str, str] = Field(default_factory=dict, exclude=True)

    def column_values(self) -> dict[str, Any]:
        """The values of the `call` table's columns (deadlines excluded)."""
        return self.model_dump(exclude={"deadlines"})

    def content_hash(self) -> str:
        """A digest of everything stored; equal hashes mean nothing to write."""
        payload = self.model_dump(mode="json")
        # `next_deadline_at` and `status` move with the clock; they are part of the
        # hash on purpose, so a call that closes is stored (and alerted) once.
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()
