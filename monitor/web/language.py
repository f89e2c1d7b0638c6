"""The language of a page: which one a request is answered in, the `lang` cookie that remembers a
choice, and the switcher's links.

Order: `?lang=xx` (the switcher; remembered in a `lang` cookie for a year), then the language of
the subscriber whose signed link the page is behind, then the `lang` cookie, then the browser's
Accept-Language (q-values honoured), then English. Only offered languages are ever chosen.
Must not render pages or read the database: callers pass the subscriber's language.
"""

from __future__ import annotations

from urllib.parse import urlencode

from babel.core import negotiate_locale
from fastapi import Request, Response

from monitor.render.i18n import SOURCE_LANGUAGE, language_name, offered_languages, supported

COOKIE = "lang"
PARAM = "lang"
YEAR = 365 * 24 * 3600


def _offered(code: str | None) -> str | None:
    """`code` (or its base language) when it is offered, else None."""
    if not code or len(code) > 20:
        return None
    found = supported(code)
    return found if found != SOURCE_LANGUAGE or code.lower().startswith(SOURCE_LANGUAGE) else None


def accepted(header: str) -> str | None:
    """The best offered language of an Accept-Language header, or None."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:30]):
        code, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if code and code != "*" and quality > 0:
            wanted.append((-quality, position, code.strip().replace("-", "_")))
    preferred = [code for _, _, code in sorted(wanted)]
    offered = offered_languages()
    found = negotiate_locale(preferred, offered) or negotiate_locale(
        [code.split("_")[0].lower() for code in preferred], offered
    )
    return found


def chosen(request: Request) -> str | None:
    """The language asked for with `?lang=`, when it is offered."""
    return _offered(request.query_params.get(PARAM))


def page_language(request: Request, subscriber_language: str | None = None) -> str:
    return (
        chosen(request)
        or _offered(subscriber_language)
        or _offered(request.cookies.get(COOKIE))
        or accepted(request.headers.get("accept-language", ""))
        or SOURCE_LANGUAGE
    )


def remember(request: Request, response: Response) -> None:
    """Sets the `lang` cookie when the request chose a language with `?lang=`."""
    code = chosen(request)
    if code is not None and request.cookies.get(COOKIE) != code:
        response.set_cookie(COOKIE, code, max_age=YEAR, path="/", samesite="lax", httponly=True)


def switcher(request: Request, current: str) -> list[dict[str, str | bool]]:
    """A link per offered language to this same page (path and query kept, `lang` replaced)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != PARAM]
    path = "/calls" if request.url.path == "/" else request.url.path  # "/" is the list under another name
    return [
        {
            "code": code,
            "name": language_name(code),
            "url": f"{path}?{urlencode([*kept, (PARAM, code)])}",
            "current": code == current,
        }
        for code in offered_languages()
    ]
