"""The shared, polite async HTTP client every source fetches through.

Owns: politeness (one request in flight per host, a minimum interval between
request starts to one host, an identifying User-Agent), retries with
exponential backoff and `Retry-After`, an overall deadline per attempt, a cap
on body size, redirect limits and conditional GET (ETag / Last-Modified).

Must not: parse bodies beyond the `FetchResult.text()` / `.json()` helpers,
touch the database or read settings. Failures surface as
`sources.base.FetchError`; what a failure means for a run is decided by the
caller.
"""

from __future__ import annotations

import asyncio
import codecs
import email.message
import email.utils
import json as jsonlib
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from sources.errors import FetchError, ParseError

logger = logging.getLogger(__name__)

# Scrapy's RETRY_HTTP_CODES: the server (or a proxy/CDN in front of it) is
# overloaded or briefly down, so the same request may well succeed later.
# Every other 4xx/5xx is about the request itself and would fail again.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 522, 524})


class HttpPolicy(BaseModel):
    """How politely and how patiently we fetch. One policy per client."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_agent: str = "Callwatch/0.1 (+https://github.com/callwatch; contact: callwatch@localhost)"
    min_interval: float = Field(default=1.0, ge=0)  # seconds between request STARTS to one host
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)  # httpx inactivity timeout, not a total
    deadline: float = Field(default=120.0, gt=0)  # wall-clock limit per attempt, body included
    max_bytes: int = Field(default=20_000_000, gt=0)
    max_attempts: int = Field(default=3, ge=1)  # 1 try + 2 retries, as Scrapy
    backoff_base: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=60.0, ge=0)
    # A longer Retry-After is not slept through: the run fails now and the next
    # scheduled poll tries again, so one slow source never stalls a whole run.
    retry_after_cap: float = Field(default=300.0, ge=0)
    max_redirects: int = Field(default=5, ge=0)


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

    def text(self) -> str:
        """The body decoded with the declared charset; UTF-8 when absent or unknown."""
        return self.content.decode(_charset(self.headers.get("Content-Type")) or "utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON, or ParseError saying what came instead (often an HTML error page)."""
        text = self.text().lstrip("\ufeff")  # json.loads rejects a BOM
        try:
            return jsonlib.loads(text)
        except ValueError as exc:
            media_type = (self.headers.get("Content-Type") or "no Content-Type").split(";")[0].strip()
            raise ParseError(
                f"expected JSON from {self.url}, got {media_type}: {text[:80]!r}", url=self.url
            ) from exc


def _charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type, if Python knows the codec."""
    if not content_type:
        return None
    message = email.message.Message()
    message["Content-Type"] = content_type
    charset = message.get_content_charset()
    if not charset:
        return None
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date.

    Returns None when absent or unreadable, 0 for a date in the past.
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates come back naive; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with "equal jitter" after failed attempt number `attempt` (1-based).

    Equal jitter (half fixed, half random) rather than full jitter: the delay
    never drops towards zero, so errors never make us poll faster (the
    AutoThrottle rule), while clients that failed together still spread out.
    """
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class _Retry:
    """A failed attempt worth repeating."""

    reason: str
    status: int | None = None
    retry_after: float | None = None


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
            timeout=httpx.Timeout(
                connect=self.policy.connect_timeout,
                read=self.policy.read_timeout,
                write=self.policy.read_timeout,
                pool=self.policy.connect_timeout,
            ),
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
        send_headers = {**(headers or {}), **_conditional_headers(validators)}
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

    def _after_failure(self, method: str, url: str, host: str, retry: _Retry, attempt: int) -> None:
        """Give up (FetchError) or schedule the host's next start after the backoff."""
        total = self.policy.max_attempts
        if attempt >= total:
            raise FetchError(
                f"{method} failed after {attempt} attempt{'s' if attempt > 1 else ''}: {retry.reason}",
                url=url,
                status=retry.status,
            )
        if retry.retry_after is not None and retry.retry_after > self.policy.retry_after_cap:
            raise FetchError(
                f"server asked to wait {retry.retry_after:.0f} s, more than the cap of "
                f"{self.policy.retry_after_cap:.0f} s; leaving it to the next poll",
                url=url,
                status=retry.status,
            )
        delay = backoff_delay(
            attempt, base=self.policy.backoff_base, cap=self.policy.backoff_max, rng=self._rng
        )
        # Retry-After is the server's own word, so it wins whenever it is longer.
        delay = max(delay, retry.retry_after or 0.0)
        logger.info(
            "%s %s: %s (attempt %s of %s); retrying in %.2f s",
            method,
            url,
            retry.reason,
            attempt,
            total,
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
    ) -> FetchResult | _Retry:
        """One exchange under the overall deadline, errors sorted into retryable or fatal."""
        try:
            # httpx timeouts are per read, so a server trickling bytes would
            # never trip them; this bounds the whole attempt, body included.
            async with asyncio.timeout(self.policy.deadline):
                return await self._exchange(method, url, kwargs, attempt)
        except TimeoutError:
            return _Retry(f"deadline of {self.policy.deadline:g} s exceeded")
        except httpx.UnsupportedProtocol as exc:
            raise FetchError(f"unsupported URL scheme: {exc}", url=url) from exc
        except httpx.TransportError as exc:
            # Connect/read errors, timeouts and truncated bodies: all transient.
            return _Retry(f"{type(exc).__name__}: {exc}")
        except httpx.TooManyRedirects as exc:
            raise FetchError(f"more than {self.policy.max_redirects} redirects", url=url) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}", url=url) from exc

    async def _exchange(
        self, method: str, url: str, kwargs: dict[str, Any], attempt: int
    ) -> FetchResult | _Retry:
        """Send one request and read its body; raises FetchError for fatal statuses."""
        request = self._client.build_request(method, url, **kwargs)
        response = await self._client.send(request, stream=True)
        try:
            status = response.status_code
            if status in RETRY_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                return _Retry(f"HTTP {status}", status, retry_after)
            if not (200 <= status < 300 or status == 304):
                raise FetchError(f"HTTP {status}", url=str(response.url), status=status)
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


def _conditional_headers(validators: dict[str, str] | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from stored validators."""
    validators = validators or {}
    headers = {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    return headers


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
