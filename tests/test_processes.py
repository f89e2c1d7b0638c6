"""`callwatch run` as an operator starts it: with no reachable source it comes
up, records each source's failure clearly, serves /healthz, keeps running,
and stops cleanly on SIGTERM. Two workers never poll at the same time."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from db.engine import make_engine
from monitor.leader import LeaderLock

SCRIPT = Path(sys.executable).parent / "callwatch"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def operator_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    config = tmp_path / "config" / "sources"
    config.mkdir(parents=True)
    shipped = (Path(__file__).parents[1] / "config" / "sources" / "ft-portal.toml").read_text()
    # Nothing listens on port 9 (discard): the same failure as having no network.
    (config / "ft-portal.toml").write_text(
        shipped.replace("https://api.tech.ec.europa.eu", "http://127.0.0.1:9")
    )
    (tmp_path / "config" / "callwatch.toml").write_text(
        "[http]\nmin_interval = 0.1\nmax_attempts = 2\nbackoff_base = 0.1\n[worker]\njitter_seconds = 0\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLWATCH_")}
    env.update(
        CALLWATCH_DATABASE_URL=database_url, CALLWATCH_CONFIG_DIR=str(tmp_path / "config"),
        CALLWATCH_VAR_DIR=str(tmp_path / "var"), CALLWATCH_PORT=str(_free_port()),
    )  # fmt: skip
    return env


def _wait_for(predicate, timeout: float = 30.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


def _sources(env: dict[str, str]) -> list[dict]:
    out = subprocess.run(
        [str(SCRIPT), "sources", "--json"], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@pytest.mark.slow
def test_run_without_network_starts_reports_and_keeps_running(
    operator_env: dict[str, str], tmp_path: Path
) -> None:
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen([str(SCRIPT), "run"], env=operator_env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{operator_env['CALLWATCH_PORT']}"
    try:
        health = _wait_for(lambda: _get(base + "/healthz"))
        assert health.status_code == 200 and health.json()["database"] == "ok"
        failed = _wait_for(lambda: [s for s in _sources(operator_env) if s["last_status"] == "failed"])
        assert failed[0]["id"] == "ft-portal" and "fetch failed" in failed[0]["last_error"]
        assert process.poll() is None, "callwatch run must keep running after a source fails"
        page = _get(base + "/sources")
        assert page.status_code == 200 and "fetch failed" in page.text
        log.seek(0)
        printed = log.read()
        assert "poll ft-portal failed: fetch failed" in printed
        # Without CALLWATCH_BASE_URL the printed URL, and the links it makes, are where it listens.
        assert f"Callwatch web app and worker on {base}\n" in printed
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        log.close()


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=2)
    except httpx.HTTPError:
        return None


def test_only_one_leader(tmp_path: Path, database_url: str) -> None:
    engine = make_engine(database_url)
    first, second = LeaderLock(engine, tmp_path), LeaderLock(engine, tmp_path)
    try:
        assert first.acquire() is True
        assert second.acquire() is False
        first.release()
        assert second.acquire() is True
    finally:
        first.release()
        second.release()
        engine.dispose()
