"""An ECCP call's node page -> `RawCall`.

Owns: the node id as key, the title without the site suffix, the owning
organisation, the byline's publication date (read as midnight Brussels; the
one date read here), the body as summary and conditions with its money lines
as budget text, and `<main>`'s external links (the platform's own links and
share buttons left out). `parse_detail` takes a body so tests can feed it
pages.

Must not: read deadlines, money or countries out of the body prose (that is
`monitor.normalise`, from `deadline_text`, `budget_text` and
`conditions_html`), fetch, touch the database or read settings.
"""

from __future__ import annotations

import copy
import re
from datetime import time
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from monitor.model.raw import RawCall
from monitor.model.vocab import FundingType
from monitor.normalise.dates import brussels_cutoff, parse_date_words
from sources.eccp.config import EccpConfig, EccpDetailConfig
from sources.html import absolutise_links, element_text, first_text, in_share_block, is_http, parse_page

_SITE_SUFFIX = re.compile(r"\s*\|\s*European Cluster Collaboration Platform\s*$", re.I)
_NODE_ID = re.compile(r"^\d{1,12}$")
# Body lines worth reading for money: the largest amount of these becomes the budget.
_MONEY_LINE = re.compile(r"budget|fund|amount|lump[\s-]?sum|€|\beur\b|\beuros?\b", re.I)
# Share buttons inside <main> link to the networks' share endpoints, never to the call.
_SHARE_URL = re.compile(r"/intent/tweet|/sharer|/share-offsite|/shareArticle|/share\b|addtoany\.com", re.I)
_SITE_HOST = "clustercollaboration.eu"


def parse_detail(
    content: bytes, config: EccpConfig, url: str, *, content_type: str | None = None
) -> tuple[RawCall | None, list[str]]:
    """One call from its node page, or None (with a warning) when it has no node id or no title."""
    decoding: list[str] = []  # about the page's bytes: the run's warnings, not the call's
    soup = parse_page(content, content_type, url=url, notes=decoding)
    detail = config.detail
    node = first_text(soup, detail.node, base_url=url) or ""
    title = _SITE_SUFFIX.sub("", first_text(soup, detail.title, base_url=url) or "").strip()
    missing = [name for name, value in (("node id", _NODE_ID.match(node)), ("title", title)) if not value]
    if missing:
        return None, [*decoding, f"skipped detail page {url}: no {' and no '.join(missing)}"]
    notes: list[str] = []
    body = _body(soup, config, url)
    description = first_text(soup, detail.description, base_url=url)
    if body is None:
        notes.append("no call text found on the page; deadline read from its description only")
    text = element_text(body) if body is not None else description or ""
    money = [line for line in text.splitlines() if _MONEY_LINE.search(line)]
    published = first_text(soup, detail.published, base_url=url)
    day = parse_date_words(published) if published else None
    if published and day is None:
        notes.append(f"could not read a publication date in {published!r}")
    html = body.decode_contents().strip() if body is not None else None
    organisation = first_text(soup, detail.organisation, base_url=url)
    # Normalisation reads countries and organisation types from the conditions: the body is all we have.
    # It is prose (formats.md §3: no structured beneficiary field confirmed), so a type it names is only
    # mentioned unless its wording excludes others; `org_types_listed` stays False.
    call = RawCall(
        key=node, title=title, url=url, organisation=organisation, language="en",
        funding_type=FundingType.CASCADE, published_at=brussels_cutoff(day, time(0, 0)) if day else None,
        summary_html=html or None, summary_text=None if html else description, conditions_html=html or None,
        deadline_text=text or None, budget_text="\n".join(money) or None,
        extra={"links": external_links(soup, config, url, body)}, warnings=notes,
    )  # fmt: skip
    return call, decoding


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
        absolutise_links(body, url)
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
        if _SHARE_URL.search(link) or in_share_block(anchor, scope):
            continue
        links.append(link)
    return list(dict.fromkeys(links))
