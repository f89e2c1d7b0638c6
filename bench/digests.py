"""Figure 4, digests: 10,000 confirmed subscribers' weekly digests built by the real code path
(`monitor.plan.digests.plan_digests`: match, render HTML and text, sign links, build MIME, claim) and sent by
`monitor.deliver.sender.send_due` through `SmtpTransport` to a local aiosmtpd server (bench/smtp_sink.py, its
own process) with `rate_per_second = 0`. Floor: the same number of pre-built messages (the very
bytes the digest run built, at most 1,000 distinct ones, cycled) sent with aiosmtplib alone over one
connection. Each measured run is a fresh child process, so its peak RSS is the digest run's own
(target < 300 MB).

With `--set workers=N` (N > 1) N worker processes run at once, as N workers do: each plans the
subscribers no other planner holds (PostgreSQL shares them), then sends, all sharing the queue;
the figures are then the wall time per digest and the largest peak RSS of any of those processes.
`--set floor_messages=M` sends M messages for the floor (default: as many as digests) and scales it
per message.

    .venv/bin/python bench/digests.py [--size full|tiny] [--db sqlite|postgres] [--runs N]
        [--set subscribers=100000] [--set workers=2] [--set floor_messages=10000]
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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
from bench.seed import reset, seed  # noqa: E402

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


# --------------------------------------------------------------------------- child processes


def child_digest(part: str = "both") -> dict[str, Any]:
    """One digest run in this (fresh) process: plan every due digest, then send them all.

    `part` "shared": one of several workers (`--set workers=N`): plan the subscribers no other
    planner holds (they share them on PostgreSQL), then send until every planner is done and
    the queue is empty, as workers running side by side do."""
    from monitor.app import build_app
    from monitor.plan.claim import mail_context
    from monitor.plan.digests import plan_digests
    from monitor.settings import load_settings

    now = bench_now()
    app = build_app(load_settings())
    app.clock = lambda: now
    start = time.perf_counter()
    plan = plan_digests(app.engine, mail_context(app), now=now)
    planned = time.perf_counter()
    if part == "shared":
        Path(os.environ["BENCH_PLANNED_DIR"], str(os.getpid())).touch()
    sent, failed = asyncio.run(_send_all(app, now, shared=part == "shared"))
    end = time.perf_counter()
    return {
        "seconds": end - start, "plan_s": planned - start, "send_s": end - planned, "claimed": plan.claimed,
        "empty": plan.empty, "sent": sent, "failed": failed, "peak_rss_mb": peak_rss_mb(),
    }  # fmt: skip


async def _send_all(app: Any, now: Any, *, shared: bool) -> tuple[int, int]:
    """Send what is due; when `shared`, again until every planner is done and nothing is due."""
    from monitor.deliver.configured import transport_for
    from monitor.deliver.sender import send_due

    sent = failed = 0
    async with transport_for(app.settings) as transport:
        while True:
            report = await send_due(app.engine, transport, clock=lambda: now, mail=app.defaults.mail)
            sent, failed = sent + report.sent, failed + report.failed + report.retry
            if not shared:
                return sent, failed
            if not report.sent:
                if _all_planned():  # every planner has claimed; what is left is leased by another sender
                    return sent, failed
                await asyncio.sleep(0.5)  # the other planners are still claiming


def _all_planned() -> bool:
    return len(os.listdir(os.environ["BENCH_PLANNED_DIR"])) >= int(os.environ["BENCH_WORKERS"])


def workers_run(env: dict[str, str], workers: int) -> dict[str, Any]:
    """`workers` processes at once, each planning the subscribers no other holds, then sending."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as planned:
        env = env | {"BENCH_PLANNED_DIR": planned, "BENCH_WORKERS": str(workers)}
        procs = [
            subprocess.Popen([sys.executable, __file__, "--child", "digest", "shared"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(workers)
        ]  # fmt: skip
        found = []
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0:
                raise RuntimeError(f"digest child failed:\n{err[-3000:]}")
            found.append(json.loads(out.strip().splitlines()[-1]))
    end, planning = time.perf_counter(), max(f["plan_s"] for f in found)
    total = {name: sum(f[name] for f in found) for name in ("claimed", "empty", "sent", "failed")}
    return {
        "seconds": end - start, "plan_s": planning, "send_s": end - start - planning, **total,
        "claimed_by_worker": [f["claimed"] for f in found], "sent_by_worker": [f["sent"] for f in found],
        "peak_rss_mb": max(f["peak_rss_mb"] for f in found),
        "peak_rss_by_process": [f["peak_rss_mb"] for f in found],
    }  # fmt: skip


def child_floor(count: int) -> dict[str, Any]:
    """aiosmtplib alone: `count` pre-built messages (the digest run's, 1,000 at most, cycled) over one
    connection."""
    import aiosmtplib
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(os.environ["CALLWATCH_DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT d.to_address, b.message FROM delivery d JOIN deliverybody b ON b.delivery_id = d.id "
                 "ORDER BY d.id LIMIT 1000")
        ).all()  # fmt: skip
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
        part = sys.argv[3] if len(sys.argv) > 3 else "both"
        found = child_digest(part) if sys.argv[2] == "digest" else child_floor(int(sys.argv[3]))
        print(json.dumps(found), flush=True)
        return
    args = arguments(__doc__.splitlines()[0], runs=3)
    n_calls, n_subscribers = size(args, "calls", 5000, 200), size(args, "subscribers", 10_000, 40)
    workers = size(args, "workers", 1, 1)
    floor_count = size(args, "floor_messages", n_subscribers, n_subscribers)
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
                digests.append(run_child("digest", env) if workers == 1 else workers_run(env, workers))
                log(f"run {run + 1}: {digests[-1]}")
                floors.append(run_child("floor", env, str(floor_count)))
                # The floor for as many messages as digests: measured on `floor_count`, per message.
                floors[-1]["seconds"] *= n_subscribers / floor_count
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
        "workers": workers, "floor_messages": floor_count,
        "ms_per_digest": [round(1000 * run["seconds"] / max(1, run["claimed"] + run["empty"]), 2)
                          for run in digests],
        "peak_rss_by_process": [run.get("peak_rss_by_process", [run["peak_rss_mb"]]) for run in digests],
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
        "Peak RSS of the digest process" + (f" (largest of {workers} processes)" if workers > 1 else ""),
        memory,
        "peak RSS of the aiosmtplib-only process (holds every message)",
        Stats([run["peak_rss_mb"] for run in floors], "MB"), target="< 300 MB", met=max(memory.values) < 300,
    ))  # fmt: skip
    result.emit()


if __name__ == "__main__":
    main()
