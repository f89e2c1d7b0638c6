"""Source kind `selectors`: any listing page described only by CSS selectors in its TOML file.

Owns: the config model (validated at load: every selector must compile,
field names must be names), fetching the listing with conditional GET,
following `next_page` links up to `max_pages`, the `expect` contract (too
few items is `LayoutChanged` unless the page shows the empty marker;
items lacking required fields are skipped, more than half lacking them is
`LayoutChanged`), and optional detail pages merged over listing values.
HTML reading itself is in `sources.html`, the field syntax in
`sources.fields`.

Must not: hold any site's selectors or labels (they live in
`config/sources/*.toml`, so an operator fixes a changed layout by editing
TOML), parse dates, money or countries (`monitor.normalise` does), touch
the database or read settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bs4 import BeautifulSoup
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sources.base import ExpectConfig, Harvest, Source, SourceConfig
from sources.errors import LayoutChanged, SourceError
from sources.fields import Css, FieldName, FieldSpec, LabelTarget, Specs, link_specs, to_calls
from sources.html import (
    LabelRows,
    is_http,
    label_key,
    matches_marker,
    next_link,
    parse_page,
    read_fields,
    read_items,
    read_label_rows,
)

if TYPE_CHECKING:
    from sources.fetch.client import PoliteClient


class DetailConfig(BaseModel):
    """`[detail]`: fetch each item's `url` and read more fields there."""

    model_config = ConfigDict(extra="forbid")

    fields: dict[FieldName, Specs] = Field(default_factory=dict)
    max_details: int = Field(default=200, ge=0)
    label_rows: Css | None = None
    label_selector: Css = ":scope > :first-child"
    value_selector: Css = ":scope > :nth-child(2)"
    labels: dict[str, LabelTarget] = Field(default_factory=dict)

    @field_validator("labels")
    @classmethod
    def _unique_labels(cls, value: dict[str, Any]) -> dict[str, Any]:
        keys = [label_key(label) for label in value]
        if len(set(keys)) < len(keys) or "" in keys:
            raise ValueError("labels must be non-empty and distinct (compared case-insensitively)")
        return dict(zip(keys, value.values(), strict=True))

    @model_validator(mode="after")
    def _rows_and_labels(self) -> DetailConfig:
        if bool(self.label_rows) != bool(self.labels):
            raise ValueError("label_rows and labels go together: set both or neither")
        if not self.fields and not self.labels:
            raise ValueError("detail needs fields or label_rows + labels")
        return self

    def names(self) -> set[str]:
        names = set(self.fields)
        for target in self.labels.values():
            names.update([target] if isinstance(target, str) else target)
        return names

    def label_rows_spec(self) -> LabelRows | None:
        rows = self.label_rows
        return LabelRows(rows, self.label_selector, self.value_selector, self.labels) if rows else None


class SelectorsExpectConfig(ExpectConfig):
    """`[expect]`, plus the fields an item must have (items lacking them are skipped)."""

    required: list[FieldName] = Field(default_factory=lambda: ["title"])


