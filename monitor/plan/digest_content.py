"""What one subscriber's digest lists: new matches, changes to followed calls, calls closing soon.

Owns the sections' rules, read from the shown-log (`db.repo.shown`):
- "new" is a live match never listed for the profile it matches (an empty digest lists nothing,
  so it takes nothing away; a widened profile brings its existing matches); the best-scoring
  profile explains a match;
- "changed" is a typed change not yet told, made after the subscriber was first shown the call or
  began tracking it (and after the last digest's window);
- a call marked "not relevant" for a profile never shows for it, a call listed as new is not
  listed again as closing soon, and "new" and "closing soon" are capped at `max_calls_per_section`
  (what is left out stays new for the next digest).
Must not read the database or claim: it works on the `Pool` that `monitor.plan.digests` loaded once
for the whole run, and says which shown-log rows a digest adds (`shown_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from db.models import CallChange, Profile, Subscriber
from db.repo import ShownLog
from monitor.match.criteria import Criteria, Match
from monitor.match.index import Matcher
from monitor.plan.changes import Changes, change_lines, member_changes
from monitor.plan.claim import MailContext
from monitor.render.cards import CallCard, ChangeCard, Digest, Links, call_card, zone
from monitor.render.phrase import say_all
from monitor.render.words import stated_words

Matched = dict[int, tuple[Match, int]]  # call id -> (its best match, that profile's id)


@dataclass(frozen=True)
class Pool:
    """The live calls and the followers' state, loaded once per planning run."""

    by_id: dict[int, Any]
    matcher: Matcher
    tracked: dict[int, dict[int, datetime]]  # subscriber id -> call id -> tracked since
    dismissed: dict[int, set[int]]  # profile id -> call ids
    changes: Changes
    shown: dict[int, ShownLog]  # subscriber id -> what their digests listed
    digested: set[int]  # subscribers who had a digest already (sent or on its way)
    owners: dict[int, int]  # call record id -> the id of the live call it belongs to
    ids: dict[int, frozenset[int]]  # live call id -> it and its records' ids (`ids_of`), made once

    def log(self, subscriber: Subscriber) -> ShownLog:
        return self.shown.get(subscriber.id or 0) or ShownLog()


@dataclass(frozen=True)
class Contents:
    """What one digest holds, by call id, before any card is made (what `callwatch preview` shows)."""

    matched: Matched  # every match, whether new or not
    profiles_of: dict[int, list[int]]  # call id -> every profile it matches
    ranked: list[int]  # the matches, best first
    fresh: list[int]  # the matches never listed for a profile they match, best first
    limit: int  # calls per section
    changed: list[tuple[int, list[str]]]  # followed calls with changes not yet told, with the lines
    change_ids: dict[int, list[int]]  # call id -> the ids of those changes
    closing: list[int]  # followed calls closing soon that are not listed as new
    first: bool  # the subscriber's first digest

    @property
    def new(self) -> list[int]:
        return self.fresh[: self.limit]


def digest_contents(
    policy: Any,
    pool: Pool,
    subscriber: Subscriber,
    profiles: list[Profile],
    *,
    since: datetime | None,
    now: datetime,
) -> Contents:
    """The next digest's contents; `since` is the end of the last digest's window (None: none yet)."""
    matched, profiles_of = _matches(pool, profiles)
    tracked, log = pool.tracked.get(subscriber.id or 0, {}), pool.log(subscriber)
    limit = policy.max_calls_per_section
    ranked = sorted(matched, key=lambda cid: (-matched[cid][0].score, cid))
    fresh = [cid for cid in ranked if any(not log.shown(p, pool.ids[cid]) for p in profiles_of[cid])]
    changes = _changed(
        pool, log, tracked, after=since or now - timedelta(days=7), language=subscriber.language
    )
    # Calls listed as new carry their days left there; "Closing soon" lists the others.
    soon = now + timedelta(days=policy.closing_soon_days)
    followed = (set(matched) | set(tracked)) & set(pool.by_id)
    closing = _closing(pool, followed, shown=set(fresh[:limit]), soon=soon)[:limit]
    changed = [(cid, lines) for cid, lines, _ in changes]
    change_ids = {cid: ids for cid, _, ids in changes}
    first = (subscriber.id or 0) not in pool.digested
    return Contents(matched, profiles_of, ranked, fresh, limit, changed, change_ids, closing, first)


