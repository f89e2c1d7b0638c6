"""A call as matching reads it: folded, split into words and bucketed once for a given `now`.

Owns `Prepared` and `prepare_call`, the call's amount per project, and programme keys: the names,
abbreviations and portal ids a programme is known by ("Horizon Europe", "HORIZON", "43108390"),
ignoring case, a trailing "+" and a trailing "Programme", plus the call identifier's first part
("HORIZON" for "HORIZON-CL5-2024-D2-01-03"; "SMP-COSME" and "COSME" for "SMP-COSME-2024-..."), and the
programme a source's label belongs to ("Horizon Europe: Cluster 3 - ..." is Horizon Europe).
The call's status, next deadline and days left at `now` come from `monitor.model.view`; a call its
source still lists whose deadline could not be read is `undated` and counts as live.

Must not: change the call it reads, do I/O or read the clock (`now` comes in).
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from monitor.match.field import Field, shared, split_field
from monitor.match.stems import language_key
from monitor.model.view import (
    LIVE_STATUSES,
    days_until,
    listed_undated,
    next_deadline,
    passed_deadline,
    status_at,
)
from monitor.normalise.language import detect_language
from monitor.normalise.programmes import PROGRAMMES, programme_for, programme_from_label, programme_id_for
from monitor.normalise.vocab import fold

# The searchable texts, in the order evidence is taken from (weights: `monitor.match.relevance`).
FIELD_NAMES = ("title", "call keywords", "summary", "programme", "conditions")
# Conditions run to 50 kB; their start says what the call is about, the rest is legal boilerplate.
CONDITIONS_WORDS = 1500
_PARENTHESIS = re.compile(r"\s*\(([^)]*)\)")


@dataclass(frozen=True)
class Programme:
    """The keys a call's programme is known by, whether it states one, and its label."""

    keys: frozenset[str]
    known: bool
    label: str | None


@dataclass(frozen=True)
class Prepared:
    """What matching reads of one call, folded and bucketed once for a given `now`."""

    call: Any
    language: str  # two-letter code the call's words are stemmed in
    status: str
    undated: bool  # still listed, no deadline could be read: live, its deadline "unknown"
    passed_at: datetime | None  # the deadline that passed, for a call that is over
    next_deadline: datetime | None
    days: int | None
    fields: tuple[Field, ...]
    countries: frozenset[str]
    org_types: frozenset[str]
    org_accepts: frozenset[str]  # profile org type slugs this call satisfies
    org_exclusive: bool  # only its org types may apply (else they are only mentioned)
    ecosystems: frozenset[str]
    programme: Programme
    funding_type: str | None
    budget: tuple[Decimal | None, Decimal | None]  # per project, low and high (None: open-ended)
    currency: str | None

    @property
    def live(self) -> bool:
        return self.status in LIVE_STATUSES or self.undated


def prepare_call(call: Any, now: datetime) -> Prepared:
    """The call as the checks read it at `now`."""
    ahead = next_deadline(call, now)
    org_types = shared(frozenset(attr(call, "org_types")))
    accepts = set(org_types)
    if "sme" in org_types or attr(call, "sme_relevant") is True:
        accepts |= {"sme", "startup"}
    funding = attr(call, "funding_type")
    language = _language(call)
    return Prepared(
        call=call,
        language=language,
        status=status_at(call, now),
        undated=listed_undated(call),
        passed_at=passed_deadline(call, now),
        next_deadline=ahead,
        days=days_until(ahead, now),
        fields=_fields(call, language),
        countries=_countries(tuple(attr(call, "countries") or ())),
        org_types=org_types,
        org_accepts=shared(frozenset(accepts)),
        org_exclusive=attr(call, "org_types_exclusive") is True,
        ecosystems=shared(frozenset(attr(call, "ecosystems") or ())),
        programme=_call_programme(call),
        funding_type=fold(str(getattr(funding, "value", funding))) if funding else None,
        budget=_budget_range(call),
        currency=(attr(call, "budget_currency") or "").upper() or None,
    )


@functools.lru_cache(maxsize=4096)
def _countries(codes: tuple[str, ...]) -> frozenset[str]:
    # Shared: 5,000 calls naming the same 27 member states hold one set (and one "DE"), not 5,000.
    return frozenset(sys.intern(code.upper()) for code in codes)


