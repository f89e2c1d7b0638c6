"""The owners' collection pages over real HTTP (the web app on a loopback port, the local SMTP
server): making a collection, adding calls with notes from the browse and call pages, order,
edits, removal, a co-editor invited by e-mail, strangers answered 404, the review queue, and notes
typed as markup shown as text on every owner page.
"""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from bs4 import BeautifulSoup

from db import repo
from db.engine import session_scope
from monitor.web import collections as collection_pages
from monitor.web.security import Limit
from tests.mailworld import CALLS, MailWorld, call_in, link, utc
from tests.test_web_sign_in import signed_in

SCRIPT, IMAGE = "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"


def create(world: MailWorld, http: httpx.Client, name: str = "Hydrogen picks", **fields: str) -> int:
    answer = world.submit(http, f"{world.web}/collections", {"name": name, **fields}, action="/collections")
    assert answer.status_code == 303, answer.text[:300]
    return int(answer.headers["location"].rsplit("/", 1)[1])


def collect(
    world: MailWorld, http: httpx.Client, page: str, call_id: int, collection: int, note: str = ""
) -> Any:
    """Send the "Add to collection" form of `call_id` on `page` as a browser would."""
    html = http.get(urljoin(world.web, page)).text
    forms = BeautifulSoup(html, "html.parser").find_all("form", action="/collect")
    [form] = [f for f in forms if f.find("input", attrs={"name": "call"})["value"] == str(call_id)]
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input", type="hidden")}
    return http.post(f"{world.web}/collect", data=fields | {"collection": str(collection), "note": note})


def item_form(world: MailWorld, http: httpx.Client, collection: int, call_id: int, **data: str) -> Any:
    page = f"{world.web}/collections/{collection}"
    return world.submit(http, page, data, action=f"/collections/{collection}/items/{call_id}")


def items(world: MailWorld, collection: int) -> list[tuple[int, str]]:
    with session_scope(world.app.engine) as session:
        return [(i.call_id, i.note) for i in repo.collection_items(session, collection_id=collection)]


