"""Figure 1, ingest: 5,000 F&T records (50 pages of 100) parsed, normalised and upserted into an empty
database by the real poll (`monitor.poll.pipeline.run_source`, pages served from memory, no network), against
the floor: `json.loads` of the same pages plus a bulk insert of as many rows, with the same columns,
through the database driver alone (sqlite3 executemany / psycopg COPY). Then a re-poll of unchanged
pages: its writes to the call tables (target 0), that it normalises no record (raw digests kept
with the calls, issue #18), and its time against the parse floor.

    .venv/bin/python bench/ingest.py [--size full|tiny] [--db sqlite|postgres] [--runs N]
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench import data  # noqa: E402
from bench.common import (  # noqa: E402
    ROOT,
    Databases,
    Figure,
    Result,
    Stats,
    arguments,
    bench_now,
    conninfo,
    count_writes,
    log,
    ratio,
    size,
    timed,
)

CALL_TABLES = ("call", "deadline", "callchange")


def serve_pages(pages: list[bytes]) -> httpx.MockTransport:
    """The search API answering from memory: page N of `pages` (an empty answer past the end)."""

    def answer(request: httpx.Request) -> httpx.Response:
        number = int(parse_qs(request.url.query.decode())["pageNumber"][0])
        body = pages[number - 1] if number <= len(pages) else b'{"totalResults": 0, "results": []}'
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(answer)


def poll(url: str, pages: list[bytes], now: datetime, *, writes: bool = False) -> tuple[float, Any, dict]:
    """(seconds, report, writes per table) of one real poll of the ft-portal source into `url`."""
    from db.engine import make_engine
    from monitor.poll.pipeline import run_source
    from sources import build_source, load_source_config
    from sources.fetch.client import PoliteClient
    from sources.fetch.policy import HttpPolicy

    source = build_source(load_source_config(ROOT / "config" / "sources" / "ft-portal.toml"))
    engine = make_engine(url)
    counted = count_writes(engine) if writes else {}

    async def go() -> Any:
        async with PoliteClient(HttpPolicy(min_interval=0), transport=serve_pages(pages)) as client:
            return await run_source(source, client=client, engine=engine, clock=lambda: now, strict=True)

    seconds, report = timed(lambda: asyncio.run(go()))
    engine.dispose()
    return seconds, report, dict(counted)


# --------------------------------------------------------------------------- floor


def stored_rows(calls: list[Any], now: datetime) -> tuple[list[str], list[dict[str, Any]]]:
    """The `call` table's columns and, per call, the values the store writes."""
    from db.models import Call

    columns = [column.name for column in Call.__table__.columns if column.name != "id"]  # type: ignore[attr-defined]
    rows = []
    for call in calls:
        values = call.column_values()
        values.update(
            source_id="ft-portal", content_hash=call.content_hash(), first_seen_at=now, last_changed_at=now,
            listed=True, unlisted_at=None, group_id=None, missing_since=None, missed_polls=0,
            raw_digest="0" * 64,
        )  # fmt: skip
        rows.append(values)
    return columns, rows


def _plain(value: Any, *, sqlite: bool) -> Any:
    if isinstance(value, datetime):  # stored as naive UTC, as db.types.UTCDateTime does
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.isoformat(sep=" ") if sqlite else naive
    if isinstance(value, list | dict):
        return json.dumps(value)
    if sqlite and not isinstance(value, str | int | float | bytes | type(None)):
        return float(value) if hasattr(value, "as_tuple") else str(value)
    return value


