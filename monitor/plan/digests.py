"""Digests: which are due now, what each one lists, and claiming it.

Rules a subscriber can rely on:
- a digest lists the matches never listed for their profile (the shown-log;
  the first one lists the open calls that fit), changes not yet told to calls
  shown before or tracked, and tracked or matched calls closing within
  `closing_soon_days`; what it lists is logged in the transaction that claims
  it, so a crash loses nothing and a lost claim logs nothing;
- no digest is owed for a slot that passed before the subscriber confirmed;
- a call its source still lists whose deadline could not be read is kept, worded "deadline
  unknown — see call page" (it is never "closing soon": it has no date);
- an empty digest is not sent (and logs nothing), and a digest missed by more than
  `catch_up_hours` is skipped (the next one covers the gap), with an alert unless
  the slot passed before the subscriber confirmed (nothing was owed then);
- a call marked "not relevant" never shows again for that profile.

Must not send, or word anything in Python: the wording is in
templates/mail/digest.* and the locale catalogue.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from db import repo
from db.engine import session_scope
from db.models import DeliveryKind, Profile, Subscriber
from monitor.plan.chat import copy_to_chat, digest_cards
from monitor.plan.claim import MailContext, claim_row, common_context, skip
from monitor.plan.digest_content import Contents, Pool, digest_contents, digest_for, shown_rows
from monitor.plan.pool import LiveCalls, load_calls, load_pool, pool_for
from monitor.plan.report import PlanReport
from monitor.plan.slots import Slot, digest_slot, next_digest_slot
from monitor.render.cards import Digest, zone
from monitor.render.email import Rendered
from monitor.render.i18n import translator
from monitor.render.words import source_note, when

alert_logger = logging.getLogger("callwatch.alerts")

# Subscribers planned (and claimed) per transaction.
PAGE = 500

__all__ = ["PAGE", "load_pool", "next_digest_at", "plan_digests", "schedule", "with_digest"]


@dataclass(frozen=True)
class Due:
    subscriber: Subscriber
    profiles: list[Profile]
    slot: Slot


def plan_digests(
    engine: Engine, mail: MailContext, *, now: datetime, only: Sequence[str] = (), page: int = PAGE
) -> PlanReport:
    """Claim every digest due now (one per confirmed subscribers and period).

    Subscribers are read `page` at a time, each page planned and claimed in its own transaction:
    memory follows the page, and a crash keeps the pages claimed before it (the rest are planned
    by the next run, as any unclaimed period is). The calls are loaded once for the whole run.
    On PostgreSQL several workers may run this at once: each subscriber of a page is planned by
    the first planner to lease it (`repo.lease_planning`), the others skip it."""
    report, live, after = PlanReport(), None, 0
    while True:
        with session_scope(engine) as session:
            subscribers = repo.confirmed_page(session, after_id=after, limit=page)
            if not subscribers:
                break
            after = subscribers[-1].id or after
            chosen = _leased(session, [s for s in subscribers if not only or s.email in only])
            due = _due(session, mail, chosen, now=now, report=report)
            if due:
                live = live or load_calls(session, now=now, semantic=mail.semantic)
                _build_digests(session, mail, live, due, now=now, report=report)
    return report


def _leased(session: Session, subscribers: list[Subscriber]) -> list[Subscriber]:
    """The subscribers of the page no other planner holds (PostgreSQL: workers share the pages).

    Taken before `_due` reads what is claimed, so a subscriber another planner has just planned
    is seen as claimed, and one it is planning now is left to it."""
    postgres = session.get_bind().dialect.name == "postgresql"
    ids = set(
        repo.lease_planning(session, subscriber_ids=[s.id for s in subscribers if s.id], postgres=postgres)
    )
    return [s for s in subscribers if s.id in ids]


def _due(
    session: Session,
    mail: MailContext,
    subscribers: Sequence[Subscriber],
    *,
    now: datetime,
    report: PlanReport,
) -> list[Due]:
    ids = [s.id for s in subscribers if s.id is not None]
    profiles = repo.profiles_of(session, subscriber_ids=ids)
    claimed = repo.claimed_periods(session, kind=DeliveryKind.DIGEST, subscriber_ids=ids)
    due = []
    for subscriber in subscribers:
        wanted = with_digest(profiles.get(subscriber.id or 0, []))
        if not wanted:
            continue
        slot = _slot(subscriber, wanted, now)
        if (subscriber.id, slot.period_key) in claimed:
            report.already += 1
        elif _before_confirmation(subscriber, slot):
            # A slot that passed before the subscriber confirmed was never owed (a Tuesday
            # confirmation and Monday's slot): no catch-up, no alert; their first is the next slot.
            continue
        elif slot.lateness(now) > timedelta(hours=mail.policy.catch_up_hours):
            _skip_late(session, subscriber, slot, now, report)
        else:
            due.append(Due(subscriber, wanted, slot))
    return due


def _slot(subscriber: Subscriber, profiles: list[Profile], now: datetime) -> Slot:
    return digest_slot(now, **schedule(subscriber, profiles))


def schedule(subscriber: Subscriber, profiles: Sequence[Profile]) -> dict[str, Any]:
    """The subscriber's digest schedule, as `monitor.plan.slots` takes it: daily when any profile is."""
    return {
        "tz": zone(subscriber.timezone),
        "weekday": subscriber.digest_weekday,
        "hour": subscriber.digest_hour,
        "daily": any(p.frequency == "daily" for p in profiles),
    }


def with_digest(profiles: Sequence[Profile]) -> list[Profile]:
    """The profiles whose matches go into digests (not "off": those are for feeds only)."""
    return [p for p in profiles if p.frequency != "off"]


