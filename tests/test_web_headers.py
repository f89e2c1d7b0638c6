"""Security headers on every response of the web app, and error bodies that never send markup back.

Every route of `create_app` is requested over real HTTP (tests/mailworld.py) with each of its
methods, path parameters filled with real ids and live signed tokens of a seeded world; a route
with a parameter this test cannot fill fails it, so a new route cannot go unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from starlette.routing import Mount

from db import repo
from db.engine import session_scope
from monitor.chatseal import Sealer
from monitor.web import create_app
from monitor.web.headers import DATA_POLICY, PAGE_POLICY
from tests.mailworld import CALLS, MailWorld, utc

ANNA = "anna@example.org"
SCRIPT = "<script>alert(1)</script>"
ROOT = Path(__file__).resolve().parents[1]
SIGNED = (
    "/confirm/",
    "/unsubscribe/",
    "/manage/",
    "/track/",
    "/dismiss/",
    "/feeds/profile/",
    "/feeds/tracked/",
    "/member/",
    "/c/",
    "/sign-in/",
)


def _world_links(world: MailWorld) -> dict[str, str]:
    """Path parameters by name, and the signed paths by their route's first segment."""
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    result = world.cli("subscribe", ANNA, "--keywords", "hydrogen", "--country", "PT", "--confirmed")
    assert result.exit_code == 0, result.output
    call = world.call_id("A")
    links = world.app.links
    with session_scope(world.app.engine) as session:
        anna = repo.subscriber_by_email(session, email=ANNA)
        [profile] = repo.profiles_of(session, subscriber_ids=[anna.id])[anna.id]
        urls = {
            "confirm": links.confirm(anna),
            "unsubscribe": links.unsubscribe(anna),
            "manage": links.manage(anna),
            "track": links.track(anna, call),
            "dismiss": links.dismiss(anna, profile.id, call),
            "profile": links.profile_feed(anna, profile, "rss"),
            "tracked": links.tracked_calendar(anna),
        }
        profile_id = profile.id
        collection = repo.create_collection(
            session, owner_id=anna.id, name=SCRIPT, now=utc("2026-11-21T09:00:00Z")
        )
        repo.add_to_collection(
            session, collection_id=collection.id, call_id=call, by=anna.id, now=collection.created_at
        )
        member = repo.join_collection(
            session, collection_id=collection.id, subscriber_id=anna.id, now=world.app.clock()
        )
        urls |= {
            "member-confirm": links.join_confirm(anna, member.id),
            "member-leave": links.member_leave(anna, member.id),
            "member-interest": links.interest(anna, member.id, call, 0),
        }
        published = {"key": collection.public_key}  # a published collection: /c/{key}/…
        sealer = Sealer(world.app.settings.secret())
        url = "json://hooks.example.org/hk-0123456789abcdef"
        target = repo.add_chat_target(
            session, subscriber_id=anna.id, sealed_url=sealer.seal(url), fingerprint=sealer.fingerprint(url),
            masked="json://hooks.example.org/…cdef", kinds=["digest"], now=utc("2026-11-21T09:00:00Z"),
        )  # fmt: skip
        extra_ids = {"target_id": str(target.id)}
    signed = {key: urlsplit(url).path.rsplit("/", 1)[1] for key, url in urls.items()}
    # A sign-in nonce that is not one (refused pages get the headers too); a collection nobody may see.
    extra = {"nonce": "A" * 43, "collection_id": "1"}
    return {
        "call_id": str(call),
        "profile_id": str(profile_id),
        "fmt": "rss",
        **extra,
        **extra_ids,
        **signed,
        **published,
    }


def _fill(path: str, values: dict[str, str]) -> str:
    parts = path.strip("/").split("/")
    first = (
        parts[1] if path.startswith("/feeds/") else f"member-{parts[1]}" if parts[0] == "member" else parts[0]
    )

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("token", "name"):
            return values[first]
        if name not in values:
            pytest.fail(f"{path}: this test cannot fill {{{name}}}; add a real value for it")
        return values[name]

    return re.sub(r"\{(\w+)(?::\w+)?\}", value, path)


