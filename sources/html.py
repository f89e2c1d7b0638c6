"""Pure HTML extraction for the `selectors` source kind.

Owns: the field syntax (`"selector@attribute"`) and the checks the config
model applies to selectors and field names at load, parsing a page with
BeautifulSoup + lxml with HTML comments and scripts removed before anything
is read, the text of an element as a reader sees it, listing items, detail
label/value rows, and the mapping of field names onto `RawCall`.

Must not: fetch, read config files, know any particular site (selectors and
labels live only in `config/sources/*.toml`), or interpret values: dates,
money, countries stay raw text for `monitor.normalise`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import soupsieve
from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from monitor.model.raw import RawCall

# Field name -> RawCall attribute. Any other field name lands in `RawCall.extra`.
FIELD_TARGETS = {
    "title": "title",
    "url": "url",
    "key": "key",
    "deadline": "deadline_text",
    "opening": "opens_text",
    "summary": "summary_html",
    "conditions": "conditions_html",
    "programme": "programme",
    "budget": "budget_text",
    "countries": "countries_text",
    "org_types": "org_types_text",
    "organisation": "organisation",
    "identifier": "identifier",
}
# These keep the element's inner HTML (sanitised later by normalisation), not its text.
HTML_FIELDS = frozenset({"summary", "conditions"})
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "data-href", "data-url"})
# Elements whose start is a line break in the rendered text.
_BREAKS = re.compile(
    r"br|p|div|li|ul|ol|dl|dt|dd|tr|td|th|caption|table|thead|tbody|h[1-6]|section|article|header|footer|aside|nav"
    r"|blockquote|pre|hr|form|fieldset|figure|figcaption"
)
# Never content: scripts and styles (their text is code) and templates (not rendered).
_NOT_CONTENT = ("script", "style", "template")
_SPEC = re.compile(r"^(?P<selector>.*?)\s*@(?P<attribute>[A-Za-z_:][-\w:.]*)$", re.S)


@dataclass(frozen=True)
class FieldSpec:
    """One parsed field selector: `selector` ("" = the scope element itself) and an optional attribute."""

    selector: str
    attribute: str | None = None


def check_selector(selector: str) -> str:
    """The selector if soupsieve compiles it; ValueError naming it otherwise."""
    try:
        soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError as exc:
        reason = str(exc).splitlines()[0]
        raise ValueError(f"invalid CSS selector {selector!r}: {reason}") from None
    return selector


def parse_spec(text: str) -> FieldSpec:
    """`"a@href"` -> a's href, `"@title"` -> the scope's own title, `"td.title"` -> the cell's text."""
    text = text.strip()
    match = _SPEC.match(text)
    selector, attribute = (match["selector"], match["attribute"]) if match else (text, None)
    if not selector and not attribute:
        raise ValueError("empty selector")
    if selector:
        check_selector(selector)
    return FieldSpec(selector, attribute)


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def specs_of(value: Any) -> tuple[FieldSpec, ...]:
    """A selector string, or a list of alternatives (first non-empty wins)."""
    if isinstance(value, tuple) and value and all(isinstance(item, FieldSpec) for item in value):
        return value  # already parsed (a config re-validated)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(item, str) for item in items):
        raise ValueError("must be a selector string or a non-empty list of selector strings")
    return tuple(parse_spec(item) for item in items)


def css_of(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty CSS selector")
    return check_selector(value.strip())


def field_name_of(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"field name {value!r} must be lower-case letters, digits and '_'")
    return value


def label_target_of(value: Any) -> str | dict[str, tuple[FieldSpec, ...]]:
    """A field name (the row's value element), or a table of field -> selector inside the row."""
    if isinstance(value, str):
        return field_name_of(value)
    if not isinstance(value, dict) or not value:
        raise ValueError("must be a field name or a table of field name -> selector")
    targets = {}
    for name, selectors in value.items():
        try:
            targets[field_name_of(name)] = specs_of(selectors)
        except ValueError as exc:
            raise ValueError(f"field {name!r}: {exc}") from None
    return targets


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


def parse_page(content: bytes, content_type: str | None) -> BeautifulSoup:
    """A fetched body: a charset in Content-Type wins, else lxml reads the page's own <meta>."""
    declared = re.search(r"charset=\"?([\w.:-]+)", content_type or "", re.I)
    return parse_html(content, encoding=declared.group(1) if declared else None)


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


def to_raw_call(values: Mapping[str, str]) -> RawCall:
    """Field values -> RawCall; key defaults to the absolute detail URL, else the title.

    Raises ValueError (pydantic's ValidationError) when no title or an over-long key.
    """
    data: dict[str, str] = {}
    extra: dict[str, str] = {}
    for name, value in values.items():
        if name in FIELD_TARGETS:
            data[FIELD_TARGETS[name]] = value
        else:
            extra[name] = value
    url = data.pop("url", None)
    if url is not None and not url.startswith(("http://", "https://")):
        url = None  # "javascript:void()", "mailto:" and the like are no detail page
    key = data.pop("key", None) or url or data.get("title", "")
    return RawCall.model_validate({**data, "key": key, "url": url, "extra": extra})


def is_http(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("http://", "https://"))


def to_calls(items: list[dict[str, str]], warnings: list[str]) -> list[RawCall]:
    """One RawCall per distinct key, first seen wins; an item that can't be one is a warning."""
    calls: dict[str, RawCall] = {}
    for values in items:
        try:
            call = to_raw_call(values)
        except ValueError as exc:
            warnings.append(f"skipped {values.get('url') or values.get('title')}: {exc}")
            continue
        if call.key in calls:
            warnings.append(f"skipped a second item with key {call.key}")
            continue
        calls[call.key] = call
    return list(calls.values())
