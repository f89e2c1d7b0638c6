"""What every benchmark script shares: arguments, timing, statistics, results, machine, databases.

Each script measures one figure of issue #7 several times, next to its floor measured in the same
run, and prints one JSON line (`RESULT_PREFIX` + JSON) that `bench/run_all.py` collects. Data
generators live in `bench/data.py`.

Must not: be imported by the application; everything here is for measuring it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the scripts run as files (`python bench/ingest.py`)
    sys.path.insert(0, str(ROOT))

RESULT_PREFIX = "BENCH-RESULT "
# The PostgreSQL server the tests use (trust auth); scratch databases are created next to `test`.
PG_URL = os.environ.get("CALLWATCH_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BRUSSELS = ZoneInfo("Europe/Brussels")


# --------------------------------------------------------------------------- arguments


def arguments(description: str, *, db: bool = True, runs: int = 5) -> argparse.Namespace:
    """--size full|tiny, --runs N, and --db sqlite|postgres where the figure has a database."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", choices=("full", "tiny"), default="full", help="full: issue #7 sizes")
    parser.add_argument("--runs", type=int, default=None, help=f"measured runs (default {runs}; tiny: 2)")
    if db:
        parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=N", help="override one size (investigations)"
    )
    args = parser.parse_args()
    args.sizes = {name: int(value) for name, _, value in (item.partition("=") for item in args.set)}
    args.runs = args.runs or (2 if args.size == "tiny" else runs)
    if not db:
        args.db = None
    return args


def size(args: argparse.Namespace, name: str, full: int, tiny: int) -> int:
    """The size `name` for this run: --set NAME=N, else the full or tiny default."""
    return args.sizes.get(name, full if args.size == "full" else tiny)


def bench_now() -> datetime:
    """The instant every benchmark lives at: the next Monday 08:05 Brussels (a digest slot), as UTC.

    Generated deadlines are days after it, so calls are open both for the benchmark's own clock
    and for a web server that reads the real clock.
    """
    today = datetime.now(BRUSSELS)
    monday = (today + timedelta(days=(7 - today.weekday()) % 7 or 7)).date()
    local = datetime(monday.year, monday.month, monday.day, 8, 5, tzinfo=BRUSSELS)
    return local.astimezone(UTC)


# --------------------------------------------------------------------------- statistics


@dataclass
class Stats:
    """Several measurements of one quantity: median and spread (min-max)."""

    values: list[float]
    unit: str = "s"

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def as_dict(self) -> dict[str, Any]:
        return {
            "median": self.median, "min": min(self.values), "max": max(self.values),
            "values": self.values, "unit": self.unit, "runs": len(self.values),
        }  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile (0..1) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call, with the garbage collector settled first."""
    gc.collect()
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def repeat(function: Callable[[], Any], runs: int, *, warmup: int = 0, unit: str = "s") -> Stats:
    """Seconds of `runs` calls after `warmup` unmeasured ones."""
    for _ in range(warmup):
        function()
    return Stats([timed(function)[0] for _ in range(runs)], unit)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- results


@dataclass
class Figure:
    """One row of BENCHMARKS.md: a measured figure, its floor or baseline, ratio, target, verdict."""

    name: str
    stats: Stats | None = None
    floor_name: str | None = None
    floor: Stats | None = None
    ratio: float | None = None
    ratio_means: str = "figure ÷ floor"
    target: str | None = None
    met: bool | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stats"] = self.stats.as_dict() if self.stats else None
        data["floor"] = self.floor.as_dict() if self.floor else None
        return data


@dataclass
class Result:
    """What one script measured, printed as one JSON line for run_all."""

    benchmark: str
    args: argparse.Namespace
    figures: list[Figure] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def emit(self) -> dict[str, Any]:
        data = {
            "benchmark": self.benchmark, "size": self.args.size, "db": self.args.db, "runs": self.args.runs,
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "started": STARTED.isoformat(timespec="seconds"), "load_at_start": LOAD_AT_START,
            "peak_rss_mb": round(peak_rss_mb(), 1), "params": self.params, "notes": self.notes,
            "figures": [figure.as_dict() for figure in self.figures],
        }  # fmt: skip
        print(RESULT_PREFIX + json.dumps(data, default=str), flush=True)
        return data


STARTED = datetime.now(UTC)
LOAD_AT_START = os.getloadavg()


def ratio(value: float, floor: float) -> float:
    return value / floor if floor > 0 else float("inf")


def log(message: str) -> None:
    """Progress on stderr (stdout carries the result line)."""
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    """CPU, cores, RAM, OS, Python, SQLite and PostgreSQL versions, load average."""
    cpu = "unknown"
    with _ignored():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = None
    with _ignored():
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram_gib": ram, "os": platform.platform(),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(), "load_average": [round(x, 2) for x in os.getloadavg()],
    }  # fmt: skip


def postgres_version() -> str | None:
    with _ignored():
        import psycopg

        with psycopg.connect(conninfo(PG_URL), connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    return None


def _ignored() -> contextlib.suppress:
    """A missing fact is reported as unknown, never fatal."""
    return contextlib.suppress(Exception)


# --------------------------------------------------------------------------- databases


def conninfo(url: str) -> str:
    """A psycopg conninfo from an SQLAlchemy URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    parts = {
        "host": parsed.host, "port": parsed.port, "user": parsed.username,
        "password": parsed.password, "dbname": parsed.database,
    }  # fmt: skip
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)