def routes(found: Iterable[Any], prefix: str = "") -> Iterator[Any]:
    """Every route, nested routers opened (FastAPI keeps an included router as one entry)."""
    for route in found:
        if hasattr(route, "original_router"):
            yield from routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif prefix:
            yield SimpleNamespace(path=prefix + route.path, methods=getattr(route, "methods", None))
        else:
            yield route


def _requests(world: MailWorld) -> list[tuple[str, str]]:
    """(method, path) for every method of every route, GETs first (a POST may unsubscribe Anna)."""
    values = _world_links(world)
    found: list[tuple[str, str]] = []
    for route in routes(create_app(world.app).routes):
        if isinstance(route, Mount):
            files = {"/static": ("style.css", "call.js"), "/static-offline-docs": ("swagger-ui.css",)}
            found += [("GET", f"{route.path}/{name}") for name in files[route.path]]
            continue
        methods = sorted(getattr(route, "methods", None) or {"GET"})
        found += [(method, _fill(route.path, values)) for method in methods]  # type: ignore[attr-defined]
    found += [("GET", "/calls.csv?country=PT"), ("GET", "/feeds/calls.ics"), ("GET", "/feeds/calls.atom")]
    return sorted(found, key=lambda pair: pair[0] == "POST")


def assert_secured(response: httpx.Response, path: str) -> None:
    headers = response.headers
    where = f"{response.request.method} {path} ({response.status_code})"
    assert headers.get("x-content-type-options") == "nosniff", where
    referrer = "same-origin" if path.startswith(SIGNED) else "strict-origin-when-cross-origin"
    assert headers.get("referrer-policy") == referrer, where
    policy = headers.get("content-security-policy", "")
    fragment = path.endswith("/snippet.html")  # HTML to paste elsewhere: nothing in it may run here
    if headers.get("content-type", "").startswith("text/html") and not fragment:
        assert headers.get("x-frame-options") == "DENY", where
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, where
        if not path.startswith(("/docs", "/redoc")):
            assert policy == PAGE_POLICY, where
            assert "'unsafe-inline'" not in policy and not inline_code(response.text), where
    else:
        assert policy == DATA_POLICY and "frame-ancestors" not in policy, where
        assert "x-frame-options" not in headers, where


def inline_code(html: str) -> list[str]:
    """What the page policy would block: inline scripts and styles, event handlers, style attributes."""
    soup = BeautifulSoup(html, "html.parser")
    found = [str(tag)[:80] for tag in soup.find_all("style")]
    found += [str(tag)[:80] for tag in soup.find_all("script") if not tag.get("src")]
    for tag in soup.find_all(True):
        found += [f"{tag.name} {name}=" for name in tag.attrs if name == "style" or name.startswith("on")]
        found += [f"{tag.name} {name}" for name, v in tag.attrs.items() if str(v).startswith("javascript:")]
    return found


def test_no_web_template_holds_inline_code() -> None:
    """Every template, also those of states the route walk does not reach (the page policy would
    block inline scripts, <style>, style="" and on…= handlers: they would silently do nothing)."""
    inline = re.compile(r"<style|<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+\s*=|javascript:", re.IGNORECASE)
    templates = sorted((ROOT / "templates" / "web").glob("*.html"))
    assert len(templates) > 10
    assert [(t.name, m.group()) for t in templates for m in inline.finditer(t.read_text())] == []


def test_every_route_sends_the_security_headers(world: MailWorld) -> None:
    requests = _requests(world)
    paths = {path.split("?")[0] for _, path in requests}
    assert {"/calls", "/docs", "/redoc", "/openapi.json", "/healthz", "/subscribe"} <= paths
    assert any(p.startswith("/manage/") and p.endswith("/export") for p in paths)
    with httpx.Client(base_url=world.web, follow_redirects=False, timeout=10) as http:
        for method, path in requests:
            response = http.request(method, path)
            assert response.status_code < 500, (method, path, response.text[:300])
            # A forged sign-in link is refused; the collections send a visitor to sign in first.
            if method == "GET" and not path.startswith(
                ("/docs/oauth2", "/calls/", "/sign-in/", "/collections")
            ):
                assert response.status_code == 200, (method, path, response.status_code)
            assert_secured(response, path)
        for method, path in (("GET", "/nowhere"), ("DELETE", "/calls"), ("GET", "/api/calls?page=x")):
            assert_secured(http.request(method, path), path)


