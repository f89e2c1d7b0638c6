"""`html_to_text` on lxml gives the text the BeautifulSoup version gave (issue #18).

The BeautifulSoup version is kept here as the reference: every HTML field of every record in
tests/fixtures and tests/recordings (portal JSON strings, ECCP detail bodies as the source cuts them,
whole pages and their blocks) and generated fragments must read the same, and bad markup must not raise.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.normalise.html import _BLANK_LINES, _BLOCKS, _SPACES, html_to_text
from sources import build_source, load_source_config
from sources.eccp.detail import parse_detail

TESTS = Path(__file__).parent
ROOT = TESTS.parent
_FRAGMENT_TAGS = ["body", "main", "article", "section", "div", "td", "ul", "ol", "table", "p", "li"]


def bs4_html_to_text(html: str | None) -> str | None:
    """The BeautifulSoup implementation `html_to_text` replaced (commit 51575f7), verbatim."""
    if not html or not html.strip():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)  # feeds' pages are in the corpus
        soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text()
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    joined = _BLANK_LINES.sub("\n\n", joined).strip()
    return joined or None


def _json_strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        if "<" in value:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _page_fragments(page: str) -> Iterator[str]:
    yield page
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(page, "lxml")
    for tag in soup.find_all(_FRAGMENT_TAGS)[:150]:
        yield tag.decode_contents()


def _eccp_bodies() -> Iterator[str]:
    config = build_source(load_source_config(ROOT / "config" / "sources" / "eccp.toml")).config
    for page in sorted((TESTS / "fixtures" / "eccp").glob("detail_*.html")):
        call, _ = parse_detail(page.read_bytes(), config, "https://www.clustercollaboration.eu/content/x")
        if call is not None:
            yield from (html for html in (call.summary_html, call.conditions_html) if html)


def corpus() -> list[str]:
    """Every HTML string the fixtures and recordings hold, deduplicated."""
    found: dict[str, None] = {}
    for folder in (TESTS / "fixtures", TESTS / "recordings"):
        for path in sorted(folder.rglob("*")):
            if path.suffix == ".json":
                found.update(dict.fromkeys(_json_strings(json.loads(path.read_text(encoding="utf-8")))))
            elif path.suffix in (".html", ".xml"):
                found.update(dict.fromkeys(_page_fragments(path.read_bytes().decode("utf-8", "replace"))))
    found.update(dict.fromkeys(_eccp_bodies()))
    return list(found)


def test_same_text_as_beautifulsoup_on_every_fixture_field() -> None:
    fragments = corpus()
    assert len(fragments) > 500  # the walk found the portal's HTML fields and the pages' blocks
    differing = [f[:200] for f in fragments if html_to_text(f) != bs4_html_to_text(f)]
    assert differing == []


@pytest.mark.parametrize(
    "html",
    [
        "", "   ", "<!-- only a comment -->", "<p>unclosed <b>bold <i>both", "</p></div>stray closers",
        "<script>alert(1)</script>", "<style>p{}</style>", "a\ud800b lone surrogate", "nul\x00byte",
        "caf\u00c3\u00a9 mojibake \ufffd", "<p>a</p>\n\n<p>b</p>", "<pre>a\n\n\nb</pre>",
        "<?xml version='1.0'?><x>y</x>",
        "<table><tr><td>1<td>2</table>", "<![CDATA[x]]>", "a &amp; b &nbsp; &bogus; &#xD800;", "<p>" * 400,
        "text<!--c-->\n\n<!--d-->more", "<textarea>\n\n</textarea>x", "<ul>\n\n<li>a</li>\n\n<li>b</li></ul>",
    ],
)  # fmt: skip
def test_bad_markup_does_not_raise_and_matches(html: str) -> None:
    assert html_to_text(html) == bs4_html_to_text(html.encode("utf-8", "replace").decode())


_TAG = st.sampled_from(["p", "div", "br", "li", "ul", "b", "span", "pre", "script", "td", "tr", "h3", "a"])
_TEXT = st.text(alphabet=st.sampled_from(list("ab \n\t\r\xa0&;<>é’")), max_size=8)
_PIECE = st.one_of(
    _TEXT,
    _TAG.map(lambda t: f"<{t}>"),
    _TAG.map(lambda t: f"</{t}>"),
    st.just("<!--c-->"),
    st.just("\n\n"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECE, max_size=30).map("".join))
def test_same_text_on_generated_fragments(html: str) -> None:
    assert html_to_text(html) == bs4_html_to_text(html)