def test_an_owner_makes_a_collection_and_curates_its_calls(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    a, b, d = (world.call_id(key) for key in "ABD")
    http, _ = signed_in(world)
    with closing(http):
        mine = create(world, http, description="For clusters in Portugal", language="fr")
        added = collect(world, http, "/calls", a, mine, note="Ask Rui about the consortium")
        assert added.status_code == 303 and added.headers["location"] == "/calls?added=1"
        assert "Added to your collection." in http.get(f"{world.web}/calls?added=1").text
        assert collect(world, http, f"/calls/{b}", b, mine).status_code == 303
        assert collect(world, http, "/calls?q=storage", d, mine, note="second round").status_code == 303
        assert items(world, mine) == [(a, "Ask Rui about the consortium"), (b, ""), (d, "second round")]
        page = http.get(f"{world.web}/collections/{mine}")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        titles = [li.find("a").text for li in BeautifulSoup(page.text, "html.parser").select("ol li")]
        assert titles[0].startswith("Green hydrogen") and titles[2] == "Hydrogen storage for German clusters"
        assert (
            f'href="/collections/{mine}/members"' in page.text and f"/collections/{mine}/review" in page.text
        )
        with session_scope(world.app.engine) as session:
            public = repo.get_collection(session, collection_id=mine).public_key
        assert f'href="/c/{public}"' in page.text
        # Order, notes, name, removal.
        assert item_form(world, http, mine, d, action="up").status_code == 303
        assert [c for c, _ in items(world, mine)] == [a, d, b]
        item_form(world, http, mine, a, action="down")
        item_form(world, http, mine, b, action="note", note="Deadline is tight")
        assert items(world, mine) == [
            (d, "second round"),
            (a, "Ask Rui about the consortium"),
            (b, "Deadline is tight"),
        ]
        edit = world.submit(http, f"{world.web}/collections/{mine}", {"name": "H2 picks", "description": "",
                                                                      "language": "pl"})  # fmt: skip
        assert edit.status_code == 303
        item_form(world, http, mine, d, action="remove")
        assert [c for c, _ in items(world, mine)] == [a, b]
        with session_scope(world.app.engine) as session:
            row = repo.get_collection(session, collection_id=mine)
            assert (row.name, row.description, row.language) == ("H2 picks", "", "pl")
        listing = http.get(f"{world.web}/collections")
        assert "H2 picks" in listing.text and "2 calls" in listing.text
        # Without its CSRF token a form changes nothing.
        assert (
            http.post(f"{world.web}/collections/{mine}/items/{a}", data={"action": "remove"}).status_code
            == 403
        )
        assert [c for c, _ in items(world, mine)] == [a, b]


def test_a_not_signed_in_visitor_sees_no_form_and_cannot_post(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    a = world.call_id("A")
    with world.http() as http:
        assert 'action="/collect"' not in http.get(f"{world.web}/calls").text
        page = http.get(f"{world.web}/calls/{a}")
        assert 'action="/collect"' not in page.text and "Sign in to collect" in page.text
        assert http.post(f"{world.web}/collect", data={"call": str(a), "collection": "1"}).status_code == 303


def test_an_invited_co_editor_signs_in_through_the_invitation_and_edits(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    owner, _ = signed_in(world)
    mine = create(world, owner)
    sent = world.submit(owner, f"{world.web}/collections/{mine}", {"email": "bob@example.org"},
                        action=f"/collections/{mine}/editors")  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"].endswith("done=invited")
    [invitation] = world.wait_for_messages("bob@example.org")
    assert invitation["X-Callwatch-Kind"] == "invitation" and "Hydrogen picks" in invitation["Subject"] + str(
        invitation.get_body(preferencelist=("plain",)).get_content()
    )
    url = link(invitation, "sign-in")
    bob = world.http()
    assert bob.get(f"{world.web}/collections/{mine}").status_code == 303  # not yet signed in
    offer = bob.get(url)
    assert offer.status_code == 403 and "another browser" in offer.text
    world.submit(bob, url, action=url.replace(world.web, "") + "/again")
    [_, fresh] = world.wait_for_messages("bob@example.org", 2)
    done = world.submit(bob, link(fresh, "sign-in"))
    assert done.status_code == 303 and done.headers["location"] == f"/collections/{mine}"
    assert bob.get(f"{world.web}/collections/{mine}").status_code == 200
    assert collect(world, bob, "/calls", world.call_id("B"), mine, note="from Bob").status_code == 303
    with session_scope(world.app.engine) as session:
        [(editor, email)] = repo.editors_of(session, collection_id=mine)
        assert email == "bob@example.org" and editor.accepted_at is not None
        assert repo.subscriber_by_email(session, email="bob@example.org").status == "confirmed"
    assert items(world, mine) == [(world.call_id("B"), "from Bob")]
    # The owner takes Bob off: his session stays, the collection is no longer his to see.
    removed = world.submit(owner, f"{world.web}/collections/{mine}", {"email": "bob@example.org"},
                           action=f"/collections/{mine}/editors/remove")  # fmt: skip
    assert removed.status_code == 303
    assert bob.get(f"{world.web}/collections/{mine}").status_code == 404
    assert bob.get(f"{world.web}/collections").status_code == 200
    owner.close()
    bob.close()


def test_invitations_are_rate_limited_per_editor(world: MailWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collection_pages, "INVITES", Limit("collection-invite", 2, timedelta(hours=1)))
    owner, _ = signed_in(world)
    with closing(owner):
        mine = create(world, owner)
        answers = [
            world.submit(owner, f"{world.web}/collections/{mine}", {"email": f"guest{n}@example.org"},
                         action=f"/collections/{mine}/editors").headers["location"]
            for n in range(3)
        ]  # fmt: skip
        assert [a.rsplit("=", 1)[1] for a in answers] == ["invited", "invited", "too-many"]
        world.settle()
        assert world.messages_to("guest2@example.org") == []
        with session_scope(world.app.engine) as session:
            assert len(repo.editors_of(session, collection_id=mine)) == 2


def test_a_stranger_gets_404_everywhere_and_changes_nothing(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    a = world.call_id("A")
    owner, _ = signed_in(world)
    mine = create(world, owner)
    collect(world, owner, "/calls", a, mine, note="mine")
    stranger, _ = signed_in(world, "eve@example.org")
    with closing(owner), closing(stranger):
        own = create(world, stranger, name="Eve's")
        collect(world, stranger, "/calls", a, own)  # so her page has an item form to copy
        for path in (f"/collections/{mine}", f"/collections/{mine}/review", "/collections/99999"):
            page = stranger.get(f"{world.web}{path}")
            assert page.status_code == 404 and "Hydrogen picks" not in page.text, path
        # Her own page's tokens are valid: only the collection is not hers.
        base = f"{world.web}/collections/{own}"
        forms = [
            (f"/collections/{mine}", {"name": "taken"}),
            (f"/collections/{mine}/filter", {"filter": "q=x"}),
            (f"/collections/{mine}/editors", {"email": "eve2@example.org"}),
            (f"/collections/{mine}/items/{a}", {"action": "remove"}),
            (f"/collections/{mine}/review", {"call": str(a), "action": "dismiss"}),
        ]
        for action, data in forms:
            copied = base + "/review" if action.endswith("/review") else base
            world.submit(stranger, f"{world.web}/collections/{own}", {"filter": "q=hydrogen"},
                         action=f"/collections/{own}/filter")  # fmt: skip
            page = world.submit(stranger, copied, data, action=action.replace(str(mine), str(own)), to=action)
            assert page.status_code == 404, action
        assert collect(world, stranger, "/calls", a, mine, note="eve").status_code == 404
    assert items(world, mine) == [(a, "mine")]
    with session_scope(world.app.engine) as session:
        assert repo.get_collection(session, collection_id=mine).name == "Hydrogen picks"
        assert repo.editors_of(session, collection_id=mine) == []


def _review(world: MailWorld, http: httpx.Client, collection: int) -> list[str]:
    page = http.get(f"{world.web}/collections/{collection}/review")
    assert page.status_code == 200
    return [li.find("a").text for li in BeautifulSoup(page.text, "html.parser").select("ol.review li")]


def test_the_review_queue_accepts_and_dismisses_for_good(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    a, e = world.call_id("A"), world.call_id("E")
    http, _ = signed_in(world)
    with closing(http):
        mine = create(world, http)
        assert _review(world, http, mine) == []
        wanted = {"filter": f"{world.web}/calls?country=PT&q=electrolyser&page=3"}
        saved = world.submit(
            http, f"{world.web}/collections/{mine}", wanted, action=f"/collections/{mine}/filter"
        )
        assert saved.status_code == 303
        with session_scope(world.app.engine) as session:
            assert (
                repo.get_collection(session, collection_id=mine).filter_query == "q=electrolyser&country=PT"
            )
        bad = world.submit(http, f"{world.web}/collections/{mine}", {"filter": "?country=Atlantis"},
                           action=f"/collections/{mine}/filter")  # fmt: skip
        assert bad.status_code == 422 and "country" in bad.text
        queue = _review(world, http, mine)
        assert len(queue) == 2 and any(t.startswith("Green hydrogen") for t in queue)
        page = f"{world.web}/collections/{mine}/review"
        action = f"/collections/{mine}/review"
        assert (
            world.submit(
                http, page, {"call": str(a), "action": "accept", "note": "yes"}, action=action
            ).status_code
            == 303
        )
        assert (
            world.submit(http, page, {"call": str(e), "action": "dismiss"}, action=action).status_code == 303
        )
        assert _review(world, http, mine) == []
        assert items(world, mine) == [(a, "yes")]
        # The dismissed call changes at its source: still never offered again.
        changed = call_in(
            "E", "Electrolyser supply chain, second call", deadline="2026-12-20T16:00:00Z", countries=["PT"]
        )
        world.seed([changed], now=utc("2026-11-22T09:00:00Z"))
        world.web_clock.at = utc("2026-11-22T10:00:00Z")
        assert _review(world, http, mine) == []
        item_form(world, http, mine, a, action="remove")
        assert _review(world, http, mine) == []  # removed is decided too


def test_notes_and_names_typed_as_markup_are_shown_as_text_on_every_owner_page(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    a, b = world.call_id("A"), world.call_id("B")
    http, _ = signed_in(world)
    with closing(http):
        mine = create(world, http, name=f"Picks {SCRIPT}", description=IMAGE)
        collect(world, http, "/calls", a, mine, note=SCRIPT)
        collect(world, http, f"/calls/{b}", b, mine, note=IMAGE)
        world.submit(
            http,
            f"{world.web}/collections/{mine}",
            {"filter": "q=hydrogen"},
            action=f"/collections/{mine}/filter",
        )
        assert items(world, mine) == [(a, SCRIPT), (b, IMAGE)]  # stored as typed
        pages = [
            "/collections",
            f"/collections/{mine}",
            f"/collections/{mine}/review",
            "/calls",
            f"/calls/{a}",
        ]
        for path in pages:
            page = http.get(f"{world.web}{path}")
            assert page.status_code == 200, path
            assert SCRIPT not in page.text and "<img src=x" not in page.text, path
        detail = http.get(f"{world.web}/collections/{mine}").text
        assert (
            "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
            and "&lt;img src=x onerror=alert(1)&gt;" in detail
        )
        soup = BeautifulSoup(detail, "html.parser")
        assert [p.text for p in soup.select("p.note")] == [SCRIPT, IMAGE]
        assert not soup.find("script") and not soup.find("img")
