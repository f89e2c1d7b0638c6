"""Figure 5, feeds and search over the HTTP app on loopback (`callwatch serve` in its own process,
requests one at a time over a keep-alive connection):
- RSS and iCalendar of a database holding 1,000 open calls: built (each request a distinct
  `deadline_to` far in the future, so the server's body cache never answers and every call is in),
  repeated (the same URL: the body cache answers), and conditional (If-None-Match: must be 304);
- search over a database holding 20,000 calls: `GET /api/calls?q=` and `GET /calls?q=` with 1 to 3
  words taken from the calls' titles;
- floor: `GET /healthz` on the same server (HTTP plus one database round trip).
Each run is one pass of every request set; figures are per-run p95 (median and spread over runs)
with the p50 in the note. Targets: feed p95 < 100 ms, search p95 < 50 ms.

    .venv/bin/python bench/feeds_search.py [--size full|tiny] [--db sqlite|postgres] [--runs N]
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench import data  # noqa: E402
from bench.common import Databases, Figure, Result, Stats, arguments, bench_now, log, percentile, size  # noqa: E402
from bench.seed import store_bench_calls  # noqa: E402


def seed(url: str, count: int) -> None:
    from db.engine import make_engine

    now = bench_now()
    engine = make_engine(url)
    store_bench_calls(engine, data.call_ins(count, now=now), now=now)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(url: str, folder: Path) -> Iterator[str]:
    """`callwatch serve` on a free loopback port with `url` as its database; yields the base URL."""
    port = free_port()
    (folder / "config" / "sources").mkdir(parents=True, exist_ok=True)
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("CALLWATCH_")},
        "CALLWATCH_DATABASE_URL": url, "CALLWATCH_CONFIG_DIR": str(folder / "config"),
        "CALLWATCH_VAR_DIR": str(folder / "var"), "CALLWATCH_LOG_LEVEL": "WARNING",
        "CALLWATCH_SECRET_KEY": "bench-secret-" + "x" * 40, "CALLWATCH_BASE_URL": f"http://127.0.0.1:{port}",
    }  # fmt: skip
    command = [str(Path(sys.executable).with_name("callwatch")), "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"callwatch serve did not start: {server.stderr.read() if server.stderr else ''}"
                )
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def latencies(client: httpx.Client, paths: list[str], *, check: Callable[[httpx.Response], bool],
              headers: dict[str, str] | None = None) -> list[float]:  # fmt: skip
    """Milliseconds of each request, one after another."""
    found = []
    for path in paths:
        start = time.perf_counter()
        response = client.get(path, headers=headers)
        response.read()
        found.append((time.perf_counter() - start) * 1000)
        assert check(response), (path, response.status_code, response.text[:200])
    return found


class Runs:
    """Per-run p50 and p95 of one request set."""

    def __init__(self) -> None:
        self.p50: list[float] = []
        self.p95: list[float] = []
        self.count = 0

    def add(self, values: list[float]) -> None:
        self.p50.append(percentile(values, 0.5))
        self.p95.append(percentile(values, 0.95))
        self.count = len(values)

    def figure(self, name: str, floor: Runs, target: float | None) -> Figure:
        p95, base = Stats(self.p95, "ms"), Stats(floor.p95, "ms")
        return Figure(
            f"{name} — p95 ({self.count} requests a run)",
            p95,
            "GET /healthz p95 (same server)",
            base,
            p95.median / base.median,
            target=f"p95 < {target:g} ms" if target else None,
            met=p95.median < target if target else None,
            note=f"p50 {Stats(self.p50).median:.1f} ms (runs {min(self.p50):.1f}–{max(self.p50):.1f})",
            extra={"p50_ms": Stats(self.p50, "ms").as_dict()},
        )


def ok(response: httpx.Response) -> bool:
    return response.status_code == 200


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=3)
    full = args.size == "full"
    n_feed, n_search = size(args, "feed_calls", 1000, 60), size(args, "search_calls", 20_000, 300)
    n_builds, n_requests, n_queries = (100, 200, 300) if full else (10, 20, 20)
    rng = random.Random(9)
    words = data.vocabulary()
    queries = [" ".join(rng.sample(words, rng.choice([1, 1, 2, 3]))) for _ in range(n_queries)]
    far = date(2900, 1, 1)
    result = Result("feeds_search", args)
    with Databases(args.db, "feeds") as dbs, tempfile.TemporaryDirectory() as folder:
        feed_db, search_db = dbs.fresh("feeds"), dbs.fresh("search")
        log(f"seeding {n_feed} + {n_search} calls into {args.db}")
        seed(feed_db, n_feed)
        seed(search_db, n_search)
        sets: dict[str, Runs] = {}
        with (
            serving(feed_db, Path(folder) / "feeds") as base,
            httpx.Client(base_url=base, timeout=600) as client,
        ):
            start = time.perf_counter()
            client.get("/feeds/calls.rss").raise_for_status()
            result.params["feed_first_request_ms"] = round((time.perf_counter() - start) * 1000, 1)
            for run in range(args.runs):
                log(f"feeds run {run + 1}")
                for fmt, limit in (("rss", 100), ("ics", 1000)):
                    days = [far + timedelta(days=run * n_builds + i) for i in range(n_builds)]
                    distinct = [f"/feeds/calls.{fmt}?limit={limit}&deadline_to={day}" for day in days]
                    sets.setdefault(f"{fmt} built", Runs()).add(latencies(client, distinct, check=ok))
                    same = f"/feeds/calls.{fmt}?limit={limit}"
                    sets.setdefault(f"{fmt} repeated", Runs()).add(
                        latencies(client, [same] * n_requests, check=ok)
                    )
                    etag = client.get(same).headers["ETag"]
                    sets.setdefault(f"{fmt} 304", Runs()).add(latencies(
                        client, [same] * n_requests, headers={"If-None-Match": etag},
                        check=lambda r: r.status_code == 304))  # fmt: skip
                sets.setdefault("feeds healthz", Runs()).add(
                    latencies(client, ["/healthz"] * n_requests, check=ok)
                )
            body = client.get("/feeds/calls.ics?limit=1000")
            rss = client.get("/feeds/calls.rss")
            result.params.update(
                ics_kb=round(len(body.content) / 1024, 1), ics_events=body.text.count("BEGIN:VEVENT"),
                rss_kb=round(len(rss.content) / 1024, 1), rss_items=rss.text.count("<item>"),
            )  # fmt: skip
        with (
            serving(search_db, Path(folder) / "search") as base,
            httpx.Client(base_url=base, timeout=600) as client,
        ):
            start = time.perf_counter()
            client.get("/api/calls", params={"q": "x"}).raise_for_status()
            result.params["search_first_request_ms (catalogue of all calls built)"] = round(
                (time.perf_counter() - start) * 1000, 1
            )
            found = [client.get("/api/calls", params={"q": q}).json()["total"] for q in queries]
            result.params["search_hits_median"] = sorted(found)[len(found) // 2]
            for run in range(args.runs):
                log(f"search run {run + 1}")
                api = [str(httpx.URL("/api/calls", params={"q": q})) for q in queries]
                page = [str(httpx.URL("/calls", params={"q": q})) for q in queries]
                sets.setdefault("api search", Runs()).add(latencies(client, api, check=ok))
                sets.setdefault("page search", Runs()).add(latencies(client, page, check=ok))
                sets.setdefault("search healthz", Runs()).add(
                    latencies(client, ["/healthz"] * n_requests, check=ok)
                )
    floor_feeds, floor_search = sets["feeds healthz"], sets["search healthz"]
    for name, key, target in (
        (f"RSS of {n_feed:,} calls (100 items), built", "rss built", 100),
        (f"RSS of {n_feed:,} calls, repeated URL (body cache)", "rss repeated", 100),
        ("RSS, If-None-Match → 304", "rss 304", 100),
        (f"iCalendar of {n_feed:,} calls, built", "ics built", 100),
        (f"iCalendar of {n_feed:,} calls, repeated URL (body cache)", "ics repeated", 100),
        ("iCalendar, If-None-Match → 304", "ics 304", 100),
    ):
        result.add(sets[key].figure(f"{name} ({args.db})", floor_feeds, target))
    result.add(
        sets["api search"].figure(
            f"Search GET /api/calls?q= over {n_search:,} calls ({args.db})", floor_search, 50
        )
    )
    result.add(
        sets["page search"].figure(
            f"Search GET /calls?q= (HTML page) over {n_search:,} calls ({args.db})", floor_search, 50
        )
    )
    result.emit()


if __name__ == "__main__":
    main()