class Databases:
    """Migrated scratch databases of one kind: a template, and fresh copies of it.

    SQLite: files in a temporary directory (a copy is a file copy). PostgreSQL:
    `callwatch_bench_<tag>_*` databases next to `test`, copies made with CREATE DATABASE ...
    TEMPLATE, all dropped by `close()`.
    """

    def __init__(self, kind: str, tag: str) -> None:
        self.kind, self.tag = kind, f"{tag}_{uuid.uuid4().hex[:6]}"
        self.made: list[str] = []
        self._dir = tempfile.TemporaryDirectory(prefix=f"callwatch-bench-{tag}-")
        self.template = self._create("tpl")
        from db.engine import make_engine
        from db.migrate import upgrade

        engine = make_engine(self.template)
        upgrade(engine)
        engine.dispose()

    def _name(self, suffix: str) -> str:
        return f"callwatch_bench_{self.tag}_{suffix}"

    def _create(self, suffix: str, template: str | None = None) -> str:
        if self.kind == "sqlite":
            path = Path(self._dir.name) / f"{suffix}.db"
            if template is not None:
                import shutil

                shutil.copyfile(template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        name = self._name(suffix)
        clause = f' TEMPLATE "{self._name("tpl")}"' if template is not None else ""
        self._admin(f'CREATE DATABASE "{name}"{clause}')
        self.made.append(name)
        from sqlalchemy.engine import make_url

        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def fresh(self, suffix: str | None = None) -> str:
        """A new database holding what the template holds."""
        return self._create(suffix or uuid.uuid4().hex[:8], template=self.template)

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.made:
            self.made.remove(name)

    def close(self) -> None:
        for name in list(reversed(self.made)):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()
        self._dir.cleanup()

    def __enter__(self) -> Databases:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _admin(statement: str) -> None:
        import psycopg

        with psycopg.connect(conninfo(PG_URL), autocommit=True) as connection:
            connection.execute(statement)  # type: ignore[arg-type]


def count_writes(engine: Any) -> dict[str, int]:
    """A live count of INSERT/UPDATE/DELETE statements per table sent through `engine`."""
    from sqlalchemy import event

    counts: dict[str, int] = {}

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        words = statement.split()
        verb = words[0].upper() if words else ""
        if verb in ("INSERT", "UPDATE", "DELETE"):
            table = words[2] if verb in ("INSERT", "DELETE") else words[1]
            key = f"{verb} {table.strip(chr(34))}"
            rows = len(parameters) if many and isinstance(parameters, list | tuple) else 1
            counts[key] = counts.get(key, 0) + rows

    event.listen(engine, "before_cursor_execute", record)
    return counts
