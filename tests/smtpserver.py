"""A real SMTP server on loopback (aiosmtpd) that records what it receives.

`smtp_server.fail_with = "451 4.3.0 try later"` makes it refuse the next
messages, to test retries and "no digest lost". More scripted behaviour:

- `fail_next = ["451 4.3.0 try later"]`: answer the end of DATA with these
  replies, one per message, then accept again.
- `refuse_rcpt = {"bad@example.org": "550 5.1.1 no such user"}`: refuse
  those recipients at RCPT; `refuse_mail` does the same for senders at MAIL.
- `drop_next = 1`: close the connection instead of answering the end of DATA
  (nothing is recorded), for that many messages.
- `delay_data = 1.0`: wait before answering the end of DATA, so a client
  with a shorter timeout gives up (the server then records nothing:
  aiosmtpd cancels the session when the client hangs up).
- `connections`: how many connections clients opened; `disconnect_all()`
  closes every open session from the server side, as an idle timeout does.

`smtp_server_factory(...)` starts further servers: implicit TLS
(`ssl_context=`), STARTTLS (`tls_context=`), AUTH (`credentials=`,
`auth_required=`). `smtp_certificate` is a self-signed certificate for
127.0.0.1 made with the openssl command (the test is skipped without it).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool = False

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    fail_with: str | None = None
    fail_next: list[str] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    refuse_mail: dict[str, str] = field(default_factory=dict)
    drop_next: int = 0
    delay_data: float = 0.0
    connections: int = 0
    sessions: set[Any] = field(default_factory=set, repr=False)

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:  # noqa: N802
        refusal = self.refuse_mail.get(address)
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        refusal = self.refuse_rcpt.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook name
        if self.delay_data:
            await asyncio.sleep(self.delay_data)
        if self.drop_next > 0:
            self.drop_next -= 1
            server.transport.close()
            return "421 4.3.2 closing (never seen by the client)"
        if self.fail_next:
            return self.fail_next.pop(0)
        if self.fail_with:
            return self.fail_with
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, tls))
        return "250 Message accepted for delivery"


class _TrackingSMTP(SMTP):
    """Counts connections and remembers open sessions (for `disconnect_all`)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None  # called again after STARTTLS
        super().connection_made(transport)
        if first:
            self.event_handler.connections += 1
            self.event_handler.sessions.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        self.event_handler.sessions.discard(self)
        super().connection_lost(error)


class _TrackingController(Controller):
    def factory(self) -> SMTP:
        return _TrackingSMTP(self.handler, **self.SMTP_kwargs)


class LocalSMTPServer:
    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        tls_context: ssl.SSLContext | None = None,
        credentials: tuple[str, str] | None = None,
        auth_required: bool = False,
    ) -> None:
        self.handler = RecordingHandler()
        self.implicit_tls = ssl_context is not None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        options: dict[str, Any] = {}
        if tls_context is not None:
            options["tls_context"] = tls_context
        if credentials is not None or auth_required:
            options.update(
                authenticator=_authenticator(credentials),
                auth_require_tls=False,
                auth_required=auth_required,
            )
        self.controller = _TrackingController(
            self.handler, hostname="127.0.0.1", port=self.port, ssl_context=ssl_context, **options
        )

    @property
    def url(self) -> str:
        return f"{'smtps' if self.implicit_tls else 'smtp'}://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def fail_with(self) -> str | None:
        return self.handler.fail_with

    @fail_with.setter
    def fail_with(self, value: str | None) -> None:
        self.handler.fail_with = value

    @property
    def fail_next(self) -> list[str]:
        return self.handler.fail_next

    @fail_next.setter
    def fail_next(self, value: list[str]) -> None:
        self.handler.fail_next = list(value)

    @property
    def refuse_rcpt(self) -> dict[str, str]:
        return self.handler.refuse_rcpt

    @refuse_rcpt.setter
    def refuse_rcpt(self, value: dict[str, str]) -> None:
        self.handler.refuse_rcpt = dict(value)

    @property
    def refuse_mail(self) -> dict[str, str]:
        return self.handler.refuse_mail

    @refuse_mail.setter
    def refuse_mail(self, value: dict[str, str]) -> None:
        self.handler.refuse_mail = dict(value)

    @property
    def drop_next(self) -> int:
        return self.handler.drop_next

    @drop_next.setter
    def drop_next(self, value: int) -> None:
        self.handler.drop_next = value

    @property
    def delay_data(self) -> float:
        return self.handler.delay_data

    @delay_data.setter
    def delay_data(self, value: float) -> None:
        self.handler.delay_data = value

    @property
    def connections(self) -> int:
        return self.handler.connections

    def start(self) -> None:
        self.controller.start()
        self.handler.connections = 0  # the controller's own start-up probe is not a client

    def stop(self) -> None:
        self.controller.stop()

    def disconnect_all(self) -> None:
        """Close every open session from the server side; returns once they are closed."""

        async def close_all() -> None:
            for session in list(self.handler.sessions):
                if session.transport is not None:
                    session.transport.close()
            await asyncio.sleep(0.05)

        asyncio.run_coroutine_threadsafe(close_all(), self.controller.loop).result(timeout=5)


def _authenticator(credentials: tuple[str, str] | None) -> Callable[..., AuthResult]:
    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        if credentials is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = credentials
        ok = auth_data.login == login.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    return authenticate


@pytest.fixture
def smtp_server() -> Iterator[LocalSMTPServer]:
    server = LocalSMTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., LocalSMTPServer]]:
    started: list[LocalSMTPServer] = []

    def start(**options: Any) -> LocalSMTPServer:
        server = LocalSMTPServer(**options)
        server.start()
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate (and only it)."""
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def smtp_certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate")
    directory = tmp_path_factory.mktemp("smtp-tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)
