"""The real web app on a loopback port (uvicorn in a thread), for tests that follow links from e-mails."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from monitor.app import App
from monitor.web import create_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_web(app: App, port: int) -> Iterator[str]:
    """Serve `create_app(app)` on 127.0.0.1:port until the block ends; yields the base URL."""
    web = create_app(app)
    # Tests write and then read at once; the background rebuild is tested in test_snapshot_rebuild.py.
    web.state.catalogue.background = False
    config = uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
