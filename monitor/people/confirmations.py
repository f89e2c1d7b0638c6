"""The e-mails consent needs: the confirmation of a new or returning address, and the manage link
a confirmed address gets when someone signs it up again.

Owns their pacing (at most one of each per address per
`confirmation_interval_minutes`) and the signed confirmation link that can
carry a call to track. Must not change a subscriber's status or consent
(monitor.people.subscriptions does), or send (the claimed rows are sent by
monitor.deliver.sender).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from db import repo
from db.models import DeliveryKind, Subscriber
from monitor.deliver.policy import MANAGE_LINK
from monitor.plan.claim import MailContext, claim, common_context
from monitor.render.email import translate
from monitor.tokens import Purpose


def request_confirmation(
    session: Session,
    mail: MailContext,
    subscriber: Subscriber,
    *,
    now: datetime,
    track_call_id: int | None = None,
) -> bool:
    """Claim a confirmation e-mail unless one went out less than the interval ago.

    With `track_call_id` (the web form's "Track this call"), confirming also tracks that
    call: the wish travels inside the signed link, so only the inbox's owner can act on it.
    """
    interval = timedelta(minutes=mail.policy.confirmation_interval_minutes)
    if subscriber.confirmation_sent_at is not None and now - subscriber.confirmation_sent_at < interval:
        return False
    language = subscriber.language
    rendered = mail.renderer.render(
        "confirmation",
        language=language,
        subject=translate(language, "Please confirm your subscription"),
        preheader=translate(language, "Confirm my subscription"),
        confirm_url=confirm_url(mail, subscriber, track_call_id),
        **common_context(mail, subscriber),
    )
    claimed = claim(
        session,
        mail,
        subscriber=subscriber,
        to=subscriber.email,
        kind=DeliveryKind.CONFIRMATION,
        period_key=f"confirmation:{now:%Y-%m-%dT%H:%M:%S}",
        rendered=rendered,
        now=now,
        give_up=timedelta(days=3),
    )
    if claimed:
        assert subscriber.id is not None
        repo.note_confirmation_sent(session, subscriber_id=subscriber.id, now=now)
    return claimed


def confirm_url(mail: MailContext, subscriber: Subscriber, track_call_id: int | None = None) -> str:
    """The confirmation link; with `track_call_id`, confirming also tracks that call."""
    if track_call_id is None:
        return mail.links.confirm(subscriber)
    token = mail.signer.make(
        Purpose.CONFIRM, s=int(subscriber.id or 0), v=subscriber.token_version, c=track_call_id
    )
    return f"{mail.links.base_url}/confirm/{token}"


def send_manage_link(
    session: Session,
    mail: MailContext,
    subscriber: Subscriber,
    *,
    now: datetime,
    track_call_id: int | None = None,
) -> bool:
    """Someone asked to subscribe an address that already is: mail it its manage link (and a
    link to track the call asked for) instead of changing anything. At most one such e-mail
    per address per confirmation interval, like confirmations."""
    assert subscriber.id is not None
    interval = timedelta(minutes=mail.policy.confirmation_interval_minutes)
    bucket = f"{MANAGE_LINK}:{subscriber.id}"
    if repo.count_hits(session, bucket=bucket, since=now - interval)[0]:
        return False
    call = repo.logical_call(session, call_id=track_call_id) if track_call_id else None
    language = subscriber.language
    rendered = mail.renderer.render(
        "manage_link",
        language=language,
        subject=translate(language, "Your Callwatch subscription"),
        preheader=translate(language, "Manage my subscription"),
        track_title=call.title if call is not None else None,
        track_url=mail.links.track(subscriber, call.id) if call is not None else None,
        **common_context(mail, subscriber),
    )
    claimed = claim(
        session,
        mail,
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
