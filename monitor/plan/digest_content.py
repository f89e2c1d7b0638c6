"""What one subscriber's digest lists: new matches, changes to followed calls, calls closing soon.

Owns the sections' rules: the best-scoring profile explains a match, a call
marked "not relevant" for a profile never shows for it, a call already shown
as new is not listed again as closing soon, and each section is capped at
`max_calls_per_section`. Must not read the database or claim: it works on the
`Pool` that `monitor.plan.digests` loaded once for the whole run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from db.models import Profile, Subscriber
from monitor.match.criteria import Criteria, Match
from monitor.match.index import Matcher
from monitor.plan.changes import Changes, change_lines, member_changes
from monitor.plan.claim import MailContext
from monitor.render.cards import CallCard, ChangeCard, Digest, Links, call_card, zone
from monitor.render.entries import first_seen
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


@dataclass(frozen=True)
class Contents:
    """What one digest holds, by call id, before any card is made (what `callwatch preview` shows)."""

    matched: Matched  # every match, whether new or not
    ranked: list[int]  # the matches, best first
    fresh: list[int]  # the matches new since the last digest, best first
    limit: int  # calls per section
    changed: list[tuple[int, list[str]]]  # followed calls that changed in the window, with the lines
    closing: list[int]  # followed calls closing soon that are not listed as new

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
    """The digest covering (since, now]; `since` None is the first digest (open calls that fit)."""
    matched = _matches(pool, profiles)
    tracked = pool.tracked.get(subscriber.id or 0, {})
    limit = policy.max_calls_per_section
    ranked = sorted(matched, key=lambda cid: (-matched[cid][0].score, cid))
    fresh = [cid for cid in ranked if since is None or first_seen(pool.by_id[cid]) > since]
    followed = (set(matched) | set(tracked)) & set(pool.by_id)
    changed = _changed(pool, sorted(followed), after=since or now - timedelta(days=7))
    # Calls already shown as new carry their days left there; "Closing soon" lists the others.
    soon = now + timedelta(days=policy.closing_soon_days)
    closing = _closing(pool, followed, shown=set(fresh[:limit]), soon=soon)[:limit]
    return Contents(matched, ranked, fresh, limit, changed, closing)


def digest_for(
    mail: MailContext,
    pool: Pool,
    subscriber: Subscriber,
    profiles: list[Profile],
    *,
    since: datetime | None,
    now: datetime,
) -> Digest:
    """The digest covering (since, now] as cards; see `digest_contents`."""
    contents = digest_contents(mail.policy, pool, subscriber, profiles, since=since, now=now)
    tracked = pool.tracked.get(subscriber.id or 0, {})

    def card(call_id: int) -> CallCard:
        return _card(mail, pool.by_id[call_id], subscriber, contents.matched, tracked, now)

    digest = Digest(first=since is None, more_new=max(0, len(contents.fresh) - contents.limit))
    digest.new = [card(cid) for cid in contents.new]
    digest.changed = [ChangeCard(card(cid), tuple(lines)) for cid, lines in contents.changed]
    digest.closing = [card(cid) for cid in contents.closing]
    return digest


def _matches(pool: Pool, profiles: list[Profile]) -> Matched:
    """Each call's best match over the profiles (a dismissed call left out for its profile)."""
    matched: Matched = {}
    for profile in profiles:
        hidden = pool.dismissed.get(profile.id or 0, set())
        for call, match in pool.matcher.rank(Criteria.from_profile(profile)):
            if call.id in hidden or (call.id in matched and matched[call.id][0].score >= match.score):
                continue
            matched[call.id] = (match, profile.id or 0)
    return matched


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
    why, silent = (match.summary, stated_words(match.not_stated)) if match else (None, None)
    return call_card(call, tz=zone(subscriber.timezone), now=now, links=links, why=why, not_stated=silent)


def _changed(pool: Pool, call_ids: Iterable[int], *, after: datetime) -> list[tuple[int, list[str]]]:
    found = []
    for cid in call_ids:
        call = pool.by_id[cid]
        rows = member_changes(call, pool.changes, lambda c: c.at > after)
        if lines := change_lines(rows, currency=call.budget_currency):
            found.append((cid, lines))
    return found


def _closing(pool: Pool, followed: set[int], *, shown: set[int], soon: datetime) -> list[int]:
    closing = [
        cid
        for cid in followed
        if cid not in shown and (at := pool.by_id[cid].next_deadline_at) is not None and at <= soon
    ]
    closing.sort(key=lambda cid: pool.by_id[cid].next_deadline_at)
    return closing
