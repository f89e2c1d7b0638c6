"""Source kind `eccp`: open calls listed by the European Cluster Collaboration Platform (formats.md §3).

Owns: the config model (every selector has the 2026 markup as default and is
checked at load), walking the Drupal search listing page by page (`page=0`,
`page=1`, ... until a page has no cards, has no next link, or repeats one),
the listing contract (no cards on page 0 without the empty marker, or cards
whose call links vanished, is `LayoutChanged`), one request per detail page,
and turning a detail page into a `RawCall`: node id as key, title, `<main>`'s
external links, publication date, owning organisation, and the body, which
carries deadline, budget and eligibility as free text. The pure functions
`parse_listing` and `parse_detail` take bodies so tests can feed them pages.

Must not: read dates, money or countries out of the body prose (that is
`monitor.normalise`, from `deadline_text`, `budget_text` and `conditions_html`;
the byline's publication date is the one date read here), touch the database
or read settings. Drupal's theme-debug comments are dropped by `parse_page`
before anything is read.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from monitor.model.raw import RawCall
from monitor.model.vocab import FundingType
from monitor.normalise.dates import brussels_cutoff, parse_date_words
from sources.base import Harvest, Source, SourceConfig
from sources.errors import FetchError, LayoutChanged, SourceError
from sources.html import (
    FieldSpec,
    css_of,
    element_text,
    is_http,
    matches_marker,
    next_link,
    parse_page,
    read_value,
    specs_of,
)

if TYPE_CHECKING:
    from sources.fetch.client import PoliteClient

Specs = Annotated[tuple[FieldSpec, ...], BeforeValidator(specs_of)]
Css = Annotated[str, BeforeValidator(css_of)]

LISTING_URL = "https://www.clustercollaboration.eu/search-results?type=eccp_calls&page=0"
_SITE_SUFFIX = re.compile(r"\s*\|\s*European Cluster Collaboration Platform\s*$", re.I)
_NODE_ID = re.compile(r"^\d{1,12}$")
# Body lines worth reading for money: the largest amount of these becomes the budget.
_MONEY_LINE = re.compile(r"budget|fund|amount|lump[\s-]?sum|€|\beur\b|\beuros?\b", re.I)
# Share buttons inside <main> link to the networks' share endpoints, never to the call.
_SHARE_URL = re.compile(r"/intent/tweet|/sharer|/share-offsite|/shareArticle|/share\b|addtoany\.com", re.I)
_SITE_HOST = "clustercollaboration.eu"


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


class EccpExpectConfig(BaseModel):
    """`[expect]`: what a healthy listing looks like."""

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
    expect: EccpExpectConfig = Field(default_factory=EccpExpectConfig)

    @field_validator("card_link", "next_page")
    @classmethod
    def _links(cls, value: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
        # A bare selector ("a[rel=next]") means the link's href, not its text.
        return tuple(FieldSpec(spec.selector, spec.attribute or "href") for spec in value)


# --------------------------------------------------------------------------- listing


@dataclass
class ListingPage:
    """One listing page: its call links (absolute, in page order), the next page, the empty marker."""

    detail_urls: list[str]
    next_url: str | None
    empty: bool  # the page shows expect.empty_marker
    cards: int = 0
    unlinked: int = 0  # cards without any link card_link matches (skipped /expertise links don't count)


def parse_listing(
    content: bytes, config: EccpConfig, base_url: str, *, content_type: str | None = None
) -> ListingPage:
    """Call links, next link and empty marker of one listing page."""
    soup = parse_page(content, content_type)
    cards = soup.select(config.card)
    urls: list[str] = []
    unlinked = 0
    for card in cards:
        links, skipped = _card_links(card, config, base_url)
        unlinked += not links and not skipped
        urls.extend(links[:1])
    marker = config.expect.empty_marker
    return ListingPage(
        detail_urls=list(dict.fromkeys(urls)), next_url=next_link(soup, config.next_page, base_url=base_url),
        empty=bool(marker) and matches_marker(soup, marker or ""), cards=len(cards), unlinked=unlinked,
    )  # fmt: skip


def _card_links(card: Tag, config: EccpConfig, base_url: str) -> tuple[list[str], int]:
    """A card's call links in order, and how many links were skipped (organisation /expertise pages)."""
    links, skipped = [], 0
    for spec in config.card_link:
        for element in card.select(spec.selector) if spec.selector else [card]:
            raw = element.get(spec.attribute or "href")
            href = raw.strip() if isinstance(raw, str) else ""
            if not href:
                continue
            if urlsplit(href).path.rstrip("/").endswith(tuple(config.skip_links_ending)):
                skipped += 1
            elif is_http(url := urljoin(base_url, href)):
                links.append(url)
    return links, skipped


