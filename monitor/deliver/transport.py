"""The Transport protocol every delivery goes through, and the result of one send.

Owns the contract between the sender and a transport (SMTP or the outbox):
one built message (or its stored bytes, sent as they are: `send_raw`) to one
envelope recipient, and what happened:

- SENT: the server answered 250 to the end of DATA.
- TRANSIENT (try again later; RFC 5321 4yz): a 4xx at MAIL, RCPT or DATA, 421,
  a refused/reset/dropped connection, a timeout, a TLS failure. The connection
  is dropped and the next send opens a new one. A TRANSIENT after DATA was sent
  may still have been delivered (RFC 1047): re-send with the same Message-ID.
- PERMANENT (do not retry; RFC 5321 5yz): a 5xx at MAIL, RCPT or DATA, or an
  address we refuse to put in the envelope. `stage` says which: only a
  PERMANENT at "rcpt" is about the recipient (a hard bounce); one at "mail" or
  "data" is about the sender or the message.

`SmtpConfigError` is raised, not returned, when the SMTP settings are wrong
(see monitor.deliver.smtp): retrying cannot help, so the caller stops the run
and tells the operator. Nothing else raises for a per-message outcome.

The implementations (monitor.deliver.smtp, monitor.deliver.outbox) import this
module; monitor.deliver.configured, above both, picks one from the settings.

Must not: import an implementation, build or render messages, decide on
retries or backoff, touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from enum import StrEnum
from types import TracebackType
from typing import Literal, Protocol, Self

__all__ = ["Outcome", "SendResult", "SmtpConfigError", "Stage", "Transport"]

Stage = Literal["envelope", "connect", "mail", "rcpt", "data", "outbox"]


class Outcome(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class SendResult:
    """What one send did: `code` is the SMTP reply code when the server gave one."""

    outcome: Outcome
    code: int | None
    detail: str
    stage: Stage | None = None


class SmtpConfigError(Exception):
    """The SMTP settings are wrong (credentials, AUTH, TLS): stop the run, retrying will not help."""


class Transport(Protocol):
    """Sends one message to one envelope recipient; usable as `async with`."""

    async def send(self, message: EmailMessage, *, recipient: str) -> SendResult: ...

    async def send_raw(self, data: bytes, *, recipient: str, message_id: str | None = None) -> SendResult:
        """The stored bytes of a message, byte for byte (`message_id`: its Message-ID, if known)."""
        ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
