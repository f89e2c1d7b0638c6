"""Claiming one e-mail: the shared context of a planning run, the list headers, the MIME message,
and the one delivery row per (subscriber, kind, period).

Owns the composer every kind of e-mail claims through. Claiming is
idempotent: run it twice, or from two processes, and each period still gets
one row (`repo.claim_period`). Sending the claimed rows is
`monitor.deliver.sender`'s job.

Must not decide what is due or what an e-mail says: the planners
(digests, reminders, alerts, operator, people.confirmations) do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from sqlmodel import Session

from db import repo
from db.models import Delivery, DeliveryKind, DeliveryStatus, Subscriber
from monitor.app import App, MailPolicy
from monitor.deliver.message import build_message, message_bytes, message_id_for
from monitor.links import LinkBuilder
from monitor.match.semantic import shared_embedder
from monitor.plan.chat import ChatSetup, chat_setup
from monitor.render.email import MailRenderer, Rendered
from monitor.render.i18n import translator
from monitor.tokens import Signer


@dataclass(frozen=True)
class MailContext:
    """What planning needs from the App, built once per run (`mail_context`)."""

    renderer: MailRenderer
    policy: MailPolicy
    links: LinkBuilder
    signer: Signer
    mail_from: str  # the From header as configured
    sender_address: str  # its bare address
    operator_email: str | None
    semantic: Any = None  # the semantic channel's embedder, when CALLWATCH_SEMANTIC is on
    chat: ChatSetup | None = None  # copies to chat targets (None: e-mail only)

    @property
    def domain(self) -> str:
        return self.sender_address.rpartition("@")[2]


def mail_context(app: App) -> MailContext:
    links = app.links
    return MailContext(
        renderer=MailRenderer(),
        policy=app.defaults.mail,
        links=links,
        signer=links.signer,
        mail_from=app.settings.mail_from,
        sender_address=parseaddr(app.settings.mail_from)[1],
        operator_email=app.settings.operator_email,
        semantic=shared_embedder() if app.settings.semantic else None,
        chat=chat_setup(app.settings),
    )


@dataclass(frozen=True)
class OwnList:
    """A mailing list of its own inside Callwatch (a collection's newsletter): its List-Id, and a
    one-click unsubscribe (RFC 8058) that leaves that list only."""

    name: str
    list_key: str  # the List-Id's left part, unique per list ("c12.collections")
    unsubscribe_url: str


def list_headers(
    mail: MailContext, subscriber: Subscriber | None, kind: str, own_list: OwnList | None = None
) -> dict[str, str]:
    """List-Id and auto-submitted marks on everything; one-click unsubscribe on subscribers' mail
    (from that list alone, for a collection's newsletter)."""
    # The List-Id's name is shown by some mail clients ("via …"): in the subscriber's language.
    _ = translator(subscriber.language if subscriber is not None else "en")
    domain = mail.domain or "localhost"
    name, key = (_("Callwatch funding-call alerts"), "alerts")
    if own_list is not None:
        name, key = own_list.name, own_list.list_key
    headers = {
        "List-Id": f"{_quoted(name)} <{key}.{domain}>",
        "Auto-Submitted": "auto-generated",
        "X-Callwatch-Kind": kind,
    }
    if own_list is not None:
        headers["List-Unsubscribe"] = f"<{own_list.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    elif subscriber is not None and kind != DeliveryKind.OPERATOR:
        https = mail.links.unsubscribe(subscriber)
        mailto = mail.links.unsubscribe_mailto(mail.sender_address, subscriber)
        headers["List-Unsubscribe"] = f"<{https}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def _quoted(name: str) -> str:
    """A list name an editor typed, made safe for a header phrase (no line breaks, no angle brackets)."""
    cleaned = " ".join(name.replace("<", "").replace(">", "").split())
    return cleaned[:120] or "Callwatch"


def common_context(mail: MailContext, subscriber: Subscriber) -> dict[str, Any]:
    """What every subscriber's template shows in its footer."""
    return {
        "email": subscriber.email,
        "manage_url": mail.links.manage(subscriber),
        "unsubscribe_url": mail.links.unsubscribe(subscriber),
    }


def claim(session: Session, mail: MailContext, **values: Any) -> bool:
    """Build the message and claim its period (`claim_row`'s arguments); False when the period
    was already claimed."""
    return claim_row(session, mail, **values) is not None


def claim_row(
    session: Session,
    mail: MailContext,
    *,
    subscriber: Subscriber | None,
    to: str,
    kind: str,
    period_key: str,
    rendered: Rendered,
    now: datetime,
    give_up: timedelta,
    own_list: OwnList | None = None,
    **values: Any,
) -> Delivery | None:
    """`claim`, handing back the claimed row (None when the period was already claimed), for a
    planner that writes more in the same transaction (the digest's shown-log)."""
    sid = subscriber.id if subscriber is not None else None
    message_id = message_id_for(kind, f"{sid}:{period_key}", mail.domain)
    message = build_message(
        sender=mail.mail_from,
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id,
        date=now,
        headers=list_headers(mail, subscriber, kind, own_list),
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
    return row


def skip(
    session: Session,
    subscriber: Subscriber,
    *,
    kind: str,
    period_key: str,
    now: datetime,
    error: str,
    **values: Any,
) -> bool:
    """Claim a period as skipped (nothing to send, or too late), so it is never planned again."""
    row = repo.claim_period(
        session,
        subscriber_id=subscriber.id,
        kind=kind,
        period_key=period_key,
        now=now,
        to_address=subscriber.email,
        status=DeliveryStatus.SKIPPED,
        error=error,
        **values,
    )
    return row is not None


def short_subject(text: str) -> str:
    """At most 140 characters, cut at a word."""
    return text if len(text) <= 140 else text[:139].rsplit(" ", 1)[0] + "…"
