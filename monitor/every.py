"""A job run again and again beside the scheduler: every n seconds, sooner when woken, until stopped.

The worker's send loop and its digest-planning loop are two of these. A failing run is logged and
the loop goes on (the next run retries); the job decides what it does and logs what it did.
Must not: know what a job does, or import APScheduler (monitor.worker owns the scheduler).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def every(
    stop: asyncio.Event,
    seconds: float,
    job: Callable[[], Awaitable[object]],
    *,
    name: str,
    wake: asyncio.Event | None = None,
) -> None:
    """Run `job`, then wait `seconds` (or until `wake` or `stop` is set), until `stop` is set."""
    while not stop.is_set():
        if wake is not None:
            # Cleared before the run, so a wake-up that comes during it starts the next run at once.
            wake.clear()
        try:
            await job()
        except Exception:  # noqa: BLE001 - a bad run must not end the loop; the next one retries
            logger.exception("%s failed; retrying in %ss", name, seconds)
        waits = [asyncio.create_task(stop.wait())]
        if wake is not None:
            waits.append(asyncio.create_task(wake.wait()))
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
