"""Figure 2, HTML sources: ECCP-style listing and detail pages parsed per second by the production code
(`sources.eccp.listing` / `.detail`: BeautifulSoup with lxml), against the fastest parser
measured on the same pages: lxml.html with XPath doing the same extraction (node id, title, byline date,
organisation, body text without the byline, external links; listing: call links and next page), whose
output is checked equal to the production one. BeautifulSoup with html.parser is measured too
(the production code with the parser swapped). selectolax is measured when it is installed.

    .venv/bin/python bench/html_parse.py [--size full|tiny] [--runs N]
"""

from __future__ import annotations

import copy
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lxml.html  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from bench import data  # noqa: E402
from bench.common import Figure, Result, Stats, arguments, bench_now, log  # noqa: E402
from sources import html as selectors_extract
from sources.eccp import detail as eccp  # noqa: E402
from sources.eccp.config import EccpConfig  # noqa: E402
from sources.eccp.listing import parse_listing  # noqa: E402

_BREAKS = selectors_extract._BREAKS
_NOT_CONTENT = {"script", "style", "template"}
_SUFFIX = re.compile(r"\s*\|\s*European Cluster Collaboration Platform\s*$", re.I)


# --------------------------------------------------------------------------- the production code


def production(config: EccpConfig) -> tuple[Callable[[str, bytes], Any], Callable[[str, bytes], Any]]:
    def listing(url: str, body: bytes) -> Any:
        page = parse_listing(body, config, url)
        return page.detail_urls, page.next_url

    def detail(url: str, body: bytes) -> Any:
        call, _ = eccp.parse_detail(body, config, url)
        assert call is not None
        return _fields(
            call.key,
            call.title,
            call.organisation,
            call.deadline_text,
            call.extra["links"],
            call.published_at,
        )

    return listing, detail


def _fields(*values: Any) -> tuple[Any, ...]:
    return values


# --------------------------------------------------------------------------- lxml.html + XPath


def _has_class(name: str) -> str:
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


