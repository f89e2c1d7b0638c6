"""Delivery faults against the real local SMTP server: transient and permanent refusals, a sender
killed mid-run, two senders at once, and header injection through scraped text.

Each test drives the CLI as an operator would; the promises are reliability.md §1's: no message
lost, at most one duplicate (with the same Message-ID) for the one in flight when a sender dies,
one e-mail per subscriber and period however often or concurrently `digest` runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlmodel import select

from db.engine import session_scope
from db.models import Delivery, Shown, Subscriber
from monitor.deliver.sender import LEASE_BATCH
from tests.mailworld import CALLS, MailWorld, call_in, utc

CALLWATCH = str(Path(sys.executable).parent / "callwatch")
DIGEST_AT = "2026-11-23T08:05:00Z"  # Monday, 08:05 Brussels-winter = 09:05 local; digest hour 8


def _confirmed(world: MailWorld, count: int, *, prefix: str = "sme") -> list[str]:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    addresses = [f"{prefix}{n:03d}@example.org" for n in range(count)]
    for address in addresses:
        result = world.cli(
            "subscribe", address, "--keywords", "hydrogen", "--confirmed", "--now", "2026-11-21T10:00:00Z"
        )
        assert result.exit_code == 0, result.output
    return addresses


def _rows(world: MailWorld, kind: str = "digest") -> dict[str, Delivery]:
    with session_scope(world.app.engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == kind)).all()
        return {row.to_address: row for row in rows}


def _shown(world: MailWorld) -> dict[int, list[int]]:
    """The shown-log's call ids by the delivery that listed them."""
    found: dict[int, list[int]] = {}
    with session_scope(world.app.engine) as session:
        for row in session.exec(select(Shown).order_by(Shown.id)):
            found.setdefault(row.delivery_id, []).append(row.call_id)
    return found


def _digests(world: MailWorld) -> list:
    return [r for r in world.smtp.received if r.message["X-Callwatch-Kind"] == "digest"]


def test_451_once_is_delivered_on_retry(world: MailWorld) -> None:
    _confirmed(world, 3)
    world.smtp.handler.fail_next = ["451 4.3.0 try later"]
    first = world.cli("digest", "--now", DIGEST_AT)
    assert first.exit_code == 3 and "retry later 1" in first.output  # left for retry (issue 16)
    assert len(_digests(world)) == 2
    # Not before the retry delay (5 minutes) ...
    assert world.cli("send", "--now", "2026-11-23T08:06:00Z").exit_code == 0
    assert len(_digests(world)) == 2
    # ... and then delivered, once.
    assert world.cli("send", "--now", "2026-11-23T08:11:00Z").exit_code == 0
    received = _digests(world)
    assert sorted(r.rcpt_tos[0] for r in received) == [
        "sme000@example.org",
        "sme001@example.org",
        "sme002@example.org",
    ]
    assert len({r.message["Message-ID"] for r in received}) == 3
    rows = _rows(world)
    assert all(row.status == "sent" for row in rows.values())
    assert sorted(row.attempts for row in rows.values()) == [1, 1, 2]


def test_550_for_one_recipient_fails_only_that_one_and_suspends_repeat_offenders(world: MailWorld) -> None:
    addresses = _confirmed(world, 3)
    (world.config_dir / "callwatch.toml").write_text(
        "[mail]\nrate_per_second = 0\nsuspend_after_hard_failures = 1\n"
    )
    world.smtp.handler.refuse_rcpt = {addresses[1]: "550 5.1.1 no such user"}
    result = world.cli("digest", "--now", DIGEST_AT)
    assert result.exit_code == 1 and "failed 1" in result.output
    assert sorted(r.rcpt_tos[0] for r in _digests(world)) == [addresses[0], addresses[2]]
    row = _rows(world)[addresses[1]]
    assert (row.status, row.last_code, row.attempts) == ("failed", 550, 1)
    assert "no such user" in (row.error or "")
    with session_scope(world.app.engine) as session:
        status = session.exec(select(Subscriber.status).where(Subscriber.email == addresses[1])).one()
    assert status == "suspended"
    # Not retried, and a suspended address gets nothing the next week.
    assert world.cli("send", "--now", "2026-11-23T09:00:00Z").exit_code == 0
    assert world.cli("digest", "--now", "2026-11-30T08:05:00Z").exit_code == 0
    assert addresses[1] not in [r.rcpt_tos[0] for r in world.smtp.received]