def digest_for(
    mail: MailContext, pool: Pool, subscriber: Subscriber, contents: Contents, *, now: datetime
) -> Digest:
    """The digest of these contents, as cards."""
    tracked = pool.tracked.get(subscriber.id or 0, {})

    def card(call_id: int) -> CallCard:
        return _card(mail, pool.by_id[call_id], subscriber, contents.matched, tracked, now)

    digest = Digest(first=contents.first, more_new=max(0, len(contents.fresh) - contents.limit))
    digest.new = [card(cid) for cid in contents.new]
    digest.changed = [ChangeCard(card(cid), tuple(lines)) for cid, lines in contents.changed]
    digest.closing = [card(cid) for cid in contents.closing]
    return digest


def shown_rows(
    pool: Pool, subscriber: Subscriber, contents: Contents, listed: Iterable[int]
) -> tuple[list[tuple[int, int]], list[tuple[int | None, int, int]]]:
    """What the shown-log gains when a digest listing the calls `listed` is claimed: (profile, call)
    for each profile a listed call matches and was not yet listed for, and (profile or None, call,
    change) for each change told."""
    log = pool.log(subscriber)
    calls = [
        (pid, cid)
        for cid in listed
        for pid in contents.profiles_of.get(cid, [])
        if not log.shown(pid, pool.ids[cid])
    ]
    changes = [
        (contents.matched[cid][1] if cid in contents.matched else None, cid, change)
        for cid, ids in contents.change_ids.items()
        for change in ids
    ]
    return calls, changes


def ids_of(call: Any) -> set[int]:
    """A call's id and its records' (a record listed before the call joined a group still counts)."""
    return {call.id, *(int(m.call.id) for m in getattr(call, "members", ()) or ())}


def _matches(pool: Pool, profiles: list[Profile]) -> tuple[Matched, dict[int, list[int]]]:
    """Each call's best match over the profiles, and every profile it matches (a dismissed call
    left out for its profile)."""
    matched: Matched = {}
    profiles_of: dict[int, list[int]] = {}
    for profile in profiles:
        hidden = pool.dismissed.get(profile.id or 0, set())
        # Worded only if listed: a profile matches hundreds of calls, a digest shows a few dozen.
        for call, match in pool.matcher.rank(Criteria.from_profile(profile), wordless=True):
            if call.id in hidden:
                continue
            profiles_of.setdefault(call.id, []).append(profile.id or 0)
            if call.id not in matched or matched[call.id][0].score < match.score:
                matched[call.id] = (match, profile.id or 0)
    return matched, profiles_of


def _card(
    mail: MailContext,
    call: Any,
    subscriber: Subscriber,
    matched: Matched,
    tracked: dict[int, datetime],
    now: datetime,
) -> CallCard:
    match, profile_id = matched.get(call.id, (None, 0))
    links = Links(
        call_page=mail.links.call(call.id),
        source=call.url,
        track=None if call.id in tracked else mail.links.track(subscriber, call.id),
        not_relevant=mail.links.dismiss(subscriber, profile_id, call.id) if profile_id else None,
    )
    language = subscriber.language
    # Reasons are Phrases (monitor.match.reasons): said here in the subscriber's language.
    why = say_all(match.reasons, language) if match else None
    silent = stated_words(match.not_stated, language=language) if match else None
    tz = zone(subscriber.timezone)
    return call_card(call, tz=tz, now=now, links=links, why=why, not_stated=silent, language=language)


def _changed(
    pool: Pool, log: ShownLog, tracked: dict[int, datetime], *, after: datetime, language: str
) -> list[tuple[int, list[str], list[int]]]:
    """Calls shown before or tracked with changes not yet told: (call id, sentences, change ids)."""
    found = []
    for cid in sorted({pool.owners[i] for i in (*log.first_at, *tracked) if i in pool.owners}):
        call = pool.by_id[cid]
        starts = [log.first_at[i] for i in pool.ids[cid] if i in log.first_at]
        starts += [tracked[i] for i in pool.ids[cid] if i in tracked]
        if not starts:
            continue
        since = max(after, min(starts))

        def untold(change: CallChange, since: datetime = since) -> bool:
            return change.at > since and change.id not in log.changes

        rows = member_changes(call, pool.changes, untold)
        if lines := change_lines(rows, currency=call.budget_currency, language=language):
            found.append((cid, lines, [int(r.id or 0) for r in rows]))
    return found


def _closing(pool: Pool, followed: set[int], *, shown: set[int], soon: datetime) -> list[int]:
    closing = [
        cid
        for cid in followed
        if cid not in shown and (at := pool.by_id[cid].next_deadline_at) is not None and at <= soon
    ]
    closing.sort(key=lambda cid: pool.by_id[cid].next_deadline_at)
    return closing
