"""The seam between Callwatch and the places calls come from.

Owns what every source kind shares: what one harvest of a source returned
(`Harvest`), the base config model every `config/sources/*.toml` file is
validated against, the `[expect]` model the HTML kinds share, and the
`Source` base class with its kind registry. The
call a kind parses is `monitor.model.raw.RawCall`; its errors are in
`sources.errors`.

Must not: touch the database, read settings, or normalise values (that is
`monitor.normalise`). A source turns HTTP responses into `RawCall`s and
nothing more.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from monitor.model.raw import RawCall
from sources.fields import css_of

if TYPE_CHECKING:
    from sources.fetch.client import PoliteClient


# The validators key (not a URL) under which a kind keeps its state between polls.
STATE_KEY = "kind-state"


class Harvest(BaseModel):
    """Everything one poll of one source produced.

    `complete` is False when the source knows it saw fewer items than exist
    (pagination cut short, fewer rows than announced): the store then never
    marks missing calls as unlisted.

    `incremental` is True for a pass that asked only for what changed since the
    last one (the portal's hourly pass): it lists only changed calls, so the
    store must never count the calls it lacks as missing (no unlisting), and it
    is no "incomplete" poll either (it read everything it asked for).

    `validators` are what the next poll gets back, per URL: the HTTP validators
    (`etag`, `last_modified`) and whatever a kind keeps with them (the ECCP
    kind keeps the parsed call). An empty entry removes the stored one. The one
    key that is not a URL is `STATE_KEY`: a kind's state between polls (the
    portal's high-water mark and last full sweep).
    """

    calls: list[RawCall] = Field(default_factory=list)
    complete: bool = True
    not_modified: bool = False
    incremental: bool = False
    warnings: list[str] = Field(default_factory=list)
    validators: dict[str, dict[str, Any]] = Field(default_factory=dict)
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
    # ... and after this many polls in a row that could not read every page (incomplete).
    alert_after_incomplete: int = Field(default=3, ge=1)

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


class ExpectConfig(BaseModel):
    """`[expect]` of an HTML kind: what a healthy listing looks like (scrapy contracts)."""

    model_config = ConfigDict(extra="forbid")

    min_items: int = Field(default=1, ge=0)
    empty_marker: str | None = None

    @field_validator("empty_marker")
    @classmethod
    def _marker(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("css:"):
            css_of(value.removeprefix("css:"))
        elif value is not None and not value.strip():
            raise ValueError("empty_marker must not be blank")
        return value


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
        self, client: PoliteClient, *, validators: dict[str, dict[str, Any]] | None = None
    ) -> Harvest:
        """Everything this source lists now, with what fetching it cost."""
        with client.measure() as usage:
            harvest = await self.gather(client, validators=validators or {})
        harvest.requests, harvest.bytes = usage.requests, usage.bytes
        return harvest

    async def gather(self, client: PoliteClient, *, validators: dict[str, dict[str, Any]]) -> Harvest:
        """Fetch and parse; `validators` are the stored ETag/Last-Modified values per URL (see Harvest)."""
        raise NotImplementedError
