"""Deciding what to send: confirmations, manage links, digests, reminders, change alerts, operator alerts.

Owns the planning half of e-mail: for each subscriber, what is due now
(monitor.mail.slots), what it says (monitor.mail.content, matching), and
claiming one delivery row per (subscriber, kind, period) with the rendered
message in it. Claiming is idempotent: run it twice, or from two processes,
and each subscriber still gets one e-mail per period. Sending the claimed
rows is `monitor.sender`'s job.

Rules a subscriber can rely on:
- nothing but the confirmation is ever sent to an unconfirmed address;
- a digest lists matches since the last digest actually sent (the first one
  lists the open calls that fit), changes to matched or tracked calls in the
  same window, and tracked or matched calls closing within 14 days; an empty
  digest is not sent;
- a call marked "not relevant" never shows again for that profile.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlmodel import Session, col, select

from db import repo
from db.engine import session_scope
from db.models import Call, CallChange, DeliveryKind, DeliveryStatus, Subscriber, SubscriberStatus
from monitor.app import App, MailPolicy
from monitor.deliver.headers import build_message, message_bytes, message_id_for
from monitor.links import LinkBuilder
from monitor.match.index import Criteria, Matcher
from monitor.plan.slots import digest_slot, reminder_due
from monitor.poll.health import could_not_check, failing_source_alert
from monitor.render.cards import CallCard, ChangeCard, Digest, Links, call_card, zone
from monitor.render.email import MailRenderer, Rendered, translate
from monitor.render.words import describe_change, when
from monitor.tokens import Purpose, Signer

logger = logging.getLogger(__name__)
alert_logger = logging.getLogger("callwatch.alerts")

LIVE = ("open", "forthcoming")
# The e-mail a confirmed address gets when someone signs it up again (sent only to confirmed
# addresses, like every kind but confirmations: see `subscriber_status_allows`).
MANAGE_LINK = "manage-link"


@dataclass
class PlanReport:
    claimed: int = 0
    empty: int = 0
    late: int = 0
    already: int = 0
    notes: list[str] = field(default_factory=list)


class Notifier:
    """Everything planning needs, built once per run from the App."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self.policy: MailPolicy = app.defaults.mail
        self.renderer = MailRenderer()
        self.signer = Signer(app.settings.secret(), tuple(app.settings.old_secrets()), clock=app.clock)
        self.links = LinkBuilder(app.settings.base_url, self.signer)
        self.sender_address = parseaddr(app.settings.mail_from)[1]

    # ----------------------------------------------------------------------- messages

    def _headers(self, subscriber: Subscriber | None, kind: str) -> dict[str, str]:
        domain = self.sender_address.rpartition("@")[2] or "localhost"
        headers = {
            "List-Id": f"Callwatch funding-call alerts <alerts.{domain}>",
            "Auto-Submitted": "auto-generated",
            "X-Callwatch-Kind": kind,
        }
        if subscriber is not None and kind != DeliveryKind.OPERATOR:
            https = self.links.unsubscribe(subscriber)
            mailto = self.links.unsubscribe_mailto(self.sender_address, subscriber)
            headers["List-Unsubscribe"] = f"<{https}>, <{mailto}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return headers

    def _claim(
        self,
        session: Session,
        *,
        subscriber: Subscriber | None,
        to: str,
        kind: str,
        period_key: str,
        rendered: Rendered,
        now: datetime,
        give_up: timedelta,
        **values: Any,
    ) -> bool:
        sid = subscriber.id if subscriber is not None else None
        message_id = message_id_for(kind, f"{sid}:{period_key}", self.sender_address.rpartition("@")[2])
        message = build_message(
            sender=self.settings.mail_from,
            to=to,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            message_id=message_id,
            date=now,
            headers=self._headers(subscriber, kind),
        )
        row = repo.claim_period(
            session,
            subscriber_id=sid,
            kind=kind,
            period_key=period_key,
            now=now,
            to_address=to,
            subject=rendered.subject,
            message=message_bytes(message),
            message_id=message_id,
            give_up_at=now + give_up,
            **values,
        )
        return row is not None

    def _common(self, subscriber: Subscriber) -> dict[str, Any]:
        return {
            "email": subscriber.email,
            "manage_url": self.links.manage(subscriber),
            "unsubscribe_url": self.links.unsubscribe(subscriber),
        }

    # ----------------------------------------------------------------------- confirmation

    def request_confirmation(
        self, session: Session, subscriber: Subscriber, *, now: datetime, track_call_id: int | None = None
    ) -> bool:
        """Claim a confirmation e-mail unless one went out less than the interval ago.

        With `track_call_id` (the web form's "Track this call"), confirming also tracks that
        call: the wish travels inside the signed link, so only the inbox's owner can act on it.
        """
        interval = timedelta(minutes=self.policy.confirmation_interval_minutes)
        if subscriber.confirmation_sent_at is not None and now - subscriber.confirmation_sent_at < interval:
            return False
        language = subscriber.language
        rendered = self.renderer.render(
            "confirmation",
            language=language,
            subject=translate(language, "Please confirm your subscription"),
            preheader=translate(language, "Confirm my subscription"),
            confirm_url=self.confirm_url(subscriber, track_call_id),
            **self._common(subscriber),
        )
        period = f"confirmation:{now:%Y-%m-%dT%H:%M:%S}"
        claimed = self._claim(
            session,
            subscriber=subscriber,
            to=subscriber.email,
            kind=DeliveryKind.CONFIRMATION,
            period_key=period,
            rendered=rendered,
            now=now,
            give_up=timedelta(days=3),
        )
        if claimed:
            assert subscriber.id is not None
            repo.note_confirmation_sent(session, subscriber_id=subscriber.id, now=now)
        return claimed

    def confirm_url(self, subscriber: Subscriber, track_call_id: int | None = None) -> str:
        if track_call_id is None:
            return self.links.confirm(subscriber)
        token = self.signer.make(
            Purpose.CONFIRM, s=int(subscriber.id or 0), v=subscriber.token_version, c=track_call_id
        )
        return f"{self.links.base_url}/confirm/{token}"

    def send_manage_link(
        self, session: Session, subscriber: Subscriber, *, now: datetime, track_call_id: int | None = None
    ) -> bool:
        """Someone asked to subscribe an address that already is: mail it its manage link (and a
        link to track the call asked for) instead of changing anything. At most one such e-mail
        per address per confirmation interval, like confirmations."""
        assert subscriber.id is not None
        interval = timedelta(minutes=self.policy.confirmation_interval_minutes)
        bucket = f"{MANAGE_LINK}:{subscriber.id}"
        if repo.count_hits(session, bucket=bucket, since=now - interval)[0]:
            return False
        call = repo.logical_call(session, call_id=track_call_id) if track_call_id else None
        language = subscriber.language
        rendered = self.renderer.render(
            "manage_link",
            language=language,
            subject=translate(language, "Your Callwatch subscription"),
            preheader=translate(language, "Manage my subscription"),
            track_title=call.title if call is not None else None,
            track_url=self.links.track(subscriber, call.id) if call is not None else None,
            **self._common(subscriber),
        )
        claimed = self._claim(
            session,
            subscriber=subscriber,
            to=subscriber.email,
            kind=MANAGE_LINK,
            period_key=f"{MANAGE_LINK}:{now:%Y-%m-%dT%H:%M:%S}",
            rendered=rendered,
            now=now,
            give_up=timedelta(days=1),
        )
        if claimed:
            repo.record_hit(session, bucket=bucket, now=now)
        return claimed

    # ----------------------------------------------------------------------- digests

    def plan_digests(self, *, now: datetime, only: Sequence[str] = ()) -> PlanReport:
        """Claim every digest due now (one per confirmed subscriber and period)."""
        report = PlanReport()
        with session_scope(self.app.engine) as session:
            subscribers = [s for s in repo.confirmed_subscribers(session) if not only or s.email in only]
            ids = [s.id for s in subscribers if s.id is not None]
            profiles = repo.profiles_of(session, subscriber_ids=ids)
            claimed = repo.claimed_periods(session, kind=DeliveryKind.DIGEST, subscriber_ids=ids)
            due = []
            for subscriber in subscribers:
                wanted = [p for p in profiles.get(subscriber.id or 0, []) if p.frequency != "off"]
                if not wanted:
                    continue
                slot = digest_slot(
                    now,
                    tz=zone(subscriber.timezone),
                    weekday=subscriber.digest_weekday,
                    hour=subscriber.digest_hour,
                    daily=any(p.frequency == "daily" for p in wanted),
                )
                if (subscriber.id, slot.period_key) in claimed:
                    report.already += 1
                elif slot.lateness(now) > timedelta(hours=self.policy.catch_up_hours):
                    self._skip_late(session, subscriber, slot.period_key, slot.scheduled_at, now, report)
                else:
                    due.append((subscriber, wanted, slot))
            if due:
                self._build_digests(session, due, now=now, report=report)
        return report

    def _skip_late(
        self,
        session: Session,
        subscriber: Subscriber,
        period_key: str,
        scheduled: datetime,
        now: datetime,
        report: PlanReport,
    ) -> None:
        reason = f"missed by {now - scheduled} (worker down?); the next digest covers the gap"
        row = repo.claim_period(
            session,
            subscriber_id=subscriber.id,
            kind=DeliveryKind.DIGEST,
            period_key=period_key,
            now=now,
            to_address=subscriber.email,
            status=DeliveryStatus.SKIPPED,
            error=reason,
        )
        if row is not None:
            report.late += 1
            alert_logger.error(
                "ALERT digest %s for subscriber %s skipped: %s", period_key, subscriber.id, reason
            )

    def _build_digests(
        self,
        session: Session,
        due: list[tuple[Subscriber, list[Any], Any]],
        *,
        now: datetime,
        report: PlanReport,
    ) -> None:
        calls = [c for c in repo.search_calls(session, status="all", limit=10**9) if c.status in LIVE]
        by_id = {c.id: c for c in calls}
        matcher = Matcher(calls, now=now)
        ids = [s.id for s, _, _ in due if s.id is not None]
        covered = repo.last_covered(session, kind=DeliveryKind.DIGEST, subscriber_ids=ids)
        tracked = repo.tracked_calls(session, subscriber_ids=ids)
        profile_ids = [p.id for _, profiles, _ in due for p in profiles if p.id is not None]
        dismissed = repo.dismissed_calls(session, profile_ids=profile_ids)
        oldest = min(covered.values(), default=now - timedelta(days=8))
        changes = _changes_since(session, oldest)
        notes = [could_not_check(h) for h in repo.failing_sources(session)]
        for subscriber, profiles, slot in due:
            since = covered.get(subscriber.id or 0)
            digest = self._digest_for(
                subscriber,
                profiles,
                matcher=matcher,
                by_id=by_id,
                since=since,
                now=now,
                tracked=tracked.get(subscriber.id or 0, {}),
                dismissed=dismissed,
                changes=changes,
            )
            digest.source_notes = notes
            self._claim_digest(session, subscriber, slot, digest, since=since, now=now, report=report)

    def _digest_for(
        self,
        subscriber: Subscriber,
        profiles: list[Any],
        *,
        matcher: Matcher,
        by_id: dict[int, Any],
        since: datetime | None,
        now: datetime,
        tracked: dict[int, datetime],
        dismissed: dict[int, set[int]],
        changes: dict[int, list[CallChange]],
    ) -> Digest:
        tz = zone(subscriber.timezone)
        matched: dict[int, tuple[float, str, int]] = {}  # call id -> (score, why, profile id)
        for profile in profiles:
            hidden = dismissed.get(profile.id or 0, set())
            for call, match in matcher.rank(Criteria.from_profile(profile)):
                if call.id in hidden or (call.id in matched and matched[call.id][0] >= match.score):
                    continue
                matched[call.id] = (match.score, match.summary, profile.id or 0)
        limit = self.policy.max_calls_per_section

        def card(call_id: int) -> CallCard:
            call, (_, why, profile_id) = by_id[call_id], matched.get(call_id, (0, None, 0))
            links = Links(
                call_page=self.links.call(call_id),
                source=call.url,
                track=None if call_id in tracked else self.links.track(subscriber, call_id),
                not_relevant=self.links.dismiss(subscriber, profile_id, call_id) if profile_id else None,
            )
            return call_card(call, tz=tz, now=now, links=links, why=why)

        ranked = sorted(matched, key=lambda cid: (-matched[cid][0], cid))
        fresh = [cid for cid in ranked if since is None or _first_seen(by_id[cid]) > since]
        digest = Digest(first=since is None, more_new=max(0, len(fresh) - limit))
        digest.new = [card(cid) for cid in fresh[:limit]]
        window_start = since or now - timedelta(days=7)
        followed = (set(matched) | set(tracked)) & set(by_id)
        for cid in sorted(followed):
            lines = _change_lines(
                by_id[cid], changes, after=window_start, currency=by_id[cid].budget_currency
            )
            if lines:
                digest.changed.append(ChangeCard(card(cid), tuple(lines)))
        soon = now + timedelta(days=self.policy.closing_soon_days)
        # Calls already shown as new carry their days left there; "Closing soon" lists the others.
        shown = set(fresh[:limit])
        closing = [
            cid
            for cid in followed
            if cid not in shown and (at := by_id[cid].next_deadline_at) is not None and at <= soon
        ]
        closing.sort(key=lambda cid: by_id[cid].next_deadline_at)
        digest.closing = [card(cid) for cid in closing[:limit]]
        return digest

    def _claim_digest(
        self,
        session: Session,
        subscriber: Subscriber,
        slot: Any,
        digest: Digest,
        *,
        since: datetime | None,
        now: datetime,
        report: PlanReport,
    ) -> None:
        window = {"covered_from": since, "covered_until": now, "call_ids": digest.call_ids}
        if digest.is_empty:
            row = repo.claim_period(
                session,
                subscriber_id=subscriber.id,
                kind=DeliveryKind.DIGEST,
                period_key=slot.period_key,
                now=now,
                to_address=subscriber.email,
                status=DeliveryStatus.SKIPPED,
                error="nothing to send",
                **window,
            )
            report.empty += row is not None
            return
        language = subscriber.language
        count = len(digest.new)
        subject = translate(language, "Your Callwatch digest") + (
            f": {count} new call{'s' if count != 1 else ''}" if count and language == "en" else ""
        )
        period_label = translate(
            language,
            "Week of %(day)s",
            day=when(slot.scheduled_at, zone(subscriber.timezone), with_time=False),
        )
        rendered = self.renderer.render(
            "digest",
            language=language,
            subject=subject,
            preheader=_preheader(digest),
            digest=digest,
            heading=translate(language, "Your Callwatch digest"),
            period_label=period_label,
            browse_url=self.links.browse(),
            **self._common(subscriber),
        )
        claimed = self._claim(
            session,
            subscriber=subscriber,
            to=subscriber.email,
            kind=DeliveryKind.DIGEST,
            period_key=slot.period_key,
            rendered=rendered,
            now=now,
            give_up=timedelta(hours=self.policy.digest_give_up_hours),
            **window,
        )
        report.claimed += claimed
        report.already += not claimed

    # ----------------------------------------------------------------------- reminders and alerts

    def plan_reminders(self, *, now: datetime) -> PlanReport:
        """Claim deadline reminders due now for tracked calls (one per call, stage and offset)."""
        report = PlanReport()
        catch_up = timedelta(hours=self.policy.catch_up_hours)
        with session_scope(self.app.engine) as session:
            subscribers = {s.id: s for s in repo.confirmed_subscribers(session)}
            tracked = repo.tracked_calls(session, subscriber_ids=list(subscribers))
            call_ids = sorted({cid for calls in tracked.values() for cid in calls})
            calls = {c.id: c for c in repo.logical_calls(session, primary_ids=_primaries(session, call_ids))}
            members = {m.call.id: c for c in calls.values() for m in c.members}
            for sid, followed in tracked.items():
                subscriber = subscribers[sid]
                tz = zone(subscriber.timezone)
                for cid in sorted(followed):
                    call = members.get(cid)
                    if call is None:
                        continue
                    for due in reminder_due(
                        call.deadlines,
                        call_id=call.id,
                        now=now,
                        tz=tz,
                        offsets=self.policy.reminder_offsets_days,
                        hour=self.policy.reminder_hour,
                        catch_up=catch_up,
                    ):
                        if repo.period_claimed(
                            session,
                            subscriber_id=sid,
                            kind=DeliveryKind.REMINDER,
                            period_key=due.slot.period_key,
                        ):
                            report.already += 1
                            continue
                        self._claim_reminder(session, subscriber, call, due, now=now, report=report)
        return report

    def _claim_reminder(
        self,
        session: Session,
        subscriber: Subscriber,
        call: Any,
        due: Any,
        *,
        now: datetime,
        report: PlanReport,
    ) -> None:
        tz, language = zone(subscriber.timezone), subscriber.language
        days = due.days_before
        left = "tomorrow" if days == 1 else f"in {days} days"
        stage = f"{due.deadline.label} deadline" if due.deadline.label else "Deadline"
        heading = f"{stage} {left}: {call.title}"
        lead = (
            f"{stage} of a call you track is {when(due.deadline.at, zone('Europe/Brussels'))} (Brussels), "
            f"{when(due.deadline.at, tz)} your time."
        )
        card = call_card(
            call, tz=tz, now=now, links=Links(call_page=self.links.call(call.id), source=call.url)
        )
        rendered = self.renderer.render(
            "reminder",
            language=language,
            subject=_subject(heading),
            preheader=lead,
            heading=heading,
            lead=lead,
            cards=[card],
            **self._common(subscriber),
        )
        claimed = self._claim(
            session,
            subscriber=subscriber,
            to=subscriber.email,
            kind=DeliveryKind.REMINDER,
            period_key=due.slot.period_key,
            rendered=rendered,
            now=now,
            give_up=max(
                timedelta(minutes=5),
                min(due.deadline.at - now, timedelta(hours=self.policy.other_give_up_hours)),
            ),
            call_ids=[call.id],
        )
        report.claimed += claimed

    def plan_alerts(self, *, now: datetime) -> PlanReport:
        """One change alert per subscriber with changes to tracked calls since their last alert."""
        report = PlanReport()
        with session_scope(self.app.engine) as session:
            subscribers = {s.id: s for s in repo.confirmed_subscribers(session)}
            tracked = repo.tracked_calls(session, subscriber_ids=list(subscribers))
            marks = repo.last_watermark(session, kind=DeliveryKind.ALERT, subscriber_ids=list(tracked))
            call_ids = sorted({cid for calls in tracked.values() for cid in calls})
            calls = {c.id: c for c in repo.logical_calls(session, primary_ids=_primaries(session, call_ids))}
            oldest = min((at for calls_ in tracked.values() for at in calls_.values()), default=now)
            changes = _changes_since(session, oldest)
            for sid, followed in tracked.items():
                self._alert_for(
                    session, subscribers[sid], followed, calls, changes, marks.get(sid), now, report
                )
        return report

    def _alert_for(
        self,
        session: Session,
        subscriber: Subscriber,
        followed: dict[int, datetime],
        calls: dict[int, Any],
        changes: dict[int, list[CallChange]],
        mark: int | None,
        now: datetime,
        report: PlanReport,
    ) -> None:
        tz = zone(subscriber.timezone)
        cards, newest = [], mark or 0
        for call in {
            c.id: c for c in calls.values() if any(m.call.id in followed for m in c.members)
        }.values():
            since = min(at for cid, at in followed.items() if cid in {m.call.id for m in call.members})
            fresh = [
                ch
                for m in call.members
                for ch in changes.get(m.call.id or 0, [])
                if ch.at >= since and (mark is None or (ch.id or 0) > mark) and ch.field != "listed"
            ]
            if not fresh:
                continue
            newest = max(newest, *(ch.id or 0 for ch in fresh))
            lines = [
                describe_change(c.field, c.kind, c.old_value, c.new_value, currency=call.budget_currency)
                for c in sorted(fresh, key=lambda ch: ch.id or 0)
            ]
            links = Links(call_page=self.links.call(call.id), source=call.url)
            cards.append(
                ChangeCard(call_card(call, tz=tz, now=now, links=links), tuple(dict.fromkeys(lines)))
            )
        if not cards:
            return
        title = cards[0].card.title if len(cards) == 1 else f"{len(cards)} calls you track"
        heading = f"Changed: {title}"
        rendered = self.renderer.render(
            "alert",
            language=subscriber.language,
            subject=_subject(heading),
            preheader=cards[0].lines[0],
            heading=heading,
            changes=cards,
            **self._common(subscriber),
        )
        report.claimed += self._claim(
            session,
            subscriber=subscriber,
            to=subscriber.email,
            kind=DeliveryKind.ALERT,
            period_key=f"alert:{newest}",
            rendered=rendered,
            now=now,
            give_up=timedelta(hours=self.policy.other_give_up_hours),
            watermark=newest,
            call_ids=[c.card.call_id for c in cards],
        )

    # ----------------------------------------------------------------------- operator

    def plan_operator_alerts(self, *, now: datetime) -> PlanReport:
        """E-mail the operator once per failure streak of each failing source."""
        report = PlanReport()
        to = self.settings.operator_email
        if not to:
            return report
        with session_scope(self.app.engine) as session:
            for health in repo.failing_sources(session):
                since = health.last_success_at.isoformat() if health.last_success_at else "never"
                period = f"source:{health.source_id}:{since}"
                if repo.period_claimed(
                    session, subscriber_id=None, kind=DeliveryKind.OPERATOR, period_key=period
                ):
                    continue
                heading = f"Callwatch: source {health.source_id} is failing"
                rendered = self.renderer.render(
                    "operator",
                    language="en",
                    subject=heading,
                    html=False,
                    heading=heading,
                    lines=[failing_source_alert(health)],
                    sources_url=self.links.sources(),
                )
                report.claimed += self._claim(
                    session,
                    subscriber=None,
                    to=to,
                    kind=DeliveryKind.OPERATOR,
                    period_key=period,
                    rendered=rendered,
                    now=now,
                    give_up=timedelta(hours=self.policy.other_give_up_hours),
                )
            report.claimed += self._claim_skipped_alert(session, to=to, now=now)
        return report

    def _claim_skipped_alert(self, session: Session, *, to: str, now: datetime) -> int:
        """One e-mail for every digest skipped as too late since the last such e-mail."""
        skipped = repo.skipped_digests(
            session, after_id=repo.last_operator_watermark(session, prefix="skipped-digests:")
        )
        if not skipped:
            return 0
        newest = max(int(row.id or 0) for row in skipped)
        periods = sorted({row.period_key for row in skipped})
        heading = f"Callwatch: {len(skipped)} digest(s) skipped as too late"
        lines = [
            f"{len(skipped)} digest(s) for {', '.join(periods)} were due more than "
            f"{self.policy.catch_up_hours} h before the worker could send them (was it down?).",
            "They were not sent late; each subscriber's next digest covers the whole gap.",
        ]
        rendered = self.renderer.render(
            "operator", language="en", subject=heading, html=False, heading=heading, lines=lines,
            sources_url=self.links.sources(),
        )  # fmt: skip
        return self._claim(
            session,
            subscriber=None,
            to=to,
            kind=DeliveryKind.OPERATOR,
            period_key=f"skipped-digests:{newest}",
            rendered=rendered,
            now=now,
            give_up=timedelta(hours=self.policy.other_give_up_hours),
            watermark=newest,
        )


