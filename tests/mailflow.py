"""Every kind of e-mail a subscriber receives, in their language, through the real path: the CLI as the
operator, planning, the sender, the local SMTP server (tests/smtpserver.py).

Shared by the language tests: `every_kind` has one subscriber receive a confirmation, a digest, a
reminder, a change alert and a manage-link e-mail, and hands them back by kind; `visible` is what a
reader sees of one message (subject, text part, HTML text and attributes that are read out).
"""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage

from bs4 import BeautifulSoup

from db import repo
from db.engine import session_scope
from monitor.deliver.sender import deliver
from monitor.people.confirmations import send_manage_link
from monitor.plan.claim import mail_context
from tests.mailworld import CALLS, MOVED_A, MailWorld, utc

# What the calls say themselves (titles, summaries, programme): shown as the source wrote it.
CALL_CONTENT = sorted(
    {c.title for c in CALLS} | {c.summary_text for c in CALLS if c.summary_text} | {"Horizon Europe"},
    key=len,
    reverse=True,
)


def every_kind(world: MailWorld, address: str, language: str) -> dict[str, EmailMessage]:
    """Confirmation, digest, reminder, change alert and manage link to `address`, by kind."""
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    subscribe = ("subscribe", address, "--keywords", "hydrogen", "--keywords", "electrolyser")
    where = ("--country", "PT", "--org-type", "sme", "--timezone", "Europe/Lisbon", "--language", language)
    result = world.cli(
        *subscribe, *where, "--digest-day", "monday", "--digest-hour", "8", "--now", "2026-11-21T10:00:00Z"
    )
    assert result.exit_code == 0, result.output
    with session_scope(world.app.engine) as session:
        person = repo.subscriber_by_email(session, email=address)
        assert person is not None and person.id is not None
        repo.set_status(session, subscriber_id=person.id, status="confirmed", now=utc("2026-11-21T10:05:00Z"))  # type: ignore[arg-type]
    assert (
        world.cli("track", address, str(world.call_id("A")), "--now", "2026-11-21T10:10:00Z").exit_code == 0
    )
    assert world.cli("digest", "--now", "2026-11-23T08:05:00Z").exit_code == 0
    assert world.cli("reminders", "--now", "2026-12-04T08:10:00Z").exit_code == 0
    world.seed([MOVED_A], now=utc("2026-12-05T06:00:00Z"))
    assert world.cli("alerts", "--now", "2026-12-05T08:00:00Z").exit_code == 0
    with session_scope(world.app.engine) as session:
        person = repo.subscriber_by_email(session, email=address)
        assert person is not None
        sent = send_manage_link(
            session,
            mail_context(world.app),
            person,
            now=utc("2026-12-05T09:00:00Z"),
            track_call_id=world.call_id("B"),
        )
        assert sent
    world.web_clock.at = utc("2026-12-05T09:00:00Z")
    asyncio.run(deliver(world.app))
    found = {str(m["X-Callwatch-Kind"]): m for m in world.messages_to(address)}
    assert set(found) == {"confirmation", "digest", "reminder", "alert", "manage-link"}, sorted(found)
    return found


def visible(message: EmailMessage) -> dict[str, str]:
    """What a reader sees: the subject, the plain text, and the HTML's text, title and alt texts."""
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(preferencelist=("html",))
    seen = {"subject": str(message["Subject"]), "text": text}
    if html is not None:
        soup = BeautifulSoup(html.get_content(), "html.parser")
        read_out = [
            str(tag[name])
            for name in ("alt", "title", "aria-label")
            for tag in soup.find_all(attrs={name: True})
        ]
        seen["html"] = " ".join([soup.get_text(" "), *read_out])
    return seen


def without_content(text: str, *extra: str) -> str:
    """`text` without call content, URLs, e-mail addresses and the names that are never translated."""
    for kept in (*CALL_CONTENT, *extra, "Callwatch"):
        text = text.replace(kept, " ")
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    return re.sub(r"<img src=x onerror=alert\(1\)>", " ", text)
