"""A published collection as its public page, feeds, calendar, CSV and snippet show it: its entries.

Owns `Published` (what the public side knows of a collection: never its owner or editors),
`CollectionEntry` (one accepted item in the editors' order: its call, the editor's note, every
deadline stage, budget, status at the moment of the request, the call's page on this site and its
source page), how entries are made from stored items and the catalogue's calls, and what the feed
and calendar renderers (`monitor.render.rss`, `monitor.render.ics`) are handed for a collection:
its `FeedMeta` (own ids through `scope`, so an entry keeps its id across rebuilds and moves and
never collides with the same call in another feed) and the notes as `remarks`, labelled in the
collection's language. Notes stay plain text here: every renderer escapes them for its format.
Must not: read the database or the catalogue (the route hands in items and a lookup), read a clock,
or word a fact itself (`monitor.render.words` and the templates do).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.model.view import status_at
from monitor.render.cards import funder
from monitor.render.entries import CallPage, FeedMeta, Remarks, Stage, clean, stages
from monitor.render.i18n import Translator
from monitor.render.words import budget_text

# The files of a published collection, by the last part of their address (`/c/<key>/<name>`).
FILES = ("feed.rss", "feed.atom", "calendar.ics", "calls.csv", "snippet.html")


@dataclass(frozen=True)
class Published:
    """A collection's public face; `version` moves with every published change (the ETag's part)."""

    id: int
    key: str
    name: str
    description: str
    language: str
    version: int
    updated: datetime


@dataclass(frozen=True)
class Item:
    """One accepted item as stored: which call (any record of it), the note, the place, when added."""

    call_id: int
    note: str
    position: int
    added: datetime


@dataclass(frozen=True)
class CollectionEntry:
    """One call of a published collection, everything its renderings show."""

    position: int
    call: Any  # a merged LogicalCall
    note: str
    added: datetime
    status: str
    stages: tuple[Stage, ...]
    budget: str | None
    funder: str | None
    page_url: str
    source_url: str | None


def collection_entries(
    items: Sequence[Item],
    find: Callable[[int], Any],
    *,
    now: datetime,
    call_page: CallPage,
    language: str = "en",
) -> list[CollectionEntry]:
    """The entries of `items` in position order; `find(record id)` gives the merged call or None.

    An item whose call is no longer in the catalogue is left out; two items that have become one
    call (their records were merged) show once, at the first place, with the first non-empty note.
    """
    found: dict[int, CollectionEntry] = {}
    for item in sorted(items, key=lambda i: (i.position, i.call_id)):
        call = find(item.call_id)
        if call is None:
            continue
        if call.id in found:
            if not found[call.id].note and item.note:
                found[call.id] = _with_note(found[call.id], item.note)
            continue
        url = call.url if call.url and str(call.url).startswith(("http://", "https://")) else None
        found[call.id] = CollectionEntry(
            position=len(found) + 1, call=call, note=clean(item.note).strip(), added=item.added,
            status=status_at(call, now), stages=tuple(stages(call.deadlines)),
            budget=budget_text(call, language=language), funder=funder(call), page_url=call_page(call.id),
            source_url=url,
        )  # fmt: skip
    return list(found.values())


def _with_note(entry: CollectionEntry, note: str) -> CollectionEntry:
    values = {name: getattr(entry, name) for name in entry.__dataclass_fields__}
    return CollectionEntry(**{**values, "note": clean(note).strip()})


def scope(published: Published) -> str:
    """'collection-3': the prefix of the collection's entry ids and event UIDs (not its key, which
    is replaced to unpublish: a new key must not make readers show every item again)."""
    return f"collection-{published.id}"


def page_address(base_url: str, published: Published, name: str = "") -> str:
    """The public address of the collection's page, or of one of its `FILES`."""
    return f"{base_url}/c/{published.key}" + (f"/{name}" if name else "")


def feed_meta(
    published: Published, *, base_url: str, name: str, uid_domain: str, updated: datetime, words: Translator
) -> FeedMeta:
    """The collection's RSS, Atom or calendar metadata, in its language; `updated` is the
    response's Last-Modified (never "now": it is part of the cached bytes)."""
    _ = words
    description = " ".join(clean(published.description).split()) or _(
        "Calls selected by the editors of %(name)s", name=published.name
    )
    return FeedMeta(
        title=published.name,
        self_url=page_address(base_url, published, name),
        page_url=page_address(base_url, published),
        updated=updated,
        description=description,
        feed_id=f"tag:{uid_domain},2026:{scope(published)}",
        uid_domain=uid_domain,
        language=words.language.replace("_", "-"),
        scope=scope(published),
    )


def remarks(entries: Sequence[CollectionEntry], words: Translator) -> Remarks:
    """Call id -> "Editor's note: …" (plain text; the renderers escape it), for entries with a note."""
    _ = words
    label = _.label(_("Editor's note"))
    return {entry.call.id: f"{label} {entry.note}" for entry in entries if entry.note}