# --------------------------------------------------------------------------- helpers


def _first_seen(call: Any) -> datetime:
    return min(m.call.first_seen_at for m in call.members)


def _changes_since(session: Session, since: datetime) -> dict[int, list[CallChange]]:
    found: dict[int, list[CallChange]] = defaultdict(list)
    query = select(CallChange).where(col(CallChange.at) > since).order_by(col(CallChange.id))
    for change in session.exec(query):
        found[change.call_id].append(change)
    return found


def _change_lines(
    call: Any, changes: dict[int, list[CallChange]], *, after: datetime, currency: str | None
) -> list[str]:
    rows = [
        c
        for m in call.members
        for c in changes.get(m.call.id or 0, [])
        if c.at > after and c.field != "listed"
    ]
    lines = [
        describe_change(c.field, c.kind, c.old_value, c.new_value, currency=currency)
        for c in sorted(rows, key=lambda c: c.id or 0)
    ]
    return list(dict.fromkeys(lines))


def _primaries(session: Session, call_ids: Sequence[int]) -> list[int]:
    """The logical call ids of these records (a tracked record may since have joined a group)."""
    if not call_ids:
        return []
    rows = session.exec(select(Call.id, Call.group_id).where(col(Call.id).in_(list(call_ids))))
    return list(dict.fromkeys(group or cid for cid, group in rows))


def _subject(text: str) -> str:
    return text if len(text) <= 140 else text[:139].rsplit(" ", 1)[0] + "…"


def _preheader(digest: Digest) -> str:
    parts = []
    if digest.new:
        parts.append(f"{len(digest.new)} new")
    if digest.changed:
        parts.append(f"{len(digest.changed)} changed")
    if digest.closing:
        parts.append(f"{len(digest.closing)} closing soon")
    return ", ".join(parts)


def subscriber_status_allows(kind: str, status: str) -> bool:
    """Only a confirmation goes to an unconfirmed address; nothing goes to a suspended or gone one."""
    if kind == DeliveryKind.OPERATOR:
        return True
    if kind == DeliveryKind.CONFIRMATION:
        return status in (SubscriberStatus.PENDING, SubscriberStatus.CONFIRMED)
    return status == SubscriberStatus.CONFIRMED
