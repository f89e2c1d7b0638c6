"""SMTP delivery outcomes against a real local SMTP server (reliability.md M5): no mocks, real sockets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from monitor.deliver.message import build_message, message_bytes, message_id_for
from monitor.deliver.smtp import SmtpTransport
from monitor.deliver.transport import Outcome, SendResult, SmtpConfigError
from monitor.settings import SmtpTarget
from tests.smtpserver import Certificate, LocalSMTPServer

# aiosmtpd warns when AUTH is offered without TLS; that is what the plain AUTH tests want.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

SENDER = "Callwatch <alerts@example.org>"
LIST_HEADERS = {
    "List-Id": "Callwatch digest <digest.callwatch.example.org>",
    "List-Unsubscribe": "<https://callwatch.example.org/u/tok>, <mailto:unsubscribe@example.org>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    "Auto-Submitted": "auto-generated",
    "X-Callwatch-Kind": "digest",
}


def digest(to: str, *, subject: str = "Appel à projets – Ελλάδα", key: str | None = None):
    return build_message(
        sender=SENDER,
        to=to,
        subject=subject,
        text=f"Hello {to}\nhttps://callwatch.example.org/u/tok\n",
        html=f"<p>Hello {to}</p>",
        message_id=message_id_for("digest", key or f"2025-W10:{to}", SENDER),
        date=datetime(2025, 3, 4, 9, 0, tzinfo=UTC),
        headers=LIST_HEADERS,
    )


def smtp(server: LocalSMTPServer, *, timeout: float = 5, url: str | None = None, **options) -> SmtpTransport:
    return SmtpTransport(SmtpTarget.from_url(url or server.url), timeout=timeout, **options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts TCP connections and never says a word (no 220 greeting)."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


# --- one connection, intact messages --------------------------------------------------------


async def test_three_messages_over_one_connection(smtp_server: LocalSMTPServer) -> None:
    recipients = ["anna@example.eu", "ben@example.eu", "chloé <chloe@example.eu>"]
    async with smtp(smtp_server) as transport:
        results = [
            await transport.send(digest(to), recipient=to.split("<")[-1].rstrip(">")) for to in recipients
        ]
    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    assert all(r.code == 250 for r in results)
    assert smtp_server.connections == 1 and transport.connections_opened == 1
    assert [r.rcpt_tos for r in smtp_server.received] == [
        ["anna@example.eu"],
        ["ben@example.eu"],
        ["chloe@example.eu"],
    ]
    for received, to in zip(smtp_server.received, recipients, strict=True):
        message = received.message
        assert received.mail_from == "alerts@example.org"
        assert message["Subject"] == "Appel à projets – Ελλάδα"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["Message-ID"] == message_id_for("digest", f"2025-W10:{to}", SENDER)
        assert "Bcc" not in message
        plain, html = message.iter_parts()
        assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        assert "callwatch.example.org/u/tok" in plain.get_content()


async def test_the_bytes_on_the_wire_are_the_built_bytes(smtp_server: LocalSMTPServer) -> None:
    message = digest("anna@example.eu")
    async with smtp(smtp_server) as transport:
        await transport.send(message, recipient="anna@example.eu")
    assert smtp_server.received[0].data.replace(b"\r\n", b"\n") == message_bytes(message).replace(
        b"\r\n", b"\n"
    )


async def test_envelope_recipient_is_the_argument_only(smtp_server: LocalSMTPServer) -> None:
    message = digest("Someone Else <someone@example.eu>")
    async with smtp(smtp_server, envelope_from="bounces@example.org") as transport:
        result = await transport.send(message, recipient="anna@example.eu")
    assert result.outcome is Outcome.SENT
    assert smtp_server.received[0].rcpt_tos == ["anna@example.eu"]
    assert smtp_server.received[0].mail_from == "bounces@example.org"


@pytest.mark.parametrize(
    "recipient", ["anna@example.eu\r\nRCPT TO:<evil@x.example>", "a@b.example, c@d.example"]
)
async def test_a_bad_envelope_recipient_is_permanent_and_never_sent(
    smtp_server: LocalSMTPServer, recipient: str
) -> None:
    async with smtp(smtp_server) as transport:
        result = await transport.send(digest("anna@example.eu"), recipient=recipient)
    assert (result.outcome, result.code, result.stage) == (Outcome.PERMANENT, None, "envelope")
    assert smtp_server.connections == 0 and smtp_server.received == []


# --- 4xx / 5xx ------------------------------------------------------------------------------


async def test_451_once_then_sent(smtp_server: LocalSMTPServer) -> None:
    smtp_server.fail_next = ["451 4.3.0 try later"]
    async with smtp(smtp_server) as transport:
        first = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
        second = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert (first.outcome, first.code, first.stage) == (Outcome.TRANSIENT, 451, "data")
    assert "try later" in first.detail
    assert second == SendResult(Outcome.SENT, 250, "Message accepted for delivery", "data")
    assert len(smtp_server.received) == 1
    assert smtp_server.connections == 2  # a transient failure drops the connection


@pytest.mark.parametrize(
    "reply", ["421 4.4.2 rate limit exceeded", "450 4.2.1 mailbox busy", "452 4.3.1 full"]
)
async def test_4xx_at_rcpt_is_transient(smtp_server: LocalSMTPServer, reply: str) -> None:
    smtp_server.refuse_rcpt = {"anna@example.eu": reply}
    async with smtp(smtp_server) as transport:
        result = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert (result.outcome, result.code, result.stage) == (Outcome.TRANSIENT, int(reply[:3]), "rcpt")


async def test_550_for_one_recipient_others_sent(smtp_server: LocalSMTPServer) -> None:
    smtp_server.refuse_rcpt = {"gone@example.eu": "550 5.1.1 no such user"}
    recipients = ["anna@example.eu", "gone@example.eu", "ben@example.eu"]
    async with smtp(smtp_server) as transport:
        results = {to: await transport.send(digest(to), recipient=to) for to in recipients}
    assert results["gone@example.eu"] == SendResult(
        Outcome.PERMANENT, 550, "rcpt: 550 5.1.1 no such user", "rcpt"
    )
    assert results["anna@example.eu"].outcome is results["ben@example.eu"].outcome is Outcome.SENT
    assert [r.rcpt_tos for r in smtp_server.received] == [["anna@example.eu"], ["ben@example.eu"]]
    assert smtp_server.connections == 1  # RSET after a permanent refusal keeps the connection


async def test_5xx_at_data_is_permanent(smtp_server: LocalSMTPServer) -> None:
    smtp_server.fail_next = ["554 5.6.0 message content rejected"]
    async with smtp(smtp_server) as transport:
        rejected = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
        accepted = await transport.send(digest("ben@example.eu"), recipient="ben@example.eu")
    assert (rejected.outcome, rejected.code, rejected.stage) == (Outcome.PERMANENT, 554, "data")
    assert accepted.outcome is Outcome.SENT


async def test_5xx_at_mail_is_permanent_for_the_message(smtp_server: LocalSMTPServer) -> None:
    smtp_server.refuse_mail = {"alerts@example.org": "553 5.7.1 sender not allowed"}
    async with smtp(smtp_server) as transport:
        refused = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
        smtp_server.refuse_mail = {}
        accepted = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    # stage "mail": about our sender, not the recipient, so not a hard bounce for anna.
    assert (refused.outcome, refused.code, refused.stage) == (Outcome.PERMANENT, 553, "mail")
    assert accepted.outcome is Outcome.SENT and smtp_server.connections == 1


async def test_fail_with_still_refuses_every_message(smtp_server: LocalSMTPServer) -> None:
    smtp_server.fail_with = "451 4.3.0 try later"
    async with smtp(smtp_server) as transport:
        results = [await transport.send(digest("anna@example.eu"), recipient="anna@example.eu") for _ in "ab"]
    assert [(r.outcome, r.code) for r in results] == [(Outcome.TRANSIENT, 451)] * 2


# --- connections that fail ------------------------------------------------------------------


async def test_server_drops_the_connection_then_reconnect(smtp_server: LocalSMTPServer) -> None:
    smtp_server.drop_next = 1
    async with smtp(smtp_server) as transport:
        dropped = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
        again = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert (dropped.outcome, dropped.code, dropped.stage) == (Outcome.TRANSIENT, None, "data")
    assert again.outcome is Outcome.SENT
    assert smtp_server.connections == 2 and len(smtp_server.received) == 1


async def test_an_idle_connection_closed_by_the_server_is_replaced(smtp_server: LocalSMTPServer) -> None:
    async with smtp(smtp_server) as transport:
        assert (
            await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
        ).outcome is Outcome.SENT
        smtp_server.disconnect_all()  # like an idle timeout; the client has not noticed yet
        result = await transport.send(digest("ben@example.eu"), recipient="ben@example.eu")
    assert result.outcome is Outcome.SENT  # nothing was accepted before the loss: retried at once
    assert smtp_server.connections == 2 and len(smtp_server.received) == 2


async def test_slow_server_times_out_then_reconnect(smtp_server: LocalSMTPServer) -> None:
    smtp_server.delay_data = 1.0
    async with smtp(smtp_server, timeout=0.5) as transport:
        slow = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
        smtp_server.delay_data = 0
        again = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert (slow.outcome, slow.stage) == (Outcome.TRANSIENT, "data")
    assert "imed out" in slow.detail
    assert again.outcome is Outcome.SENT and smtp_server.connections == 2


async def test_server_that_never_answers_is_transient() -> None:
    async with (
        silent_server() as port,
        SmtpTransport(SmtpTarget.from_url(f"smtp://127.0.0.1:{port}"), timeout=0.5) as transport,
    ):
        started = asyncio.get_running_loop().time()
        result = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
        elapsed = asyncio.get_running_loop().time() - started
    assert (result.outcome, result.code, result.stage) == (Outcome.TRANSIENT, None, "connect")
    assert elapsed < 3


async def test_nothing_listening_is_transient_and_a_later_send_connects(smtp_server: LocalSMTPServer) -> None:
    closed = SmtpTransport(SmtpTarget.from_url(f"smtp://127.0.0.1:{free_port()}"), timeout=2)
    async with closed:
        result = await closed.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert (result.outcome, result.stage) == (Outcome.TRANSIENT, "connect")
    assert "onnect" in result.detail
    closed.target = SmtpTarget.from_url(smtp_server.url)  # the server is back
    async with closed:
        assert (
            await closed.send(digest("anna@example.eu"), recipient="anna@example.eu")
        ).outcome is Outcome.SENT


# --- AUTH and TLS ---------------------------------------------------------------------------


async def test_auth_with_the_right_password(smtp_server_factory) -> None:
    server = smtp_server_factory(credentials=("callwatch", "s3cret/+:@"), auth_required=True)
    url = f"smtp://callwatch:s3cret%2F%2B%3A%40@127.0.0.1:{server.port}"
    async with smtp(server, url=url) as transport:
        result = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert result.outcome is Outcome.SENT and len(server.received) == 1


async def test_wrong_password_is_a_config_error(smtp_server_factory) -> None:
    server = smtp_server_factory(credentials=("callwatch", "right"), auth_required=True)
    async with smtp(server, url=f"smtp://callwatch:wrong@127.0.0.1:{server.port}") as transport:
        with pytest.raises(SmtpConfigError, match="535") as caught:
            await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert "wrong" not in str(caught.value)


async def test_missing_credentials_is_a_config_error(smtp_server_factory) -> None:
    server = smtp_server_factory(credentials=("callwatch", "right"), auth_required=True)
    async with smtp(server) as transport:
        with pytest.raises(SmtpConfigError, match="530"):
            await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")


async def test_credentials_for_a_server_without_auth_is_a_config_error(smtp_server: LocalSMTPServer) -> None:
    async with smtp(smtp_server, url=f"smtp://u:p@127.0.0.1:{smtp_server.port}") as transport:
        with pytest.raises(SmtpConfigError, match="AUTH"):
            await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")


async def test_starttls_is_used_when_offered(smtp_server_factory, smtp_certificate: Certificate) -> None:
    server = smtp_server_factory(tls_context=smtp_certificate.server_context())
    async with smtp(server, tls_context=smtp_certificate.client_context()) as transport:
        result = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert result.outcome is Outcome.SENT
    assert server.received[0].tls


async def test_smtps_uses_implicit_tls(smtp_server_factory, smtp_certificate: Certificate) -> None:
    server = smtp_server_factory(ssl_context=smtp_certificate.server_context())
    assert server.url.startswith("smtps://")
    async with smtp(server, tls_context=smtp_certificate.client_context()) as transport:
        result = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert result.outcome is Outcome.SENT and server.received[0].tls


async def test_an_untrusted_certificate_is_a_config_error(
    smtp_server_factory, smtp_certificate: Certificate
) -> None:
    server = smtp_server_factory(tls_context=smtp_certificate.server_context())
    async with smtp(server) as transport:  # system CAs only: the self-signed certificate fails
        with pytest.raises(SmtpConfigError, match="certificate") as caught:
            await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert "self-signed" in str(caught.value)
    assert server.received == []
