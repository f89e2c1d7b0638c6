"""Feeds over HTTP: RSS, Atom and iCalendar of a filter, of one profile (private) and of tracked calls.

Routes (GET and HEAD):
- `/feeds/calls.{rss,atom,ics}?<browse-page filters>`: public. RSS and Atom list at most 100 calls
  (`limit` lowers it), the most recently changed first unless `sort` is given; the calendar holds
  every deadline stage of at most 1000 calls. Bad filter values answer 400 with the reason. Each
  item says which asked criteria the call does not state ("Not stated: ecosystem, countries").
- `/feeds/profile/{token}.{rss,atom,ics}`: the calls that match the profile now (what its digest
  would list; calls marked "not relevant" left out), newest change first.
- `/feeds/tracked/{token}.ics`: every stage of every call the subscriber tracks, whatever its status.

Private feeds: the token is a FEED token (monitor.links) naming the subscriber and their
`token_version`, plus the profile and its `feed_token_version` (or `t=1` for the tracked
calendar). Anything wrong (forged, another purpose, revoked by either version, profile or
subscriber deleted) gets the same short 404, so a link never tells what exists. Feeds are
served to confirmed subscribers and to suspended ones (bounces stop e-mail, not feeds), not to
pending addresses (nobody has shown they own the address) nor unsubscribed ones: unsubscribing
stops everything, and erasure deletes the rows, which ends every feed link for good.

Validators (ETag, Last-Modified) are decided without rendering and bodies kept by ETag: see
monitor.web.feed_cache. Must not write anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlmodel import Session

from db import repo
from db.engine import session_scope
from db.models import SubscriberStatus
from monitor.catalogue.query import CallQuery, QueryError
from monitor.catalogue.snapshot import Catalogue, Entry
from monitor.match.checks import screen
from monitor.match.criteria import Criteria, Match
from monitor.match.index import rank_calls
from monitor.model.view import live_at
from monitor.people.subscriptions import subscriber_for
from monitor.render import ics, rss
from monitor.render.entries import FeedMeta
from monitor.render.words import stated_words
from monitor.tokens import Purpose, Signer, TokenError
from monitor.web import errors
from monitor.web.deps import AppDep, CatalogueDep, FeedCacheDep
from monitor.web.feed_cache import FeedCache, Plan, latest

MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
}
RENDER = {"rss": rss.rss, "atom": rss.atom, "ics": ics.calendar}
MAX_ITEMS = 100
MAX_CALENDAR_CALLS = 1000
SERVED = (SubscriberStatus.CONFIRMED, SubscriberStatus.SUSPENDED)
NO_FEED = "No such feed. A private feed link stops working when it is replaced or revoked.\n"


router = APIRouter(include_in_schema=False)


def _host(base_url: str) -> str:
    return urlsplit(base_url).hostname or "callwatch"


@router.api_route("/feeds/calls.{fmt}", methods=["GET", "HEAD"])
def public_feed(
    request: Request, fmt: str, app: AppDep, catalogue: CatalogueDep, cache: FeedCacheDep
) -> Response:
    if fmt not in MEDIA_TYPES:
        return PlainTextResponse("No such feed format: use .rss, .atom or .ics\n", status_code=404)
    snapshot, now, links = catalogue.get(), app.clock(), app.links
    try:
        query, limit, params = public_query(request.query_params.multi_items(), snapshot.sources, fmt)
    except QueryError as error:
        return errors.plain(f"{error}\n", 400)  # the reason quotes the value asked: no markup back
    index = cache.index(snapshot)
    mark, crossed = index.clock_mark(now, query.min_days_left)
    search = urlencode(params)
    filters = [(k, v) for k, v in params if k not in ("sort", "limit")]
    describe = "; ".join(f"{k}: {v}" for k, v in filters)
    title = ("Callwatch deadlines" if fmt == "ics" else "Callwatch: EU funding calls") + (
        f" ({describe})" if describe else ""
    )
    meta = FeedMeta(
        title=title,
        self_url=f"{links.base_url}/feeds/calls.{fmt}" + (f"?{search}" if search else ""),
        page_url=links.browse() + (f"?{urlencode(filters)}" if filters else ""),
        updated=latest(index.newest, crossed),
        uid_domain=app.settings.ics_domain,
    )

    def build() -> bytes:
        calls = [entry.call for entry in snapshot.filter(query, now=now)[:limit]]
        notes = worded(snapshot.not_stated(calls, query.criteria()).items())
        return render(fmt, cache)(calls, meta, call_page=links.call, notes=notes)

    etag = snapshot.etag("public", fmt, search, mark)
    return cache.respond(request, Plan(MEDIA_TYPES[fmt], etag, meta.updated, False, build))


@router.api_route("/feeds/profile/{name}", methods=["GET", "HEAD"])
def profile_feed(
    request: Request, name: str, app: AppDep, catalogue: CatalogueDep, cache: FeedCacheDep
) -> Response:
    token, _, fmt = name.rpartition(".")
    if fmt not in MEDIA_TYPES or not token:
        return no_feed()
    with session_scope(app.engine) as session:
        profile = profile_for(session, app.signer, token)
    if profile is None:
        return no_feed()
    snapshot, now, links = catalogue.get(), app.clock(), app.links
    index = cache.index(snapshot)
    mark, crossed = index.clock_mark(now, profile.criteria.min_days_left)
    meta = FeedMeta(
        title=f"Callwatch: {profile.name}",
        self_url=f"{links.base_url}/feeds/profile/{token}.{fmt}",
        page_url=links.browse(),
        updated=latest(index.newest, crossed, profile.changed),
        description="Calls that match your Callwatch profile",
        feed_id=f"tag:{_host(links.base_url)},2026:profile/{profile.id}",
        uid_domain=app.settings.ics_domain,
    )

    def build() -> bytes:
        cap = MAX_CALENDAR_CALLS if fmt == "ics" else MAX_ITEMS
        found = profile_entries(snapshot, profile.criteria, profile.dismissed, now)[:cap]
        notes = worded((entry.call.id, match.not_stated) for entry, match in found)
        return render(fmt, cache)([entry.call for entry, _ in found], meta, call_page=links.call, notes=notes)

    subject = _digest(token, repr(profile))
    etag = snapshot.etag("profile", fmt, subject, mark)
    return cache.respond(request, Plan(MEDIA_TYPES[fmt], etag, meta.updated, True, build))


@router.api_route("/feeds/tracked/{name}", methods=["GET", "HEAD"])
def tracked_feed(
    request: Request, name: str, app: AppDep, catalogue: CatalogueDep, cache: FeedCacheDep
) -> Response:
    token, _, fmt = name.rpartition(".")
    if fmt != "ics" or not token:
        return no_feed()
    with session_scope(app.engine) as session:
        found = feed_subscriber(session, app.signer, token, "t")
        if not found:
            return no_feed()
        sid = int(found[0].id or 0)
        tracked = dict(repo.tracked_calls(session, subscriber_ids=[sid]).get(sid, {}))
    snapshot, links = catalogue.get(), app.links
    index = cache.index(snapshot)
    meta = FeedMeta(
        title="Callwatch: calls you track",
        self_url=f"{links.base_url}/feeds/tracked/{token}.ics",
        page_url=links.browse(),
        updated=latest(index.newest, *tracked.values()),
        description="Deadlines of the calls you track on Callwatch",
        feed_id=f"tag:{_host(links.base_url)},2026:tracked/{sid}",
        uid_domain=app.settings.ics_domain,
    )

    def build() -> bytes:
        calls = [e.call for e in tracked_entries(snapshot, set(tracked))[:MAX_CALENDAR_CALLS]]
        return ics.calendar(calls, meta, call_page=links.call, events=cache.events)

    subject = _digest(token, repr(sorted((cid, at.isoformat()) for cid, at in tracked.items())))
    etag = snapshot.etag("tracked", fmt, subject)
    return cache.respond(request, Plan(MEDIA_TYPES[fmt], etag, meta.updated, True, build))


def render(fmt: str, cache: FeedCache) -> Any:
    """The renderer of `fmt`; the calendar's with the app's cache of serialised events."""
    return partial(ics.calendar, events=cache.events) if fmt == "ics" else RENDER[fmt]


# --------------------------------------------------------------------------- requests


def public_query(
    params: Sequence[tuple[str, str]], sources: Sequence[str], fmt: str
) -> tuple[CallQuery, int, list[tuple[str, str]]]:
    """The filter, the number of calls and the canonical parameters of a public feed URL."""
    query = CallQuery.from_params(params, sources=sources)
    default_sort = "deadline" if fmt == "ics" else "updated"  # a news feed: newest change first
    if not any(name == "sort" and value.strip() for name, value in params):
        query = replace(query, sort=default_sort)
    cap = MAX_CALENDAR_CALLS if fmt == "ics" else MAX_ITEMS
    given = [value.strip() for name, value in params if name == "limit" and value.strip()]
    limit = cap
    if given:
        if not given[-1].isdigit() or not 1 <= int(given[-1]) <= cap:
            raise QueryError(f"limit: a whole number from 1 to {cap}")
        limit = int(given[-1])
    canonical = [(name, value) for name, value in query.params() if name != "sort"]
    canonical += [("sort", query.sort)] if query.sort != default_sort else []
    canonical += [("limit", str(limit))] if limit != cap else []
    return query, limit, canonical


def feed_subscriber(
    session: Session, signer: Signer, token: str, kind: str
) -> tuple[Any, dict[str, Any]] | None:
    """The subscriber and payload of a live FEED token of `kind` ("p" profile, "t" tracked), else None."""
    try:
        subscriber, payload = subscriber_for(session, signer, Purpose.FEED, token)
    except TokenError:
        return None
    other = "t" if kind == "p" else "p"
    if kind not in payload or other in payload or subscriber.status not in SERVED:
        return None
    if kind == "t" and str(payload["t"]) != str(subscriber.feed_token_version):
        return None  # revoked by "reset my feed links"
    return subscriber, payload


@dataclass(frozen=True)
class ProfileFeed:
    """What a profile feed is built from; its repr is part of the ETag."""

    id: int
    name: str
    criteria: Criteria
    changed: datetime
    dismissed: tuple[int, ...]


def profile_for(session: Session, signer: Signer, token: str) -> ProfileFeed | None:
    """The profile a live profile-feed token names, else None."""
    found = feed_subscriber(session, signer, token, "p")
    if found is None:
        return None
    subscriber, payload = found
    profile = repo.profile(session, profile_id=int(payload["p"]))
    if profile is None or profile.id is None or profile.subscriber_id != subscriber.id:
        return None
    if int(payload.get("f", -1)) != profile.feed_token_version:
        return None
    dismissed = repo.dismissed_calls(session, profile_ids=[profile.id]).get(profile.id, set())
    criteria = Criteria.from_profile(profile)
    return ProfileFeed(profile.id, profile.name, criteria, profile.updated_at, tuple(sorted(dismissed)))


def no_feed() -> Response:
    return PlainTextResponse(NO_FEED, status_code=404, headers={"Cache-Control": "no-store"})


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------- selection (pure)


def worded(silent: Iterable[tuple[int, Sequence[str]]]) -> dict[int, str]:
    """Call id -> "ecosystem, countries", for the calls silent on some criterion asked for."""
    return {call_id: words for call_id, names in silent if (words := stated_words(names))}


def profile_entries(
    snapshot: Catalogue, criteria: Criteria, dismissed: Iterable[int], now: datetime
) -> list[tuple[Entry, Match]]:
    """The calls `rank_calls` matches for the profile (with their match), minus dismissed ones,
    newest change first.

    The snapshot's prepared calls narrow the field cheaply (every rule but status and time left);
    `rank_calls` then decides on the few left, with `now`.
    """
    live = [e for e in snapshot.entries if live_at(e.call, now)]
    by_prepared = {id(e.prepared): e for e in live}
    candidates = [by_prepared[id(p)] for p in screen((e.prepared for e in live), criteria, snapshot.corpus)]
    hidden = set(dismissed)
    candidates = [e for e in candidates if not _ids(e) & hidden]
    by_call = {id(e.call): e for e in candidates}
    ranked = rank_calls([e.call for e in candidates], criteria, now=now)
    matched = [(by_call[id(call)], match) for call, match in ranked]
    matched.sort(key=lambda pair: (pair[0].updated_at, pair[0].call.id), reverse=True)
    return matched


def tracked_entries(snapshot: Catalogue, tracked: set[int]) -> list[Entry]:
    """Tracked calls in deadline order; a tracked record that has since joined a group brings the group."""
    return [e for e in snapshot.entries if _ids(e) & tracked]


def _ids(entry: Entry) -> set[int]:
    return {entry.call.id, *(int(m.call.id) for m in entry.call.members)}