def test_sender_killed_after_37_of_100_loses_nothing(world: MailWorld) -> None:
    _confirmed(world, 100)
    handler = world.smtp.handler
    original = handler.handle_DATA
    victim: dict[str, subprocess.Popen] = {}

    async def kill_at_37(server, session, envelope):  # noqa: ANN001
        answer = await original(server, session, envelope)
        if len(handler.received) == 37 and "process" in victim:
            # The 37th message is stored by the server; its sender dies before reading the 250.
            os.kill(victim["process"].pid, signal.SIGKILL)
        return answer

    handler.handle_DATA = kill_at_37
    victim["process"] = subprocess.Popen(
        [CALLWATCH, "digest", "--now", DIGEST_AT],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    victim["process"].wait(timeout=120)
    assert victim["process"].returncode == -signal.SIGKILL
    del victim["process"]
    assert len(handler.received) == 37
    # Every digest was claimed, with its shown-log rows, before the first was sent: none is lost.
    logged = _shown(world)
    assert set(logged) == {row.id for row in _rows(world).values()}

    # Restarted at once: the rows the dead sender had not leased go out; the one in flight and the
    # rest of its leased batch stay leased to it.
    again = world.cli("digest", "--now", DIGEST_AT)
    assert again.exit_code == 0, again.output
    held = sum(row.status == "pending" for row in _rows(world).values())
    assert 1 <= held <= LEASE_BATCH
    assert len(handler.received) == 101 - held
    # Once the dead sender's lease (10 minutes) has run out, the last one is sent too.
    assert world.cli("send", "--now", "2026-11-23T08:16:00Z").exit_code == 0
    ids = Counter(r.message["Message-ID"] for r in handler.received)
    assert len(ids) == 100  # 100 distinct messages: none lost
    # Exactly one duplicate: the 37th, which the server took before its sender died, same Message-ID.
    assert len(handler.received) == 101 and ids.most_common(1)[0][1] == 2
    assert all(row.status == "sent" for row in _rows(world).values())
    # The restart and the re-send recorded nothing twice; next week has nothing new for anyone.
    assert _shown(world) == logged
    assert all(len(calls) == len(set(calls)) == 2 for calls in logged.values())  # A and D
    assert world.cli("digest", "--now", "2026-11-30T08:05:00Z").exit_code == 0
    assert len(handler.received) == 101


def test_digest_run_twice_at_once_sends_one_per_subscriber(world: MailWorld) -> None:
    _confirmed(world, 20)
    runs = [
        subprocess.Popen(
            [CALLWATCH, "digest", "--now", DIGEST_AT],
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, (out + err).decode()
    assert world.cli("digest", "--now", DIGEST_AT).exit_code == 0  # and a third, later
    per_address = Counter(r.rcpt_tos[0] for r in _digests(world))
    assert len(per_address) == 20 and set(per_address.values()) == {1}
    # The claim that lost the race logged nothing: each digest's calls once, under its one row.
    logged = _shown(world)
    assert set(logged) == {row.id for row in _rows(world).values()}
    assert all(len(calls) == len(set(calls)) == 2 for calls in logged.values())


def test_scraped_title_cannot_add_a_header(world: MailWorld) -> None:
    _confirmed(world, 1, prefix="anna")
    evil = [
        "Vouchers\r\nBcc: evil@attacker.test",
        "Vouchers\nBcc: evil@attacker.test",
        "Vouchers =?UTF-8?Q?=0A?=Bcc: evil@attacker.test",
        "Vouchers\u2028Bcc: evil@attacker.test",
    ]
    calls = [
        call_in(f"X{n}", title, deadline="2026-12-20T16:00:00Z", countries=["PT"])
        for n, title in enumerate(evil)
    ]
    world.seed(calls, now=utc("2026-11-21T09:00:00Z"))
    for n in range(len(evil)):
        assert world.cli("track", "anna000@example.org", str(world.call_id(f"X{n}"))).exit_code == 0
    # 30 days before 20 December at 08:00 Brussels.
    assert world.cli("reminders", "--now", "2026-11-20T07:30:00Z").exit_code == 0
    reminders = [r for r in world.smtp.received if r.message["X-Callwatch-Kind"] == "reminder"]
    assert len(reminders) == len(evil)
    for received in reminders:
        assert received.rcpt_tos == ["anna000@example.org"]
        message = received.message
        assert message["Bcc"] is None and message["Cc"] is None
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        assert "Bcc: evil@attacker.test" in message["Subject"]  # kept as text, on one line
        header_block = received.data.split(b"\r\n\r\n", 1)[0]
        assert not any(line.lower().startswith(b"bcc:") for line in header_block.split(b"\r\n"))
