"""HTML from sources, made safe to show and flat enough to match on.

`sanitise_html` keeps a small formatting subset (paragraphs, lists, links,
emphasis, simple tables) and drops scripts, styles, event handlers and the
MS-Word styling the portal carries; `html_to_text` gives the readable text (lxml.html's parser:
a BeautifulSoup tree per field was half of normalising a portal record, issue #18).
Pure: no I/O.
"""

from __future__ import annotations

import re

import nh3
from lxml import etree

_TAGS = {
    "p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "u", "a", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "blockquote", "sub", "sup", "span", "div",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
_BLOCKS = ("p", "br", "li", "tr", "div", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote")
_HIDDEN = ("script", "style", "noscript", "template")
_KEEPS_SPACES = ("pre", "textarea")
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
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
    """Readable plain text of an HTML fragment: one line per block, spaces folded.

    Never raises: unclosed tags, stray bytes, comments and scripts are what sources send.
    """
    if not html or not html.strip():
        return None
    root = _parse(html)
    if root is None:
        return None
    _collapse_blank_strings(root)
    etree.strip_elements(root, *_HIDDEN, with_tail=False)
    for element in root.iter(*_BLOCKS):
        element.text = "\n" + (element.text or "")
        element.tail = "\n" + (element.tail or "")
    # itertext skips comments and processing instructions, as BeautifulSoup's get_text did.
    text = "".join(root.itertext())
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    joined = _BLANK_LINES.sub("\n\n", joined).strip()
    return joined or None


def _parse(html: str) -> etree._Element | None:
    """The fragment's tree from libxml2's forgiving HTML parser (the one BeautifulSoup drove)."""
    for attempt in (html, html.encode("utf-8", "replace").decode("utf-8")):
        parser = etree.HTMLParser(recover=True)
        try:
            parser.feed(attempt)
            return parser.close()
        except (ValueError, etree.LxmlError):  # UnicodeEncodeError (lone surrogates) is a ValueError
            continue
    return None


def _collapse_blank_strings(root: etree._Element) -> None:
    """A string of ASCII spaces only becomes one newline (or one space), as BeautifulSoup stores it.

    Kept for the same text as the BeautifulSoup version: a blank string of two line breaks between
    two tags is one line break, not a paragraph break. Only those change the result; `pre` and
    `textarea` keep theirs.
    """
    for string in root.xpath("//text()[not(normalize-space())]"):
        if string.count("\n") < 2 or string.strip(_ASCII_SPACES):
            continue
        owner = string.getparent()
        scope = owner.getparent() if string.is_tail else owner
        if scope is not None and (scope.tag in _KEEPS_SPACES or any(
            a.tag in _KEEPS_SPACES for a in scope.iterancestors()
        )):  # fmt: skip
            continue
        if string.is_tail:
            owner.tail = "\n"
        else:
            owner.text = "\n"
