"""Tests of sources.fetch (PoliteClient and its HttpPolicy) against a real local HTTP server.

Covers reliability.md §2.2: S4 (retry policy), S5 (deadline, size cap,
redirects), S6 (conditional GET) and S7 (politeness). Policies use small
numbers so real-time waits stay short; backoff arithmetic is checked with a
fake clock instead of real sleeps.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sources.errors import FetchError, ParseError
from sources.fetch.client import FetchResult, PoliteClient, make_client
from sources.fetch.policy import HttpPolicy, backoff_delay, parse_retry_after
from tests.httpserver import LocalHTTPServer, Reply, SeenRequest, replay_transport

FAST = {
    "min_interval": 0.2,
    "backoff_base": 0.05,
    "backoff_max": 0.2,
    "connect_timeout": 2.0,
    "read_timeout": 5.0,
    "deadline": 5.0,
}


def policy(**overrides: Any) -> HttpPolicy:
    return HttpPolicy(**{**FAST, **overrides})


class FakeClock:
    """Injectable monotonic + sleep: sleeping advances time instantly and is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def server(http_server: LocalHTTPServer) -> Iterator[LocalHTTPServer]:
    """The local server, checking afterwards that every request hit a route."""
    yield http_server
    assert http_server.unrouted == []


# The client spaces the *starts* of its requests; the server stamps each on arrival, so the first
# request's own delivery time (a few ms on a busy 2-core machine) can shorten the observed gap.
# Without pacing the gap would be ~1 ms, so this margin cannot hide a missing wait.
ARRIVAL_JITTER = 0.02


def gaps(seen: list[SeenRequest]) -> list[float]:
    return [later.at - earlier.at for earlier, later in zip(seen, seen[1:], strict=False)]


# --------------------------------------------------------------------------- S7 politeness


async def test_user_agent_names_product_and_contact(server: LocalHTTPServer) -> None:
    server.route("/ua", Reply(200, "ok"))
    async with PoliteClient(policy()) as client:
        await client.get(f"{server.url}/ua")
    agent = server.requests_to("/ua")[0].headers["User-Agent"]
    assert agent == HttpPolicy().user_agent
    assert agent.startswith("Callwatch/") and "contact:" in agent


async def test_two_gets_to_one_host_are_min_interval_apart(server: LocalHTTPServer) -> None:
    server.route("/page", Reply(200, "ok"))
    async with PoliteClient(policy(min_interval=0.3)) as client:
        await client.get(f"{server.url}/page")
        await client.get(f"{server.url}/page")
    seen = server.requests_to("/page")
    assert len(seen) == 2
    assert gaps(seen)[0] >= 0.3 - ARRIVAL_JITTER


async def test_concurrent_gets_to_one_host_never_overlap(server: LocalHTTPServer) -> None:
    # Each reply takes 0.3 s, longer than min_interval: if requests only waited
    # for min_interval they would overlap and arrive 0.2 s apart.
    server.route("/slow", Reply(200, "ok", delay=0.3))
    async with PoliteClient(policy(min_interval=0.2)) as client:
        results = await asyncio.gather(*(client.get(f"{server.url}/slow") for _ in range(3)))
    assert [result.status for result in results] == [200, 200, 200]
    assert server.max_in_flight == 1
    seen = server.requests_to("/slow")
    assert len(seen) == 3
    assert min(gaps(seen)) >= 0.3 - ARRIVAL_JITTER


async def test_different_hosts_do_not_wait_for_each_other(server: LocalHTTPServer) -> None:
    server.route("/page", Reply(200, "ok"))
    other_host = server.url.replace("127.0.0.1", "localhost")
    async with PoliteClient(policy(min_interval=2.0)) as client:
        started = time.monotonic()
        await client.get(f"{server.url}/page")
        await client.get(f"{other_host}/page")
        elapsed = time.monotonic() - started
    seen = server.requests_to("/page")
    assert [request.headers["Host"].split(":")[0] for request in seen] == ["127.0.0.1", "localhost"]
    assert gaps(seen)[0] < 0.5
    assert elapsed < 1.0