def lxml_text(element: Any) -> str:
    """selectors_extract.element_text for an lxml element (comments and scripts never count)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.tag in _NOT_CONTENT:
            return
        if _BREAKS.fullmatch(node.tag):
            parts.append("\n")
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def lxml_listing(url: str, body: bytes) -> Any:
    doc = lxml.html.fromstring(body)
    urls: list[str] = []
    for card in doc.xpath(f"//div[{_has_class('search-result-item')}]"):
        for href in card.xpath('.//a[starts-with(@href, "/content/")]/@href'):
            href = href.strip()
            if href and not urlsplit(href).path.rstrip("/").endswith("/expertise"):
                urls.append(urljoin(url, href))
                break
    nexts = doc.xpath(f'//nav[{_has_class("pager")}]//a[@rel="next"]/@href')
    return list(dict.fromkeys(urls)), urljoin(url, nexts[0].strip()) if nexts else None


def _first_text(doc: Any, paths: list[str]) -> str | None:
    for path in paths:
        for element in doc.xpath(path)[:1]:
            text = " ".join(lxml_text(element).split())
            if text:
                return text
    return None


def lxml_detail(url: str, body: bytes) -> Any:
    from monitor.normalise.dates import brussels_cutoff, parse_date_words

    doc = lxml.html.fromstring(body)
    node = (doc.xpath("//article[@data-history-node-id]/@data-history-node-id") or [""])[0].strip()
    title = _SUFFIX.sub(
        "", _first_text(doc, ["//h1", f"//*[{_has_class('field--name-title')}]", "//title"]) or ""
    )
    published = _first_text(doc, [f"//*[{_has_class('date')}]"])
    organisation = _first_text(
        doc, [f"//*[{_has_class('field--name-og-audience')}]//*[{_has_class('field__items')}]//a"]
    )
    text = None
    scope = None
    for path in (
        f"//*[{_has_class('field--node--body')}]",
        f"//*[{_has_class('field--name-body')}]",
        "//main//article",
    ):
        found = doc.xpath(path)[:1]
        if found and lxml_text(found[0]):
            scope = copy.deepcopy(found[0])
            byline = (
                f".//*[{_has_class('date')}] | .//*[{_has_class('field--name-og-audience')}]"
                f"//*[{_has_class('field__items')}]//a"
            )
            for drop in scope.xpath(byline):
                wrapper = next(
                    (a for a in drop.iterancestors() if "field" in (a.get("class") or "").split()), None
                )
                target = wrapper if wrapper is not None and wrapper is not scope else drop
                if target.getparent() is not None:
                    target.getparent().remove(target)
            text = lxml_text(scope)
            break
    main = (doc.xpath("//main") or [scope])[0]
    links = []
    for anchor in main.xpath(".//a[@href]") if main is not None else []:
        link = urljoin(url, anchor.get("href").strip())
        host = urlsplit(link).hostname or ""
        if not link.startswith(("http://", "https://")) or host in (
            "www.clustercollaboration.eu",
            eccp._SITE_HOST,
        ):
            continue
        if host.endswith("." + eccp._SITE_HOST) or eccp._SHARE_URL.search(link):
            continue
        if any("share" in name for a in anchor.iterancestors() for name in (a.get("class") or "").split()):
            continue
        links.append(link)
    day = parse_date_words(published) if published else None
    from datetime import time as clock

    published_at = brussels_cutoff(day, clock(0, 0)) if day else None
    return _fields(node, title, organisation, text or None, list(dict.fromkeys(links)), published_at)


# --------------------------------------------------------------------------- measuring


def rate(
    parse_listing: Callable, parse_detail: Callable, listings: dict, details: dict
) -> tuple[float, float, float]:
    """(listing pages/s, detail pages/s, all pages/s) for one pass over every page."""
    start = time.perf_counter()
    for url, body in listings.items():
        parse_listing(url, body)
    middle = time.perf_counter()
    for url, body in details.items():
        parse_detail(url, body)
    end = time.perf_counter()
    return (
        len(listings) / (middle - start),
        len(details) / (end - middle),
        (len(listings) + len(details)) / (end - start),
    )


def html_parser_soup(content: Any, features: str = "lxml", **kwargs: Any) -> BeautifulSoup:
    return BeautifulSoup(content, "html.parser", **kwargs)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], db=False, runs=5)
    calls = 228 if args.size == "full" else 14
    site = data.eccp_site(calls, now=bench_now())
    listings = {url: body for url, body in site.items() if "search-results" in url}
    details = {url: body for url, body in site.items() if "/content/" in url}
    config = EccpConfig(id="eccp", name="ECCP")
    chosen = production(config)
    log("checking that every parser gives the same output")
    for url, body in listings.items():
        assert chosen[0](url, body) == lxml_listing(url, body), url
    for url, body in details.items():
        assert chosen[1](url, body) == lxml_detail(url, body), url
    variants: dict[str, tuple[Callable, Callable]] = {
        "bs4 + lxml (production code)": chosen, "lxml.html + XPath": (lxml_listing, lxml_detail),
    }  # fmt: skip
    measured: dict[str, list[tuple[float, float, float]]] = {}
    for name, (listing, detail) in variants.items():
        log(f"measuring {name}")
        rate(listing, detail, listings, details)  # warm-up
        measured[name] = [rate(listing, detail, listings, details) for _ in range(args.runs)]
    with mock.patch.object(selectors_extract, "BeautifulSoup", html_parser_soup):
        log("measuring bs4 + html.parser (production code)")
        measured["bs4 + html.parser (production code)"] = [
            rate(*chosen, listings, details) for _ in range(args.runs)
        ]
    try:
        import selectolax  # noqa: F401
    except ImportError:
        notes = [
            "selectolax is not installed: reliability.md §5.3 measured it 14% faster than lxml.html + XPath"
        ]
    else:
        notes = ["selectolax is installed but not measured (no equivalent extraction written)"]
    result = Result("html_parse", args, notes=notes)
    result.params = {
        "listing_pages": len(listings), "detail_pages": len(details),
        "listing_kb_avg": round(sum(map(len, listings.values())) / len(listings) / 1024, 1),
        "detail_kb_avg": round(sum(map(len, details.values())) / len(details) / 1024, 1),
    }  # fmt: skip
    fastest = "lxml.html + XPath"
    functions = ("parse_listing", "parse_detail", "parse_listing and parse_detail")
    for index, kind in enumerate(("listing pages", "detail pages", "all pages of a poll")):
        figure = Stats([run[index] for run in measured["bs4 + lxml (production code)"]], "pages/s")
        best = Stats([run[index] for run in measured[fastest]], "pages/s")
        slow = Stats([run[index] for run in measured["bs4 + html.parser (production code)"]], "pages/s")
        result.add(Figure(
            f"ECCP {kind} per second, bs4 + lxml (production {functions[index]})",
            figure, f"{fastest} (same output)", best, best.median / figure.median, "fastest ÷ chosen",
            target="≥ 50 pages/s (reliability.md P2); ratio reported" if index == 2 else None,
            met=figure.median >= 50 if index == 2 else None,
            extra={"bs4 + html.parser": slow.as_dict()},
        ))  # fmt: skip
    result.emit()


if __name__ == "__main__":
    main()