def attr(call: Any, name: str) -> Any:
    """A call's attribute, None when missing; lists that may be missing read as empty."""
    value = getattr(call, name, None)
    return () if value is None and name in ("org_types", "keywords", "deadlines") else value


def _language(call: Any) -> str:
    """The language the record names, else the one its title and summary are written in."""
    stated = attr(call, "language")
    if stated:
        return language_key(stated)
    text = " ".join(filter(None, (attr(call, "title"), attr(call, "summary_text"))))
    return language_key(detect_language(text[:1000]))


def _fields(call: Any, language: str) -> tuple[Field, ...]:
    texts = {
        "title": attr(call, "title") or "",
        "call keywords": "; ".join(attr(call, "keywords")),
        "summary": attr(call, "summary_text") or "",
        "programme": "; ".join(filter(None, (attr(call, "programme"), attr(call, "parent_title")))),
        "conditions": attr(call, "conditions_text") or "",
    }
    return tuple(
        split_field(name, texts[name], language, max_words=CONDITIONS_WORDS if name == "conditions" else None)
        for name in FIELD_NAMES
    )


def _budget_range(call: Any) -> tuple[Decimal | None, Decimal | None]:
    high = attr(call, "contribution_max")
    if high is None:
        high = attr(call, "budget_total")
    low = attr(call, "contribution_min")
    if low is not None and high is not None and low > high:
        low = None
    return low, high


# --------------------------------------------------------------------------- programmes


def _programme_key(text: str) -> str:
    key = fold(text).rstrip("+ ")
    return re.sub(r"\s*\bprogram(?:me)?$", "", key).strip()


def _table_keys(entry: tuple[str, str]) -> set[str]:
    abbreviation, name = entry
    inside = _PARENTHESIS.findall(name)
    return {_programme_key(x) for x in (abbreviation, name, _PARENTHESIS.sub("", name), *inside)}


_BY_NAME: dict[str, tuple[str, str]] = {}
for _entry in PROGRAMMES.values():
    _BY_NAME.update(dict.fromkeys(_table_keys(_entry) - {_programme_key(_entry[0])}, _entry))


def programme_keys(text: str) -> frozenset[str]:
    """Every key a programme the user wrote is known by ("LIFE", "Digital Europe", "43108390")."""
    keys = {_programme_key(text)}
    programme_id = programme_id_for(text)
    for entry in (PROGRAMMES.get(programme_id or ""), _BY_NAME.get(_programme_key(text))):
        keys |= _table_keys(entry) if entry else set()
    return frozenset(key for key in keys if key)


def _call_programme(call: Any) -> Programme:
    name, code, identifier = (attr(call, n) for n in ("programme", "programme_code", "identifier"))
    found: list[tuple[str, str]] = []
    if code and (programme_id := programme_id_for(code)):
        found.append(PROGRAMMES[programme_id])
    elif code and (entry := programme_from_label(code)):
        found.append(entry)
    if name and (entry := _BY_NAME.get(_programme_key(name)) or programme_from_label(name)):
        found.append(entry)  # "Horizon Europe: Cluster 3 - ..." is Horizon Europe
    abbreviation, full_name = programme_for(None, identifier)
    if abbreviation and full_name:
        found.append((abbreviation, full_name))
    keys = {_programme_key(x) for x in (name, code) if x}
    for entry in found:
        keys |= _table_keys(entry)
    keys |= _identifier_keys(identifier)
    label = name or (found[0][1] if found else None) or code
    # A label or code no table knows ("New European Bauhaus Facility") is no programme of its own: unknown.
    return Programme(shared(frozenset(k for k in keys if k)), bool(found), label)


def _identifier_keys(identifier: str | None) -> set[str]:
    parts = (identifier or "").strip().split("-")
    if len(parts) < 2 or not parts[0][:1].isalpha():
        return set()
    keys = {_programme_key(parts[0]), _programme_key(f"{parts[0]}-{parts[1]}")}
    return keys | ({_programme_key(parts[1])} if programme_id_for(parts[1]) else set())