# --------------------------------------------------------------------------- S4 retries


async def test_429_retry_after_seconds_is_honoured(server: LocalHTTPServer) -> None:
    server.route("/busy", Reply(429, "slow down", headers={"Retry-After": "1"}), Reply(200, "ok"))
    async with PoliteClient(policy()) as client:
        result = await client.get(f"{server.url}/busy")
    assert (result.status, result.content, result.attempts) == (200, b"ok", 2)
    seen = server.requests_to("/busy")
    assert len(seen) == 2
    assert gaps(seen)[0] >= 1.0


async def test_retry_after_http_date_is_honoured(server: LocalHTTPServer) -> None:
    # A whole second in [1, 2) s ahead of the first request: HTTP-dates have
    # one-second resolution, so the gap measured at the server is >= 1 s.
    def busy_until_next_second(request: SeenRequest) -> Reply:
        target = math.ceil(time.time()) + 1
        return Reply(503, headers={"Retry-After": email.utils.formatdate(target, usegmt=True)})

    server.route("/busy", busy_until_next_second, Reply(200, "ok"))
    async with PoliteClient(policy()) as client:
        result = await client.get(f"{server.url}/busy")
    assert result.attempts == 2
    seen = server.requests_to("/busy")
    assert len(seen) == 2
    assert gaps(seen)[0] >= 0.95


async def test_retry_after_over_cap_fails_at_once(server: LocalHTTPServer) -> None:
    server.route("/busy", Reply(429, headers={"Retry-After": "7200"}), Reply(200, "ok"))
    started = time.monotonic()
    async with PoliteClient(policy(retry_after_cap=300)) as client:
        with pytest.raises(FetchError) as caught:
            # wait_for: a client that slept through the 2 hours would fail here, not hang.
            await asyncio.wait_for(client.get(f"{server.url}/busy"), timeout=2.0)
    assert time.monotonic() - started < 1.0
    assert caught.value.status == 429
    assert "7200 s" in str(caught.value) and "300 s" in str(caught.value)
    assert len(server.requests_to("/busy")) == 1


@pytest.mark.parametrize("status", [404, 410, 400, 403])
async def test_client_errors_are_not_retried(server: LocalHTTPServer, status: int) -> None:
    server.route("/gone", Reply(status, "nope"), Reply(200, "ok"))
    async with PoliteClient(policy()) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(f"{server.url}/gone")
    assert caught.value.status == status
    assert f"HTTP {status}" in str(caught.value)
    assert len(server.requests_to("/gone")) == 1
    assert client.requests == 1


async def test_503_forever_gives_up_after_max_attempts(server: LocalHTTPServer) -> None:
    server.route("/down", Reply(503, "down"))
    async with PoliteClient(policy(max_attempts=3)) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(f"{server.url}/down")
    assert len(server.requests_to("/down")) == 3
    assert client.requests == 3
    assert caught.value.status == 503
    assert "503" in str(caught.value) and "3 attempts" in str(caught.value)


async def test_503_twice_then_success(server: LocalHTTPServer) -> None:
    server.route("/flaky", Reply(503), Reply(503), Reply(200, "fine"))
    async with PoliteClient(policy()) as client:
        result = await client.get(f"{server.url}/flaky")
    assert (result.status, result.text(), result.attempts) == (200, "fine", 3)
    assert client.requests == 3
    assert client.bytes_received >= len(b"fine")


