"""A real SMTP server on loopback (aiosmtpd) that records what it receives.

`smtp_server.fail_with = "451 4.3.0 try later"` makes it refuse the next
messages, to test retries and "no digest lost".
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    fail_with: str | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        if self.fail_with:
            return self.fail_with
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


class LocalSMTPServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def fail_with(self) -> str | None:
        return self.handler.fail_with

    @fail_with.setter
    def fail_with(self, value: str | None) -> None:
        self.handler.fail_with = value


@pytest.fixture
def smtp_server() -> Iterator[LocalSMTPServer]:
    server = LocalSMTPServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()
