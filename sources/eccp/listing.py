"""The ECCP search listing: one page's call links, its next page, and the listing contract.

Owns: reading one Drupal search-results page (cards, each card's first call
link, organisation `/expertise` links skipped, the pager's next link, the
empty marker) and the checks that turn a changed layout into `LayoutChanged`
(most cards lost their call link; fewer calls than `expect.min_items` while
page 0 does not show the empty marker). `parse_listing` takes a body so tests
can feed it pages.

Must not: fetch (the walk over pages is `sources.eccp.EccpSource`), read
detail pages, touch the database or read settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import Tag

from sources.eccp.config import EccpConfig
from sources.errors import LayoutChanged
from sources.html import is_http, matches_marker, next_link, parse_page


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
    soup = parse_page(content, content_type, url=base_url)
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
