"""The delivery queue's leases: one index range read, batches never shared between senders, a dead
sender's rows back once its lease runs out, untried rows given back, the stored bytes sent as
they are (checked at a real aiosmtpd server), and migration 0014 moving existing bodies. Runs on
SQLite, and on PostgreSQL when CALLWATCH_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, inspect, text
from sqlalchemy.engine import Engine

from db import repo
from db.engine import make_engine, session_scope
from db.migrate import upgrade
from db.models import Delivery, DeliveryBody, DeliveryStatus, Subscriber, SubscriberStatus
from monitor.app import MailPolicy
from monitor.deliver.message import build_message, message_bytes, message_id_for
from monitor.deliver.sender import send_due
from monitor.deliver.smtp import SmtpTransport
from monitor.settings import SmtpTarget
from tests.dbfixtures import postgres_url, scratch_postgres
from tests.smtpserver import LocalSMTPServer

LEASE = timedelta(minutes=10)


def _queue(engine: Engine, now: datetime, *, pending: int, finished: int = 0) -> list[int]:
    """`finished` sent rows and `pending` due ones (with bodies), in bulk; the pending rows' ids."""
    rows = [
        {"kind": "operator", "period_key": f"p{index}", "to_address": f"ops{index}@example.org",
         "status": DeliveryStatus.SENT if index < finished else DeliveryStatus.PENDING,
         "created_at": now, "next_attempt_at": now - timedelta(seconds=index % 7), "attempts": 0,
         "call_ids": []}
        for index in range(finished + pending)
    ]  # fmt: skip
    with session_scope(engine) as session:
        session.exec(insert(Delivery), params=rows)  # type: ignore[call-overload]
        ids = [row.id for row in repo.deliveries(session) if row.status == DeliveryStatus.PENDING]
        bodies = [{"delivery_id": i, "message": b"x" * 100} for i in ids]
        session.exec(insert(DeliveryBody), params=bodies)  # type: ignore[call-overload]
    return [i for i in ids if i is not None]


def _lease(engine: Engine, now: datetime, limit: int) -> list[repo.LeasedDelivery]:
    with session_scope(engine) as session:
        postgres = engine.dialect.name == "postgresql"
        return repo.lease_due(session, now=now, lease=LEASE, postgres=postgres, limit=limit)


def _lease_statement(engine: Engine, now: datetime) -> tuple[str, Any]:
    seen: list[tuple[str, Any]] = []

    def spy(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE DELIVERY"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", spy)
    try:
        _lease(engine, now, 20)
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert len(seen) == 1, "a lease is one UPDATE statement"
    return seen[0]


def test_a_lease_reads_the_due_index_not_the_table(engine: Engine, now: datetime) -> None:
    # Many finished rows, a few due ones: the plan must reach the due rows through ix_delivery_due.
    _queue(engine, now, pending=300, finished=3000)
    statement, parameters = _lease_statement(engine, now)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE delivery")
            plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
            picking = [line for line in plan if "delivery" in line and "Scan" in line]
            assert any("ix_delivery_due" in line for line in picking), plan
            assert not any("Seq Scan on delivery" in line for line in plan), plan
        else:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = [row[-1] for row in rows]
            assert any("INDEX ix_delivery_due" in line for line in plan), plan
            assert not any(line.startswith("SCAN delivery") for line in plan), plan
            assert not any("TEMP B-TREE" in line for line in plan), plan  # due order read from the index


def test_a_batch_lease_takes_the_oldest_due_rows_and_hides_them_until_the_lease_ends(
    engine: Engine, now: datetime
) -> None:
    ids = _queue(engine, now, pending=12)
    first = _lease(engine, now, 5)
    assert len(first) == 5 and all(row.message == b"x" * 100 and row.attempts == 1 for row in first)
    second = _lease(engine, now, 100)
    assert {row.id for row in first} | {row.id for row in second} == set(ids)
    assert not {row.id for row in first} & {row.id for row in second}
    assert _lease(engine, now, 100) == []  # all leased
    # The senders died: once their leases run out, every row is due again, one attempt more.
    again = _lease(engine, now + LEASE + timedelta(seconds=1), 100)
    assert {row.id for row in again} == set(ids) and {row.attempts for row in again} == {2}


def test_rows_a_stopped_run_never_tried_are_given_back(engine: Engine, now: datetime) -> None:
    _queue(engine, now, pending=4)
    batch = _lease(engine, now, 4)
    with session_scope(engine) as session:
        repo.finish_delivery(session, delivery_id=batch[0].id, status=DeliveryStatus.SENT, now=now)
        given = repo.release_leases(
            session, ids=[row.id for row in batch], lease_until=batch[0].lease_until, now=now
        )
    assert given == 3  # not the one that was sent
    back = _lease(engine, now, 10)
    assert sorted(row.id for row in back) == sorted(row.id for row in batch[1:])
    assert {row.attempts for row in back} == {1}  # a give-back is not an attempt


