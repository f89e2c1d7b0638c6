"""HTML from sources, made safe to show and flat enough to match on.

`sanitise_html` keeps a small formatting subset (paragraphs, lists, links,
emphasis, simple tables) and drops scripts, styles, event handlers and the
MS-Word styling the portal carries; `html_to_text` gives the readable text.
Pure: no I/O.
"""

from __future__ import annotations

import re
import warnings

import nh3
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

_TAGS = {
    "p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "u", "a", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "blockquote", "sub", "sup", "span", "div",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
_BLOCKS = ("p", "br", "li", "tr", "div", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def sanitise_html(html: str | None) -> str | None:
    """A safe subset of `html` for display; None for empty input."""
    if not html or not html.strip():
        return None
    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    cleaned = cleaned.strip()
    return cleaned or None


def html_to_text(html: str | None) -> str | None:
    """Readable plain text of an HTML fragment: one line per block, spaces folded."""
    if not html or not html.strip():
        return None
    with warnings.catch_warnings():
        # A fragment that happens to look like a file name or URL is still text to us.
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
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
