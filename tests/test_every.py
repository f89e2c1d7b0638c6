"""`monitor.every`, the loop the worker's sending and shared planning run in: a failing run is
logged and the loop goes on, a wake-up starts the next run before the interval ends (also one that
came during a run), and `stop` ends the loop while it waits."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from monitor.every import every


def test_a_failing_run_is_logged_and_the_next_one_runs(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[float] = []

    async def scenario() -> None:
        stop = asyncio.Event()

        async def job() -> None:
            runs.append(time.monotonic())
            if len(runs) == 1:
                raise RuntimeError("database went away")
            if len(runs) == 3:
                stop.set()

        await asyncio.wait_for(every(stop, 0.01, job, name="sending"), timeout=5)

    with caplog.at_level(logging.ERROR, logger="monitor.every"):
        asyncio.run(scenario())
    assert len(runs) == 3
    assert "sending failed; retrying in 0.01s" in caplog.text and "database went away" in caplog.text


def test_a_wake_up_runs_the_job_before_the_interval_ends() -> None:
    async def scenario() -> tuple[int, float]:
        stop, wake, runs = asyncio.Event(), asyncio.Event(), []

        async def job() -> None:
            runs.append(time.monotonic())
            if len(runs) == 1:
                wake.set()  # woken during the first run: the second follows at once
            if len(runs) == 3:
                stop.set()

        started = time.monotonic()
        loop = asyncio.create_task(every(stop, 60, job, name="sending", wake=wake))
        await asyncio.sleep(0.1)
        wake.set()  # the loop waits for its 60 s interval: this ends the wait
        await asyncio.wait_for(loop, timeout=5)
        return len(runs), time.monotonic() - started

    runs, seconds = asyncio.run(scenario())
    assert runs == 3 and seconds < 5


def test_stop_ends_the_loop_while_it_waits() -> None:
    async def scenario() -> int:
        stop, runs = asyncio.Event(), []

        async def job() -> None:
            runs.append(1)

        loop = asyncio.create_task(every(stop, 60, job, name="planning"))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(loop, timeout=5)
        return len(runs)

    assert asyncio.run(scenario()) == 1
