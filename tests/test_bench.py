"""Every benchmark script runs on a tiny size and reports the figures run_all expects.

The full benchmarks (bench/run_all.py) are not part of the suite: they take long and need a quiet
machine. Here each script runs in its own process with `--size tiny`, as run_all runs it, and its
result line is checked. With CALLWATCH_TEST_DATABASE_URL set, the database figures also run on
that PostgreSQL server (scratch databases, dropped afterwards).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "BENCH-RESULT "
SCRIPTS = {
    "ingest": True,
    "html_parse": False,
    "matching": False,
    "digests": True,
    "feeds_search": True,
    "network": False,
}
FIGURE_KEYS = {
    "name",
    "stats",
    "floor_name",
    "floor",
    "ratio",
    "ratio_means",
    "target",
    "met",
    "note",
    "extra",
}

pytestmark = pytest.mark.slow


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env, check=False
    )


def _result(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith(PREFIX)]
    assert len(lines) == 1, done.stdout[-2000:]
    return json.loads(lines[0].removeprefix(PREFIX))


def _check(result: dict, name: str) -> None:
    assert result["benchmark"] == name and result["size"] == "tiny"
    assert {"command", "runs", "params", "notes", "peak_rss_mb", "load_at_start"} <= set(result)
    assert result["figures"]
    for figure in result["figures"]:
        assert set(figure) == FIGURE_KEYS, figure["name"]
        assert figure["stats"]["median"] >= 0 and figure["stats"]["runs"] >= 1
        assert figure["floor"] is None or figure["floor"]["median"] >= 0


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_runs_on_a_tiny_size(name: str) -> None:
    result = _result(_run(f"bench/{name}.py", "--size", "tiny", "--runs", "1"))
    _check(result, name)


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(name for name, has_db in SCRIPTS.items() if has_db))
def test_script_runs_on_postgres(name: str) -> None:
    url = os.environ.get("CALLWATCH_TEST_DATABASE_URL")
    if not url:
        pytest.skip("CALLWATCH_TEST_DATABASE_URL is not set")
    env = {**os.environ, "CALLWATCH_BENCH_PG_URL": url}
    result = _result(_run(f"bench/{name}.py", "--size", "tiny", "--runs", "1", "--db", "postgres", env=env))
    _check(result, name)
    assert result["db"] == "postgres"


def test_ingest_reports_no_writes_on_an_unchanged_poll() -> None:
    result = _result(_run("bench/ingest.py", "--size", "tiny", "--runs", "1"))
    again = result["figures"][1]
    assert again["extra"]["call_table_writes"] == {}


def test_matching_baseline_gives_the_same_results() -> None:
    result = _result(_run("bench/matching.py", "--size", "tiny", "--runs", "1"))
    assert result["params"]["identical_results_on_sample"] is True


def test_run_all_writes_the_tables(tmp_path: Path) -> None:
    out, saved = tmp_path / "BENCHMARKS.md", tmp_path / "results.json"
    only = ["--only", "html_parse", "network"]
    done = _run(
        "bench/run_all.py", "--size", "tiny", "--runs", "1", *only, "--out", str(out), "--json", str(saved)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text()
    assert text.startswith("# Benchmarks")
    assert "Machine:" in text and "| figure | median | spread |" in text
    assert "## 2. HTML sources" in text and "## 6. A poll's network cost" in text
    assert "| ft-portal |" in text
    again = tmp_path / "again.md"
    assert _run("bench/run_all.py", "--from-json", str(saved), "--out", str(again)).returncode == 0
    assert again.read_text() == text
