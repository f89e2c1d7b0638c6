"""Security headers on every response, the site's static files, and the versioned links to them.

Owns which policy each response gets, decided by what the response is (its Content-Type and path),
so no route can forget it:

- every response: `X-Content-Type-Options: nosniff` and a `Referrer-Policy`: `same-origin` on
  paths that carry a signed token (confirm, unsubscribe, manage, track, dismiss, private feeds),
  so the token never leaves for another site in a Referer; `strict-origin-when-cross-origin`
  elsewhere. Not `no-referrer`: with it browsers send `Origin: null` with the page's own forms,
  which the CSRF origin check (monitor.web.security) must refuse; the only Referer `same-origin`
  sends goes to this site, whose logs hold the token already (it is in the page's URL);
- HTML pages: a content security policy that runs scripts and styles from the site only
  (`default-src 'self'`, no inline code: the call page's script is /static/call.js, the
  stylesheet /static/style.css), `frame-ancestors 'none'` and `X-Frame-Options: DENY`;
- the OpenAPI pages (/docs, /redoc): their own policy, since the library writes one inline
  script per page: that script's SHA-256 (computed from the bytes served), and inline styles,
  which Swagger UI and ReDoc set from their bundles;
- everything else (RSS, Atom, iCalendar, CSV, JSON, plain-text errors, and HTML fragments meant to be
  pasted elsewhere, a collection's newsletter snippet): `default-src 'none'`, which
  feed readers, calendar clients and scripts ignore, and which stops anything a browser might
  run from such a body; no frame-ancestors, so clients keep fetching and embedding them;
- an unhandled error: the 500 goes out with the same headers (the ASGI server still logs it).

Must not: render pages, change status codes or bodies (the OpenAPI pages are only buffered to be
hashed), or decide caching (`Cache-Control` is the routes').
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static"
TOKEN_PATHS = ("/confirm/", "/unsubscribe/", "/manage/", "/track/", "/dismiss/", "/feeds/profile/",
               "/feeds/tracked/", "/member/", "/c/", "/sign-in/")  # fmt: skip
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
FRAGMENT_SUFFIXES = ("/snippet.html",)  # HTML served to be copied into another document, not shown
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
DATA_POLICY = "default-src 'none'"
# The inline scripts exactly as served: a browser hashes the bytes between the tags.
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def referrer_policy(path: str) -> str:
    return "same-origin" if path.startswith(TOKEN_PATHS) else "strict-origin-when-cross-origin"


def script_hashes(html: bytes) -> str:
    """The CSP source list allowing each inline script of `html`: "'sha256-…' 'sha256-…'", or ""."""
    found = dict.fromkeys(
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(html)
    )
    return " ".join(found)


def secure(message: Message, path: str, body: bytes | None = None) -> None:
    """Put the headers for `path` on a response-start message (`body`: the whole body of a docs page)."""
    headers = MutableHeaders(scope=message)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = referrer_policy(path)
    if not headers.get("content-type", "").startswith("text/html") or path.endswith(FRAGMENT_SUFFIXES):
        headers["Content-Security-Policy"] = DATA_POLICY
        return
    headers["X-Frame-Options"] = "DENY"
    if body is not None:
        hashes = script_hashes(body)
        headers["Content-Security-Policy"] = DOCS_POLICY.format(hashes=f" {hashes}" if hashes else "")
    else:
        headers["Content-Security-Policy"] = PAGE_POLICY


class SecurityHeaders:
    """The ASGI wrapper that applies `secure` to every HTTP response of the app it wraps."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        started = False
        held: list[Message] = []  # a docs page: start and body chunks, sent once hashed

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if path not in DOCS_PATHS:
                    secure(message, path)
                    await send(message)
                    return
            if path not in DOCS_PATHS:
                await send(message)
                return
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                body = b"".join(m.get("body", b"") for m in held[1:])
                secure(held[0], path, body)
                for kept in held:
                    await send(kept)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not started:  # Starlette's 500 would go out without our headers
                start: Message = {"type": "http.response.start", "status": 500,
                                  "headers": [(b"content-type", b"text/plain; charset=utf-8")]}  # fmt: skip
                secure(start, path)
                await send(start)
                await send({"type": "http.response.body", "body": b"Internal Server Error\n"})
            raise


@cache
def asset_version(name: str) -> str:
    """A short hash of a static file, for its URL: a changed file is a new URL, so no browser keeps
    an old copy after an upgrade, while an unchanged one stays cached."""
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def asset(name: str) -> str:
    """The URL of a file in monitor/web/static (the `asset` template global)."""
    return f"{STATIC_URL}/{name}?v={asset_version(name)}"