def bulk_insert(url: str, columns: list[str], rows: list[dict[str, Any]], now: datetime) -> float:
    """Seconds to insert `rows` into `call` with the raw driver (a source row is made first, untimed)."""
    names = ", ".join(f'"{name}"' for name in columns)
    if url.startswith("sqlite"):
        values = [tuple(_plain(row[name], sqlite=True) for name in columns) for row in rows]
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            connection.execute(f"PRAGMA {pragma}")
        connection.execute(
            "INSERT INTO source (id, name, kind, url, enabled, interval_seconds, alert_after_failures, "
            "created_at, consecutive_failures, listed_calls, validators) "
            "VALUES ('ft-portal', 'F&T', 'ft-portal', 'https://x.test/', 1, 21600, 2, ?, 0, 0, '{}')",
            (now.replace(tzinfo=None).isoformat(sep=" "),),
        )
        connection.commit()
        marks = ", ".join("?" for _ in columns)
        start = time.perf_counter()
        connection.executemany(f"INSERT INTO call ({names}) VALUES ({marks})", values)
        connection.commit()
        seconds = time.perf_counter() - start
        connection.close()
        return seconds
    import psycopg

    values = [tuple(_plain(row[name], sqlite=False) for name in columns) for row in rows]
    with psycopg.connect(conninfo(url)) as connection:
        connection.execute(
            "INSERT INTO source (id, name, kind, url, enabled, interval_seconds, alert_after_failures, "
            "created_at, consecutive_failures, listed_calls, validators) "
            "VALUES ('ft-portal', 'F&T', 'ft-portal', 'https://x.test/', true, 21600, 2, %s, 0, 0, '{}')",
            (now.replace(tzinfo=None),),
        )
        connection.commit()
        start = time.perf_counter()
        with connection.cursor() as cursor, cursor.copy(f"COPY call ({names}) FROM STDIN") as copy:  # type: ignore[arg-type]
            for row in values:
                copy.write_row(row)
        connection.commit()
        return time.perf_counter() - start


# --------------------------------------------------------------------------- stages


def stages(url: str, pages: list[bytes], now: datetime) -> dict[str, float]:
    """One ingest split into the pipeline's stages (the pieces `run_source` chains), in seconds."""
    from db import repo
    from db.engine import make_engine, session_scope
    from monitor.normalise.call import normalise_call, raw_digest
    from monitor.poll.pipeline import regroup
    from monitor.poll.unchanged import partition
    from sources import load_source_config
    from sources.ft_portal import collapse, map_records, select_records

    config = load_source_config(ROOT / "config" / "sources" / "ft-portal.toml")
    spent: dict[str, float] = {}
    seconds, bodies = timed(lambda: [json.loads(page.decode()) for page in pages])
    spent["json.loads"] = seconds
    seconds, raw = timed(
        lambda: map_records(collapse([r for b in bodies for r in select_records(b["results"])[0]]), [])
    )
    spent["parse (select, collapse, map)"] = seconds
    seconds, calls = timed(lambda: [normalise_call(call, now=now) for call in raw])
    spent["normalise"] = seconds
    seconds, digests = timed(lambda: {call.key: raw_digest(call) for call in raw})
    spent["raw_digest (each poll, inside the skip decision)"] = seconds
    engine = make_engine(url)
    with session_scope(engine) as session:
        repo.sync_source(session, config=config, now=now)
    for name, work in (
        (
            "store_calls",
            lambda s: repo.store_calls(
                s, source_id=config.id, run_id=None, calls=calls, complete=True, now=now, raw_digests=digests
            ),
        ),
        ("reconcile_calls", lambda s: regroup(s)),
    ):
        start = time.perf_counter()
        with session_scope(engine) as session:
            work(session)
        spent[name] = time.perf_counter() - start
    seconds, _ = timed(lambda: [call.content_hash() for call in calls])
    spent["content_hash (inside store_calls)"] = seconds
    # What an unchanged re-poll does instead of normalising (issue #18): digests of the raw records,
    # the stored digests and clock inputs, the split.
    start = time.perf_counter()
    with session_scope(engine) as session:
        stored = repo.stored_clocks(session, source_id=config.id)
    todo = partition(raw, stored, now)
    spent["skip decision (re-poll: stored_clocks + partition)"] = time.perf_counter() - start
    assert not todo.to_normalise, "records normalised again although unchanged"
    start = time.perf_counter()
    with session_scope(engine) as session:
        repo.store_calls(
            session, source_id=config.id, run_id=None, calls=[], complete=True, now=now,
            unchanged=todo.unchanged, raw_digests=todo.digests,
        )  # fmt: skip
    spent["store_calls (re-poll, all unchanged)"] = time.perf_counter() - start
    engine.dispose()
    return spent


