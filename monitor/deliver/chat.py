"""Sending chat copies (deliveries of kind CHAT) and what a chat service's answer means.

Owns the chat side of the queue's promises:
- a copy goes only to an active target, after the SSRF guard passed again at send time (a name
  may resolve elsewhere than when it was added); a removed or suspended target's copy is skipped;
- a 2xx is sent; a 5xx, a 429, a timeout or a connection error is TRANSIENT: retried by the queue's
  backoff until the row's give-up time, never counted towards suspension;
- any other 4xx refuses that message (PERMANENT: the service said no, retrying it cannot help)
  and counts against the target; the `SUSPEND_AFTER`-th refusal in a row suspends the target
  and claims an e-mail to its owner (`monitor.deliver.chatnotice`) saying which (masked)
  target and why. A success resets the count;
- nothing here logs, stores or returns the URL unmasked: errors name the masked target.

Must not: plan copies (`monitor.plan.chat`) or log anything but masked targets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from db import repo
from db.engine import session_scope
from db.models import ChatStatus
from db.repo import LeasedDelivery
from monitor.chatseal import Sealer, SealError
from monitor.chaturls import ChatUrlError, check_url, guard_host
from monitor.deliver.chatnotice import claim_suspension_notice
from monitor.deliver.chatsend import notify
from monitor.deliver.transport import Outcome, SendResult
from monitor.render.chat import ChatMessage

logger = logging.getLogger(__name__)

SUSPEND_AFTER = 3
TIMEOUT_SECONDS = 20.0


@dataclass
class ChatSender:
    """What sending chat copies needs: the sealer, the SSRF setting, and the app for notices."""

    sealer: Sealer
    allow_private: bool
    app: Any = None  # monitor.app.App: links, settings and renderer for suspension notices
    timeout: float = TIMEOUT_SECONDS
    suspend_after: int = SUSPEND_AFTER


def chat_sender(app: Any) -> ChatSender | None:
    """None without a secret key: chat copies then wait (TRANSIENT) for a run that has one."""
    settings = app.settings
    if settings.secret_key is None:
        return None
    return ChatSender(
        sealer=Sealer(settings.secret(), settings.old_secrets()),
        allow_private=settings.chat_allow_private_hosts,
        app=app,
    )


async def send_chat(
    sender: ChatSender | None, engine: Engine, leased: LeasedDelivery, *, now: datetime
) -> SendResult:
    """Send one leased chat copy; the outcome for the queue, with the target's bookkeeping done."""
    if sender is None:
        return SendResult(Outcome.TRANSIENT, None, "chat sending is not set up in this run")
    with session_scope(engine) as session:
        target = repo.chat_target_for_delivery(session, delivery_id=leased.id)
        sealed = target.sealed_url if target is not None else None
        status, target_id, masked = (target.status, target.id, target.masked) if target else (None, None, "")
    if target_id is None or sealed is None or status != ChatStatus.ACTIVE:
        return SendResult(Outcome.PERMANENT, None, f"not sent: the chat target is {status or 'removed'}")
    try:
        url = sender.sealer.unseal(sealed)
        guard_host(check_url(url), allow_private=sender.allow_private)
    except (SealError, ChatUrlError) as exc:
        return _refused(sender, engine, target_id, masked, None, str(exc), now=now)
    message = ChatMessage.decode(leased.message or b'{"title": "", "body": ""}')
    answer = await notify(url, title=message.title, body=message.body, timeout=sender.timeout)
    if answer.ok:
        with session_scope(engine) as session:
            repo.record_chat_success(session, target_id=target_id)
        return SendResult(Outcome.SENT, 200, "sent")
    if answer.status is not None and 400 <= answer.status < 500 and answer.status != 429:
        return _refused(sender, engine, target_id, masked, answer.status, answer.detail, now=now)
    error = f"{answer.status or ''} {answer.detail}".strip()
    with session_scope(engine) as session:
        repo.record_chat_error(session, target_id=target_id, error=error)
    logger.info("chat target %s: will retry (%s)", masked, error)
    return SendResult(Outcome.TRANSIENT, answer.status, answer.detail)


def _refused(
    sender: ChatSender,
    engine: Engine,
    target_id: int,
    masked: str,
    status: int | None,
    detail: str,
    *,
    now: datetime,
) -> SendResult:
    """A refusal: counted against the target, which is suspended (and its owner told) at the limit."""
    error = f"{status or ''} {detail}".strip()
    with session_scope(engine) as session:
        suspended = repo.record_chat_refusal(
            session, target_id=target_id, error=error, suspend_after=sender.suspend_after, now=now
        )
        if suspended:
            target = repo.get_chat_target(session, target_id=target_id)
            if target is not None and sender.app is not None:
                claim_suspension_notice(session, sender.app, target, refusals=sender.suspend_after, now=now)
    if suspended:
        logger.warning("chat target %s suspended after %d refusals (%s)", masked, sender.suspend_after, error)
    return SendResult(Outcome.PERMANENT, status, detail)
