"""Cross-source reconciliation: which stored records describe the same call.

Owns: the identity keys read from a record (Funding & Tenders competitive-call
and topic ids found in its URL, links or identifier; its specific external
URLs) and the grouping of records into logical calls, each group led by its
most trusted source's record.

Rules (strongest first; two records of the same source never join one group,
so the 5th and 6th cut-off pages of one aggregator stay two calls):
1. a shared portal id (competitive call 14703, topic HORIZON-CL5-2024-D2-01-03);
2. a shared specific external URL (not a site's home page, not a link that
   several records of one source carry, such as a portal home link);
3. a close title (folded, similarity >= TITLE_SIMILARITY) with a deadline on
   the same Brussels calendar day.
Within a rule, links whose records share a deadline day are taken first.

Must not: touch the database. Records in, groups out: `db.repo.groups` loads and
stores, `monitor.poll.pipeline.regroup` runs the two, and `monitor.model.view.merge`
turns a group into what users see.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

from monitor.model.view import DEFAULT_RANK, KIND_RANK
from monitor.model.zones import BRUSSELS
from monitor.normalise.vocab import fold

if TYPE_CHECKING:
    from db.repo.groups import GroupInput

TITLE_SIMILARITY = 0.9
# A URL carried by more records than this in one source is a generic link, not an identity.
GENERIC_LINK_COUNT = 3

_COMPETITIVE_CALL = re.compile(r"/competitive-calls-cs/(\d+)", re.I)
_TOPIC = re.compile(r"/topic-details/([A-Za-z0-9][\w.-]*-[\w.-]+)", re.I)
_TOPIC_ID = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+){2,}(?:-[A-Z0-9.]+)*$")
_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|mc_)")
_WORDS = re.compile(r"[^\w]+")
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Record:
    """What reconciliation needs of one stored call."""

    id: int
    source_id: str
    kind: str
    title: str
    url: str | None = None
    identifier: str | None = None
    links: tuple[str, ...] = ()
    deadline_days: frozenset[date] = frozenset()

    @property
    def rank(self) -> tuple[int, str, int]:
        return (KIND_RANK.get(self.kind, DEFAULT_RANK), self.source_id, self.id)


# --------------------------------------------------------------------------- keys


def portal_keys(record: Record) -> set[str]:
    """Funding & Tenders ids this record names: 'cc:14703', 'topic:HORIZON-...'."""
    keys: set[str] = set()
    for url in (record.url, *record.links):
        if not url:
            continue
        if match := _COMPETITIVE_CALL.search(url):
            keys.add(f"cc:{match.group(1)}")
        if match := _TOPIC.search(url):
            keys.add(f"topic:{match.group(1).upper()}")
    identifier = (record.identifier or "").strip()
    if identifier.isdigit() and record.kind == "ft-portal":
        keys.add(f"cc:{identifier}")  # a cascade call's key is its competitive-call id
    elif _TOPIC_ID.match(identifier.upper()):
        keys.add(f"topic:{identifier.upper()}")
    return keys


def url_key(url: str | None) -> str | None:
    """A comparable form of a specific URL; None for a home page or a non-web link.

    Scheme, 'www.', trailing slashes, fragments and tracking parameters do not
    make two links different.
    """
    if not url or not url.startswith(("http://", "https://")):
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = re.sub(r"/+$", "", parts.path)
    if not host or not path:
        return None
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)))
    return f"{host}{path}" + (f"?{query}" if query else "")


def _url_keys(records: Sequence[Record]) -> dict[int, set[str]]:
    per_record = {r.id: {key for url in (r.url, *r.links) if (key := url_key(url))} for r in records}
    per_source: dict[tuple[str, str], int] = defaultdict(int)
    for record in records:
        for key in per_record[record.id]:
            per_source[(record.source_id, key)] += 1
    return {
        r.id: {key for key in per_record[r.id] if per_source[(r.source_id, key)] <= GENERIC_LINK_COUNT}
        for r in records
    }


def title_key(title: str) -> str:
    return " ".join(_WORDS.sub(" ", fold(title)).split())


def titles_close(a: str, b: str) -> bool:
    """Same words give or take punctuation and a typo, and the same numbers ("1st" is not "2nd")."""
    left, right = title_key(a), title_key(b)
    if not left or not right or sorted(_NUMBER.findall(left)) != sorted(_NUMBER.findall(right)):
        return False
    return left == right or SequenceMatcher(None, left, right).ratio() >= TITLE_SIMILARITY


# --------------------------------------------------------------------------- grouping


@dataclass(frozen=True)
class Link:
    """Why two records were taken for the same call."""

    left: int
    right: int
    rule: str  # "portal id", "url", "title and deadline"
    evidence: str


def candidate_links(records: Sequence[Record]) -> list[Link]:
    """Every pair of records from different sources that some rule says are one call."""
    by_id = {r.id: r for r in records}
    links: list[Link] = []
    keyed: list[tuple[str, dict[int, set[str]]]] = [
        ("portal id", {r.id: portal_keys(r) for r in records}),
        ("url", _url_keys(records)),
    ]
    for rule, keys in keyed:
        holders: dict[str, list[int]] = defaultdict(list)
        for record_id, record_keys in keys.items():
            for key in record_keys:
                holders[key].append(record_id)
        for key, ids in sorted(holders.items()):
            links.extend(_pairs(by_id, sorted(ids), rule, key))
    by_day: dict[date, list[int]] = defaultdict(list)
    for record in records:
        for day in record.deadline_days:
            by_day[day].append(record.id)
    for day, ids in sorted(by_day.items()):
        for link in _pairs(by_id, sorted(ids), "title and deadline", day.isoformat()):
            if titles_close(by_id[link.left].title, by_id[link.right].title):
                links.append(link)
    return links


def _pairs(by_id: dict[int, Record], ids: list[int], rule: str, evidence: str) -> Iterable[Link]:
    for i, left in enumerate(ids):
        for right in ids[i + 1 :]:
            if by_id[left].source_id != by_id[right].source_id:
                yield Link(left, right, rule, evidence)


_RULE_ORDER = {"portal id": 0, "url": 1, "title and deadline": 2}


def group_records(records: Sequence[Record]) -> dict[int, int]:
    """Record id -> the id of its group's primary record, for records in a group of two or more.

    The primary is the most trusted source's record (KIND_RANK). A group never
    holds two records of one source: a link that would do so is skipped.
    """
    by_id = {r.id: r for r in records}

    def order(link: Link) -> tuple[int, int, int, int]:
        shared_day = bool(by_id[link.left].deadline_days & by_id[link.right].deadline_days)
        return (_RULE_ORDER[link.rule], 0 if shared_day else 1, link.left, link.right)

    parent = {r.id: r.id for r in records}
    sources = {r.id: {r.source_id} for r in records}

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for link in sorted(set(candidate_links(records)), key=order):
        a, b = root(link.left), root(link.right)
        if a == b or sources[a] & sources[b]:
            continue
        parent[b] = a
        sources[a] |= sources.pop(b)
    members: dict[int, list[Record]] = defaultdict(list)
    for record in records:
        members[root(record.id)].append(record)
    groups: dict[int, int] = {}
    for group in members.values():
        if len(group) > 1:
            primary = min(group, key=lambda r: r.rank).id
            groups.update({r.id: primary for r in group})
    return groups


def record_of(call: GroupInput) -> Record:
    """A Record from a stored call: its identity fields, every URL its extras carry, its deadline days."""
    links = call.extra.get("links")
    extra_urls = [v for v in call.extra.values() if isinstance(v, str) and v.startswith("http")]
    return Record(
        id=call.id,
        source_id=call.source_id,
        kind=call.kind,
        title=call.title,
        url=call.url,
        identifier=call.identifier,
        links=tuple([*(links if isinstance(links, list) else []), *extra_urls]),
        deadline_days=deadline_days(call.deadlines),
    )


def deadline_days(instants: Iterable[datetime]) -> frozenset[date]:
    """The Brussels calendar days of some deadline instants (rule 3 compares days, not instants)."""
    return frozenset(at.astimezone(BRUSSELS).date() for at in instants)
