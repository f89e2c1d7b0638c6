"""HTTP test infrastructure: a real local server and an in-process replay transport.

`LocalHTTPServer` is a threaded HTTP/1.1 server on 127.0.0.1 (a real socket),
so timing, truncation, trickling and retry behaviour are exercised exactly as
over a network. Routes answer with scripted `Reply`s; every request is
recorded as a `SeenRequest` with its arrival time. Use it through the
function-scoped `http_server` fixture.

`replay_transport` serves recorded responses without any socket, for parser
and source tests that only need bodies. Unknown URLs fail loudly.

Registered as a pytest plugin in `tests/conftest.py`.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

logger = logging.getLogger(__name__)

# Statuses that must not carry a body (RFC 9110 §6.4.1).
_NO_BODY = {204, 304}


@dataclass
class Reply:
    """What the server answers to one request."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before sending anything
    trickle: float | None = None  # send the body one byte every `trickle` seconds
    truncate: int | None = None  # announce the full Content-Length, send only this many bytes, close


@dataclass
class SeenRequest:
    """One request as the server received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when received


Responder = Reply | Callable[[SeenRequest], Reply]


@dataclass
class _Route:
    replies: list[Responder]
    served: int = 0

    def next(self) -> Responder:
        """Replies in order; the last one repeats forever."""
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class LocalHTTPServer:
    """A scripted HTTP/1.1 server on 127.0.0.1, running in a background thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[tuple[str | None, str], _Route] = {}
        self._stopping = threading.Event()
        self._in_flight = 0
        self.max_in_flight = 0  # most requests ever handled at the same time
        self.requests: list[SeenRequest] = []
        self.unrouted: list[SeenRequest] = []
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, wake sleeping handlers (delay/trickle) and close the socket."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # ------------------------------------------------------------------ scripting

    def route(self, path: str, *replies: Responder, method: str | None = None) -> None:
        """Serve `replies` in order to successive requests for `path`; the last repeats.

        The query string is ignored for matching unless `path` contains '?'.
        `method=None` matches any method.
        """
        if not replies:
            raise ValueError("route() needs at least one reply")
        with self._lock:
            self._routes[(method.upper() if method else None, path)] = _Route(list(replies))

    def serve_file(
        self,
        path: str,
        file: Path,
        content_type: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """Serve a recorded fixture, answering 304 to matching conditional requests."""

        def answer(request: SeenRequest) -> Reply:
            headers = {"Content-Type": content_type}
            if etag:
                headers["ETag"] = etag
            if last_modified:
                headers["Last-Modified"] = last_modified
            if _not_modified(request.headers, etag, last_modified):
                return Reply(304, headers=headers)
            return Reply(200, body=file.read_bytes(), headers=headers)

        self.route(path, answer)

    def requests_to(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [seen for seen in self.requests if seen.path == path]

    # ------------------------------------------------------------------ used by the handler

    def _dispatch(self, seen: SeenRequest) -> Reply:
        """Record the request and pick its reply (404 for unknown paths)."""
        with self._lock:
            self.requests.append(seen)
            full = f"{seen.path}?{seen.query}" if seen.query else seen.path
            for key in ((seen.method, full), (None, full), (seen.method, seen.path), (None, seen.path)):
                if key in self._routes:
                    responder = self._routes[key].next()
                    break
            else:
                self.unrouted.append(seen)
                return Reply(404, body=f"no route for {seen.path}".encode(), headers=_TEXT)
        return responder(seen) if callable(responder) else responder

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _pause(self, seconds: float) -> bool:
        """Sleep unless the server is stopping; True when it should carry on."""
        return not self._stopping.wait(seconds)


_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def _not_modified(headers: dict[str, str], etag: str | None, last_modified: str | None) -> bool:
    """RFC 9110 §13.1: If-None-Match wins; If-Modified-Since only without it."""
    lowered = {key.lower(): value for key, value in headers.items()}
    if_none_match = lowered.get("if-none-match")
    if if_none_match is not None:
        if not etag:
            return False
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag.removeprefix("W/") in tags
    since = lowered.get("if-modified-since")
    if since is None or not last_modified:
        return False
    try:
        return email.utils.parsedate_to_datetime(last_modified) <= email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck mid-trickle must not block teardown
    owner: LocalHTTPServer

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hanging up mid-body (deadline, size cap) are expected here.
        logger.debug("handler error for %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def _handle(self) -> None:
        owner = self.server.owner
        at = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        path, _, query = self.path.partition("?")
        seen = SeenRequest(self.command, path, query, dict(self.headers.items()), self.rfile.read(length), at)
        owner._enter()
        try:
            self._reply(owner, owner._dispatch(seen))
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("client hung up on %s %s", self.command, self.path)
        finally:
            owner._leave()
            # One request per connection: simpler and robust for truncation.
            self.close_connection = True

    def _reply(self, owner: LocalHTTPServer, reply: Reply) -> None:
        if reply.delay and not owner._pause(reply.delay):
            return
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        headers = {key.lower(): (key, value) for key, value in reply.headers.items()}
        if isinstance(reply.body, str) and "content-type" not in headers:
            headers["content-type"] = ("Content-Type", "text/plain; charset=utf-8")
        chunked = headers.get("transfer-encoding", ("", ""))[1].lower() == "chunked"
        if not chunked and reply.status not in _NO_BODY and "content-length" not in headers:
            headers["content-length"] = ("Content-Length", str(len(body)))
        headers["connection"] = ("Connection", "close")
        self.send_response(reply.status)
        for key, value in headers.values():
            self.send_header(key, value)
        self.end_headers()
        if reply.status not in _NO_BODY and self.command != "HEAD":
            self._send_body(owner, body, reply, chunked)
        self.wfile.flush()

    def _send_body(self, owner: LocalHTTPServer, body: bytes, reply: Reply, chunked: bool) -> None:
        """Write the body, byte by byte when trickling, cut short when truncating."""
        if reply.truncate is not None:
            body = body[: reply.truncate]
        step = 1 if reply.trickle else max(len(body), 1)
        for start in range(0, len(body), step):
            piece = body[start : start + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            self.wfile.flush()
            if reply.trickle and not owner._pause(reply.trickle):
                return
        if chunked and reply.truncate is None:
            self.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A fresh local server per test, stopped afterwards."""
    server = LocalHTTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def replay_transport(
    routes: dict[str, httpx.Response | Callable[[httpx.Request], httpx.Response]],
) -> httpx.MockTransport:
    """An in-process transport answering from recordings keyed by URL.

    A key is tried as the exact URL (query included) first, then without the
    query string. An unknown URL raises AssertionError, so a test that fetches
    something unexpected fails instead of silently getting a 404.
    """

    def handler(request: httpx.Request) -> httpx.Response:
        exact = str(request.url)
        bare = str(request.url.copy_with(query=None))
        recorded = routes.get(exact, routes.get(bare))
        if recorded is None:
            raise AssertionError(f"no recording for {request.method} {request.url}")
        if callable(recorded):
            return recorded(request)
        return _fresh(recorded)

    return httpx.MockTransport(handler)


def _fresh(response: httpx.Response) -> httpx.Response:
    """A new Response with the recording's status, headers and body.

    A Response object is consumed once read, so each request gets its own copy.
    """
    if isinstance(response.stream, httpx.ByteStream):
        # Re-iterable raw bytes: keeps Content-Encoding handling faithful.
        return httpx.Response(response.status_code, headers=response.headers, stream=response.stream)
    content = response.read()
    headers = [
        (key, value)
        for key, value in response.headers.multi_items()
        if key.lower() not in {"content-encoding", "content-length", "transfer-encoding"}
    ]
    return httpx.Response(response.status_code, headers=headers, content=content)