def next_digest_at(
    session: Session, policy: Any, subscriber: Subscriber, profiles: Sequence[Profile], *, now: datetime
) -> datetime | None:
    """When the subscriber's next digest is due (UTC): the current slot while it is still owed and
    unclaimed (the worker sends it within minutes), else the next one; None without a digest profile."""
    wanted = with_digest(profiles)
    if not wanted:
        return None
    plan = schedule(subscriber, wanted)
    slot = digest_slot(now, **plan)
    claimed = repo.claimed_periods(session, kind=DeliveryKind.DIGEST, subscriber_ids=[subscriber.id or 0])
    late = slot.lateness(now) > timedelta(hours=policy.catch_up_hours)
    if (
        (subscriber.id, slot.period_key) not in claimed
        and not late
        and not _before_confirmation(subscriber, slot)
    ):
        return slot.scheduled_at
    return next_digest_slot(now, **plan).scheduled_at


def _before_confirmation(subscriber: Subscriber, slot: Slot) -> bool:
    confirmed = subscriber.confirmed_at
    if confirmed is None:
        return False
    if confirmed.tzinfo is None:  # SQLite hands back naive UTC
        confirmed = confirmed.replace(tzinfo=UTC)
    return slot.scheduled_at < confirmed


def _skip_late(
    session: Session, subscriber: Subscriber, slot: Slot, now: datetime, report: PlanReport
) -> None:
    reason = f"missed by {now - slot.scheduled_at} (worker down?); the next digest covers the gap"
    if skip(session, subscriber, kind=DeliveryKind.DIGEST, period_key=slot.period_key, now=now, error=reason):
        report.late += 1
        alert_logger.error(
            "ALERT digest %s for subscriber %s skipped: %s", slot.period_key, subscriber.id, reason
        )


def _build_digests(
    session: Session, mail: MailContext, live: LiveCalls, due: list[Due], *, now: datetime, report: PlanReport
) -> None:
    ids = [d.subscriber.id for d in due if d.subscriber.id is not None]
    covered = repo.last_covered(session, kind=DeliveryKind.DIGEST, subscriber_ids=ids)
    profiles = [p for d in due for p in d.profiles]
    pool = pool_for(session, live, profiles, ids, covered=covered, now=now)
    failing = repo.failing_sources(session)
    for item in due:
        since = covered.get(item.subscriber.id or 0)
        contents = digest_contents(mail.policy, pool, item.subscriber, item.profiles, since=since, now=now)
        digest = digest_for(mail, pool, item.subscriber, contents, now=now)
        language = item.subscriber.language
        digest.source_notes = [source_note(h.name, h.last_success_at, language=language) for h in failing]
        _claim_digest(session, mail, item, (pool, contents, digest), since=since, now=now, report=report)


def _claim_digest(
    session: Session,
    mail: MailContext,
    due: Due,
    planned: tuple[Pool, Contents, Digest],
    *,
    since: datetime | None,
    now: datetime,
    report: PlanReport,
) -> None:
    pool, contents, digest = planned
    subscriber, period_key = due.subscriber, due.slot.period_key
    window = {"covered_from": since, "covered_until": now, "call_ids": digest.call_ids}
    if digest.is_empty:
        kind = DeliveryKind.DIGEST
        report.empty += skip(
            session, subscriber, kind=kind, period_key=period_key, now=now, error="nothing to send", **window
        )
        return
    row = claim_row(
        session,
        mail,
        subscriber=subscriber,
        to=subscriber.email,
        kind=DeliveryKind.DIGEST,
        period_key=period_key,
        rendered=_render(mail, subscriber, due.slot, digest),
        now=now,
        give_up=timedelta(hours=mail.policy.digest_give_up_hours),
        **window,
    )
    if row is not None:
        title, cards = _subject(subscriber.language, len(digest.new)), digest_cards(digest)
        copy = {
            "title": title,
            "cards": cards,
            "link": mail.links.browse(),
            "give_up": timedelta(hours=mail.policy.digest_give_up_hours),
        }
        copy_to_chat(
            session, mail.chat, subscriber, kind=DeliveryKind.DIGEST, period_key=period_key, now=now, **copy
        )
    if row is not None and row.id is not None and subscriber.id is not None:
        calls, changes = shown_rows(pool, subscriber, contents, digest.call_ids)
        repo.record_shown(
            session, subscriber_id=subscriber.id, delivery_id=row.id, calls=calls, changes=changes, now=now
        )
    report.claimed += row is not None
    report.already += row is None


def _render(mail: MailContext, subscriber: Subscriber, slot: Slot, digest: Digest) -> Rendered:
    language, _ = subscriber.language, translator(subscriber.language)
    day = when(slot.scheduled_at, zone(subscriber.timezone), with_time=False, language=language)
    return mail.renderer.render(
        "digest",
        language=language,
        subject=_subject(language, len(digest.new)),
        preheader=_preheader(language, digest),
        digest=digest,
        heading=_("Your Callwatch digest"),
        period_label=_("Week of %(day)s", day=day),
        browse_url=mail.links.browse(),
        **common_context(mail, subscriber),
    )


def _subject(language: str, count: int) -> str:
    _ = translator(language)
    if not count:
        return _("Your Callwatch digest")
    return _.plural(
        "Your Callwatch digest: %(num)d new call", "Your Callwatch digest: %(num)d new calls", count
    )


def _preheader(language: str, digest: Digest) -> str:
    _ = translator(language)
    parts = (
        _.plural("%(num)d new", "%(num)d new", len(digest.new)) if digest.new else "",
        _.plural("%(num)d changed", "%(num)d changed", len(digest.changed)) if digest.changed else "",
        _.plural("%(num)d closing soon", "%(num)d closing soon", len(digest.closing))
        if digest.closing
        else "",
    )
    return ", ".join(part for part in parts if part)
