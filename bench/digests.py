"""Figure 4, digests: 10,000 confirmed subscribers' weekly digests built by the real code path
(`monitor.plan.digests.plan_digests`: match, render HTML and text, sign links, build MIME, claim) and sent by
`monitor.deliver.sender.send_due` through `SmtpTransport` to a local aiosmtpd server (bench/smtp_sink.py, its
own process) with `rate_per_second = 0`. Floor: the same number of pre-built messages (the very
bytes the digest run built) sent with aiosmtplib alone over one connection. Each measured run is a
fresh child process, so its peak RSS is the digest run's own (target < 300 MB).

    .venv/bin/python bench/digests.py [--size full|tiny] [--db sqlite|postgres] [--runs N]
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import data  # noqa: E402
from bench.common import (  # noqa: E402
    Databases,
    Figure,
    Result,
    Stats,
    arguments,
    bench_now,
    log,
    peak_rss_mb,
    ratio,
    size,
)

MAIL_FROM = "alerts@callwatch.test"


def environment(url: str, port: int, folder: Path) -> dict[str, str]:
    config = folder / "config"
    (config / "sources").mkdir(parents=True, exist_ok=True)
    (config / "callwatch.toml").write_text("[mail]\nrate_per_second = 0\n")
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith("CALLWATCH_")},
        "CALLWATCH_DATABASE_URL": url, "CALLWATCH_CONFIG_DIR": str(config),
        "CALLWATCH_VAR_DIR": str(folder / "var"), "CALLWATCH_LOG_LEVEL": "WARNING",
        "CALLWATCH_SMTP_URL": f"smtp://127.0.0.1:{port}", "CALLWATCH_MAIL_FROM": f"Callwatch <{MAIL_FROM}>",
        "CALLWATCH_BASE_URL": "https://callwatch.example.eu",
        "CALLWATCH_SECRET_KEY": "bench-secret-" + "x" * 40,
    }  # fmt: skip


def seed(url: str, *, calls: int, subscribers: int) -> None:
    """Open calls and confirmed subscribers with one weekly profile each (Monday 08:00 Brussels)."""
    from db import repo
    from db.engine import make_engine, session_scope
    from db.models import Source, SubscriberStatus
    from monitor.poll.pipeline import regroup

    now = bench_now()
    engine = make_engine(url)
    calls_in = data.call_ins(calls, now=now)
    with session_scope(engine) as session:
        session.add(
            Source(id="bench", name="Bench calls", kind="ft-portal", url="https://x.test/", created_at=now)
        )
        session.flush()
        repo.store_calls(
            session,
            source_id="bench",
            run_id=None,
            calls=calls_in,
            complete=False,
            now=now,
        )
        regroup(session)
    with session_scope(engine) as session:
        for index, values in enumerate(data.profiles(subscribers, calls_in, seed=17, broad=True)):
            row = repo.create_subscriber(
                session, email=f"sme{index}@bench.example.eu", now=now, language="en",
                timezone="Europe/Brussels", digest_weekday=0, digest_hour=8,
            )  # fmt: skip
            assert row.id is not None
            # Confirmed a week before: no digest is owed for a slot that passed before confirmation.
            confirmed = now - timedelta(days=7)
            repo.set_status(session, subscriber_id=row.id, status=SubscriberStatus.CONFIRMED, now=confirmed)
            repo.add_profile(session, subscriber_id=row.id, now=now, frequency="weekly", **values)
    engine.dispose()


def reset(url: str) -> None:
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM shown"))  # what the last run's digests listed
        connection.execute(text("DELETE FROM delivery"))
    engine.dispose()


# --------------------------------------------------------------------------- child processes


def child_digest() -> dict[str, Any]:
    """One digest run in this (fresh) process: plan every due digest, then send them all."""
    from monitor.app import build_app
    from monitor.deliver.configured import transport_for
    from monitor.deliver.sender import send_due
    from monitor.plan.claim import mail_context
    from monitor.plan.digests import plan_digests
    from monitor.settings import load_settings

    now = bench_now()
    app = build_app(load_settings())
    app.clock = lambda: now
    start = time.perf_counter()
    plan = plan_digests(app.engine, mail_context(app), now=now)
    planned = time.perf_counter()

    async def send() -> Any:
        async with transport_for(app.settings) as transport:
            return await send_due(app.engine, transport, clock=lambda: now, mail=app.defaults.mail)

    report = asyncio.run(send())
    end = time.perf_counter()
    return {
        "seconds": end - start, "plan_s": planned - start, "send_s": end - planned, "claimed": plan.claimed,
        "empty": plan.empty, "sent": report.sent, "failed": report.failed + report.retry,
        "peak_rss_mb": peak_rss_mb(),
    }  # fmt: skip


def child_floor(count: int) -> dict[str, Any]:
    """aiosmtplib alone: `count` pre-built messages (the digest run's, cycled) over one connection."""
    import aiosmtplib
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(os.environ["CALLWATCH_DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT to_address, message FROM delivery WHERE message IS NOT NULL")
        ).all()
    engine.dispose()
    messages = [(str(to), bytes(body)) for to, body in rows]
    port = int(os.environ["CALLWATCH_SMTP_URL"].rsplit(":", 1)[1])

    async def send() -> float:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await smtp.connect()
        start = time.perf_counter()
        for index in range(count):
            to, body = messages[index % len(messages)]
            await smtp.sendmail(MAIL_FROM, [to], body)
        seconds = time.perf_counter() - start
        await smtp.quit()
        return seconds

    seconds = asyncio.run(send())
    sizes = [len(body) for _, body in messages]
    return {
        "seconds": seconds,
        "sent": count,
        "avg_bytes": sum(sizes) / len(sizes),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_child(kind: str, env: dict[str, str], *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        found = child_digest() if sys.argv[2] == "digest" else child_floor(int(sys.argv[3]))
        print(json.dumps(found), flush=True)
        return
    args = arguments(__doc__.splitlines()[0], runs=3)
    n_calls, n_subscribers = size(args, "calls", 5000, 200), size(args, "subscribers", 10_000, 40)
    sink = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("smtp_sink.py"))], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert sink.stdout is not None and sink.stdin is not None
    port = int(sink.stdout.readline())
    try:
        with Databases(args.db, "digests") as dbs, tempfile.TemporaryDirectory() as folder:
            url = dbs.fresh("main")
            log(f"seeding {n_calls} calls and {n_subscribers} subscribers into {args.db}")
            seed(url, calls=n_calls, subscribers=n_subscribers)
            env = environment(url, port, Path(folder))
            digests, floors = [], []
            for run in range(args.runs):
                reset(url)
                log(f"run {run + 1}: digests")
                digests.append(run_child("digest", env))
                log(f"run {run + 1}: {digests[-1]}")
                floors.append(run_child("floor", env, str(n_subscribers)))
                log(f"run {run + 1}: floor {floors[-1]}")
            sink.stdin.write("count\n")
            sink.stdin.flush()
            received = sink.stdout.readline().split()
    finally:
        sink.stdin.close()
        sink.wait(timeout=10)
    result = Result("digests", args)
    last = digests[-1]
    result.params = {
        "subscribers": n_subscribers, "open_calls": n_calls, "sent_per_run": last["sent"],
        "empty_digests_per_run": last["empty"], "avg_message_kb": round(floors[-1]["avg_bytes"] / 1024, 1),
        "sink_received_total": {"messages": int(received[0]), "bytes": int(received[1])},
        "plan_s": [round(run["plan_s"], 2) for run in digests],
        "send_s": [round(run["send_s"], 2) for run in digests],
    }  # fmt: skip
    figure, floor = Stats([run["seconds"] for run in digests]), Stats([run["seconds"] for run in floors])
    plan, send = Stats([run["plan_s"] for run in digests]), Stats([run["send_s"] for run in digests])
    result.add(Figure(
        f"{n_subscribers:,} digests planned (match, render, sign, MIME) and sent over SMTP ({args.db})",
        figure,
        f"aiosmtplib alone: {n_subscribers:,} pre-built messages of the same size, one connection", floor,
        ratio(figure.median, floor.median), target="≤ 2× the floor", met=figure.median <= 2 * floor.median,
        note=f"plan {plan.median:.1f} s + send {send.median:.1f} s (medians)",
    ))  # fmt: skip
    memory = Stats([run["peak_rss_mb"] for run in digests], "MB")
    result.add(Figure(
        "Peak RSS of the digest process", memory,
        "peak RSS of the aiosmtplib-only process (holds every message)",
        Stats([run["peak_rss_mb"] for run in floors], "MB"), target="< 300 MB", met=max(memory.values) < 300,
    ))  # fmt: skip
    result.emit()


if __name__ == "__main__":
    main()
