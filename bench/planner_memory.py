"""Issue #18, the digest planner's memory: what loading the live calls and their matcher costs.

Seeds a SQLite database with open calls the way `bench/digests.py` does (`bench.data.call_ins`,
stored and regrouped; no subscribers, which planning loads a page at a time), or reuses the one
seeded for the same `bench_now()` and size. Then a fresh child process runs
`monitor.plan.pool.load_calls` and reports its RSS after importing, after the calls are read
(`repo.planning_calls`, wrapped to take the reading), after the Matcher is built, and its peak.

    .venv/bin/python bench/planner_memory.py [--size full|tiny] [--set calls=N] [--runs N]

Must not: be imported by the application, or change the database it reuses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import data  # noqa: E402
from bench.common import arguments, bench_now, log, peak_rss_mb, size  # noqa: E402
from bench.seed import store_bench_calls  # noqa: E402


def rss_mb() -> float:
    """This process's resident set size now, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def seeded(calls: int) -> str:
    """The URL of a database holding `calls` open calls at `bench_now()`, seeded when missing."""
    now = bench_now()
    path = Path(tempfile.gettempdir()) / f"callwatch-planner-memory-{calls}-{now:%Y%m%d}.db"
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    from db.engine import make_engine
    from db.migrate import upgrade

    log(f"seeding {calls} calls into {path}")
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{partial}")
    upgrade(engine)
    store_bench_calls(engine, data.call_ins(calls, now=now), now=now)
    engine.dispose()
    partial.rename(path)  # only a database seeded to the end is reused
    return url


def child(url: str) -> dict[str, Any]:
    """One `load_calls` in this (fresh) process, with the RSS at each step."""
    from db import repo
    from db.engine import make_engine, session_scope
    from monitor.plan.pool import load_calls

    readings: dict[str, Any] = {"imported": rss_mb()}
    read_calls = repo.planning_calls

    def planning_calls(session: Any) -> Any:
        found = read_calls(session)
        readings["calls read"] = rss_mb()
        return found

    repo.planning_calls = planning_calls  # type: ignore[assignment]
    engine = make_engine(url)
    with session_scope(engine) as session:
        live = load_calls(session, now=bench_now())
        readings["matcher built"] = rss_mb()
        readings["peak"] = peak_rss_mb()
        readings["live calls"] = len(live.by_id)
    return readings


def run_child(url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", url], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(runs: list[dict[str, Any]]) -> str:
    """Each step's RSS and what it added, per run (MB)."""
    rows = ["| step | " + " | ".join(f"run {k + 1} MB (+step)" for k in range(len(runs))) + " |"]
    rows.append("|---" * (len(runs) + 1) + "|")
    steps = ("imported", "calls read", "matcher built")
    for index, step in enumerate(steps):
        cells = []
        for run in runs:
            added = run[step] - run[steps[index - 1]] if index else run[step]
            cells.append(f"{run[step]:.0f} (+{added:.0f})")
        rows.append(f"| {step} | " + " | ".join(cells) + " |")
    rows.append("| peak | " + " | ".join(f"{run['peak']:.0f}" for run in runs) + " |")
    return "\n".join(rows)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])), flush=True)
        return
    args = arguments(__doc__.splitlines()[0], db=False, runs=2)
    url = seeded(size(args, "calls", 5000, 200))
    runs = [run_child(url) for _ in range(args.runs)]
    print(f"{runs[-1]['live calls']} live calls, load_calls at bench_now() in a fresh process")
    print(table(runs))


if __name__ == "__main__":
    main()
