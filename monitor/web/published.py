"""A published collection, read-only and without sign-in: the collection's random `public_key` is the address.

Routes (GET; HEAD through the app's AnswerHead):
- `/c/{key}`: the public page (templates/web/collection_public.html): name, description, every item
  with its note and deadlines, links to each format and to `/c/{key}/join` (e-mail subscription,
  another module's route), and a copy box with the newsletter snippet.
- `/c/{key}/feed.rss`, `/c/{key}/feed.atom`: one item per call, the note first (monitor.render.rss).
- `/c/{key}/calendar.ics`: every deadline stage of every call, the note first (monitor.render.ics).
- `/c/{key}/calls.csv?columns=a,b,c`: chosen columns (monitor.render.collection_feeds); an unknown
  column is a 400 naming the allowed ones.
- `/c/{key}/snippet.html`: an inline-styled HTML fragment for newsletter tools
  (templates/mail/collection_snippet.html); monitor.web.headers gives it `default-src 'none'`.
An unknown key, or one replaced by "republish", is the same short 404.

Texts are in the collection's `language`. Every response goes through `FeedCache.respond`
(monitor.web.feed_cache): the ETag is the snapshot's over the file, the key, the collection's
`version` (bumped by every published change), the chosen columns and the clock mark (a deadline
passing changes statuses); Last-Modified is the latest of the collection's change, the catalogue's
newest change and the last deadline crossed; bodies are built once per ETag.
Must not write anything or show who owns or edits a collection.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.catalogue.cache import CatalogueCache
from monitor.catalogue.snapshot import Catalogue
from monitor.render import ics, rss
from monitor.render.collection import (
    FILES,
    CollectionEntry,
    Item,
    Published,
    collection_entries,
    feed_meta,
    page_address,
    remarks,
)
from monitor.render.collection_feeds import ColumnError, chosen_columns, csv_rows
from monitor.render.i18n import translator
from monitor.web import errors
from monitor.web.deps import AppDep, CatalogueDep, FeedCacheDep
from monitor.web.feed_cache import FeedCache, Plan, latest

MEDIA_TYPES = {
    "": "text/html; charset=utf-8",
    "feed.rss": "application/rss+xml; charset=utf-8",
    "feed.atom": "application/atom+xml; charset=utf-8",
    "calendar.ics": "text/calendar; charset=utf-8",
    "calls.csv": "text/csv; charset=utf-8",
    "snippet.html": "text/html; charset=utf-8",
}
NO_COLLECTION = "No such collection. Its address changes when its editors publish it anew.\n"
_KEY_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

router = APIRouter(include_in_schema=False)


@router.get("/c/{key}")
def collection_page(
    request: Request, key: str, app: AppDep, catalogue: CatalogueDep, cache: FeedCacheDep
) -> Response:
    return respond(request, key, "", app, catalogue, cache)


def _file_route(name: str) -> Callable[..., Response]:
    def collection_file(
        request: Request, key: str, app: AppDep, catalogue: CatalogueDep, cache: FeedCacheDep
    ) -> Response:
        return respond(request, key, name, app, catalogue, cache)

    return collection_file


# One route per file, not `/c/{key}/{name}`: other modules add their own addresses under /c/{key}/
# (the e-mail subscription's `join`), which a catch-all included first would answer with a 404.
for _name in FILES:
    router.add_api_route(f"/c/{{key}}/{_name}", _file_route(_name), methods=["GET"])


def respond(
    request: Request, key: str, name: str, app: App, catalogue: CatalogueCache, cache: FeedCache
) -> Response:
    """The page or file `name` of the collection published under `key`, or 304, 400 or 404."""
    found = load(app, key)
    if found is None:
        return no_collection()
    published, items = found
    try:
        columns = chosen_columns(request.query_params.get("columns")) if name == "calls.csv" else ()
    except ColumnError as error:
        return errors.plain(f"{error}\n", 400)
    snapshot, now = catalogue.get(), app.clock()
    index = cache.index(snapshot)
    mark, crossed = index.clock_mark(now)
    updated = latest(published.updated, index.newest, crossed)
    etag = snapshot.etag("collection", name, published.key, str(published.version), ",".join(columns), mark)
    entries = partial(
        collection_entries, items, partial(_call, snapshot), now=now, call_page=app.links.call,
        language=translator(published.language).language,
    )  # fmt: skip

    def build() -> bytes:
        return body(request, name, published, entries(), Built(app, cache, columns, now, updated))

    return cache.respond(request, Plan(MEDIA_TYPES[name], etag, updated, False, build))


@dataclass(frozen=True)
class Built:
    """What a body is built with besides the collection: the app, its caches, the columns asked for,
    the request's moment and the Last-Modified the feeds carry as their own `updated`."""

    app: App
    cache: FeedCache
    columns: tuple[str, ...]
    now: datetime
    updated: datetime


def body(
    request: Request, name: str, published: Published, entries: list[CollectionEntry], built: Built
) -> bytes:
    """The bytes of the page or file `name` (built only when its ETag is not kept)."""
    words, links = translator(published.language), built.app.links
    if name in ("feed.rss", "feed.atom", "calendar.ics"):
        meta = feed_meta(
            published, base_url=links.base_url, name=name, uid_domain=built.app.settings.ics_domain,
            updated=built.updated, words=words,
        )  # fmt: skip
        calls, notes = [entry.call for entry in entries], remarks(entries, words)
        if name == "calendar.ics":
            return ics.calendar(calls, meta, call_page=links.call, events=built.cache.events, remarks=notes)
        render = rss.rss if name == "feed.rss" else rss.atom
        return render(calls, meta, call_page=links.call, remarks=notes)
    if name == "calls.csv":
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(csv_rows(entries, built.columns, now=built.now))
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel then reads UTF-8
    env = request.app.state.templates.get(words.language)
    base = links.base_url
    context = {"collection": published, "entries": entries, "page_url": page_address(base, published)}
    snippet = env.get_template("mail/collection_snippet.html").render(**context)
    if name == "snippet.html":
        return snippet.encode("utf-8")
    files = {file: page_address(base, published, file) for file in FILES}
    join_url = page_address(base, published, "join")
    page = env.get_template("web/collection_public.html").render(
        **context, files=files, join_url=join_url, snippet=snippet
    )
    return page.encode("utf-8")


def load(app: App, key: str) -> tuple[Published, list[Item]] | None:
    """The collection published under `key` and its accepted items, or None."""
    if not key or len(key) > 40 or not set(key) <= _KEY_CHARACTERS:
        return None
    with session_scope(app.engine) as session:
        row = repo.collection_by_public_key(session, public_key=key)
        if row is None or row.id is None:
            return None
        published = Published(
            id=row.id, key=row.public_key, name=row.name, description=row.description or "",
            language=row.language or "en", version=row.version, updated=row.updated_at,
        )  # fmt: skip
        items = [
            Item(call_id=item.call_id, note=item.note or "", position=item.position, added=item.added_at)
            for item in repo.collection_items(session, collection_id=row.id)
        ]
    return published, items


def _call(snapshot: Catalogue, record_id: int) -> Any:
    primary = snapshot.primary_id(record_id)
    return snapshot.get(primary) if primary is not None else None


def no_collection() -> Response:
    return PlainTextResponse(NO_COLLECTION, status_code=404, headers={"Cache-Control": "no-store"})