class SelectorsConfig(SourceConfig):
    """Keys of a `kind = "selectors"` source file; see config/sources/euro-access.toml."""

    kind: Literal["selectors"] = "selectors"
    item: Css
    fields: dict[FieldName, Specs]
    next_page: Specs | None = None
    max_pages: int = Field(default=10, ge=1)
    detail: DetailConfig | None = None
    expect: SelectorsExpectConfig = Field(default_factory=SelectorsExpectConfig)
    # A regular expression searched in each item's url; its first group (else the whole match)
    # is the call's key, so a site renaming a call's URL slug does not make it a new call.
    key_pattern: str | None = None

    @field_validator("key_pattern")
    @classmethod
    def _key_pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                pattern = re.compile(value)
            except re.error as exc:
                raise ValueError(f"key_pattern {value!r} is not a regular expression: {exc}") from None
            if pattern.groups > 1:
                raise ValueError("key_pattern may have at most one group: the key")
        return value

    @field_validator("fields")
    @classmethod
    def _has_title(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "title" not in value:
            raise ValueError("a 'title' field is required")
        return value

    @field_validator("next_page")
    @classmethod
    def _link_target(cls, value: tuple[FieldSpec, ...] | None) -> tuple[FieldSpec, ...] | None:
        return link_specs(value) if value else None

    @model_validator(mode="after")
    def _required_are_read(self) -> SelectorsConfig:
        known = set(self.fields) | (self.detail.names() if self.detail else set())
        unknown = [name for name in self.expect.required if name not in known]
        if unknown:
            raise ValueError(f"expect.required names {unknown}, which no field or label produces")
        return self


@dataclass
class _Listing:
    items: list[dict[str, str]]
    first_page: BeautifulSoup
    complete: bool = True
    validators: dict[str, str] | None = None


class SelectorsSource(Source, kind="selectors"):
    """A listing page (and optionally its detail pages) read with CSS selectors from config."""

    config_model = SelectorsConfig
    config: SelectorsConfig

    async def gather(self, client: PoliteClient, *, validators: dict[str, dict[str, str]]) -> Harvest:
        """Listing pages, the expect contract, detail pages, then one RawCall per item."""
        harvest = Harvest()
        listing = await self._collect(client, validators.get(self.config.url), harvest.warnings)
        if listing is None:
            harvest.not_modified = True
        else:
            items = self._check_count(listing)
            items = self._require([(values, self._listing_required()) for values in items], harvest.warnings)
            merged, all_details = await self._details(client, items, harvest)
            items = self._require(merged, harvest.warnings)
            harvest.calls = to_calls([self._keyed(values) for values in items], harvest.warnings)
            harvest.complete = listing.complete and harvest.complete
            # A poll that missed detail pages must not let the next poll get a 304 and skip them.
            if listing.validators and all_details:
                harvest.validators = {self.config.url: listing.validators}
        return harvest

    async def _collect(
        self, client: PoliteClient, stored: dict[str, str] | None, warnings: list[str]
    ) -> _Listing | None:
        """Items of every listing page; None on a 304. Only page 1 failing fails the poll."""
        config, url = self.config, self.config.url
        # With pagination an unchanged page 1 says nothing about later pages: no conditional GET.
        conditional = config.next_page is None
        result = await client.get(url, validators=stored if conditional else None)
        if result.not_modified:
            return None
        soup = parse_page(result.content, result.headers.get("Content-Type"), url=result.url, notes=warnings)
        listing = _Listing([], soup, validators=result.validators if conditional else None)
        seen = {url, result.url}
        for number in range(1, config.max_pages + 1):
            page_items = read_items(soup, config.item, config.fields, base_url=result.url)
            listing.items.extend(page_items)
            next_url = next_link(soup, config.next_page, base_url=result.url)
            if not page_items or next_url is None or next_url in seen:
                break
            if number == config.max_pages:
                warnings.append(f"stopped at max_pages={config.max_pages}; next page {next_url} not fetched")
                listing.complete = False
                break
            seen.add(next_url)
            try:
                result = await client.get(next_url)
            except SourceError as exc:
                warnings.append(f"listing page {number + 1} failed, kept earlier pages: {exc}")
                listing.complete = False
                break
            soup = parse_page(
                result.content, result.headers.get("Content-Type"), url=result.url, notes=warnings
            )
        return listing

    def _keyed(self, values: dict[str, str]) -> dict[str, str]:
        """The item with its key from `key_pattern` (an explicit `key` field wins)."""
        pattern, url = self.config.key_pattern, values.get("url")
        if pattern is None or values.get("key") or not url:
            return values
        match = re.search(pattern, url)
        if match is None:
            return values  # keyed by its URL, as without a pattern
        return {**values, "key": match.group(1) if match.re.groups else match.group(0)}

    def _check_count(self, listing: _Listing) -> list[dict[str, str]]:
        """The items, or LayoutChanged when too few and the page does not say it is empty."""
        expect, count = self.config.expect, len(listing.items)
        if count >= expect.min_items:
            return listing.items
        if expect.empty_marker and matches_marker(listing.first_page, expect.empty_marker):
            return listing.items
        wanted = "" if expect.min_items == 1 else f" (expected at least {expect.min_items})"
        raise LayoutChanged(
            f"selector {self.config.item!r} matched {count} items{wanted} on {self.config.url}; "
            "did the layout change?"
        )

    def _listing_required(self) -> list[str]:
        return [name for name in self.config.expect.required if name in self.config.fields]

    def _require(
        self, items: list[tuple[dict[str, str], list[str]]], warnings: list[str]
    ) -> list[dict[str, str]]:
        """Items having their required fields; LayoutChanged when more than half lack some."""
        kept = []
        for index, (values, required) in enumerate(items, 1):
            missing = [name for name in required if not values.get(name)]
            if missing:
                name = values.get("url") or values.get("title") or f"item {index}"
                warnings.append(f"skipped {name}: no {', '.join(missing)}")
            else:
                kept.append(values)
        if len(items) - len(kept) > len(items) / 2:
            raise LayoutChanged(
                f"{len(items) - len(kept)} of {len(items)} items on {self.config.url} lack required fields "
                f"{self.config.expect.required}; did the layout change?"
            )
        return kept

    async def _details(
        self, client: PoliteClient, items: list[dict[str, str]], harvest: Harvest
    ) -> tuple[list[tuple[dict[str, str], list[str]]], bool]:
        """Items merged with their detail pages, each with the required names it must have; all fetched?"""
        detail, listing_required = self.config.detail, self._listing_required()
        if detail is None:
            return [(values, listing_required) for values in items], True
        linked = [url for values in items if is_http(url := values.get("url"))]
        if len(linked) > detail.max_details:
            harvest.warnings.append(
                f"{len(linked)} items have detail pages but max_details={detail.max_details}: "
                f"{len(linked) - detail.max_details} keep their listing values only"
            )
            harvest.complete = False
        wanted, merged, empty = set(linked[: detail.max_details]), [], []
        fetched = failed = 0
        for values in items:
            url = values.get("url")
            found = await self._detail(client, url, harvest.warnings) if url in wanted else None
            if found is None:
                failed += url in wanted
                merged.append((values, listing_required))
                continue
            fetched += 1
            if not found:
                empty.append(url)
            merged.append(({**values, **found}, self.config.expect.required))
        if empty and len(empty) > fetched / 2:
            raise LayoutChanged(
                f"{len(empty)} of {fetched} detail pages (e.g. {empty[0]}) gave none of the configured "
                "detail fields; did the detail page layout change?"
            )
        harvest.warnings.extend(f"detail page {url} gave none of the configured fields" for url in empty)
        return merged, len(linked) <= detail.max_details and not failed

    async def _detail(self, client: PoliteClient, url: str, warnings: list[str]) -> dict[str, str] | None:
        """Values of one detail page (label rows first, explicit `fields` win); None when it failed."""
        detail = self.config.detail
        assert detail is not None
        try:
            result = await client.get(url)
        except SourceError as exc:
            reason = exc.message if exc.url == url else str(exc)
            warnings.append(f"detail page {url} not used, listing values kept: {reason}")
            return None
        soup = parse_page(result.content, result.headers.get("Content-Type"), url=result.url, notes=warnings)
        rows = detail.label_rows_spec()
        values = read_label_rows(soup, rows, base_url=result.url) if rows else {}
        values.update(read_fields(soup, detail.fields, base_url=result.url))
        return values