# --------------------------------------------------------------------------- main


def describe(writes: dict[str, int]) -> str:
    """ "INSERT fetchrun ×1, UPDATE fetchrun ×1" (the run's own row), or "none"."""
    return ", ".join(f"{statement} ×{count}" for statement, count in sorted(writes.items())) or "none"


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs=3)
    count, page_size = size(args, "records", 5000, 60), size(args, "page_size", 100, 20)
    now = bench_now()
    log(f"generating {count} records")
    records = data.ft_records(count, now=now)
    pages = data.ft_pages(records, page_size=page_size)
    del records
    result = Result("ingest", args)
    result.params = {
        "records": count, "pages": len(pages), "page_size": page_size,
        "page_mb_avg": round(sum(map(len, pages)) / len(pages) / 1e6, 2),
        "total_mb": round(sum(map(len, pages)) / 1e6, 1),
    }  # fmt: skip
    with Databases(args.db, "ingest") as dbs:
        ingest, reingest, parse_floor, insert_floor, floor = [], [], [], [], []
        writes: dict[str, int] = {}
        columns: list[str] = []
        rows: list[dict[str, Any]] = []
        for run in range(args.runs):
            url = dbs.fresh()
            log(f"run {run + 1}: ingest into an empty {args.db} database")
            seconds, report, _ = poll(url, pages, now)
            assert report.status == "ok" and report.new == report.found, report
            ingest.append(seconds)
            log(f"run {run + 1}: re-ingest ({seconds:.2f} s for {report.found} calls)")
            seconds, again, writes = poll(url, pages, now, writes=True)
            assert again.new == again.changed == again.normalised == 0, again
            reingest.append(seconds)
            dbs.drop(url)
            parse_floor.append(timed(lambda: [json.loads(page) for page in pages])[0])
            if not rows:
                from monitor.normalise.call import normalise_call
                from sources.ft_portal import parse_results

                raw = parse_results([r for page in pages for r in json.loads(page)["results"]])[0]
                columns, rows = stored_rows([normalise_call(call, now=now) for call in raw], now)
            url = dbs.fresh()
            insert_floor.append(bulk_insert(url, columns, rows, now))
            dbs.drop(url)
            floor.append(parse_floor[-1] + insert_floor[-1])
        log("stage breakdown")
        url = dbs.fresh()
        breakdown = stages(url, pages, now)
        dbs.drop(url)
    figure, base = Stats(ingest), Stats(floor)
    parts = {"json.loads": Stats(parse_floor).as_dict(), "bulk insert": Stats(insert_floor).as_dict()}
    result.add(Figure(
        f"Ingest {count:,} records into an empty {args.db} database (run_source)", figure,
        f"json.loads of the {len(pages)} pages + bulk insert of {len(rows):,} rows (raw driver)", base,
        ratio(figure.median, base.median), target="≤ 4× the floor", met=figure.median <= 4 * base.median,
        extra={"floor_parts": parts, "stages_one_run_s": breakdown},
    ))  # fmt: skip
    call_writes = {key: value for key, value in writes.items() if key.split()[1] in CALL_TABLES}
    again, parse = Stats(reingest), Stats(parse_floor)
    result.add(Figure(
        "Re-ingest of unchanged pages (run_source)", again, f"json.loads of the {len(pages)} pages", parse,
        ratio(again.median, parse.median), target="0 writes to call tables; ≤ 1.5× the parse floor",
        met=not call_writes and again.median <= 1.5 * parse.median,
        note=f"writes to the call tables: {sum(call_writes.values())}; all writes: {describe(writes)}; "
        "records normalised again: 0 (raw digests unchanged)",
        extra={"call_table_writes": call_writes, "all_writes": writes},
    ))  # fmt: skip
    result.emit()


if __name__ == "__main__":
    main()