def test_signed_pages_and_the_call_page_answer_with_their_policy(world: MailWorld) -> None:
    values = _world_links(world)
    with httpx.Client(base_url=world.web, timeout=10) as http:
        page = http.get(f"/calls/{values['call_id']}")
        assert page.status_code == 200 and 'src="/static/call.js?v=' in page.text
        style = http.get(re.search(r'href="(/static/style\.css\?v=\w+)"', page.text).group(1))
        assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
        script = http.get("/static/call.js")
        assert "javascript" in script.headers["content-type"] and "data-local-time" in script.text
        manage = http.get(f"/manage/{values['manage']}")
        assert manage.status_code == 200 and manage.headers["cache-control"] == "no-store"
        assert manage.headers["referrer-policy"] == "same-origin"
        assert http.head(f"/manage/{values['manage']}").headers["content-security-policy"] == PAGE_POLICY


def test_docs_pages_allow_exactly_their_own_inline_script(world: MailWorld) -> None:
    import base64
    import hashlib

    with httpx.Client(base_url=world.web, timeout=10) as http:
        for path in ("/docs", "/redoc"):
            page = http.get(path)
            inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
            assert inline or path == "/redoc", path  # ReDoc's page only loads its bundle
            for body in inline:
                digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
                assert f"'sha256-{digest}'" in page.headers["content-security-policy"], path
            assert (
                http.head(path).headers["content-security-policy"] == page.headers["content-security-policy"]
            )


def test_an_unhandled_error_is_a_500_with_the_headers(
    world: MailWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database fell over")

    monkeypatch.setattr(repo, "list_sources", broken)
    with TestClient(create_app(world.app), raise_server_exceptions=False) as client:
        response = client.get("/sources")
    assert response.status_code == 500 and "fell over" not in response.text
    assert_secured(response, "/sources")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "path",
    [
        f"/feeds/calls.rss?country={SCRIPT}",
        f"/feeds/calls.atom?programme={SCRIPT}",
        f"/feeds/calls.ics?limit={SCRIPT}",
        f"/feeds/calls.rss?deadline_from={SCRIPT}",
        f"/api/calls?country={SCRIPT}",
        f"/api/calls?page={SCRIPT}",
        f"/api/calls?per_page={SCRIPT}",
        f"/calls.csv?source={SCRIPT}",
        f"/calls?country={SCRIPT}",
        f"/calls/{SCRIPT}",
        f"/feeds/profile/{SCRIPT}.rss",
        f"/manage/{SCRIPT}",
        f"/confirm/{SCRIPT}",
        f"/{SCRIPT}",
    ],
)
def test_error_bodies_and_echoed_filters_never_send_markup_back(world: MailWorld, path: str) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    with httpx.Client(base_url=world.web, timeout=10) as http:
        response = http.get(path)
    assert response.status_code in (200, 400, 404, 410, 422), (path, response.status_code)
    assert "<script" not in response.text.lower(), (path, response.text[:300])
    if response.headers["content-type"].startswith("application/json"):
        assert "<script>" in str(response.json()) or response.status_code == 404  # same meaning, safe bytes
    assert_secured(response, path.split("?")[0])


def test_links_from_a_clock_two_minutes_ahead_work_ten_minutes_do_not(world: MailWorld) -> None:
    values = _world_links(world)
    web_clock = world.web_clock.at
    with session_scope(world.app.engine) as session:
        anna = repo.subscriber_by_email(session, email=ANNA)
        world.app.clock = lambda: web_clock + timedelta(minutes=2)  # the worker's clock, ahead
        soon = world.app.links.manage(anna)
        world.app.clock = lambda: web_clock + timedelta(minutes=10)
        later = world.app.links.manage(anna)
    world.app.clock = world.web_clock
    assert values["manage"] not in (soon, later)
    with httpx.Client(timeout=10) as http:
        assert http.get(soon).status_code == 200
        refused = http.get(later)
    assert refused.status_code == 400 and "not valid yet" in refused.text
