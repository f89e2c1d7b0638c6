"""Forms from every address the site answers at (issue 17): a page opened at http://localhost:PORT
while CALLWATCH_BASE_URL says http://127.0.0.1:PORT is the same site, and its forms work; a form from
elsewhere is refused naming the addresses expected. HEAD is answered wherever GET is; /docs needs no
CDN."""

from __future__ import annotations

import re

import pytest

from monitor.web.security import aliases, origin_problem
from tests.mailworld import MailWorld

ANNA = "anna@example.org"
FORM = {"email": ANNA, "keywords": "hydrogen", "frequency": "weekly", "consent": "yes"}


def test_a_form_opened_at_localhost_is_accepted(world: MailWorld) -> None:
    port = world.web.rsplit(":", 1)[1]
    page = f"http://localhost:{port}/subscribe"
    with world.http() as http:
        # A browser states where the form was: the page's own origin, not CALLWATCH_BASE_URL's.
        http.headers["Origin"] = f"http://localhost:{port}"
        answer = world.submit(http, page, FORM)
    assert answer.status_code in (200, 303) and "Nothing was changed" not in answer.text, answer.text
    assert world.wait_for_messages(ANNA)


def test_a_form_from_elsewhere_names_the_addresses_expected(world: MailWorld) -> None:
    with world.http() as http:
        page = http.get(f"{world.web}/subscribe")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        answer = http.post(
            f"{world.web}/subscribe",
            data=FORM | {"csrf": token},
            headers={"Origin": "http://192.168.1.20:8000"},
        )
    port = world.web.rsplit(":", 1)[1]
    assert answer.status_code == 403
    assert (
        f"the form was sent from http://192.168.1.20:8000, but this site expects http://127.0.0.1:{port} "
        f"or http://[::1]:{port} or http://localhost:{port} (CALLWATCH_BASE_URL; open the site at that "
        "address, or set the variable to the one you use)"
    ) in answer.text.replace("&#39;", "'")


@pytest.mark.parametrize(
    ("base", "origin", "accepted"),
    [
        ("http://127.0.0.1:8000", "http://localhost:8000", True),
        ("http://localhost:8000", "http://127.0.0.1:8000", True),
        ("http://127.0.0.1:8000", "http://localhost:8001", False),  # another local service
        ("https://calls.example.org", "https://calls.example.org", True),
        ("https://calls.example.org", "http://localhost", False),  # not an alias of a public name
        ("https://calls.example.org", "https://calls.example.org.evil.test", False),
    ],
)
def test_origin_aliases(base: str, origin: str, accepted: bool) -> None:
    assert (origin_problem({"origin": origin}, aliases(base)) is None) is accepted


def test_head_is_answered_wherever_get_is(world: MailWorld) -> None:
    with world.http() as http:
        for path in ("/", "/calls", "/sources", "/healthz", "/api/calls", "/feeds/calls.rss", "/docs"):
            got, head = http.get(world.web + path), http.head(world.web + path)
            assert (head.status_code, head.content) == (got.status_code, b""), path
            assert head.headers["content-type"] == got.headers["content-type"], path


def test_docs_work_offline(world: MailWorld) -> None:
    with world.http() as http:
        page = http.get(world.web + "/docs").text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert assets and all(a.startswith("/") for a in assets), assets
        assert all(http.get(world.web + a).status_code == 200 for a in assets)
        assert "cdn" not in page.lower()
