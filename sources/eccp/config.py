"""The eccp kind's config: where each value sits on the ECCP listing and node pages.

Owns: `EccpConfig` (the keys of `config/sources/eccp.toml`; every selector has
the 2026 markup as its default and is checked at load) and `EccpDetailConfig`
(`[detail]`). `[expect]` is the shared `sources.base.ExpectConfig`.

Must not: read pages or fetch (that is `listing`, `detail` and the kind in
`sources.eccp`), touch the database or read settings.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sources.base import ExpectConfig, SourceConfig
from sources.fields import Css, FieldSpec, Specs, link_specs, specs_of

LISTING_URL = "https://www.clustercollaboration.eu/search-results?type=eccp_calls&page=0"


class EccpDetailConfig(BaseModel):
    """`[detail]`: where each value sits on a call's node page (first non-empty alternative wins)."""

    model_config = ConfigDict(extra="forbid")

    node: Specs = specs_of("article[data-history-node-id]@data-history-node-id")
    title: Specs = specs_of(["h1", ".field--name-title", "title"])
    published: Specs = specs_of(".date")
    organisation: Specs = specs_of(".field--name-og-audience .field__items a")
    body: Specs = specs_of([".field--node--body", ".field--name-body", "main article"])
    main: Css = "main"
    description: Specs = specs_of("meta[name=description]@content")


class EccpConfig(SourceConfig):
    """Keys of a `kind = "eccp"` source file; see config/sources/eccp.toml."""

    kind: Literal["eccp"] = "eccp"
    url: str = LISTING_URL
    card: Css = "div.search-result-item"
    card_link: Specs = specs_of('a[href^="/content/"]@href')
    skip_links_ending: list[str] = Field(default_factory=lambda: ["/expertise"])
    next_page: Specs = specs_of(["nav.pager a[rel=next]@href", ".pager__item--next a@href"])
    max_pages: int = Field(default=40, ge=1)
    max_details: int = Field(default=400, ge=1)
    detail: EccpDetailConfig = Field(default_factory=EccpDetailConfig)
    expect: ExpectConfig = Field(default_factory=ExpectConfig)

    @field_validator("card_link", "next_page")
    @classmethod
    def _links(cls, value: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
        return link_specs(value)
