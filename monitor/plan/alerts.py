"""Change alerts: one e-mail per subscriber with the changes to their tracked calls since the last alert.

Owns the alert rules: a change is told once (the alert's watermark is the
newest change id it told), only changes recorded after the call was tracked
are told, and "listed" changes never are. Must not send; the wording is in
templates/mail/alert.* and the locale catalogue, keyed by the English text.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from db import repo
from db.engine import session_scope
from db.models import CallChange, DeliveryKind, Subscriber
from monitor.plan.changes import Changes, change_lines, member_changes
from monitor.plan.chat import copy_to_chat
from monitor.plan.claim import MailContext, claim, common_context, short_subject
from monitor.plan.report import PlanReport
from monitor.render.cards import ChangeCard, Links, call_card, zone
from monitor.render.email import Rendered
from monitor.render.i18n import translator


def plan_alerts(engine: Engine, mail: MailContext, *, now: datetime) -> PlanReport:
    """One change alert per subscriber with changes to tracked calls since their last alert."""
    report = PlanReport()
    with session_scope(engine) as session:
        subscribers = {s.id: s for s in repo.confirmed_subscribers(session)}
        tracked = repo.tracked_calls(session, subscriber_ids=list(subscribers))
        marks = repo.last_watermark(session, kind=DeliveryKind.ALERT, subscriber_ids=list(tracked))
        call_ids = sorted({cid for calls in tracked.values() for cid in calls})
        primaries = repo.primary_ids(session, call_ids=call_ids)
        calls = {c.id: c for c in repo.logical_calls(session, primary_ids=primaries)}
        oldest = min((at for calls_ in tracked.values() for at in calls_.values()), default=now)
        changes = repo.changes_since(session, since=oldest)
        for sid, followed in tracked.items():
            subscriber = subscribers[sid]
            cards, newest = _change_cards(mail, subscriber, followed, calls, changes, marks.get(sid), now)
            if cards:
                report.claimed += _claim_alert(session, mail, subscriber, cards, newest, now=now)
    return report


def _change_cards(
    mail: MailContext,
    subscriber: Subscriber,
    followed: dict[int, datetime],
    calls: dict[int, Any],
    changes: Changes,
    mark: int | None,
    now: datetime,
) -> tuple[list[ChangeCard], int]:
    """A card per followed call with untold changes, and the newest change id among them."""
    tz, language = zone(subscriber.timezone), subscriber.language
    cards, newest = [], mark or 0
    for call in {c.id: c for c in calls.values() if any(m.call.id in followed for m in c.members)}.values():
        fresh = _untold(call, followed, changes, mark)
        if not fresh:
            continue
        newest = max(newest, *(ch.id or 0 for ch in fresh))
        lines = change_lines(fresh, currency=call.budget_currency, language=language)
        links = Links(call_page=mail.links.call(call.id), source=call.url)
        cards.append(
            ChangeCard(call_card(call, tz=tz, now=now, links=links, language=language), tuple(lines))
        )
    return cards, newest


def _untold(call: Any, followed: dict[int, datetime], changes: Changes, mark: int | None) -> list[CallChange]:
    """The call's changes since it was tracked and newer than the last alert's watermark."""
    records = {m.call.id for m in call.members}
    since = min(at for cid, at in followed.items() if cid in records)
    return member_changes(call, changes, lambda ch: ch.at >= since and (mark is None or (ch.id or 0) > mark))


def _claim_alert(
    session: Session,
    mail: MailContext,
    subscriber: Subscriber,
    cards: list[ChangeCard],
    newest: int,
    *,
    now: datetime,
) -> bool:
    rendered, give_up = _render(mail, subscriber, cards), timedelta(hours=mail.policy.other_give_up_hours)
    claimed = claim(
        session,
        mail,
        subscriber=subscriber,
        to=subscriber.email,
        kind=DeliveryKind.ALERT,
        period_key=f"alert:{newest}",
        rendered=rendered,
        now=now,
        give_up=give_up,
        watermark=newest,
        call_ids=[c.card.call_id for c in cards],
    )
    if claimed:
        copy_to_chat(
            session,
            mail.chat,
            subscriber,
            kind=DeliveryKind.ALERT,
            period_key=f"alert:{newest}",
            title=rendered.subject,
            cards=[c.card for c in cards],
            link=None,
            now=now,
            give_up=give_up,
        )
    return claimed


def _render(mail: MailContext, subscriber: Subscriber, cards: list[ChangeCard]) -> Rendered:
    language, _ = subscriber.language, translator(subscriber.language)
    if len(cards) == 1:
        heading = _("Changed: %(title)s", title=cards[0].card.title)
    else:
        heading = _.plural("Changed: %(num)d call you track", "Changed: %(num)d calls you track", len(cards))
    return mail.renderer.render(
        "alert",
        language=language,
        subject=short_subject(heading),
        preheader=cards[0].lines[0],
        heading=heading,
        changes=cards,
        **common_context(mail, subscriber),
    )