def check_listing(page: ListingPage, config: EccpConfig, url: str) -> None:
    """LayoutChanged when most cards lost their call link."""
    if page.cards and page.unlinked > page.cards / 2:
        specs = [f"{s.selector}@{s.attribute}" for s in config.card_link]
        raise LayoutChanged(
            f"card_link {specs} found no call link in {page.unlinked} of {page.cards} cards "
            f"({config.card!r}) on {url}; did the layout change?"
        )


def check_count(first: ListingPage, found: int, config: EccpConfig, url: str) -> None:
    """LayoutChanged when fewer calls than expect.min_items and page 0 does not show the empty marker."""
    if found >= config.expect.min_items or first.empty:
        return
    wanted = "" if config.expect.min_items == 1 else f" (expected at least {config.expect.min_items} calls)"
    raise LayoutChanged(
        f"selector {config.card!r} matched {first.cards} cards giving {found} call links{wanted} on {url}; "
        "did the layout change?"
    )


# --------------------------------------------------------------------------- detail page


def parse_detail(
    content: bytes, config: EccpConfig, url: str, *, content_type: str | None = None
) -> tuple[RawCall | None, list[str]]:
    """One call from its node page, or None (with a warning) when it has no node id or no title."""
    soup = parse_page(content, content_type)
    detail = config.detail
    node = _first(soup, detail.node, url) or ""
    title = _SITE_SUFFIX.sub("", _first(soup, detail.title, url) or "").strip()
    missing = [name for name, value in (("node id", _NODE_ID.match(node)), ("title", title)) if not value]
    if missing:
        return None, [f"skipped detail page {url}: no {' and no '.join(missing)}"]
    notes: list[str] = []
    body = _body(soup, config, url)
    description = _first(soup, detail.description, url)
    if body is None:
        notes.append("no call text found on the page; deadline read from its description only")
    text = element_text(body) if body is not None else description or ""
    money = [line for line in text.splitlines() if _MONEY_LINE.search(line)]
    published = _first(soup, detail.published, url)
    day = parse_date_words(published) if published else None
    if published and day is None:
        notes.append(f"could not read a publication date in {published!r}")
    html = body.decode_contents().strip() if body is not None else None
    # Normalisation reads countries and organisation types from the conditions: the body is all we have.
    call = RawCall(
        key=node, title=title, url=url, organisation=_first(soup, detail.organisation, url), language="en",
        funding_type=FundingType.CASCADE, published_at=brussels_cutoff(day, time(0, 0)) if day else None,
        summary_html=html or None, summary_text=None if html else description, conditions_html=html or None,
        deadline_text=text or None, budget_text="\n".join(money) or None,
        extra={"links": external_links(soup, config, url, body)}, warnings=notes,
    )  # fmt: skip
    return call, []


def _first(soup: BeautifulSoup, specs: tuple[FieldSpec, ...], url: str) -> str | None:
    for spec in specs:
        if value := read_value(soup, spec, html=False, base_url=url):
            return " ".join(value.split())
    return None


def _body(soup: BeautifulSoup, config: EccpConfig, url: str) -> Tag | None:
    """A copy of the call text element: links made absolute, byline and organisation block removed.

    The fallback `main article` holds "Submitted by ... on 05 April 2023": that
    publication date must never be read as a deadline.
    """
    detail = config.detail
    for spec in detail.body:
        found = soup.select_one(spec.selector) if spec.selector else None
        if found is None or not element_text(found):
            continue
        body = copy.copy(found)
        _drop_byline(body, detail)
        for element in body.select("[href], [src]"):
            for attribute in ("href", "src"):
                if isinstance(value := element.get(attribute), str) and value.strip():
                    element[attribute] = urljoin(url, value.strip())
        return body
    return None


def _drop_byline(body: Tag, detail: EccpDetailConfig) -> None:
    """Remove the publication date and the organisation block (with its Drupal field wrapper) from `body`."""
    targets = []
    for spec in (*detail.published, *detail.organisation):
        for element in body.select(spec.selector) if spec.selector else []:
            wrapper = element.find_parent(class_="field")  # the "Groups audience" label goes too
            targets.append(wrapper if wrapper is not None and wrapper is not body else element)
    for target in targets:
        if not target.decomposed:  # two organisations share one wrapper
            target.decompose()


