"""The owner's newsletter page over real HTTP: /collections/{id}/members shows members, the next
issue and the interest members showed; its button sends the issue once, however often pressed;
nobody but the owner and co-editors sees it; what members typed is shown as text.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from bs4 import BeautifulSoup

from db import repo
from db.engine import session_scope
from monitor.deliver.sender import deliver
from tests.httpserver import LocalHTTPServer, Reply
from tests.mailworld import CALLS, MailWorld, link, utc
from tests.test_chat_targets import HIDDEN, PATH, SECRET, chat_world  # noqa: F401 - the fixture
from tests.test_members import ANNA, BORIS, _issues, _join_and_confirm
from tests.test_web_collections import create
from tests.test_web_sign_in import signed_in

OWNER = "owner@cluster.example.org"
SCRIPT = "<script>alert(1)</script>"


def _owned_collection(world: MailWorld):  # noqa: ANN202
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    http, _ = signed_in(world, OWNER)
    collection_id = create(world, http, "Hydrogen SMEs")
    with session_scope(world.app.engine) as session:
        for key, note in (("A", f"Apply early {SCRIPT}"), ("B", "")):
            repo.add_to_collection(
                session,
                collection_id=collection_id,
                call_id=world.call_id(key),
                by=None,
                now=world.app.clock(),
                note=note,
            )
        key = repo.get_collection(session, collection_id=collection_id).public_key
    return http, collection_id, key


def _page(world: MailWorld, http, collection_id: int) -> BeautifulSoup:  # noqa: ANN001
    answer = http.get(f"{world.web}/collections/{collection_id}/members")
    assert answer.status_code == 200, answer.text[:300]
    return BeautifulSoup(answer.text, "html.parser")


def _send(world: MailWorld, http, collection_id: int):  # noqa: ANN001, ANN202
    page = f"{world.web}/collections/{collection_id}/members"
    answer = world.submit(http, page, action=f"/collections/{collection_id}/issues")
    assert answer.status_code == 303, answer.text[:300]
    world.settle()
    return answer.headers["location"]


def test_the_owner_sends_an_issue_once_and_sees_interest(world: MailWorld) -> None:
    http, collection_id, key = _owned_collection(world)
    _join_and_confirm(world, key, ANNA, visible="yes", display_name=f"Anna {SCRIPT}", organisation="H2 Lda")
    _join_and_confirm(world, key, BORIS)

    page = _page(world, http, collection_id)
    assert "2 members receive the issues." in page.text
    assert [li.strong.text for li in page.select("ol > li")] == [
        "Green hydrogen electrolyser pilots for SMEs", "Digital vouchers for tourism SMEs",
    ]  # fmt: skip
    stale = {
        i["name"]: i.get("value", "")
        for i in page.select(f"form[action='/collections/{collection_id}/issues'] input")
    }
    assert stale["number"] == "1"
    assert f"/c/{key}/join" in page.text

    assert _send(world, http, collection_id).endswith("notice=sent&count=2")
    asyncio.run(deliver(world.app))
    assert len(_issues(world, ANNA)) == len(_issues(world, BORIS)) == 1

    # The same form again (a second tab, a double click): nothing is sent twice.
    again = http.post(f"{world.web}/collections/{collection_id}/issues", data=stale)
    assert again.status_code == 303 and "notice=already" in again.headers["location"]
    with session_scope(world.app.engine) as session:
        repo.add_to_collection(
            session, collection_id=collection_id, call_id=world.call_id("D"), by=None, now=world.app.clock()
        )
    again = http.post(f"{world.web}/collections/{collection_id}/issues", data=stale)
    assert "notice=already" in again.headers["location"]
    world.settle()
    asyncio.run(deliver(world.app))
    assert len(_issues(world, ANNA)) == 1

    # Anna is interested in the first call; the page shows 1 and her name, as text.
    with world.http() as member:
        assert world.submit(member, link(_issues(world, ANNA)[0], "member/interest")).status_code == 200
    page = _page(world, http, collection_id)
    assert [td.text for td in page.select("td.interest-count")] == ["1"]
    raw = http.get(f"{world.web}/collections/{collection_id}/members").text
    assert SCRIPT not in raw and "Anna &lt;script&gt;alert(1)&lt;/script&gt; (H2 Lda)" in raw
    assert "Issue 1" in page.text and "2 recipients" in page.text


def test_nothing_new_sends_nothing(world: MailWorld) -> None:
    http, collection_id, key = _owned_collection(world)
    _join_and_confirm(world, key, ANNA)
    form = _page(world, http, collection_id).select(
        f"form[action='/collections/{collection_id}/issues'] input"
    )
    _send(world, http, collection_id)
    # A form for issue 2 (the page offers none: nothing new) is answered "nothing new".
    fields = {i["name"]: i.get("value", "") for i in form} | {"number": "2"}
    answer = http.post(f"{world.web}/collections/{collection_id}/issues", data=fields)
    assert "notice=nothing" in answer.headers["location"]
    assert (
        "Every call in the collection went out in an earlier issue" in _page(world, http, collection_id).text
    )


def test_only_editors_see_or_send(world: MailWorld) -> None:
    http, collection_id, key = _owned_collection(world)
    _join_and_confirm(world, key, ANNA)
    stranger, _ = signed_in(world, "stranger@example.org")
    assert stranger.get(f"{world.web}/collections/{collection_id}/members").status_code == 404
    fields = {"number": "1"}
    answer = world.submit(
        stranger, f"{world.web}/collections", fields, to=f"/collections/{collection_id}/issues"
    )
    assert answer.status_code in (403, 404)
    anonymous = world.http().get(f"{world.web}/collections/{collection_id}/members")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/sign-in")
    world.settle()
    assert _issues(world, ANNA) == []


def test_a_collection_chat_channel_gets_each_issue_with_its_notes(
    chat_world: MailWorld,  # noqa: F811 - the fixture
    http_server: LocalHTTPServer,
) -> None:
    world, server = chat_world, http_server
    server.route(PATH, Reply(200, body=b"ok"))
    http, collection_id, key = _owned_collection(world)
    _join_and_confirm(world, key, ANNA)
    page = f"{world.web}/collections/{collection_id}/members"
    url = f"json://127.0.0.1:{server.port}{PATH}"
    added = world.submit(http, page, {"url": url}, action=f"/collections/{collection_id}/chat")
    assert added.status_code == 303 and "chat=added" in added.headers["location"]
    shown = http.get(page).text
    assert HIDDEN not in shown and f"…{SECRET[-4:]}" in shown
    with session_scope(world.app.engine) as session:
        (channel,) = repo.chat_targets_of(session, collection_id=collection_id)
    # "Send a test message", pressed twice within the minute: one test message, as on the manage page.
    for _ in range(2):
        world.web_clock.at += timedelta(seconds=10)
        tested = world.submit(http, page, action=f"/collections/{collection_id}/chat/{channel.id}/test")
        assert tested.status_code == 303 and "chat=test" in tested.headers["location"]
    world.settle()
    (test_message,) = [json.loads(seen.body) for seen in server.requests_to(PATH)]
    assert test_message["title"] == "Callwatch test message" and f"/c/{key}" in test_message["message"]
    server.requests.clear()

    _send(world, http, collection_id)
    asyncio.run(deliver(world.app))
    (posted,) = [json.loads(seen.body) for seen in server.requests_to(PATH)]
    assert posted["title"] == "Hydrogen SMEs, issue 1: 2 calls"
    assert "Green hydrogen electrolyser pilots for SMEs" in posted["message"]
    assert "Apply early" in posted["message"]  # the editor's note rides with its call
    assert f"/c/{key}" in posted["message"]

    # Another collection's editor cannot touch this channel.
    stranger, _ = signed_in(world, "stranger@example.org")
    with session_scope(world.app.engine) as session:
        (target,) = repo.chat_targets_of(session, collection_id=collection_id)
    other = create(world, stranger, "Other")
    answer = world.submit(
        stranger,
        f"{world.web}/collections/{other}/members",
        to=f"/collections/{collection_id}/chat/{target.id}/delete",
    )
    assert answer.status_code in (403, 404)
    with session_scope(world.app.engine) as session:
        assert len(repo.chat_targets_of(session, collection_id=collection_id)) == 1


def test_without_members_or_channels_there_is_nothing_to_press(world: MailWorld) -> None:
    http, collection_id, _key = _owned_collection(world)
    page = _page(world, http, collection_id)
    assert page.select(f"form[action='/collections/{collection_id}/issues']") == []
    assert "Nobody would receive it yet" in page.text


def test_editors_see_a_name_only_where_the_member_gave_one_and_never_an_address(world: MailWorld) -> None:
    http, collection_id, key = _owned_collection(world)
    _join_and_confirm(world, key, ANNA, visible="yes")  # visible, but no name or organisation typed
    _join_and_confirm(world, key, BORIS, visible="yes", organisation="Boris GmbH")
    _send(world, http, collection_id)
    asyncio.run(deliver(world.app))
    for email in (ANNA, BORIS):
        with world.http() as member:
            world.submit(member, link(_issues(world, email)[0], "member/interest"))
    raw = http.get(f"{world.web}/collections/{collection_id}/members").text
    assert "Boris GmbH" in raw and ANNA not in raw and BORIS not in raw
    assert [td.text for td in _page(world, http, collection_id).select("td.interest-count")] == ["2"]
