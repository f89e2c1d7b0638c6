"""How politely and how patiently the shared client fetches: the rules, not the sending.

Owns: `HttpPolicy` (intervals, timeouts, caps, attempts); which statuses and transport errors
are usable, worth a retry or fatal; the backoff delay after a failed attempt; reading
`Retry-After`; the decision to give up; and the conditional-GET request headers built from
stored validators.

Must not: send requests, sleep, or keep per-host state (that is `sources.fetch.client`), touch
the database or read settings. Giving up surfaces as `sources.errors.FetchError`.
"""

from __future__ import annotations

import email.utils
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, ConfigDict, Field

from sources.errors import FetchError

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

    def timeout(self) -> httpx.Timeout:
        """The httpx per-operation timeouts (the overall deadline is the client's)."""
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.read_timeout,
            pool=self.connect_timeout,
        )


@dataclass(frozen=True)
class Retry:
    """A failed attempt worth repeating."""

    reason: str
    status: int | None = None
    retry_after: float | None = None


def status_retry(status: int, headers: httpx.Headers, url: str) -> Retry | None:
    """None for a usable status (2xx, 304), a Retry for a transient one, FetchError otherwise."""
    if status in RETRY_STATUSES:
        return Retry(f"HTTP {status}", status, parse_retry_after(headers.get("Retry-After")))
    if not (200 <= status < 300 or status == 304):
        raise FetchError(f"HTTP {status}", url=url, status=status)
    return None


def error_retry(exc: Exception, policy: HttpPolicy, url: str) -> Retry:
    """A Retry for a transient failure of one attempt; FetchError (from `exc`) for a fatal one."""
    if isinstance(exc, TimeoutError):
        return Retry(f"deadline of {policy.deadline:g} s exceeded")
    if isinstance(exc, httpx.TimeoutException):
        # httpx says only "ReadTimeout" (often with an empty message): name the limit that tripped.
        limit = (
            policy.connect_timeout
            if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            else (policy.read_timeout)
        )
        return Retry(f"{type(exc).__name__} after {limit:g} s")
    if isinstance(exc, httpx.UnsupportedProtocol):
        raise FetchError(f"unsupported URL scheme: {exc}", url=url) from exc
    if isinstance(exc, httpx.TransportError):
        # Connect/read errors, timeouts and truncated bodies: all transient.
        return Retry(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, httpx.TooManyRedirects):
        raise FetchError(f"more than {policy.max_redirects} redirects", url=url) from exc
    raise FetchError(f"{type(exc).__name__}: {exc}", url=url) from exc


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


def retry_delay(
    policy: HttpPolicy, method: str, url: str, retry: Retry, attempt: int, rng: random.Random
) -> float:
    """Seconds before the next attempt, or FetchError when the policy says to give up."""
    if attempt >= policy.max_attempts:
        raise FetchError(
            f"{method} failed after {attempt} attempt{'s' if attempt > 1 else ''}: {retry.reason}",
            url=url,
            status=retry.status,
        )
    if retry.retry_after is not None and retry.retry_after > policy.retry_after_cap:
        raise FetchError(
            f"server asked to wait {retry.retry_after:.0f} s, more than the cap of "
            f"{policy.retry_after_cap:.0f} s; leaving it to the next poll",
            url=url,
            status=retry.status,
        )
    delay = backoff_delay(attempt, base=policy.backoff_base, cap=policy.backoff_max, rng=rng)
    # Retry-After is the server's own word, so it wins whenever it is longer.
    return max(delay, retry.retry_after or 0.0)


def conditional_headers(validators: dict[str, str] | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from stored validators."""
    validators = validators or {}
    headers = {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    return headers
