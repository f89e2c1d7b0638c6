"""Alarms that mean something (issue 16): no false missed-digest alert, exit statuses that tell
cron and supervisors about messages left for retry or failed, timeouts named with their seconds.

Mail tests drive the CLI against the real local SMTP server (tests/smtpserver.py).
"""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Delivery, DeliveryKind, RunStatus
from sources.errors import FetchError
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from tests.httpserver import LocalHTTPServer, Reply
from tests.kinds import scripted_config
from tests.mailworld import CALLS, MailWorld, utc

MONDAY = "2026-11-23T08:05:00Z"  # the default slot: Monday 08:00 Brussels (09:00 CET = 08:00 UTC)
THURSDAY = "2026-11-26T10:00:00Z"


def _subscribe(world: MailWorld, address: str, at: str) -> None:
    result = world.cli("subscribe", address, "--keywords", "hydrogen", "--confirmed", "--now", at)
    assert result.exit_code == 0, result.output


def _deliveries(world: MailWorld, kind: DeliveryKind) -> list[Delivery]:
    with session_scope(world.app.engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == kind)).all()
        for row in rows:
            session.expunge(row)
    return list(rows)


# --------------------------------------------------------------------------- missed digests


def test_thursday_sign_up_raises_no_missed_digest_alert(
    world: MailWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CALLWATCH_OPERATOR_EMAIL", "ops@callwatch.test")
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    _subscribe(world, "thursday@example.org", THURSDAY)
    with caplog.at_level(logging.ERROR, logger="callwatch.alerts"):
        result = world.cli("digest", "--now", "2026-11-26T10:05:00Z")
    assert result.exit_code == 0, result.output
    assert "0 too late (skipped)" in result.output
    assert [r.getMessage() for r in caplog.records if "ALERT" in r.getMessage()] == []
    assert _deliveries(world, DeliveryKind.DIGEST) == []
    assert world.cli("alerts", "--now", "2026-11-26T10:06:00Z").exit_code == 0
    assert _deliveries(world, DeliveryKind.OPERATOR) == []
    assert [r for r in world.smtp.received if r.message["X-Callwatch-Kind"] == "operator"] == []
    # Their first digest is the next Monday's, on time.
    assert world.cli("digest", "--now", "2026-11-30T08:05:00Z").exit_code == 0
    [sent] = _deliveries(world, DeliveryKind.DIGEST)
    assert (sent.to_address, sent.period_key) == ("thursday@example.org", "digest:2026-W49")
    assert sent.status == "sent"


def test_a_slot_missed_after_confirmation_still_alerts(
    world: MailWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CALLWATCH_OPERATOR_EMAIL", "ops@callwatch.test")
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    _subscribe(world, "saturday@example.org", "2026-11-21T10:00:00Z")
    with caplog.at_level(logging.ERROR, logger="callwatch.alerts"):
        result = world.cli("digest", "--now", "2026-11-26T10:05:00Z")  # the worker was down since Monday
    assert "1 too late (skipped)" in result.output
    [skipped] = _deliveries(world, DeliveryKind.DIGEST)
    assert (skipped.period_key, skipped.status) == ("digest:2026-W48", "skipped")
    assert [r.getMessage() for r in caplog.records if "ALERT digest digest:2026-W48" in r.getMessage()] != []
    world.cli("alerts", "--now", "2026-11-26T10:06:00Z")
    [operator] = _deliveries(world, DeliveryKind.OPERATOR)
    assert operator.to_address == "ops@callwatch.test"


# --------------------------------------------------------------------------- exit statuses


def test_digest_left_for_retry_exits_3(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    _subscribe(world, "a@example.org", "2026-11-21T10:00:00Z")
    _subscribe(world, "b@example.org", "2026-11-21T10:00:00Z")
    world.smtp.handler.fail_next = ["451 4.3.0 try later", "451 4.3.0 try later"]
    result = world.cli("digest", "--now", MONDAY)
    assert result.exit_code == 3, result.output
    assert "sent 0, retry later 2, failed 0" in result.output
    assert "2 message(s) left for retry (exit status 3)" in result.output
    assert sorted(row.status for row in _deliveries(world, DeliveryKind.DIGEST)) == ["pending", "pending"]
    # After the retry delay the same two go out and `send` says all is well.
    result = world.cli("send", "--now", "2026-11-23T08:11:00Z")
    assert result.exit_code == 0, result.output
    assert sorted(row.status for row in _deliveries(world, DeliveryKind.DIGEST)) == ["sent", "sent"]


def test_send_with_a_retry_left_exits_3_and_a_refusal_exits_1(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    _subscribe(world, "a@example.org", "2026-11-21T10:00:00Z")
    world.smtp.handler.fail_next = ["451 4.3.0 try later", "451 4.3.0 try later"]
    assert world.cli("digest", "--now", MONDAY).exit_code == 3
    assert world.cli("send", "--now", "2026-11-23T08:11:00Z").exit_code == 3
    world.smtp.handler.fail_next = ["550 5.1.1 no such user"]
    result = world.cli("send", "--now", "2026-11-23T08:30:00Z")
    assert result.exit_code == 1, result.output
    assert "failed 1" in result.output
    [row] = _deliveries(world, DeliveryKind.DIGEST)
    assert row.status == "failed"


# --------------------------------------------------------------------------- timeouts


async def test_read_timeout_names_its_seconds(http_server: LocalHTTPServer) -> None:
    http_server.route("/slow", Reply(200, b"late", delay=1.0))
    policy = HttpPolicy(min_interval=0, max_attempts=1, read_timeout=0.2)
    async with PoliteClient(policy) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(http_server.url + "/slow")
    assert (
        str(caught.value) == f"GET failed after 1 attempt: ReadTimeout after 0.2 s ({http_server.url}/slow)"
    )


# --------------------------------------------------------------------------- incomplete polls


def test_polls_that_keep_missing_pages_reach_the_operator_once_per_streak(
    world: MailWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLWATCH_OPERATOR_EMAIL", "ops@callwatch.test")
    config = scripted_config("partial", "https://cluster.example.eu/calls")
    missing = "detail page https://cluster.example.eu/calls/7 not read, call skipped: ReadTimeout after 30 s"

    def runs(status: RunStatus, count: int, at: str) -> None:
        with session_scope(world.app.engine) as session:
            repo.sync_source(session, config=config, now=utc(at))
            for _ in range(count):
                run = repo.start_run(session, source_id="partial", now=utc(at))
                repo.finish_run(session, run_id=run.id, status=status, now=utc(at), warnings=[missing])

    runs(RunStatus.OK, 1, "2026-11-20T09:00:00Z")
    runs(RunStatus.INCOMPLETE, 2, "2026-11-21T09:00:00Z")
    assert world.cli("alerts", "--now", "2026-11-21T10:00:00Z").exit_code == 0
    assert _deliveries(world, DeliveryKind.OPERATOR) == []  # 2 < alert_after_incomplete = 3
    runs(RunStatus.INCOMPLETE, 2, "2026-11-22T09:00:00Z")
    assert world.cli("alerts", "--now", "2026-11-22T10:00:00Z").exit_code == 0
    assert world.cli("alerts", "--now", "2026-11-22T10:05:00Z").exit_code == 0  # once per streak
    [operator] = _deliveries(world, DeliveryKind.OPERATOR)
    assert operator.period_key.startswith("incomplete:partial:")
    [received] = [r for r in world.smtp.received if r.message["X-Callwatch-Kind"] == "operator"]
    assert received.message["Subject"] == "Callwatch: source partial keeps missing pages"
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    assert "was incomplete 4 polls in a row: " + missing in body
