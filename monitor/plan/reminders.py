"""Deadline reminders for tracked calls: which are due now, and claiming each one.

Owns the reminder rules: one e-mail per tracked call, deadline stage and
offset (`reminder_offsets_days`, at `reminder_hour` in the subscriber's zone,
see monitor.plan.slots), never given up later than the deadline itself.
Must not send; the wording is in templates/mail/reminder.* and the locale
catalogue, keyed by the English text.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from db import repo
from db.engine import session_scope
from db.models import DeliveryKind, Subscriber
from monitor.plan.chat import copy_to_chat
from monitor.plan.claim import MailContext, claim, common_context, short_subject
from monitor.plan.report import PlanReport
from monitor.plan.slots import ReminderDue, reminder_due
from monitor.render.cards import CallCard, Links, call_card, zone
from monitor.render.email import Rendered
from monitor.render.i18n import translator
from monitor.render.words import when


def plan_reminders(engine: Engine, mail: MailContext, *, now: datetime) -> PlanReport:
    """Claim deadline reminders due now for tracked calls (one per call, stage and offset)."""
    report = PlanReport()
    with session_scope(engine) as session:
        subscribers = {s.id: s for s in repo.confirmed_subscribers(session)}
        tracked = repo.tracked_calls(session, subscriber_ids=list(subscribers))
        call_ids = sorted({cid for calls in tracked.values() for cid in calls})
        primaries = repo.primary_ids(session, call_ids=call_ids)
        calls = {c.id: c for c in repo.logical_calls(session, primary_ids=primaries)}
        members = {m.call.id: c for c in calls.values() for m in c.members}
        for sid, followed in tracked.items():
            for cid in sorted(followed):
                call = members.get(cid)
                if call is not None:
                    _remind(session, mail, subscribers[sid], call, now=now, report=report)
    return report


def _remind(
    session: Session,
    mail: MailContext,
    subscriber: Subscriber,
    call: Any,
    *,
    now: datetime,
    report: PlanReport,
) -> None:
    policy = mail.policy
    for due in reminder_due(
        call.deadlines,
        call_id=call.id,
        now=now,
        tz=zone(subscriber.timezone),
        offsets=policy.reminder_offsets_days,
        hour=policy.reminder_hour,
        catch_up=timedelta(hours=policy.catch_up_hours),
    ):
        key = due.slot.period_key
        if repo.period_claimed(
            session, subscriber_id=subscriber.id, kind=DeliveryKind.REMINDER, period_key=key
        ):
            report.already += 1
        else:
            report.claimed += _claim_reminder(session, mail, subscriber, call, due, now=now)


def _claim_reminder(
    session: Session, mail: MailContext, subscriber: Subscriber, call: Any, due: ReminderDue, *, now: datetime
) -> bool:
    give_up = max(
        timedelta(minutes=5), min(due.deadline.at - now, timedelta(hours=mail.policy.other_give_up_hours))
    )
    card, rendered = _render(mail, subscriber, call, due, now=now)
    claimed = claim(
        session,
        mail,
        subscriber=subscriber,
        to=subscriber.email,
        kind=DeliveryKind.REMINDER,
        period_key=due.slot.period_key,
        rendered=rendered,
        now=now,
        give_up=give_up,
        call_ids=[call.id],
    )
    if claimed:
        copy_to_chat(
            session,
            mail.chat,
            subscriber,
            kind=DeliveryKind.REMINDER,
            period_key=due.slot.period_key,
            title=rendered.subject,
            cards=[card],
            link=None,
            now=now,
            give_up=give_up,
        )
    return claimed


def _render(
    mail: MailContext, subscriber: Subscriber, call: Any, due: ReminderDue, *, now: datetime
) -> tuple[CallCard, Rendered]:
    tz, language = zone(subscriber.timezone), subscriber.language
    heading, lead = _wording(language, call.title, due, tz=tz)
    links = Links(call_page=mail.links.call(call.id), source=call.url)
    card = call_card(call, tz=tz, now=now, links=links, language=language)
    return card, mail.renderer.render(
        "reminder",
        language=language,
        subject=short_subject(heading),
        preheader=lead,
        heading=heading,
        lead=lead,
        cards=[card],
        **common_context(mail, subscriber),
    )


def _wording(language: str, title: str, due: ReminderDue, *, tz: Any) -> tuple[str, str]:
    """The heading ("Deadline in 7 days: <title>") and the lead, in the subscriber's language: whole
    sentences, one per case, so a translator can order the words (a stage's label, "Stage 2", is
    the source's own word and stays as written)."""
    _, days, label, at = translator(language), due.days_before, due.deadline.label, due.deadline.at
    values = {"title": title, "label": label}
    if label:
        heading = (
            _("%(label)s deadline tomorrow: %(title)s", **values)
            if days == 1
            else _.plural(
                "%(label)s deadline in %(num)d day: %(title)s",
                "%(label)s deadline in %(num)d days: %(title)s",
                days,
                **values,
            )
        )
    else:
        heading = (
            _("Deadline tomorrow: %(title)s", title=title)
            if days == 1
            else _.plural(
                "Deadline in %(num)d day: %(title)s", "Deadline in %(num)d days: %(title)s", days, title=title
            )
        )
    times = {
        "brussels": when(at, zone("Europe/Brussels"), language=language),
        "local": when(at, tz, language=language),
    }
    if label:
        lead = _(
            "The %(label)s deadline of a call you track is %(brussels)s (Brussels), %(local)s your time.",
            label=label,
            **times,
        )
    else:
        lead = _("The deadline of a call you track is %(brussels)s (Brussels), %(local)s your time.", **times)
    return heading, lead
