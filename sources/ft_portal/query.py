"""The ft-portal kind's config and the search request it sends (formats.md §1.1).

Owns: `FtPortalConfig` (the keys of `config/sources/ft-portal.toml`, with the
programme, topicDetails URL and incremental-pass checks), the `terms`-only
query, the URL parameters (paging goes here; body-level paging is ignored) and
the multipart JSON blobs `query`/`languages`/`sort`.

Must not: send requests or read answers (that is `sources.ft_portal`), touch
the database or read settings.
"""

from __future__ import annotations

import json
from typing import Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from monitor.normalise.programmes import programme_id_for
from sources.base import SourceConfig, parse_interval

SEARCH_URL = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
DETAILS_URL = "https://ec.europa.eu/info/funding-tenders/opportunities/data/topicDetails/{identifier}.json"
STATUS_IDS = {"forthcoming": "31094501", "open": "31094502", "closed": "31094503"}
# `identifier` is a keyword field (it works in `terms`), so it sorts; ties only among
# cascades and language copies. `sortStatus` alone shuffles its ties between page
# requests, which makes rows drift across pages (third-party clients, 2026).
SORT = {"field": "identifier", "order": "ASC"}


class FtPortalConfig(SourceConfig):
    """Keys of a `kind = "ft-portal"` source file; see config/sources/ft-portal.toml."""

    kind: Literal["ft-portal"] = "ft-portal"
    url: str = SEARCH_URL
    # Polled hourly: most polls are incremental passes (see sources.ft_portal.incremental).
    interval: str = "1h"
    api_key: str = "SEDIA"
    page_size: int = Field(default=100, ge=1, le=100)
    types: list[Literal["0", "1", "2", "8"]] = Field(default_factory=lambda: ["1", "2", "8"], min_length=1)
    statuses: list[Literal["forthcoming", "open", "closed"]] = Field(
        default_factory=lambda: ["forthcoming", "open"], min_length=1
    )
    programmes: list[str] = Field(default_factory=list)
    identifiers: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1)
    max_pages: int = Field(default=60, ge=1)
    enrich_details: bool = False
    details_url: str = DETAILS_URL
    query_ignored_threshold: int = Field(default=100_000, ge=1)
    incremental: bool = True
    full_sweep_interval: str = "24h"
    incremental_margin: str = "2h"
    incremental_page_size: int = Field(default=20, ge=1, le=100)
    change_field: str = Field(default="esDA_QueueDate", min_length=1)
    min_dated_share: float = Field(default=0.9, ge=0, le=1)

    @field_validator("programmes")
    @classmethod
    def _known_programmes(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if programme_id_for(name) is None]
        if unknown:
            raise ValueError(f"unknown programme(s) {unknown}: use a frameworkProgramme id or abbreviation")
        return value

    @field_validator("full_sweep_interval", "incremental_margin")
    @classmethod
    def _intervals(cls, value: str) -> str:
        parse_interval(value)
        return value

    @model_validator(mode="after")
    def _sweep_after_passes(self) -> Self:
        if self.incremental and parse_interval(self.full_sweep_interval) < self.interval_seconds:
            raise ValueError(
                f"full_sweep_interval {self.full_sweep_interval!r} is shorter than interval {self.interval!r}"
            )
        return self

    @field_validator("details_url")
    @classmethod
    def _details_template(cls, value: str) -> str:
        if "{identifier}" not in value or not value.startswith(("http://", "https://")):
            raise ValueError("details_url must be an http(s) URL containing {identifier}")
        return value


def build_query(config: FtPortalConfig) -> dict[str, Any]:
    """The `terms`-only bool query (the one clause kind SEDIA is known to honour)."""
    must: list[dict[str, Any]] = [
        {"terms": {"type": list(config.types)}},
        {"terms": {"status": [STATUS_IDS[status] for status in config.statuses]}},
    ]
    if config.programmes:
        ids = [programme_id_for(name) for name in config.programmes]
        must.append({"terms": {"frameworkProgramme": list(dict.fromkeys(ids))}})
    if config.identifiers:
        must.append({"terms": {"identifier": list(config.identifiers)}})
    return {"bool": {"must": must}}


def search_params(config: FtPortalConfig, page: int, *, size: int | None = None) -> dict[str, str]:
    """URL query parameters; paging MUST be here, body-level paging is ignored."""
    return {
        "apiKey": config.api_key,
        "text": "***",
        "pageSize": str(size or config.page_size),
        "pageNumber": str(page),
    }


def search_files(config: FtPortalConfig, *, sort: Any = None) -> dict[str, tuple[str, str, str]]:
    """The multipart parts, each a JSON blob (a plain form field gets HTTP 500)."""
    parts = {"query": build_query(config), "languages": list(config.languages), "sort": sort or SORT}
    return {name: ("blob", json.dumps(value), "application/json") for name, value in parts.items()}