async def test_connection_refused_gives_up_after_max_attempts() -> None:
    # Bound but not listening: connections are refused, and no other test can take the port.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        clock = FakeClock()
        client = PoliteClient(
            policy(backoff_base=1.0, backoff_max=10.0), sleep=clock.sleep, monotonic=clock.monotonic
        )
        async with client:
            with pytest.raises(FetchError) as caught:
                await client.get(f"http://127.0.0.1:{port}/")
    assert "3 attempts" in str(caught.value) and "ConnectError" in str(caught.value)
    assert caught.value.status is None
    assert client.requests == 3
    assert len(clock.sleeps) == 2  # one backoff before each retry, no real waiting


async def test_backoff_grows_with_jitter_and_is_capped(server: LocalHTTPServer) -> None:
    server.route("/down", Reply(503))
    clock = FakeClock()
    client = PoliteClient(
        policy(max_attempts=5, min_interval=0.0, backoff_base=1.0, backoff_max=3.0),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        rng=random.Random(7),
    )
    async with client:
        with pytest.raises(FetchError):
            await client.get(f"{server.url}/down")
    assert len(server.requests_to("/down")) == 5
    assert len(clock.sleeps) == 4
    for attempt, delay in enumerate(clock.sleeps, start=1):
        ceiling = min(3.0, 1.0 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling, (attempt, delay)
    assert clock.sleeps[1] >= clock.sleeps[0]
    assert max(clock.sleeps) <= 3.0


def test_backoff_delay_bounds_over_many_draws() -> None:
    rng = random.Random(1)
    means = []
    for attempt in range(1, 8):
        ceiling = min(60.0, 2.0 ** (attempt - 1))
        draws = [backoff_delay(attempt, base=1.0, cap=60.0, rng=rng) for _ in range(500)]
        assert min(draws) >= ceiling / 2 > 0
        assert max(draws) <= ceiling <= 60.0
        means.append(sum(draws) / len(draws))
    assert means == sorted(means)


@pytest.mark.parametrize(
    ("retry_after", "base", "expected_low", "expected_high"),
    [("2", 0.05, 2.0, 2.0), ("0", 4.0, 2.0, 4.0)],
    ids=["retry-after-longer", "backoff-longer"],
)
async def test_wait_is_the_longer_of_backoff_and_retry_after(
    server: LocalHTTPServer, retry_after: str, base: float, expected_low: float, expected_high: float
) -> None:
    server.route("/busy", Reply(429, headers={"Retry-After": retry_after}), Reply(200, "ok"))
    clock = FakeClock()
    client = PoliteClient(
        policy(min_interval=0.0, backoff_base=base, backoff_max=10.0),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    async with client:
        await client.get(f"{server.url}/busy")
    assert len(clock.sleeps) == 1
    assert expected_low <= clock.sleeps[0] <= expected_high


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    in_ten = email.utils.format_datetime(now + timedelta(seconds=10), usegmt=True)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(in_ten, now=now) == 10.0
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None


# --------------------------------------------------------------------------- S5 deadlines, sizes, redirects


async def test_trickling_body_is_cut_at_the_deadline(server: LocalHTTPServer) -> None:
    # 0.1 s between bytes never trips httpx's 5 s inactivity timeout; only the
    # overall deadline can stop this 100-byte body (10 s at this pace).
    server.route("/slow", Reply(200, b"x" * 100, trickle=0.1))
    started = time.monotonic()
    async with PoliteClient(policy(deadline=1.0, max_attempts=1)) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(f"{server.url}/slow")
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 2.0
    assert "deadline" in str(caught.value)


async def test_truncated_body_is_retried(server: LocalHTTPServer) -> None:
    body = b"<html>" + b"y" * 994
    server.route("/cut", Reply(200, body, truncate=100), Reply(200, body))
    async with PoliteClient(policy()) as client:
        result = await client.get(f"{server.url}/cut")
    assert result.attempts == 2
    assert result.content == body
    assert len(server.requests_to("/cut")) == 2


async def test_truncated_body_forever_fails(server: LocalHTTPServer) -> None:
    server.route("/cut", Reply(200, b"z" * 1000, truncate=10))
    async with PoliteClient(policy()) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(f"{server.url}/cut")
    assert "3 attempts" in str(caught.value)
    assert len(server.requests_to("/cut")) == 3


@pytest.mark.parametrize("headers", [{}, {"Transfer-Encoding": "chunked"}], ids=["content-length", "chunked"])
async def test_body_over_max_bytes_is_aborted_without_retry(
    server: LocalHTTPServer, headers: dict[str, str]
) -> None:
    server.route("/big", Reply(200, b"b" * 5000, headers=headers))
    async with PoliteClient(policy(max_bytes=1000)) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(f"{server.url}/big")
    assert "1000 byte cap" in str(caught.value)
    assert len(server.requests_to("/big")) == 1


async def test_declared_content_length_over_cap_is_refused_before_reading(server: LocalHTTPServer) -> None:
    # The body is never sent: only the announced size can trigger the refusal.
    server.route("/huge", Reply(200, b"h" * 10, headers={"Content-Length": "50000000"}, truncate=0))
    async with PoliteClient(policy(max_bytes=1000)) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(f"{server.url}/huge")
    assert "body of 50000000 bytes is over the 1000 byte cap" in str(caught.value)
    assert len(server.requests_to("/huge")) == 1


async def test_body_of_exactly_max_bytes_is_accepted(server: LocalHTTPServer) -> None:
    server.route("/fits", Reply(200, b"f" * 1000, headers={"Transfer-Encoding": "chunked"}))
    async with PoliteClient(policy(max_bytes=1000)) as client:
        result = await client.get(f"{server.url}/fits")
    assert len(result.content) == 1000


async def test_redirect_loop_fails_without_retry(server: LocalHTTPServer) -> None:
    server.route("/loop", Reply(302, headers={"Location": "/loop"}))
    async with PoliteClient(policy(max_redirects=5)) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(f"{server.url}/loop")
    assert "more than 5 redirects" in str(caught.value)
    assert len(server.requests_to("/loop")) == 6  # the first request and 5 redirect hops
    assert client.requests == 6


async def test_redirect_is_followed_and_final_url_reported(server: LocalHTTPServer) -> None:
    server.route("/old", Reply(301, headers={"Location": "/new"}))
    server.route("/new", Reply(200, "moved"))
    async with PoliteClient(policy()) as client:
        result = await client.get(f"{server.url}/old")
    assert result.url == f"{server.url}/new"
    assert result.text() == "moved"


# --------------------------------------------------------------------------- S6 conditional GET


async def test_conditional_get_returns_304_without_body(server: LocalHTTPServer, tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"<rss><channel><title>calls</title></channel></rss>")
    modified = "Wed, 21 Oct 2025 07:28:00 GMT"
    server.serve_file("/feed.xml", feed, "application/rss+xml", etag='"v1"', last_modified=modified)
    async with PoliteClient(policy()) as client:
        first = await client.get(f"{server.url}/feed.xml")
        second = await client.get(f"{server.url}/feed.xml", validators=first.validators)
    assert first.status == 200 and not first.not_modified
    assert first.content == feed.read_bytes()
    assert first.validators == {"etag": '"v1"', "last_modified": modified}
    assert second.status == 304 and second.not_modified
    assert second.content == b""
    first_seen, second_seen = server.requests_to("/feed.xml")
    assert "If-None-Match" not in first_seen.headers
    assert second_seen.headers["If-None-Match"] == '"v1"'
    assert second_seen.headers["If-Modified-Since"] == modified


async def test_changed_file_is_served_again(server: LocalHTTPServer, tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"
    feed.write_text('{"v": 2}')
    server.serve_file("/feed.json", feed, "application/json", etag='"v2"')
    async with PoliteClient(policy(min_interval=0.0)) as client:
        result = await client.get(f"{server.url}/feed.json", validators={"etag": '"v1"'})
    assert result.status == 200
    assert result.json() == {"v": 2}


# --------------------------------------------------------------------------- bodies


async def test_json_on_html_body_raises_parse_error(server: LocalHTTPServer) -> None:
    page = "<html><body>Service temporarily unavailable</body></html>"
    server.route("/api", Reply(200, page, headers={"Content-Type": "text/html; charset=utf-8"}))
    async with PoliteClient(policy()) as client:
        result = await client.get(f"{server.url}/api")
    with pytest.raises(ParseError) as caught:
        result.json()
    message = str(caught.value)
    assert message.startswith(f"expected JSON from {server.url}/api, got text/html: '<html><body>")
    assert caught.value.url == f"{server.url}/api"


def test_text_uses_declared_charset_and_falls_back_to_utf8() -> None:
    def result(content: bytes, content_type: str) -> FetchResult:
        return FetchResult("http://x/", 200, httpx.Headers({"Content-Type": content_type}), content, 1)

    assert result("café".encode("latin-1"), "text/html; charset=ISO-8859-1").text() == "café"
    assert result("café".encode(), "text/html").text() == "café"
    # An unknown label is no evidence: bytes that are not UTF-8 go to the detector (issue 16).
    assert result(b"caf\xe9", "text/html; charset=nonsense").text() == "caf\u00e9"
    assert result(b"caf\xe9", "text/html; charset=nonsense").decoded().note == (
        "unknown charset 'nonsense' declared at http://x/; read as cp1252"
    )
    assert result(b'\xef\xbb\xbf{"a": 1}', "application/json").json() == {"a": 1}


async def test_post_sends_multipart_and_json(server: LocalHTTPServer) -> None:
    server.route("/search", Reply(200, '{"totalResults": 0}', headers={"Content-Type": "application/json"}))
    async with PoliteClient(policy(min_interval=0.0)) as client:
        result = await client.post(
            f"{server.url}/search",
            params={"apiKey": "SEDIA", "pageSize": "100"},
            files={"query": (None, '{"bool": {}}', "application/json")},
        )
        await client.post(f"{server.url}/search", json={"a": 1})
    assert result.json() == {"totalResults": 0}
    multipart, as_json = server.requests_to("/search")
    assert multipart.method == "POST" and multipart.query == "apiKey=SEDIA&pageSize=100"
    assert multipart.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="query"' in multipart.body and b'{"bool": {}}' in multipart.body
    assert as_json.body == b'{"a":1}'


# --------------------------------------------------------------------------- test infrastructure


async def test_unrouted_path_is_404_and_recorded(http_server: LocalHTTPServer) -> None:
    async with PoliteClient(policy()) as client:
        with pytest.raises(FetchError) as caught:
            await client.get(f"{http_server.url}/nowhere?x=1")
    assert caught.value.status == 404
    assert [(seen.path, seen.query) for seen in http_server.unrouted] == [("/nowhere", "x=1")]


async def test_replay_transport_serves_recordings_and_fails_loudly() -> None:
    transport = replay_transport(
        {
            "https://api.example.eu/search?page=2": httpx.Response(200, json={"page": 2}),
            "https://api.example.eu/search": httpx.Response(200, json={"page": "any"}),
            "https://api.example.eu/echo": lambda request: httpx.Response(200, text=request.method),
        }
    )
    async with make_client(
        user_agent="test", transport=transport, max_attempts=1, min_interval=0.0
    ) as client:
        assert (await client.get("https://api.example.eu/search", params={"page": 2})).json() == {"page": 2}
        assert (await client.get("https://api.example.eu/search?page=9")).json() == {"page": "any"}
        assert (await client.get("https://api.example.eu/search?page=9")).json() == {"page": "any"}
        assert (await client.post("https://api.example.eu/echo")).text() == "POST"
        with pytest.raises(AssertionError, match=r"no recording for GET https://api\.example\.eu/other"):
            await client.get("https://api.example.eu/other")
