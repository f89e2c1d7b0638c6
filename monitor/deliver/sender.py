"""Sending claimed deliveries: lease one row, send its stored message, record the outcome.

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
  unconfirmed for anything but the confirmation) is skipped, never sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes

from sqlalchemy.engine import Engine

from db import repo
from db.engine import session_scope
from db.models import Delivery, DeliveryStatus, Subscriber
from monitor.app import App, MailPolicy
from monitor.clock import Clock
from monitor.deliver.configured import transport_for
from monitor.deliver.message import WIRE_POLICY
from monitor.deliver.policy import subscriber_status_allows
from monitor.deliver.transport import Outcome, Transport

logger = logging.getLogger(__name__)
alert_logger = logging.getLogger("callwatch.alerts")


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    expired: int = 0
    skipped: int = 0
    suspended: int = 0
    tripped: bool = False  # the circuit breaker stopped the run


@dataclass
class _Leased:
    id: int
    kind: str
    to_address: str
    message: bytes | None
    attempts: int
    give_up_at: datetime | None
    subscriber_id: int | None
    subscriber_status: str | None


async def deliver(app: App) -> SendReport:
    """Send every due e-mail now through the configured transport (SMTP, or the outbox)."""
    async with transport_for(app.settings) as transport:
        return await send_due(app.engine, transport, clock=app.clock, mail=app.defaults.mail)


def retry_delay(attempts: int, mail: MailPolicy) -> timedelta:
    """5 min, 10 min, 20 min ... capped (RFC 5321 asks for at least 30 min between later tries)."""
    seconds = mail.retry_base_seconds * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, mail.retry_max_seconds))


async def send_due(
    engine: Engine, transport: Transport, *, clock: Clock, mail: MailPolicy, limit: int | None = None
) -> SendReport:
    """Send every due row (or `limit` of them); safe to run in several processes at once."""
    report, in_a_row = SendReport(), 0
    postgres = engine.dialect.name == "postgresql"
    pacer = _Pacer(mail.rate_per_second)
    while limit is None or report.sent + report.failed + report.retry < limit:
        leased = _lease(engine, now=clock(), lease=timedelta(seconds=mail.lease_seconds), postgres=postgres)
        if leased is None:
            break
        if not _sendable(engine, leased, now=clock(), report=report):
            continue
        await pacer.wait()
        # Parsed with the policy it was written with: headers go out byte for byte as built.
        message = message_from_bytes(leased.message or b"", policy=WIRE_POLICY)
        result = await transport.send(message, recipient=leased.to_address)  # type: ignore[arg-type]
        now = clock()
        with session_scope(engine) as session:
            if result.outcome == Outcome.SENT:
                repo.finish_delivery(
                    session, delivery_id=leased.id, status=DeliveryStatus.SENT, now=now, code=result.code
                )
                report.sent += 1
                in_a_row = 0
            elif result.outcome == Outcome.TRANSIENT:
                in_a_row += 1
                _transient(session, leased, result, now=now, mail=mail, report=report)
            else:
                in_a_row = 0
                _permanent(session, leased, result, now=now, mail=mail, report=report)
        if in_a_row >= mail.circuit_breaker:
            report.tripped = True
            alert_logger.error(
                "ALERT e-mail sending stopped after %d transient failures in a row (last: %s); "
                "pending messages are kept and retried by the next run",
                in_a_row,
                result.detail,
            )
            break
    return report


def _lease(engine: Engine, *, now: datetime, lease: timedelta, postgres: bool) -> _Leased | None:
    with session_scope(engine) as session:
        row = repo.lease_next(session, now=now, lease=lease, postgres=postgres)
        if row is None:
            return None
        sid = row.subscriber_id
        subscriber = repo.subscriber(session, subscriber_id=sid) if sid is not None else None
        return _snapshot(row, subscriber)


def _snapshot(row: Delivery, subscriber: Subscriber | None) -> _Leased:
    assert row.id is not None
    return _Leased(
        id=row.id,
        kind=row.kind,
        to_address=row.to_address,
        message=row.message,
        attempts=row.attempts,
        give_up_at=row.give_up_at,
        subscriber_id=row.subscriber_id,
        subscriber_status=subscriber.status if subscriber is not None else None,
    )


def _sendable(engine: Engine, leased: _Leased, *, now: datetime, report: SendReport) -> bool:
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
    session, leased: _Leased, result, *, now: datetime, mail: MailPolicy, report: SendReport
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
    session, leased: _Leased, result, *, now: datetime, mail: MailPolicy, report: SendReport
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
