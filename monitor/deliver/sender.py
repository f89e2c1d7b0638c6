"""Sending claimed deliveries: lease a batch of rows, send each stored message as it is, record
each outcome.

Owns the delivery promises (reliability.md §1):
- send first, mark sent after the server's 250: a crash in between re-sends
  that one message with the same Message-ID and loses none;
- transient failures (4xx, timeouts, dropped connections) are retried with
  growing delays until the row's give-up time, then the row expires;
- a permanent refusal (5xx) fails that row only, counts against the address,
  and suspends it after `suspend_after_hard_failures`;
- a configurable send rate, and a circuit breaker that ends the run after
  `circuit_breaker` transient failures in a row (with one operator alert);
- a row whose subscriber is no longer allowed mail (unsubscribed, suspended,
  unconfirmed for anything but the confirmation) is skipped, never sent;
- chat copies (kind CHAT) go through `monitor.deliver.chat` instead of the transport, with the
  same retries and give-up; their failures never trip the e-mail circuit breaker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from db import repo
from db.engine import session_scope
from db.models import DeliveryKind, DeliveryStatus
from db.repo import LeasedDelivery
from monitor.app import App, MailPolicy
from monitor.clock import Clock
from monitor.deliver.chat import ChatSender, chat_sender, send_chat
from monitor.deliver.configured import transport_for
from monitor.deliver.policy import subscriber_status_allows
from monitor.deliver.transport import Outcome, Transport

logger = logging.getLogger(__name__)
alert_logger = logging.getLogger("callwatch.alerts")

# Rows leased per transaction: one lease statement serves this many sends.
LEASE_BATCH = 20


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    expired: int = 0
    skipped: int = 0
    suspended: int = 0
    tripped: bool = False  # the circuit breaker stopped the run


async def deliver(app: App) -> SendReport:
    """Send every due e-mail now through the configured transport (SMTP, or the outbox)."""
    async with transport_for(app.settings) as transport:
        chat = chat_sender(app)
        return await send_due(app.engine, transport, clock=app.clock, mail=app.defaults.mail, chat=chat)


def retry_delay(attempts: int, mail: MailPolicy) -> timedelta:
    """5 min, 10 min, 20 min ... capped (RFC 5321 asks for at least 30 min between later tries)."""
    seconds = mail.retry_base_seconds * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, mail.retry_max_seconds))


async def send_due(
    engine: Engine,
    transport: Transport,
    *,
    clock: Clock,
    mail: MailPolicy,
    limit: int | None = None,
    chat: ChatSender | None = None,
) -> SendReport:
    """Send every due row (or `limit` of them); safe to run in several processes at once.
    Chat copies go through `chat` (monitor.deliver.chat), e-mail through `transport`."""
    run = _Run(engine, transport, clock, mail, postgres=engine.dialect.name == "postgresql", chat=chat)
    while limit is None or run.tried < limit:
        wanted = _batch_size(mail) if limit is None else min(_batch_size(mail), limit - run.tried)
        with session_scope(engine) as session:
            batch = repo.lease_due(
                session, now=clock(), lease=timedelta(seconds=mail.lease_seconds), postgres=run.postgres,
                limit=wanted,
            )  # fmt: skip
        if not batch or await run.send_batch(batch):
            break
    return run.report


def _batch_size(mail: MailPolicy) -> int:
    """Rows leased at once: LEASE_BATCH, or about a second's worth at a limited send rate, so a
    row is sent soon after its subscriber's status was read and well within its lease."""
    if mail.rate_per_second <= 0:
        return LEASE_BATCH
    return max(1, min(LEASE_BATCH, int(mail.rate_per_second)))


