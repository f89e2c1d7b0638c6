"""Error bodies that never carry markup back: JSON with `<`, `>` and `&` escaped, plain text without
angle brackets.

Owns the app's HTTP-error and validation-error handlers and the JSON response class of the API.
Error messages quote what was asked (`country: unknown value '…'`, FastAPI's 422 `input`), so a
link like `/feeds/calls.rss?country=<script>…` would otherwise send the script back. Headers
(nosniff, a content security policy) already stop browsers running it; these bodies make sure
there is nothing to run even for a client that ignores them. JSON keeps its meaning (`\\u003c`
decodes to `<`); plain text shows `\\u003c` where a `<` was asked, which a person can still read.
HTML pages escape through Jinja's autoescaping and are not this module's.
Must not: decide status codes or messages (the routes do), or log.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException

_JSON_SAFE = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))
_NO_BODY = (204, 304)


class SafeJSONResponse(JSONResponse):
    """JSON whose bytes hold no `<`, `>` or `&`: outside strings JSON has none, inside a string
    the `\\u` escape means the same character, so every client reads the same value."""

    def render(self, content: Any) -> bytes:
        body = super().render(content)
        for raw, escaped in _JSON_SAFE:
            body = body.replace(raw, escaped)
        return body


def inert(text: str) -> str:
    """`text` for a text/plain body: angle brackets written as `\\u003c`/`\\u003e`, so no tag opens."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def plain(message: str, status: int, headers: dict[str, str] | None = None) -> PlainTextResponse:
    return PlainTextResponse(inert(message), status_code=status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = getattr(exc, "headers", None)
    if exc.status_code in _NO_BODY or exc.status_code < 200:
        return Response(status_code=exc.status_code, headers=headers)
    return SafeJSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return SafeJSONResponse({"detail": jsonable_encoder(exc.errors())}, status_code=422)


def install(web: FastAPI) -> None:
    """Replace FastAPI's default error handlers (same shapes, safe bytes)."""
    web.add_exception_handler(HTTPException, http_error)
    web.add_exception_handler(RequestValidationError, invalid_request)
