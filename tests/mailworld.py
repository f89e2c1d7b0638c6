"""A whole Callwatch for e-mail tests: settings in the environment, seeded calls, the real web app on
a loopback port, the real SMTP server (tests/smtpserver.py), and the CLI driven as an operator would.

Calls are seeded straight into the store (the source issues test polling); every value below is
chosen so that expected e-mail text can be written by hand.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner, Result

from db import repo
from db.engine import session_scope
from db.models import Source
from monitor.app import App, build_app
from monitor.cli import main
from monitor.model.call import CallIn, DeadlineIn
from monitor.poll.pipeline import regroup
from monitor.settings import load_settings
from tests.smtpserver import LocalSMTPServer
from tests.webserver import free_port, running_web

SECRET = "test-secret-" + "x" * 40


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def call_in(
    key: str,
    title: str,
    *,
    deadline: str | None,
    status: str = "open",
    summary: str = "",
    countries: list[str] | None = None,
    org_types: list[str] | None = None,
    budget: int | None = None,
    per_project: int | None = None,
) -> CallIn:
    deadlines = [DeadlineIn(at=utc(deadline))] if deadline else []
    return CallIn(
        key=key,
        title=title,
        url=f"https://calls.example.eu/{key}",
        summary_text=summary or None,
        programme="Horizon Europe",
        status=status,
        deadlines=deadlines,
        next_deadline_at=deadlines[0].at if deadlines and status != "closed" else None,
        final_deadline_at=deadlines[0].at if deadlines else None,
        countries=countries or [],
        org_types=org_types or [],
        budget_total=Decimal(budget) if budget else None,
        budget_currency="EUR" if budget else None,
        contribution_max=Decimal(per_project) if per_project else None,
    )


# Seeded on 2026-11-21; the digest runs on Monday 2026-11-23 08:05 UTC (08:05 in Lisbon).
CALLS = [
    call_in(
        "A",
        "Green hydrogen electrolyser pilots for SMEs",
        deadline="2027-01-03T16:00:00Z",
        summary="Pilot lines for electrolysers in industrial clusters.",
        countries=["DE", "PT", "ES"],
        org_types=["sme"],
        budget=2_000_000,
        per_project=500_000,
    ),
    call_in("B", "Digital vouchers for tourism SMEs", deadline="2027-02-01T16:00:00Z", countries=["PT"]),
    call_in("C", "Hydrogen valleys", deadline="2026-10-01T15:00:00Z", status="closed"),
    call_in("D", "Hydrogen storage for German clusters", deadline="2027-03-01T16:00:00Z", countries=["DE"]),
    call_in(
        "E",
        "Electrolyser supply chain <img src=x onerror=alert(1)>",
        deadline="2026-12-03T16:00:00Z",
        countries=["PT"],
    ),
]

# Call A with its deadline moved from 3 to 10 January 2027: the change the alert tests announce.
MOVED_A = call_in(
    "A",
    "Green hydrogen electrolyser pilots for SMEs",
    deadline="2027-01-10T16:00:00Z",
    summary="Pilot lines for electrolysers in industrial clusters.",
    countries=["DE", "PT", "ES"],
    org_types=["sme"],
    budget=2_000_000,
    per_project=500_000,
)


class MutableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@dataclass
class MailWorld:
    app: App
    smtp: LocalSMTPServer
    web: str
    web_clock: MutableClock
    config_dir: Path

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    def seed(self, calls: list[CallIn], *, now: datetime) -> None:
        with session_scope(self.app.engine) as session:
            if session.get(Source, "seeded") is None:
                session.add(
                    Source(
                        id="seeded",
                        name="Seeded calls",
                        kind="ft-portal",
                        url="https://x.test/",
                        created_at=now,
                    )
                )
                session.flush()
            repo.store_calls(session, source_id="seeded", run_id=None, calls=calls, complete=False, now=now)
            regroup(session)

    def call_id(self, key: str) -> int:
        from sqlmodel import select

        from db.models import Call

        with session_scope(self.app.engine) as session:
            return int(session.exec(select(Call.id).where(Call.key == key)).one())

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.smtp.received if address in r.rcpt_tos]

    def http(self) -> httpx.Client:
        return httpx.Client(timeout=10, follow_redirects=False)

    def submit(
        self,
        http: httpx.Client,
        page_url: str,
        data: dict[str, Any] | None = None,
        *,
        action: str | None = None,
        to: str | None = None,
    ) -> httpx.Response:
        """Send a page's form as a browser would: GET the page (which sets the CSRF cookie in
        `http`), take the form posting to `action` (default: the page's own URL; else the first
        form) with its hidden fields, and POST them with `data` on top, to the form's action or
        to `to` (a genuine form's token sent somewhere else, as a forger would)."""
        page = http.get(page_url)
        target = urljoin(page_url, action or page_url)
        forms = BeautifulSoup(page.text, "html.parser").find_all("form", method="post")
        chosen = [f for f in forms if urljoin(page_url, str(f.get("action") or page_url)) == target]
        fields: dict[str, Any] = {}
        for form in chosen[:1] or forms[:1]:
            for hidden in form.find_all("input", type="hidden"):
                fields[str(hidden["name"])] = hidden.get("value", "")
        return http.post(urljoin(page_url, to) if to else target, data=fields | (data or {}))

    def wait_for_messages(self, address: str, count: int = 1, timeout: float = 10) -> list[EmailMessage]:
        """The messages to `address` once there are `count` (the web sends after answering)."""
        deadline = time.monotonic() + timeout
        while len(found := self.messages_to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def settle(self, timeout: float = 10) -> None:
        """Wait until the web app has sent everything it queued (it sends after answering), so a
        test that moves `web_clock` past a send lease does not race a send in flight."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with session_scope(self.app.engine) as session:
                if repo.pending_count(session) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("the web app still has e-mails to send")


def links(message: EmailMessage) -> list[str]:
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    return re.findall(r"https?://\S+", text)


def link(message: EmailMessage, path: str) -> str:
    found = [url for url in links(message) if f"/{path}/" in url]
    assert found, f"no /{path}/ link in {links(message)}"
    return found[0]


@pytest.fixture
def world(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, smtp_server: LocalSMTPServer
) -> Iterator[MailWorld]:
    for name in list(os.environ):
        if name.startswith("CALLWATCH_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    (config / "sources").mkdir(parents=True)
    (config / "callwatch.toml").write_text("[mail]\nrate_per_second = 0\n")
    port = free_port()
    for name, value in {
        "CALLWATCH_DATABASE_URL": database_url,
        "CALLWATCH_CONFIG_DIR": str(config),
        "CALLWATCH_VAR_DIR": str(tmp_path / "var"),
        "CALLWATCH_LOG_LEVEL": "WARNING",
        "CALLWATCH_SMTP_URL": smtp_server.url,
        "CALLWATCH_MAIL_FROM": "Callwatch <alerts@callwatch.test>",
        "CALLWATCH_BASE_URL": f"http://127.0.0.1:{port}",
        "CALLWATCH_SECRET_KEY": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    app = build_app(load_settings(), migrate=True)
    clock = MutableClock(utc("2026-11-21T10:00:00Z"))
    app.clock = clock
    try:
        with running_web(app, port) as url:
            yield MailWorld(app, smtp_server, url, clock, config)
    finally:
        # Each test's app has its own pool; left to the garbage collector, hundreds of tests'
        # idle connections exhaust PostgreSQL's max_connections (100).
        app.engine.dispose()
