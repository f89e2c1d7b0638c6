"""Long-running processes: `serve` (web), `worker` (scheduler), `run` (both).

Owns signal handling and orderly shutdown: SIGINT/SIGTERM stop the
scheduler after the poll in progress has been recorded, then the web server.
Must not define routes or jobs: `monitor.web` and `monitor.worker` do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

import uvicorn

from monitor.app import App
from monitor.web import create_app
from monitor.worker import Worker

logger = logging.getLogger(__name__)


def _link_here(app: App, host: str | None, port: int | None) -> None:
    """Without CALLWATCH_BASE_URL, links (and the forms' origin check) point where we listen, so
    `callwatch run --port 8080` works in a browser as it is."""
    if "base_url" in app.settings.model_fields_set:
        return
    bound = host or app.settings.host
    shown = "127.0.0.1" if bound in ("0.0.0.0", "::", "") else bound  # noqa: S104 - compared, not bound
    shown = f"[{shown}]" if ":" in shown else shown
    app.settings = app.settings.model_copy(update={"base_url": f"http://{shown}:{port or app.settings.port}"})


def _server(
    app: App, host: str | None, port: int | None, template_globals: dict[str, Any] | None = None
) -> uvicorn.Server:
    _link_here(app, host, port)
    web = create_app(app)
    # What every page shows beside its own data (the demo's banner).
    web.state.templates.globals.update(template_globals or {})
    config = uvicorn.Config(
        web, host=host or app.settings.host, port=port or app.settings.port,
        log_level=app.settings.log_level.lower(), proxy_headers=True, lifespan="off",
    )  # fmt: skip
    return uvicorn.Server(config)


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def serve_forever(app: App, *, host: str | None = None, port: int | None = None) -> None:
    server = _server(app, host, port)
    _announce(server, app, "web app")
    await server.serve()


def _announce(server: uvicorn.Server, app: App, what: str) -> None:
    """Tell the operator where to look (printed, whatever the log level)."""
    local = f"http://{server.config.host}:{server.config.port}"
    public = app.settings.base_url.rstrip("/")
    where = local if public in (local, "") else f"{local} (public URL {public})"
    print(f"Callwatch {what} on {where}", file=sys.stderr, flush=True)


async def worker_forever(app: App) -> None:
    stop = asyncio.Event()
    _stop_on_signals(stop)
    await Worker(app).run(stop)


async def run_forever(
    app: App, *, host: str | None = None, port: int | None = None,
    template_globals: dict[str, Any] | None = None, announce: bool = True,
) -> None:  # fmt: skip
    """Web server in the foreground, worker beside it; the worker stops when the server does."""
    server, stop = _server(app, host, port, template_globals), asyncio.Event()
    worker = asyncio.create_task(Worker(app).run(stop))
    if announce:
        _announce(server, app, "web app and worker")
    try:
        await server.serve()
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(worker, timeout=30)