def external_links(soup: BeautifulSoup, config: EccpConfig, url: str, body: Tag | None) -> list[str]:
    """Absolute http(s) links inside `<main>` (else the body) that leave the platform; share buttons out."""
    scope = soup.select_one(config.detail.main) or body
    if scope is None:
        return []
    own = urlsplit(url).hostname or ""
    links: list[str] = []
    for anchor in scope.select("a[href]"):
        raw = anchor.get("href")
        link = urljoin(url, raw.strip()) if isinstance(raw, str) else ""
        host = urlsplit(link).hostname or ""
        if not is_http(link) or host in (own, _SITE_HOST) or host.endswith("." + _SITE_HOST):
            continue
        if _SHARE_URL.search(link) or _in_share_block(anchor, scope):
            continue
        links.append(link)
    return list(dict.fromkeys(links))


def _in_share_block(anchor: Tag, scope: Tag) -> bool:
    for parent in anchor.parents:
        if parent is scope:
            return False
        if any("share" in name for name in parent.get("class") or []):
            return True
    return False


# --------------------------------------------------------------------------- I/O


class EccpSource(Source, kind="eccp"):
    """The ECCP open-calls search: listing pages, then every call's node page."""

    config_model = EccpConfig
    config: EccpConfig

    async def gather(self, client: PoliteClient, *, validators: dict[str, dict[str, str]]) -> Harvest:
        """Every listing page, then one detail page per call link (no conditional GET)."""
        harvest = Harvest()
        urls = await self._walk(client, harvest)
        limit = self.config.max_details
        if len(urls) > limit:
            harvest.warnings.append(
                f"{len(urls)} calls listed but max_details={limit}: {len(urls) - limit} not fetched"
            )
            harvest.complete = False
            urls = urls[:limit]
        await self._details(client, urls, harvest)
        return harvest

    async def _walk(self, client: PoliteClient, harvest: Harvest) -> list[str]:
        """Call links of every listing page; a listing page that fails fails the poll."""
        config, url = self.config, self.config.url
        fetched: set[str] = set()
        urls: dict[str, None] = {}
        first: ListingPage | None = None
        for _ in range(config.max_pages):
            result = await client.get(url)
            fetched.update((url, result.url))
            page = parse_listing(
                result.content, config, result.url, content_type=result.headers.get("Content-Type")
            )
            check_listing(page, config, result.url)
            first = first or page
            urls.update(dict.fromkeys(page.detail_urls))
            # A page without cards after the last one is how the listing ends (formats.md §3).
            if not page.cards or page.next_url is None or page.next_url in fetched:
                break
            url = page.next_url
        else:
            harvest.warnings.append(f"stopped at max_pages={config.max_pages}; next page {url} not fetched")
            harvest.complete = False
        assert first is not None
        check_count(first, len(urls), config, config.url)
        return list(urls)

    async def _details(self, client: PoliteClient, urls: list[str], harvest: Harvest) -> None:
        """One RawCall per detail page; failures and unreadable pages make the harvest incomplete."""
        failed: list[str] = []
        skipped = 0
        calls: dict[str, RawCall] = {}
        for url in urls:
            try:
                result = await client.get(url)
            except SourceError as exc:
                failed.append(str(exc))
                harvest.warnings.append(f"detail page {url} not read, call skipped: {exc}")
                continue
            call, notes = parse_detail(
                result.content, self.config, result.url, content_type=result.headers.get("Content-Type")
            )
            harvest.warnings.extend(notes)
            if call is None:
                skipped += 1
            elif call.key in calls:
                harvest.warnings.append(
                    f"{url} is node {call.key} again ({calls[call.key].url}); kept the first"
                )
            else:
                calls[call.key] = call
        if urls and len(failed) == len(urls):
            raise FetchError(f"all {len(urls)} detail pages failed, e.g. {failed[0]}", url=self.config.url)
        read = len(urls) - len(failed)
        if skipped > read / 2:
            raise LayoutChanged(
                f"{skipped} of {read} detail pages have no node id or no title "
                f"({self.config.detail.node[0].selector!r}, ...); did the detail page layout change?"
            )
        harvest.calls = list(calls.values())
        harvest.complete = harvest.complete and not failed and not skipped
