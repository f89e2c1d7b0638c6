"""The shared, polite async HTTP client every source fetches through.

Owns: politeness (one request in flight per host, a minimum interval between
request starts to one host, an identifying User-Agent), sending each attempt
under an overall deadline, a cap on body size, redirect limits, counting what
was sent and received (`measure()`), and `FetchResult`.

Must not: decide retries, backoff or conditional headers (that is
`sources.fetch.policy`), choose a body's encoding (`sources.fetch.decode`),
parse bodies beyond the `FetchResult.text()` / `.json()` helpers, touch the
database or read settings. Failures surface as `sources.errors.FetchError`;
what a failure means for a run is decided by the caller.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from sources.errors import FetchError, ParseError
from sources.fetch.decode import Decoded, Kind, decode_body
from sources.fetch.policy import (
    HttpPolicy,
    Retry,
    conditional_headers,
    error_retry,
    retry_delay,
    status_retry,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchResult:
    """One successful exchange (2xx, or 304 to a conditional GET)."""

    url: str  # final URL after redirects
    status: int
    headers: httpx.Headers
    content: bytes
    attempts: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def validators(self) -> dict[str, str]:
        """Cache validators to send back on the next poll (only those present)."""
        found = {"etag": self.headers.get("ETag"), "last_modified": self.headers.get("Last-Modified")}
        return {key: value for key, value in found.items() if value}

    def decoded(self, kind: Kind = "text") -> Decoded:
        """The body as text by the HTTP (and HTML/XML/JSON) rules, with a note when it was mislabelled."""
        return decode_body(self.content, self.headers.get("Content-Type"), kind=kind, url=self.url)

    def text(self) -> str:
        """The body as text (see `decoded`)."""
        return self.decoded().text

    def json(self) -> Any:
        """The body as JSON, or ParseError saying what came instead (often an HTML error page)."""
        text = self.decoded("json").text.lstrip("\ufeff")  # json.loads rejects a BOM
        try:
            return jsonlib.loads(text)
        except ValueError as exc:
            media_type = (self.headers.get("Content-Type") or "no Content-Type").split(";")[0].strip()
            raise ParseError(
                f"expected JSON from {self.url}, got {media_type}: {text[:80]!r}", url=self.url
            ) from exc


@dataclass
class Usage:
    """Requests sent and bytes received during one `PoliteClient.measure()` block."""

    requests: int = 0
    bytes: int = 0


class PoliteClient:
    """Async HTTP client with per-host politeness, retries, deadlines and a size cap.

    Use as `async with PoliteClient(policy) as client: await client.get(url)`.
    `sleep`, `monotonic` and `rng` are injectable so tests need not wait.
    """

    def __init__(
        self,
        policy: HttpPolicy | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy or HttpPolicy()
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._locks: dict[str, asyncio.Lock] = {}
        self._next_start: dict[str, float] = {}
        self.requests = 0  # every request sent, retries and redirect hops included
        self.bytes_received = 0  # body bytes as received on the wire
        self._client = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": self.policy.user_agent},
            follow_redirects=True,
            max_redirects=self.policy.max_redirects,
            timeout=self.policy.timeout(),
            event_hooks={"request": [self._count_request]},
        )

    @contextmanager
    def measure(self) -> Iterator[Usage]:
        """Count what the block sends and receives, even when it raises."""
        usage = Usage()
        requests, received = self.requests, self.bytes_received
        try:
            yield usage
        finally:
            usage.requests, usage.bytes = self.requests - requests, self.bytes_received - received

    async def __aenter__(self) -> PoliteClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _count_request(self, request: httpx.Request) -> None:
        # An event hook sees every request httpx sends, redirect hops included.
        self.requests += 1

    async def get(
        self,
        url: str,
        *,
        params: Any = None,
        headers: dict[str, str] | None = None,
        validators: dict[str, str] | None = None,
    ) -> FetchResult:
        """GET; with `validators` (from a previous FetchResult) a 304 comes back as not_modified."""
        return await self.request("GET", url, params=params, headers=headers, validators=validators)

    async def post(
        self,
        url: str,
        *,
        params: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> FetchResult:
        return await self.request(
            "POST", url, params=params, data=data, files=files, json=json, headers=headers
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        validators: dict[str, str] | None = None,
    ) -> FetchResult:
        """Send with politeness and retries; FetchError when it cannot succeed."""
        send_headers = {**(headers or {}), **conditional_headers(validators)}
        kwargs = {"params": params, "data": data, "files": files, "json": json, "headers": send_headers}
        host = _host(url)
        lock = self._locks.setdefault(host, asyncio.Lock())
        for attempt in range(1, self.policy.max_attempts + 1):
            # Holding the host lock for the whole attempt keeps at most one
            # request in flight per host; backoff waits happen in _wait_turn.
            async with lock:
                await self._wait_turn(host)
                outcome = await self._attempt(method, url, kwargs, attempt)
            if isinstance(outcome, FetchResult):
                return outcome
            self._after_failure(method, url, host, outcome, attempt)
        raise AssertionError("unreachable: the last attempt either returns or raises")

    def _after_failure(self, method: str, url: str, host: str, retry: Retry, attempt: int) -> None:
        """Give up (FetchError) or schedule the host's next start after the backoff."""
        delay = retry_delay(self.policy, method, url, retry, attempt, self._rng)
        logger.info(
            "%s %s: %s (attempt %s of %s); retrying in %.2f s",
            method,
            url,
            retry.reason,
            attempt,
            self.policy.max_attempts,
            delay,
        )
        # The wait applies to the host, not just this request: a struggling
        # server gets a pause from every caller queued on the same lock.
        not_before = self._monotonic() + delay
        self._next_start[host] = max(self._next_start.get(host, not_before), not_before)

    async def _wait_turn(self, host: str) -> None:
        """Sleep until the host may get its next request; call with the host lock held."""
        next_start = self._next_start.get(host)
        if next_start is not None:
            wait = next_start - self._monotonic()
            if wait > 0:
                logger.debug("waiting %.2f s before the next request to %s", wait, host)
                await self._sleep(wait)
        self._next_start[host] = self._monotonic() + self.policy.min_interval

    async def _attempt(
        self, method: str, url: str, kwargs: dict[str, Any], attempt: int
    ) -> FetchResult | Retry:
        """One exchange under the overall deadline, errors sorted into retryable or fatal."""
        try:
            # httpx timeouts are per read, so a server trickling bytes would
            # never trip them; this bounds the whole attempt, body included.
            async with asyncio.timeout(self.policy.deadline):
                return await self._exchange(method, url, kwargs, attempt)
        except (TimeoutError, httpx.HTTPError, httpx.InvalidURL) as exc:
            return error_retry(exc, self.policy, url)

    async def _exchange(
        self, method: str, url: str, kwargs: dict[str, Any], attempt: int
    ) -> FetchResult | Retry:
        """Send one request and read its body; raises FetchError for fatal statuses."""
        request = self._client.build_request(method, url, **kwargs)
        response = await self._client.send(request, stream=True)
        try:
            status = response.status_code
            retry = status_retry(status, response.headers, str(response.url))
            if retry is not None:
                return retry
            content = b"" if status == 304 else await self._read_capped(response)
        finally:
            await response.aclose()
            self.bytes_received += response.num_bytes_downloaded
        return FetchResult(
            url=str(response.url), status=status, headers=response.headers, content=content, attempts=attempt
        )

    async def _read_capped(self, response: httpx.Response) -> bytes:
        """Stream the body, aborting (not retried) as soon as it passes max_bytes."""
        cap = self.policy.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(f"body of {declared} bytes is over the {cap} byte cap", url=str(response.url))
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise FetchError(f"body is over the {cap} byte cap", url=str(response.url))
            chunks.append(chunk)
        return b"".join(chunks)


def _host(url: str) -> str:
    """The politeness key: the host name, whatever the port or scheme."""
    try:
        return httpx.URL(url).host.lower()
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}", url=url) from exc


def make_client(
    *, user_agent: str, transport: httpx.AsyncBaseTransport | None = None, **policy_overrides: Any
) -> PoliteClient:
    """A PoliteClient with the default policy, a given User-Agent and any overrides."""
    return PoliteClient(HttpPolicy(user_agent=user_agent, **policy_overrides), transport=transport)
