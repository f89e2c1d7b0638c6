"""The seam between Callwatch and the places calls come from.

Owns the types every source kind shares: the call as a source parsed it
(`RawCall`), what one harvest of a source returned (`Harvest`), the base
config model every `config/sources/*.toml` file is validated against, the
`Source` base class with its kind registry, and the `SourceError` family.

Must not: touch the database, read settings, or normalise values (that is
`monitor.normalise`). A source turns HTTP responses into `RawCall`s and
nothing more.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from monitor.http import PoliteClient


# --------------------------------------------------------------------------- errors


class SourceError(Exception):
    """A source misbehaved. The run fails; stored calls are never touched."""

    reason = "source error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        return f"{self.message} ({self.url})" if self.url else self.message


class FetchError(SourceError):
    """Network failure, HTTP error status, overall deadline or size cap hit."""

    reason = "fetch failed"

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class ParseError(SourceError):
    """The body is not what this source kind expects (not JSON, missing keys...)."""

    reason = "parse failed"


class LayoutChanged(ParseError):
    """Selectors matched nothing or required fields came out empty: the site changed."""

    reason = "layout changed"


class QueryIgnored(SourceError):
    """The remote API answered, but evidently ignored our query (e.g. 541,009 results)."""

    reason = "query ignored"


class NotModified(Exception):  # noqa: N818 - a signal, not an error
    """The source answered 304 to a conditional GET: nothing to parse."""


# --------------------------------------------------------------------------- enums


class FundingType(StrEnum):
    GRANT = "grant"
    CASCADE = "cascade"
    TENDER = "tender"
    PRIZE = "prize"
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


# --------------------------------------------------------------------------- parsed data


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
    # True when the source keeps a time of day we must not trust (F&T portal):
    # normalisation then applies the Brussels 17:00 rule of formats.md §1.4.
    date_only: bool = False

    @field_validator("at")
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
    ecosystems: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    sme_relevant: bool | None = None

    extra: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)


class Harvest(BaseModel):
    """Everything one poll of one source produced.

    `complete` is False when the source knows it saw fewer items than exist
    (pagination cut short, fewer rows than announced): the store then never
    marks missing calls as unlisted.
    """

    calls: list[RawCall] = Field(default_factory=list)
    complete: bool = True
    not_modified: bool = False
    warnings: list[str] = Field(default_factory=list)
    validators: dict[str, dict[str, str]] = Field(default_factory=dict)
    requests: int = 0
    bytes: int = 0


# --------------------------------------------------------------------------- config

_INTERVAL = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def parse_interval(text: str) -> int:
    """'6h' -> 21600. Accepts s, m, h, d; at least 60 seconds."""
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(f"interval {text!r} is not like '30m', '6h' or '1d'")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds < 60:
        raise ValueError(f"interval {text!r} is shorter than one minute")
    return seconds


class SourceConfig(BaseModel):
    """Keys every source file has. Kinds subclass this with their own keys."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    kind: str
    url: str
    enabled: bool = True
    interval: str = "6h"
    # Alert operators only after this many consecutive failed runs.
    alert_after_failures: int = Field(default=2, ge=1)

    @field_validator("id")
    @classmethod
    def _id_is_slug(cls, value: str) -> str:
        if not _SOURCE_ID.match(value):
            raise ValueError("id must be lower-case letters, digits and dashes (kebab-case)")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        parse_interval(value)
        return value

    @property
    def interval_seconds(self) -> int:
        return parse_interval(self.interval)


# --------------------------------------------------------------------------- kinds

REGISTRY: dict[str, type[Source]] = {}


class Source:
    """Base of every source kind; subclasses register with `kind="..."`.

    A subclass sets `config_model` to its config class and implements
    `gather`, which fetches with the shared polite client and returns
    parsed calls; `harvest` adds the request and byte counts. Parsing
    itself should live in pure functions of the kind's module so that tests
    can feed them recorded bodies.
    """

    kind: ClassVar[str]
    config_model: ClassVar[type[SourceConfig]] = SourceConfig

    def __init_subclass__(cls, *, kind: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind in REGISTRY:
            raise ValueError(f"duplicate source kind {kind!r}")
        cls.kind = kind
        REGISTRY[kind] = cls

    def __init__(self, config: SourceConfig) -> None:
        self.config = config

    @property
    def id(self) -> str:
        return self.config.id

    async def harvest(
        self, client: PoliteClient, *, validators: dict[str, dict[str, str]] | None = None
    ) -> Harvest:
        """Everything this source lists now, with what fetching it cost."""
        with client.measure() as usage:
            harvest = await self.gather(client, validators=validators or {})
        harvest.requests, harvest.bytes = usage.requests, usage.bytes
        return harvest

    async def gather(self, client: PoliteClient, *, validators: dict[str, dict[str, str]]) -> Harvest:
        """Fetch and parse; `validators` are the stored ETag/Last-Modified values per URL."""
        raise NotImplementedError
