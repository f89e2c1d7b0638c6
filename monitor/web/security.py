"""Protection for the people pages' forms: CSRF tokens, same-origin checks, sign-up rate limits.

Owns two rules (reliability.md X8):

- Every state-changing form carries a signed double-submit token. The browser
  holds a random cookie `callwatch_csrf` (HttpOnly, SameSite=Lax, Secure when
  CALLWATCH_BASE_URL is https); the form holds a hidden field `csrf`, an HMAC
  of that cookie keyed by the app secret and bound to the form's purpose, so
  a field made for one form is refused by another and a cookie planted by a
  neighbouring site is useless without the secret. When a POST says where it
  comes from (Origin, else Referer), that must be CALLWATCH_BASE_URL's origin,
  one of its loopback aliases (localhost, 127.0.0.1, [::1] on the same port),
  or the loopback address the page was served at; a refusal names them.
  The RFC 8058 one-click unsubscribe POST is exempt: mail clients send it
  without cookies, and its signed link is the credential.
- Sign-ups are counted per bucket (one client address, one e-mail address) in
  the database, so every web process sees the same counts. Buckets are HMACs:
  the table never holds an address, e-mail or IP, in clear.

Must not: render pages or change subscriptions. It answers "allowed, or why
not"; the routes decide what the person sees.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from sqlmodel import Session

from db import repo
from monitor.render.i18n import N_  # the refusal page translates these

COOKIE = "callwatch_csrf"
FIELD = "csrf"
_COOKIE_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


@dataclass(frozen=True)
class CheckedForm:
    """A POSTed form and, when it must be refused, why (None: it passed the CSRF check)."""

    fields: Any
    problem: str | None

    def get(self, name: str, default: str = "") -> str:
        value = self.fields.get(name, default)
        return value if isinstance(value, str) else default

    def getlist(self, name: str) -> list[str]:
        return [v for v in self.fields.getlist(name) if isinstance(v, str)]


def origin_of(url: str) -> str:
    """'https://example.org:8443' for any URL on that scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def field_value(key: str, cookie: str, purpose: str) -> str:
    message = f"callwatch.csrf\0{purpose}\0{cookie}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def origin_problem(headers: Mapping[str, str], expected: str | Collection[str]) -> str | None:
    """Why the request's stated origin is not ours, or None (also when it states none)."""
    allowed = {expected} if isinstance(expected, str) else set(expected)
    wanted = " or ".join(sorted(allowed))
    origin = headers.get("origin")
    if origin is not None:
        # "null" comes from sandboxed frames and some redirects: not provably ours.
        if origin.lower() in allowed:
            return None
        return f"the form was sent from {origin[:100]}, but this site expects {wanted} ({_HINT})"
    referer = headers.get("referer")
    if referer and origin_of(referer) not in allowed:
        return f"the form was sent from {origin_of(referer)[:100]}, but this site expects {wanted} ({_HINT})"
    return None


_HINT = "CALLWATCH_BASE_URL; open the site at that address, or set the variable to the one you use"
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def aliases(base_url: str) -> frozenset[str]:
    """The base URL's origin and, when it is a loopback address, its other loopback names on the
    same port: a page opened at http://localhost:8000 is the same site as http://127.0.0.1:8000."""
    parts = urlsplit(base_url)
    found = {origin_of(base_url)}
    if (parts.hostname or "").lower() in ("localhost", "127.0.0.1", "::1"):
        port = f":{parts.port}" if parts.port else ""
        found |= {f"{parts.scheme}://{name}{port}".lower() for name in LOOPBACK}
    return frozenset(found)


def served_from(request: Request) -> str | None:
    """The origin the page was served at, when that is a loopback name (an SSH tunnel, a laptop):
    no other site can be served there, so forms from it are ours whatever CALLWATCH_BASE_URL says."""
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    if name.lower() not in LOOPBACK:
        return None
    return f"{request.url.scheme}://{host}".lower()


def token_problem(keys: Sequence[str], cookie: str | None, sent: str, purpose: str) -> str | None:
    if not cookie or not _COOKIE_SHAPE.match(cookie):
        return N_("the security cookie is missing (are cookies blocked for this site?)")
    if not sent:
        return N_("the form has no security token")
    # Every current or previous secret: a rotation must not break a form open in a browser.
    if not any(hmac.compare_digest(field_value(key, cookie, purpose), sent) for key in keys):
        return N_("the form's security token does not match")
    return None


class CsrfGuard:
    """Makes form tokens for pages and checks them on POST."""

    def __init__(self, secret: str, old_secrets: Sequence[str], base_url: str) -> None:
        self.keys = (secret, *old_secrets)
        self.origin = origin_of(base_url)
        self.origins = aliases(base_url)
        self.secure = base_url.startswith("https://")

    def cookie_of(self, request: Request) -> str | None:
        cookie = request.cookies.get(COOKIE)
        return cookie if cookie and _COOKIE_SHAPE.match(cookie) else None

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(32)

    def field(self, cookie: str, purpose: str) -> str:
        return field_value(self.keys[0], cookie, purpose)

    def set_cookie(self, response: Response, cookie: str) -> None:
        # A session cookie: it only pairs a page with its form, so it need not outlive the browser.
        response.set_cookie(COOKIE, cookie, path="/", httponly=True, samesite="lax", secure=self.secure)

    def check(self, request: Request, fields: Any, purpose: str) -> CheckedForm:
        sent = fields.get(FIELD, "")
        here = served_from(request)
        allowed = self.origins | {here} if here else self.origins
        problem = origin_problem(request.headers, allowed) or token_problem(
            self.keys, request.cookies.get(COOKIE), sent if isinstance(sent, str) else "", purpose
        )
        return CheckedForm(fields, problem)


# --------------------------------------------------------------------------- rate limits


@dataclass(frozen=True)
class Limit:
    name: str  # bucket prefix
    count: int
    window: timedelta


# A person fixing typos needs a few tries; a script signing up strangers needs many.
PER_CLIENT = Limit("signup-client", 10, timedelta(hours=1))
PER_ADDRESS = Limit("signup-address", 5, timedelta(hours=1))
KEEP_HITS = timedelta(days=1)  # longer than every window


class RateLimiter:
    """Counts attempts per bucket in the database; `hit` says when the next one is allowed."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"callwatch.ratelimit", hashlib.sha256).digest()

    def bucket(self, limit: Limit, value: str) -> str:
        digest = hmac.new(self._key, f"{limit.name}\0{value}".encode(), hashlib.sha256).hexdigest()
        return f"{limit.name}:{digest[:40]}"

    def hit(self, session: Session, limit: Limit, value: str, *, now: datetime) -> timedelta | None:
        """Count one attempt: None when allowed (and recorded), else how long until one is.

        Refused attempts are not recorded, so a client that keeps trying is let in as soon
        as its oldest counted attempt leaves the window. Two processes racing may let one
        or two attempts too many through; the e-mail side caps what that could send.
        """
        repo.prune_hits(session, before=now - KEEP_HITS)
        bucket = self.bucket(limit, value)
        count, oldest = repo.count_hits(session, bucket=bucket, since=now - limit.window)
        if count >= limit.count and oldest is not None:
            return max(timedelta(seconds=1), oldest + limit.window - now)
        repo.record_hit(session, bucket=bucket, now=now)
        return None


def retry_after(wait: timedelta) -> str:
    """A Retry-After value: whole seconds, rounded up."""
    return str(int(-(-wait.total_seconds() // 1)))
