"""transport_for: the outbox without an SMTP URL, SMTP (and a real delivery) with one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.deliver.configured import transport_for
from monitor.deliver.outbox import OutboxTransport
from monitor.deliver.smtp import SmtpTransport
from monitor.deliver.transport import Outcome
from monitor.settings import load_settings
from tests.smtpserver import LocalSMTPServer
from tests.test_mail_smtp import digest


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("CALLWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


@pytest.mark.usefixtures("clean_env")
def test_transport_for_picks_the_outbox_without_smtp() -> None:
    transport = transport_for(load_settings())
    assert isinstance(transport, OutboxTransport) and transport.directory == Path("var/outbox")


@pytest.mark.usefixtures("clean_env")
def test_transport_for_picks_smtp_when_configured() -> None:
    transport = transport_for(load_settings(smtp_url="smtps://user:p%40ss@mail.example.org"))
    assert isinstance(transport, SmtpTransport)
    target = transport.target
    assert (target.host, target.port, target.tls, target.username, target.password) == (
        "mail.example.org",
        465,
        True,
        "user",
        "p@ss",
    )


@pytest.mark.usefixtures("clean_env")
async def test_transport_for_smtp_delivers(smtp_server: LocalSMTPServer) -> None:
    async with transport_for(load_settings(smtp_url=smtp_server.url)) as transport:
        result = await transport.send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert result.outcome is Outcome.SENT and len(smtp_server.received) == 1