def test_two_senders_leasing_at_once_never_get_the_same_row(database_url: str, now: datetime) -> None:
    engines = [make_engine(database_url), make_engine(database_url)]
    try:
        ids = _queue(engines[0], now, pending=400)
        got: list[list[int]] = [[], []]
        start = threading.Barrier(2)

        def sender(index: int) -> None:
            start.wait()
            while batch := _lease(engines[index], now, 7):
                got[index].extend(row.id for row in batch)

        threads = [threading.Thread(target=sender, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not set(got[0]) & set(got[1])
        assert sorted(got[0] + got[1]) == sorted(ids)
        assert got[0] and got[1], "both senders leased rows"
    finally:
        for engine in engines:
            engine.dispose()


def test_the_server_receives_the_stored_bytes_unchanged(
    engine: Engine, now: datetime, smtp_server: LocalSMTPServer
) -> None:
    with session_scope(engine) as session:
        anna = Subscriber(email="anna@example.org", status=SubscriberStatus.CONFIRMED, created_at=now)
        session.add(anna)
        session.flush()
        key = "digest:2026-W47"
        message = build_message(
            sender="Callwatch <alerts@callwatch.test>", to="Anna <anna@example.org>",
            subject="Ihre Übersicht: 3 neue Aufrufe " + "lang " * 30, text="Grüße\n" + "é" * 500,
            html="<p>Grüße</p>", message_id=message_id_for("digest", key, "callwatch.test"), date=now,
            headers={"List-Id": "Callwatch <alerts.callwatch.test>"},
        )  # fmt: skip
        stored = message_bytes(message)
        row = repo.claim_period(
            session, subscriber_id=anna.id, kind="digest", period_key=key, now=now,
            to_address="anna@example.org", message=stored, message_id=message["Message-ID"],
        )  # fmt: skip
        assert row is not None and row.id is not None
        assert repo.delivery_body(session, delivery_id=row.id) == stored

    async def send() -> Any:
        async with SmtpTransport(SmtpTarget("127.0.0.1", smtp_server.port, False, None, None)) as transport:
            return await send_due(engine, transport, clock=lambda: now, mail=MailPolicy(rate_per_second=0))

    report = asyncio.run(send())
    assert report.sent == 1
    [received] = smtp_server.handler.received
    assert received.mail_from == "alerts@callwatch.test" and received.rcpt_tos == ["anna@example.org"]
    # aiosmtpd hands over the DATA content without the CRLF that ends its last line.
    assert received.data == stored, "the bytes at the server differ from the stored bytes"


def _check_0014_moves_bodies(url: str) -> None:
    engine = make_engine(url)
    at = datetime(2026, 11, 23, 8, 5)  # naive UTC, as stored
    try:
        upgrade(engine, "0012")
        with engine.begin() as connection:
            insert_row = text(
                "INSERT INTO delivery (kind, period_key, status, to_address, message, created_at, "
                "next_attempt_at, lease_until, attempts, call_ids) VALUES (:kind, :key, :status, "
                "'ops@example.org', :message, :at, :at, :lease, 1, '[]')"
            )
            for key, status, message, lease in (
                ("sent", "sent", b"sent bytes\r\n", None),
                ("leased", "pending", b"leased bytes\r\n", at + LEASE),  # a sender holds it now
                ("erased", "skipped", None, None),
            ):
                connection.execute(
                    insert_row, {"kind": "operator", "key": key, "status": status, "message": message,
                                 "at": at, "lease": lease},
                )  # fmt: skip
        upgrade(engine)
        assert "message" not in {c["name"] for c in inspect(engine).get_columns("delivery")}
        with session_scope(engine) as session:
            rows = {row.period_key: row for row in repo.deliveries(session)}
            bodies = {key: repo.delivery_body(session, delivery_id=row.id or 0) for key, row in rows.items()}
        assert bodies == {"sent": b"sent bytes\r\n", "leased": b"leased bytes\r\n", "erased": None}
        # The row leased before the upgrade stays out of the due range until its lease ends.
        now = at.replace(tzinfo=UTC)
        assert _lease(engine, now + timedelta(minutes=1), 10) == []
        [back] = _lease(engine, now + LEASE + timedelta(seconds=1), 10)
        assert (back.id, back.message) == (rows["leased"].id, b"leased bytes\r\n")
    finally:
        engine.dispose()


def test_0014_moves_existing_bodies_out_of_delivery_sqlite(tmp_path: Path) -> None:
    _check_0014_moves_bodies(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.skipif(not postgres_url(), reason="CALLWATCH_TEST_DATABASE_URL not set")
def test_0014_moves_existing_bodies_out_of_delivery_postgres() -> None:
    with scratch_postgres(postgres_url() or "") as url:
        _check_0014_moves_bodies(url)
