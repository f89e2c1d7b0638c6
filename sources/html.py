"""Pure HTML reading shared by the HTML kinds (`selectors`, `eccp`).

Owns: parsing a page with BeautifulSoup + lxml with HTML comments and scripts
removed before anything is read, the text of an element as a reader sees it,
reading field specs (first non-empty alternative wins), listing items, next
links, detail label/value rows, the empty marker, and link helpers (absolute
links, http(s) only, share widgets). The field syntax itself is
`sources.fields`.

Must not: fetch, choose a body's encoding (`sources.fetch.decode`), read
config files, know any particular site (selectors and labels live only in
`config/sources/*.toml`), or interpret values: dates,
money, countries stay raw text for `monitor.normalise`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from sources.fetch.decode import decode_body
from sources.fields import HTML_FIELDS, FieldSpec

logger = logging.getLogger(__name__)

_URL_ATTRIBUTES = frozenset({"href", "src", "action", "data-href", "data-url"})
# Elements whose start is a line break in the rendered text.
_BREAKS = re.compile(
    r"br|p|div|li|ul|ol|dl|dt|dd|tr|td|th|caption|table|thead|tbody|h[1-6]|section|article|header|footer|aside|nav"
    r"|blockquote|pre|hr|form|fieldset|figure|figcaption"
)
# Never content: scripts and styles (their text is code) and templates (not rendered).
_NOT_CONTENT = ("script", "style", "template")


def parse_html(content: bytes | str, *, encoding: str | None = None) -> BeautifulSoup:
    """Parse with lxml and drop comments, scripts and styles, so none can leak into a field.

    euro-access repeats every detail block in a commented-out `<!--table>`
    and ECCP wraps every field in Drupal theme-debug comments (formats.md §3, §4.4).
    """
    if isinstance(content, bytes):
        soup = BeautifulSoup(content, "lxml", from_encoding=encoding)
    else:
        soup = BeautifulSoup(content, "lxml")
    for comment in soup.find_all(string=lambda node: isinstance(node, Comment)):
        comment.extract()
    for element in soup.find_all(_NOT_CONTENT):
        element.decompose()
    return soup


def parse_page(
    content: bytes, content_type: str | None, *, url: str = "", notes: list[str] | None = None
) -> BeautifulSoup:
    """A fetched body decoded by the HTML rules (`sources.fetch.decode`), then parsed.

    A mislabelled body (windows-1252 bytes declared UTF-8, UTF-8 bytes declared ISO-8859-1) is
    noted in `notes` (the harvest's warnings), or logged when the caller keeps none.
    """
    decoded = decode_body(content, content_type, kind="html", url=url)
    if decoded.note:
        if notes is None:
            logger.warning("%s", decoded.note)
        else:
            notes.append(decoded.note)
    return parse_html(decoded.text)


def element_text(element: Tag) -> str:
    """Visible text: whitespace runs collapsed, one line per `<br>` or block element."""
    parts: list[str] = []
    for node in element.descendants:
        if isinstance(node, Tag):
            if _BREAKS.fullmatch(node.name):
                parts.append("\n")
        # Exact type: Comment, CData, Doctype and script strings are subclasses, never content.
        elif type(node) is NavigableString:
            parts.append(str(node))
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def read_value(scope: Tag, spec: FieldSpec, *, html: bool, base_url: str) -> str | None:
    """One spec read inside `scope`: attribute, inner HTML or text; None when absent or blank."""
    target = scope.select_one(spec.selector) if spec.selector else scope
    if target is None:
        return None
    if spec.attribute:
        raw = target.get(spec.attribute)
        value = " ".join((" ".join(raw) if isinstance(raw, list) else raw or "").split())
        if value and spec.attribute.lower() in _URL_ATTRIBUTES:
            value = urljoin(base_url, value)
    elif html:
        value = target.decode_contents().strip()
    else:
        value = element_text(target)
    return value or None


def first_text(scope: Tag, specs: Sequence[FieldSpec], *, base_url: str) -> str | None:
    """The first non-empty text of `specs` inside `scope`, whitespace collapsed onto one line."""
    for spec in specs:
        if value := read_value(scope, spec, html=False, base_url=base_url):
            return " ".join(value.split())
    return None


def read_fields(scope: Tag, fields: Mapping[str, Sequence[FieldSpec]], *, base_url: str) -> dict[str, str]:
    """Every field found in `scope`; of several specs for one field, the first non-empty wins."""
    values: dict[str, str] = {}
    for name, specs in fields.items():
        for spec in specs:
            value = read_value(scope, spec, html=name in HTML_FIELDS, base_url=base_url)
            if value:
                values[name] = value
                break
    return values


def read_items(
    soup: BeautifulSoup, item: str, fields: Mapping[str, Sequence[FieldSpec]], *, base_url: str
) -> list[dict[str, str]]:
    """The field values of every element matching `item`, in page order."""
    return [read_fields(element, fields, base_url=base_url) for element in soup.select(item)]


def next_link(soup: BeautifulSoup, specs: Sequence[FieldSpec] | None, *, base_url: str) -> str | None:
    """The absolute http(s) URL of the next listing page, if the page has one."""
    found = read_fields(soup, {"next": specs}, base_url=base_url).get("next") if specs else None
    return found if is_http(found) else None


def label_key(text: str) -> str:
    """How labels are compared: case-insensitive, whitespace collapsed, trailing colon ignored."""
    return " ".join(text.split()).rstrip(":").strip().casefold()


@dataclass(frozen=True)
class LabelRows:
    """Label/value rows of a detail page: which rows, where label and value sit, what each label means.

    A label maps to a field name (its value element is read) or to fields read
    with their own selectors inside the row (for rows holding several values).
    """

    rows: str
    label: str
    value: str
    labels: Mapping[str, str | Mapping[str, Sequence[FieldSpec]]]


def read_label_rows(soup: BeautifulSoup, spec: LabelRows, *, base_url: str) -> dict[str, str]:
    """Field values from rows whose label is configured; the first row of a label wins."""
    values: dict[str, str] = {}
    for row in soup.select(spec.rows):
        label = row.select_one(spec.label)
        target = spec.labels.get(label_key(element_text(label))) if label is not None else None
        if target is None:
            continue
        if isinstance(target, str):
            value = read_value(row, FieldSpec(spec.value), html=target in HTML_FIELDS, base_url=base_url)
            found = {target: value} if value else {}
        else:
            found = read_fields(row, target, base_url=base_url)
        for name, value in found.items():
            values.setdefault(name, value)
    return values


def matches_marker(soup: BeautifulSoup, marker: str) -> bool:
    """`css:<selector>` matches an element; any other marker is whole-word text, case-insensitive.

    Whole words, so an empty marker "0 Calls found" is not found in "10 Calls found".
    """
    if marker.startswith("css:"):
        return soup.select_one(marker.removeprefix("css:")) is not None
    words = r"\s+".join(re.escape(word) for word in marker.split())
    body = soup.body or soup
    return re.search(rf"(?<!\w){words}(?!\w)", element_text(body), re.I) is not None


def is_http(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("http://", "https://"))


def absolutise_links(element: Tag, base_url: str) -> None:
    """Make every href and src inside `element` absolute against `base_url`, in place."""
    for node in element.select("[href], [src]"):
        for attribute in ("href", "src"):
            if isinstance(value := node.get(attribute), str) and value.strip():
                node[attribute] = urljoin(base_url, value.strip())


def in_share_block(anchor: Tag, scope: Tag) -> bool:
    """Whether `anchor` sits in a share widget (an element whose class names "share") inside `scope`."""
    for parent in anchor.parents:
        if parent is scope:
            return False
        if any("share" in name for name in parent.get("class") or []):
            return True
    return False
