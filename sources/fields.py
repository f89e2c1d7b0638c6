"""The field syntax of the HTML kinds' TOML files, and what field names mean on a `RawCall`.

Owns: `"selector@attribute"` specs and their alternatives (`FieldSpec`), the
checks the config models apply at load (every selector compiles, field names
are names, label targets), the pydantic types that run those checks
(`Specs`, `Css`, `FieldName`, `LabelTarget`), the rule that a bare link
selector means its href, and the mapping of field names onto `RawCall`.

Must not: read pages (that is `sources.html`), fetch, read config files, or
know any particular site: selectors and labels live only in
`config/sources/*.toml`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import soupsieve
from pydantic import BeforeValidator

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
    # A labelled list of who may apply (a statement of eligibility, read as exclusive), not prose.
    "org_types_list": "org_types_text",
    "organisation": "organisation",
    "identifier": "identifier",
}
# These keep the element's inner HTML (sanitised later by normalisation), not its text.
HTML_FIELDS = frozenset({"summary", "conditions"})
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


def link_specs(value: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
    """A bare selector ("a[rel=next]") means the link's href, not its text."""
    return tuple(FieldSpec(spec.selector, spec.attribute or "href") for spec in value)


Specs = Annotated[tuple[FieldSpec, ...], BeforeValidator(specs_of)]
Css = Annotated[str, BeforeValidator(css_of)]
FieldName = Annotated[str, BeforeValidator(field_name_of)]
LabelTarget = Annotated[str | dict[str, tuple[FieldSpec, ...]], BeforeValidator(label_target_of)]


def to_raw_call(values: Mapping[str, str]) -> RawCall:
    """Field values -> RawCall; key defaults to the absolute detail URL, else the title.

    Raises ValueError (pydantic's ValidationError) when no title or an over-long key.
    """
    data: dict[str, Any] = {"org_types_listed": "org_types_list" in values}
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
