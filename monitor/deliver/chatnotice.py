"""The e-mail telling a chat target's owner that the target was suspended (kind CHAT_SUSPENDED).

Owns who is told and what the message says: a subscriber's target tells the subscriber, a
collection's tells its owner, the operator's tells CALLWATCH_OPERATOR_EMAIL (in English, like all
operator mail); the message names the target masked and the last answer (masked too). It is
claimed on the queue like any e-mail, once per suspension (the period key names the target and
the moment), in the transaction that suspends the target, and sent by the same run.

It lives beside the sender, not in monitor.plan, because the sender is what finds out; it
builds the message with the same pieces (renderer, MIME builder, list headers' rules).

Must not: send, or see the URL in the clear.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlmodel import Session

from db import repo
from db.models import ChatTarget, DeliveryKind, Subscriber
from monitor.deliver.message import build_message, message_bytes, message_id_for
from monitor.render.email import MailRenderer
from monitor.render.i18n import translator

GIVE_UP = timedelta(days=2)


def claim_suspension_notice(
    session: Session, app: Any, target: ChatTarget, *, refusals: int, now: datetime
) -> bool:
    """Claim the notice for this suspension; False when nobody can be told (or it is claimed)."""
    owner = _owner(session, target)
    to = owner.email if owner is not None else app.settings.operator_email
    if not to:
        return False
    language = owner.language if owner is not None else "en"
    _ = translator(language)
    subject = _("A chat channel was suspended")
    manage = f"{app.links.manage(owner)}#chat" if owner is not None else ""
    footer = {"email": owner.email, "unsubscribe_url": app.links.unsubscribe(owner)} if owner else {}
    rendered = MailRenderer().render(
        "chat_suspended", language=language, subject=subject, html=owner is not None,
        preheader=target.masked, target=target.masked, refusals=refusals, reason=target.last_error or "",
        manage_url=manage, **footer,
    )  # fmt: skip
    sender = app.settings.mail_from
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    key = f"chat-suspended:{target.id}:{now.isoformat()}"
    message_id = message_id_for(DeliveryKind.CHAT_SUSPENDED, f"{owner.id if owner else None}:{key}", sender)
    headers = {"Auto-Submitted": "auto-generated", "X-Callwatch-Kind": DeliveryKind.CHAT_SUSPENDED}
    headers["List-Id"] = f"{_('Callwatch funding-call alerts')} <alerts.{domain}>"
    message = build_message(
        sender=sender, to=to, subject=subject, text=rendered.text, html=rendered.html,
        message_id=message_id, date=now, headers=headers,
    )  # fmt: skip
    row = repo.claim_period(
        session, subscriber_id=owner.id if owner else None, kind=DeliveryKind.CHAT_SUSPENDED, period_key=key,
        now=now, to_address=to, subject=subject, message=message_bytes(message), message_id=message_id,
        give_up_at=now + GIVE_UP,
    )  # fmt: skip
    return row is not None


def _owner(session: Session, target: ChatTarget) -> Subscriber | None:
    sid = target.subscriber_id
    if sid is None and target.collection_id is not None:
        collection = repo.get_collection(session, collection_id=target.collection_id)
        sid = collection.owner_id if collection is not None else None
    return repo.subscriber(session, subscriber_id=sid) if sid is not None else None