class _Run:
    """One `send_due` run: its report, pacing and circuit breaker, across leased batches."""

    def __init__(
        self,
        engine: Engine,
        transport: Transport,
        clock: Clock,
        mail: MailPolicy,
        *,
        postgres: bool,
        chat: ChatSender | None = None,
    ) -> None:
        self.engine, self.transport, self.clock, self.mail = engine, transport, clock, mail
        self.postgres = postgres
        self.report = SendReport()
        self.pacer = _Pacer(mail.rate_per_second)
        self.in_a_row = 0
        self.chat = chat

    @property
    def tried(self) -> int:
        return self.report.sent + self.report.failed + self.report.retry

    async def send_batch(self, batch: list[LeasedDelivery]) -> bool:
        """Send one leased batch; True when the run must stop (the circuit breaker tripped).

        Rows never started (the run stopped, or an exception such as SmtpConfigError) are given
        back at once; the one on the wire, if any, keeps its lease."""
        untried = {row.id for row in batch}
        try:
            for leased in batch:
                untried.discard(leased.id)
                if await self._send_one(leased):
                    return True
            return False
        finally:
            if untried:
                with session_scope(self.engine) as session:
                    repo.release_leases(
                        session, ids=sorted(untried), lease_until=batch[0].lease_until, now=self.clock()
                    )

    async def _send_one(self, leased: LeasedDelivery) -> bool:
        report, mail = self.report, self.mail
        if not _sendable(self.engine, leased, now=self.clock(), report=report):
            return False
        await self.pacer.wait()
        chat = leased.kind == DeliveryKind.CHAT
        if chat:
            result = await send_chat(self.chat, self.engine, leased, now=self.clock())
        else:
            # The stored bytes as they are: never parsed back and serialised again.
            result = await self.transport.send_raw(
                leased.message or b"", recipient=leased.to_address, message_id=leased.message_id
            )
        now = self.clock()
        with session_scope(self.engine) as session:
            if result.outcome == Outcome.SENT:
                repo.finish_delivery(
                    session, delivery_id=leased.id, status=DeliveryStatus.SENT, now=now, code=result.code
                )
                report.sent += 1
                self.in_a_row = 0
            elif result.outcome == Outcome.TRANSIENT:
                self.in_a_row += not chat  # a dead webhook says nothing about the mail server
                _transient(session, leased, result, now=now, mail=mail, report=report)
            else:
                self.in_a_row = 0
                _permanent(session, leased, result, now=now, mail=mail, report=report)
        if self.in_a_row < mail.circuit_breaker:
            return False
        report.tripped = True
        alert_logger.error(
            "ALERT e-mail sending stopped after %d transient failures in a row (last: %s); "
            "pending messages are kept and retried by the next run",
            self.in_a_row,
            result.detail,
        )
        return True


def _sendable(engine: Engine, leased: LeasedDelivery, *, now: datetime, report: SendReport) -> bool:
    reason = None
    if leased.subscriber_id is not None and not subscriber_status_allows(
        leased.kind, leased.subscriber_status or ""
    ):
        reason = f"not sent: the subscriber is {leased.subscriber_status or 'gone'}"
    elif not leased.message or not leased.to_address:
        reason = "not sent: no message or address (erased)"
    if reason is None and leased.give_up_at is not None and now > leased.give_up_at:
        with session_scope(engine) as session:
            repo.finish_delivery(
                session,
                delivery_id=leased.id,
                status=DeliveryStatus.EXPIRED,
                now=now,
                error="too late to be useful",
            )
        report.expired += 1
        return False
    if reason is not None:
        with session_scope(engine) as session:
            repo.finish_delivery(
                session, delivery_id=leased.id, status=DeliveryStatus.SKIPPED, now=now, error=reason
            )
        report.skipped += 1
        return False
    return True


def _transient(
    session, leased: LeasedDelivery, result, *, now: datetime, mail: MailPolicy, report: SendReport
) -> None:  # noqa: ANN001
    retry_at = now + retry_delay(leased.attempts, mail)
    error = f"{result.code or ''} {result.detail}".strip()
    if leased.give_up_at is not None and retry_at > leased.give_up_at:
        repo.finish_delivery(
            session,
            delivery_id=leased.id,
            status=DeliveryStatus.EXPIRED,
            now=now,
            code=result.code,
            error=f"gave up after {leased.attempts} attempts: {error}",
        )
        report.expired += 1
        return
    repo.finish_delivery(
        session,
        delivery_id=leased.id,
        status=DeliveryStatus.PENDING,
        now=now,
        code=result.code,
        error=error,
        retry_at=retry_at,
    )
    report.retry += 1


def _permanent(
    session, leased: LeasedDelivery, result, *, now: datetime, mail: MailPolicy, report: SendReport
) -> None:  # noqa: ANN001
    repo.finish_delivery(
        session,
        delivery_id=leased.id,
        status=DeliveryStatus.FAILED,
        now=now,
        code=result.code,
        error=f"{result.code or ''} {result.detail}".strip(),
    )
    report.failed += 1
    # Only a refusal of the recipient says the address is bad; one at MAIL or DATA is about us.
    if (
        result.stage == "rcpt"
        and leased.subscriber_id is not None
        and repo.record_hard_bounce(
            session,
            subscriber_id=leased.subscriber_id,
            suspend_after=mail.suspend_after_hard_failures,
            now=now,
        )
    ):
        report.suspended += 1
        logger.warning("subscriber %s suspended after repeated permanent failures", leased.subscriber_id)


class _Pacer:
    """At most `rate` messages per second (real time, whatever the application clock says)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        delay = self.next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.next_at = max(self.next_at, time.monotonic()) + self.interval
