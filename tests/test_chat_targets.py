"""Chat targets end to end: a `json://` target at a real local HTTP server receives a digest and a change
alert; a 500 is retried; 404s suspend the target and its owner gets an e-mail at the local SMTP
server; the URL's secret part shows nowhere (pages, logs, exports).

The operator flow is the CLI's (subscribe, track, digest, alerts), the sending the real sender's
(`deliver`), the target is added through the manage page where a test says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import ChatStatus, Delivery, DeliveryKind, DeliveryStatus
from monitor.chatseal import Sealer
from monitor.deliver.sender import deliver
from monitor.plan.chat import chat_setup, claim_chat_copies, copy_operator_alert
from monitor.render.chat import ChatItem, ChatMessage, render_chat
from monitor.render.email import MailRenderer
from monitor.render.i18n import forget_missing, missing, offered_languages
from tests.httpserver import LocalHTTPServer, Reply
from tests.mailworld import CALLS, MOVED_A, MailWorld, utc

SECRET = "hk-7Qz93xLmVb2RtY8pWc41"  # the webhook's secret path: only its last 4 characters may show
HIDDEN = SECRET[:-4]
PATH = f"/hooks/{SECRET}"
ADDRESS = "chat-sme@example.org"


@pytest.fixture
def chat_world(world: MailWorld, monkeypatch: pytest.MonkeyPatch) -> MailWorld:
    # The local server is on 127.0.0.1: the SSRF guard refuses it unless the operator allows it.
    monkeypatch.setenv("CALLWATCH_CHAT_ALLOW_PRIVATE_HOSTS", "1")
    world.app.settings.chat_allow_private_hosts = True
    return world


def _subscriber(world: MailWorld) -> int:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    result = world.cli(
        "subscribe", ADDRESS, "--keywords", "hydrogen", "--keywords", "electrolyser", "--confirmed",
        "--digest-day", "monday", "--digest-hour", "8", "--now", "2026-11-21T10:00:00Z",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with session_scope(world.app.engine) as session:
        person = repo.subscriber_by_email(session, email=ADDRESS)
        assert person is not None and person.id is not None
        return person.id


def _add_target(world: MailWorld, server: LocalHTTPServer, subscriber_id: int, kinds: list[str]) -> int:
    settings = world.app.settings
    sealer = Sealer(settings.secret(), settings.old_secrets())
    url = f"json://127.0.0.1:{server.port}{PATH}"
    with session_scope(world.app.engine) as session:
        row = repo.add_chat_target(
            session, subscriber_id=subscriber_id, sealed_url=sealer.seal(url),
            fingerprint=sealer.fingerprint(url), masked=f"json://127.0.0.1:{server.port}/…{SECRET[-4:]}",
            kinds=kinds, now=world.app.clock(),
        )  # fmt: skip
        assert row is not None and row.id is not None
        return row.id


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    """What Callwatch and its libraries logged (the test server's own request log aside)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("tests."))


def _posted(server: LocalHTTPServer) -> list[dict]:
    return [json.loads(seen.body) for seen in server.requests_to(PATH)]


def _send(world: MailWorld, at: str) -> None:
    world.web_clock.at = utc(at)
    asyncio.run(deliver(world.app))


def _test_copies(world: MailWorld, target_id: int, subscriber_id: int, count: int, at: str) -> None:
    with session_scope(world.app.engine) as session:
        target = repo.get_chat_target(session, target_id=target_id)
        assert target is not None
        for n in range(count):
            claimed = claim_chat_copies(
                session, targets=[target], source_kind="test", period_key=f"{at}:{n}", title=f"Test {n}",
                body="A test message from Callwatch", now=utc(at), subscriber_id=subscriber_id,
            )  # fmt: skip
            assert claimed == 1


def test_a_json_target_receives_a_digest_and_a_change_alert(
    chat_world: MailWorld, http_server: LocalHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    world, server = chat_world, http_server
    server.route(PATH, Reply(200, body=b"ok"))
    sid = _subscriber(world)
    _add_target(world, server, sid, ["digest", "alert"])
    assert (
        world.cli("track", ADDRESS, str(world.call_id("A")), "--now", "2026-11-21T10:10:00Z").exit_code == 0
    )
    caplog.set_level(logging.DEBUG)
    assert world.cli("digest", "--now", "2026-11-23T08:05:00Z").exit_code == 0
    _send(world, "2026-11-23T08:06:00Z")
    world.seed([MOVED_A], now=utc("2026-12-05T06:00:00Z"))
    assert world.cli("alerts", "--now", "2026-12-05T08:00:00Z").exit_code == 0
    _send(world, "2026-12-05T08:01:00Z")

    posted = _posted(server)
    assert len(posted) == 2, posted
    digest, alert = posted
    assert "digest" in digest["title"].lower()
    titles = {c.title for c in CALLS if c.key == "A"}
    assert any(title in digest["message"] for title in titles)
    assert f"{world.web}/calls/{world.call_id('A')}" in digest["message"]
    assert alert["title"].startswith("Changed")
    assert any(title in alert["message"] for title in titles)
    # The e-mails went too, and the copies are recorded as sent.
    kinds = {str(m["X-Callwatch-Kind"]) for m in world.messages_to(ADDRESS)}
    assert {"digest", "alert"} <= kinds
    with session_scope(world.app.engine) as session:
        copies = session.exec(select(Delivery).where(Delivery.kind == DeliveryKind.CHAT)).all()
        assert [c.status for c in copies] == [DeliveryStatus.SENT, DeliveryStatus.SENT]
        assert all(HIDDEN not in (c.to_address + (c.error or "")) for c in copies)
    # Planning again claims nothing new: a copy is claimed once per target and period.
    assert world.cli("digest", "--now", "2026-11-23T08:10:00Z").exit_code == 0
    _send(world, "2026-11-23T08:11:00Z")
    assert len(_posted(server)) == 2
    assert HIDDEN not in _logged(caplog)


def test_a_target_answering_500_is_retried(
    chat_world: MailWorld, http_server: LocalHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    world, server = chat_world, http_server
    server.route(PATH, Reply(500, body=b"down"), Reply(500, body=b"down"), Reply(200, body=b"ok"))
    sid = _subscriber(world)
    target_id = _add_target(world, server, sid, ["digest"])
    caplog.set_level(logging.DEBUG)
    _test_copies(world, target_id, sid, 1, "2026-11-24T09:00:00Z")
    _send(world, "2026-11-24T09:00:00Z")
    _send(world, "2026-11-24T09:01:00Z")  # not due yet: the backoff holds it
    assert len(server.requests_to(PATH)) == 1
    retry = timedelta(seconds=world.app.defaults.mail.retry_base_seconds)
    _send(world, (utc("2026-11-24T09:00:00Z") + retry).isoformat())
    _send(world, (utc("2026-11-24T09:00:00Z") + 4 * retry).isoformat())
    assert len(server.requests_to(PATH)) == 3
    with session_scope(world.app.engine) as session:
        row = session.exec(select(Delivery).where(Delivery.kind == DeliveryKind.CHAT)).one()
        target = repo.get_chat_target(session, target_id=target_id)
        assert row.status == DeliveryStatus.SENT and row.attempts == 3
        assert target is not None and target.status == ChatStatus.ACTIVE and target.consecutive_failures == 0
    assert HIDDEN not in _logged(caplog)


def test_a_target_answering_404_three_times_is_suspended_and_its_owner_told(
    chat_world: MailWorld, http_server: LocalHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    world, server = chat_world, http_server
    server.route(PATH, Reply(404, body=b"gone"))
    sid = _subscriber(world)
    target_id = _add_target(world, server, sid, ["digest"])
    caplog.set_level(logging.DEBUG)
    _test_copies(world, target_id, sid, 2, "2026-11-24T09:00:00Z")
    _send(world, "2026-11-24T09:00:00Z")
    with session_scope(world.app.engine) as session:
        target = repo.get_chat_target(session, target_id=target_id)
        assert target is not None and target.status == ChatStatus.ACTIVE and target.consecutive_failures == 2
    assert not [m for m in world.messages_to(ADDRESS) if m["X-Callwatch-Kind"] == "chat-suspended"]
    _test_copies(world, target_id, sid, 2, "2026-11-24T10:00:00Z")
    _send(world, "2026-11-24T10:00:00Z")
    # The third refusal suspended it; the fourth copy was not even tried.
    assert len(server.requests_to(PATH)) == 3
    with session_scope(world.app.engine) as session:
        target = repo.get_chat_target(session, target_id=target_id)
        assert target is not None and target.status == ChatStatus.SUSPENDED
        assert target.last_error is not None and "404" in target.last_error
    notices = [m for m in world.messages_to(ADDRESS) if m["X-Callwatch-Kind"] == "chat-suspended"]
    assert len(notices) == 1
    text = notices[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"127.0.0.1:{server.port}/…{SECRET[-4:]}" in text and "404" in text
    assert HIDDEN not in notices[0].as_string()
    assert HIDDEN not in _logged(caplog)


def _manage_url(world: MailWorld, subscriber_id: int) -> str:
    with session_scope(world.app.engine) as session:
        person = repo.subscriber(session, subscriber_id=subscriber_id)
        assert person is not None
        return world.app.links.manage(person).replace(world.app.settings.base_url, world.web)


def test_the_manage_page_adds_tests_suspends_and_removes_a_target_and_never_shows_its_secret(
    chat_world: MailWorld, http_server: LocalHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    world, server = chat_world, http_server
    server.route(PATH, Reply(200, body=b"ok"))
    sid = _subscriber(world)
    manage = _manage_url(world, sid)
    url = f"json://127.0.0.1:{server.port}{PATH}"
    caplog.set_level(logging.DEBUG)
    with world.http() as http:
        added = world.submit(
            http, manage, {"url": url, "kinds": ["digest", "alert"]}, action=f"{manage}/chat"
        )
        assert added.status_code == 303 and added.headers["location"].endswith("?chat=added#chat")
        page = http.get(manage)
        assert f"json://127.0.0.1:{server.port}/…{SECRET[-4:]}" in page.text
        assert HIDDEN not in page.text
        # The same URL again is refused, and so is an unsupported service; neither is echoed back.
        again = world.submit(http, manage, {"url": url, "kinds": ["digest"]}, action=f"{manage}/chat")
        assert again.headers["location"].endswith("?chat=duplicate#chat")
        other = world.submit(
            http, manage, {"url": f"tgram://123456:{SECRET}/", "kinds": ["digest"]}, action=f"{manage}/chat"
        )
        assert other.headers["location"].endswith("?chat=unsupported#chat")
        assert HIDDEN not in http.get(f"{manage}?chat=unsupported").text
        with session_scope(world.app.engine) as session:
            (target,) = repo.chat_targets_of(session, subscriber_id=sid)
            assert target.kinds == ["alert", "digest"] and HIDDEN not in target.sealed_url
        world.web_clock.at = utc("2026-11-24T09:00:10Z")
        tested = world.submit(http, manage, action=f"{manage}/chat/{target.id}/test")
        assert tested.status_code == 303
        world.web_clock.at = utc("2026-11-24T09:00:40Z")
        world.submit(http, manage, action=f"{manage}/chat/{target.id}/test")  # the same minute: not again
        assert [json.loads(s.body)["title"] for s in server.requests_to(PATH)] == ["Callwatch test message"]
        # A forged form (no CSRF token) changes nothing.
        forged = http.post(f"{manage}/chat/{target.id}/delete", data={})
        assert forged.status_code == 403
        with session_scope(world.app.engine) as session:
            repo.record_chat_refusal(
                session,
                target_id=target.id,
                error="404 Not Found",
                suspend_after=1,
                now=utc("2026-11-24T09:00:00Z"),
            )
        suspended = http.get(manage).text
        assert "suspended" in suspended and f"/chat/{target.id}/activate" in suspended
        world.submit(http, manage, action=f"{manage}/chat/{target.id}/activate")
        with session_scope(world.app.engine) as session:
            again_target = repo.get_chat_target(session, target_id=target.id)
            assert again_target is not None and again_target.status == ChatStatus.ACTIVE
        exported = http.get(f"{manage}/export")
        assert exported.status_code == 200 and HIDDEN not in exported.text
        assert [t["masked"] for t in exported.json()["chat_targets"]] == [target.masked]
        for public in ("/calls.csv", "/api/calls", "/feeds/calls.rss"):
            answer = http.get(f"{world.web}{public}")
            assert answer.status_code == 200 and HIDDEN not in answer.text, public
        removed = world.submit(http, manage, action=f"{manage}/chat/{target.id}/delete")
        assert removed.headers["location"].endswith("?chat=removed#chat")
        with session_scope(world.app.engine) as session:
            assert repo.chat_targets_of(session, subscriber_id=sid) == []
    assert HIDDEN not in _logged(caplog)


def test_a_private_host_is_refused_at_add_time_without_the_setting(
    world: MailWorld, http_server: LocalHTTPServer
) -> None:
    sid = _subscriber(world)
    manage = _manage_url(world, sid)
    with world.http() as http:
        url = f"json://127.0.0.1:{http_server.port}{PATH}"
        refused = world.submit(http, manage, {"url": url, "kinds": ["digest"]}, action=f"{manage}/chat")
        assert refused.headers["location"].endswith("?chat=private#chat")
    with session_scope(world.app.engine) as session:
        assert repo.chat_targets_of(session, subscriber_id=sid) == []


def test_a_private_host_is_refused_at_send_time_too(world: MailWorld, http_server: LocalHTTPServer) -> None:
    # Added while private hosts were allowed (or its name resolved elsewhere then): not sent now.
    http_server.route(PATH, Reply(200, body=b"ok"))
    sid = _subscriber(world)
    target_id = _add_target(world, http_server, sid, ["digest"])
    _test_copies(world, target_id, sid, 1, "2026-11-24T09:00:00Z")
    _send(world, "2026-11-24T09:00:00Z")
    assert http_server.requests_to(PATH) == []
    with session_scope(world.app.engine) as session:
        row = session.exec(select(Delivery).where(Delivery.kind == DeliveryKind.CHAT)).one()
        assert row.status == DeliveryStatus.FAILED and "CALLWATCH_CHAT_ALLOW_PRIVATE_HOSTS" in (
            row.error or ""
        )


def test_operator_alerts_are_copied_to_the_operator_chat_urls_once(
    chat_world: MailWorld, http_server: LocalHTTPServer
) -> None:
    world, server = chat_world, http_server
    server.route(PATH, Reply(200, body=b"ok"))
    world.app.settings.operator_chat_urls = SecretStr(f"json://127.0.0.1:{server.port}{PATH}")
    setup = chat_setup(world.app.settings)
    at = utc("2026-11-24T09:00:00Z")
    alert = {
        "period_key": "source:eccp:never",
        "title": "Callwatch: source eccp is failing",
        "text": "3 failed polls",
    }
    with session_scope(world.app.engine) as session:
        assert copy_operator_alert(session, setup, now=at, **alert) == 1
        assert copy_operator_alert(session, setup, now=at, **alert) == 0  # claimed once per target
    _send(world, "2026-11-24T09:00:00Z")
    assert [(p["title"], p["message"]) for p in _posted(server)] == [(alert["title"], alert["text"])]


def test_a_chat_message_defuses_mass_mentions_and_stays_short() -> None:
    items = [
        ChatItem(title=f"@everyone <!channel> call {n}", deadline="12 March 2027", link=f"https://x.test/{n}")
        for n in range(12)
    ]
    message = render_chat(title="Digest @here", items=items, link="https://x.test/calls", language="en")
    assert (
        "@everyone" not in message.body and "<!channel>" not in message.body and "@here" not in message.title
    )
    assert message.body.count("• ") == 10 and "…and 2 more" in message.body
    assert message.body.endswith("https://x.test/calls")
    assert ChatMessage.decode(message.encode()) == message


def test_erasing_a_subscriber_erases_their_chat_targets(
    chat_world: MailWorld, http_server: LocalHTTPServer
) -> None:
    world = chat_world
    sid = _subscriber(world)
    target_id = _add_target(world, http_server, sid, ["digest"])
    _test_copies(world, target_id, sid, 1, "2026-11-24T09:00:00Z")
    with session_scope(world.app.engine) as session:
        repo.delete_subscriber(session, subscriber_id=sid)
    with session_scope(world.app.engine) as session:
        assert repo.get_chat_target(session, target_id=target_id) is None
    # The copy left behind (its subscriber gone) is not sent anywhere.
    _send(world, "2026-11-24T09:00:00Z")
    assert http_server.requests_to(PATH) == []


@pytest.mark.parametrize("language", offered_languages())
def test_the_suspension_notice_and_a_chat_message_are_worded_in_every_language(language: str) -> None:
    forget_missing()
    rendered = MailRenderer().render(
        "chat_suspended", language=language, subject="x", preheader="x", target="slack://…abcd", refusals=3,
        reason="404 Not Found", manage_url="https://x.test/manage/t#chat", email="a@example.org",
        unsubscribe_url="https://x.test/unsubscribe/t",
    )  # fmt: skip
    assert "slack://…abcd" in rendered.text and rendered.html is not None and "404 Not Found" in rendered.html
    items = [ChatItem(title=f"Call {n}", deadline=None, link="https://x.test/c") for n in range(11)]
    render_chat(title="t", items=items, link="https://x.test/calls", language=language)
    assert missing(language) == set()


def test_5xx_answers_never_suspend_a_target_and_the_copy_expires_at_its_give_up_time(
    chat_world: MailWorld, http_server: LocalHTTPServer
) -> None:
    world, server = chat_world, http_server
    server.route(PATH, Reply(503, body=b"busy"))
    sid = _subscriber(world)
    target_id = _add_target(world, server, sid, ["digest"])
    start = utc("2026-11-24T09:00:00Z")
    with session_scope(world.app.engine) as session:
        target = repo.get_chat_target(session, target_id=target_id)
        assert target is not None
        claim_chat_copies(
            session, targets=[target], source_kind="digest", period_key="w48", title="Digest", body="calls",
            now=start, give_up=timedelta(minutes=30), subscriber_id=sid,
        )  # fmt: skip
    for minutes in (0, 5, 15, 35, 75):
        _send(world, (start + timedelta(minutes=minutes)).isoformat())
    assert len(server.requests_to(PATH)) == 3  # at 0, 5 and 15 minutes; the next retry is past give-up
    with session_scope(world.app.engine) as session:
        row = session.exec(select(Delivery).where(Delivery.kind == DeliveryKind.CHAT)).one()
        target = repo.get_chat_target(session, target_id=target_id)
        assert row.status == DeliveryStatus.EXPIRED and "503" in (row.error or "")
        assert target is not None and target.status == ChatStatus.ACTIVE and target.consecutive_failures == 0
    assert not [m for m in world.messages_to(ADDRESS) if m["X-Callwatch-Kind"] == "chat-suspended"]


def test_a_collections_targets_get_copies_once_and_its_owner_is_told_of_a_suspension(
    chat_world: MailWorld, http_server: LocalHTTPServer
) -> None:
    # What the collection-issue planner will do: claim copies for the collection's own targets.
    world, server = chat_world, http_server
    server.route(PATH, Reply(410, body=b"gone"))
    owner = _subscriber(world)
    settings, at = world.app.settings, utc("2026-11-24T09:00:00Z")
    sealer = Sealer(settings.secret(), settings.old_secrets())
    url = f"json://127.0.0.1:{server.port}{PATH}"
    with session_scope(world.app.engine) as session:
        collection = repo.create_collection(session, owner_id=owner, name="Agri-food SMEs", now=at)
        target = repo.add_chat_target(
            session, subscriber_id=None, collection_id=collection.id, sealed_url=sealer.seal(url),
            fingerprint=sealer.fingerprint(url), masked="json://127.0.0.1/…Wc41", kinds=["issue"], now=at,
        )  # fmt: skip
        assert target is not None and repo.chat_targets_of(session, collection_id=collection.id) == [target]
        assert repo.chat_targets_of(session, subscriber_id=owner) == []  # the owner's own list is apart
        for issue in (1, 1, 2, 3):
            claim_chat_copies(
                session, targets=[target], source_kind="issue", period_key=f"c{collection.id}:{issue}",
                title=f"Issue {issue}", body="Three calls for our members", now=at,
            )  # fmt: skip
    _send(world, "2026-11-24T09:00:00Z")
    assert [p["title"] for p in _posted(server)] == ["Issue 1", "Issue 2", "Issue 3"]
    notices = [m for m in world.messages_to(ADDRESS) if m["X-Callwatch-Kind"] == "chat-suspended"]
    assert len(notices) == 1 and "410" in notices[0].get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def test_a_long_period_key_still_makes_one_copy_per_target() -> None:
    from monitor.plan.chat import PERIOD_KEY_MAX, chat_period_key

    long = "issue:" + "x" * 200
    assert len(chat_period_key("issue", long, 7)) <= PERIOD_KEY_MAX
    assert (
        chat_period_key("issue", long, 7)
        == chat_period_key("issue", long, 7)
        != chat_period_key("issue", long + "y", 7)
    )
    assert chat_period_key("digest", "2026-W48", 7) == "digest:2026-W48:t7"


def test_a_form_target_receives_a_copy_as_a_form_post(
    chat_world: MailWorld, http_server: LocalHTTPServer
) -> None:
    world, server = chat_world, http_server
    server.route(PATH, Reply(200, body=b"ok"))
    sid = _subscriber(world)
    settings = world.app.settings
    sealer = Sealer(settings.secret(), settings.old_secrets())
    url = f"form://127.0.0.1:{server.port}{PATH}"
    with session_scope(world.app.engine) as session:
        target = repo.add_chat_target(
            session, subscriber_id=sid, sealed_url=sealer.seal(url), fingerprint=sealer.fingerprint(url),
            masked="form://127.0.0.1/…Wc41", kinds=["digest"], now=utc("2026-11-24T09:00:00Z"),
        )  # fmt: skip
        assert target is not None
        claim_chat_copies(
            session, targets=[target], source_kind="digest", period_key="w48", title="Your digest",
            body="Green hydrogen", now=utc("2026-11-24T09:00:00Z"), subscriber_id=sid,
        )  # fmt: skip
    _send(world, "2026-11-24T09:00:00Z")
    (seen,) = server.requests_to(PATH)
    assert seen.method == "POST" and b"Green+hydrogen" in seen.body and b"Your+digest" in seen.body
