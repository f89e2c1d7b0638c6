"""Member newsletters over real HTTP and SMTP: joining a collection (double opt-in), its issues with
their one-click unsubscribe and "I'm interested" links, and what the owner learns from them.

The web app runs on a loopback port and sends through the local SMTP server (tests.mailworld);
issues are planned by `monitor.plan.issues.send_issue`, the function the owner's "Send issue"
button calls, and sent by the same sender as digests.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email.message import EmailMessage

from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import CollectionMember, Delivery, DeliveryKind, DeliveryStatus, MemberStatus
from monitor.deliver.sender import deliver
from monitor.plan.claim import mail_context
from monitor.plan.issues import send_issue
from monitor.tokens import Purpose
from tests.mailworld import CALLS, MailWorld, link, utc

OWNER, ANNA, BORIS = "owner@cluster.example.org", "anna@example.org", "boris@example.org"
NOTE = 'Fits our electrolyser members <script>alert(1)</script> & "partners"'


def _collection(world: MailWorld, name: str = "Hydrogen SMEs — December", keys: tuple[str, ...] = ("A", "B")):
    """An owner's collection of calls `keys` (the first with NOTE); its id and public key."""
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    now = world.app.clock()
    with session_scope(world.app.engine) as session:
        owner = repo.subscriber_by_email(session, email=OWNER) or repo.create_subscriber(
            session, email=OWNER, now=now
        )
        row = repo.create_collection(
            session, owner_id=owner.id, name=name, now=now, description="Picked for you."
        )
        for index, key in enumerate(keys):
            repo.add_to_collection(
                session, collection_id=row.id, call_id=world.call_id(key), by=owner.id, now=now,
                note=NOTE if index == 0 else "",
            )  # fmt: skip
        return row.id, row.public_key


def _join(world: MailWorld, http, key: str, email: str, language: str = "en"):  # noqa: ANN001
    return world.submit(http, f"{world.web}/c/{key}/join", {"email": email, "language": language})


def _join_and_confirm(world: MailWorld, key: str, email: str, **choices: str) -> EmailMessage:
    before = len(world.messages_to(email))
    with world.http() as http:
        assert _join(world, http, key, email).status_code == 200
        message = world.wait_for_messages(email, before + 1)[-1]
        url = link(message, "member/confirm")
        page = http.get(url)
        assert page.status_code == 200 and "Confirm and subscribe" in page.text
        with session_scope(world.app.engine) as session:  # a GET changes nothing
            assert repo.member(session, member_id=_member_id(url, world)).status == MemberStatus.PENDING
        done = world.submit(http, url, choices)
        assert done.status_code == 200 and "Subscription confirmed" in done.text
    return message


def _member_id(url: str, world: MailWorld) -> int:
    return int(world.app.signer.read(Purpose.JOIN, url.rsplit("/", 1)[1])["m"])


def _member(world: MailWorld, email: str, collection_id: int | None = None) -> CollectionMember:
    with session_scope(world.app.engine) as session:
        subscriber = repo.subscriber_by_email(session, email=email)
        query = select(CollectionMember).where(CollectionMember.subscriber_id == subscriber.id)
        if collection_id is not None:
            query = query.where(CollectionMember.collection_id == collection_id)
        row = session.exec(query).one()
        session.expunge(row)
        return row


def _send(world: MailWorld, collection_id: int, expected: int | None = None):
    with session_scope(world.app.engine) as session:
        collection = repo.get_collection(session, collection_id=collection_id)
        outcome = send_issue(
            session,
            mail_context(world.app),
            collection,
            by=None,
            now=world.app.clock(),
            expected_number=expected,
        )
        result = (outcome.issue.number if outcome.issue else None, outcome.recipients, outcome.reason)
    asyncio.run(deliver(world.app))
    return result


def _issues(world: MailWorld, email: str) -> list[EmailMessage]:
    return [m for m in world.messages_to(email) if m["X-Callwatch-Kind"] == DeliveryKind.COLLECTION_ISSUE]


def test_two_members_confirm_receive_an_issue_show_interest_and_one_leaves(world: MailWorld) -> None:
    collection_id, key = _collection(world)
    _join_and_confirm(world, key, ANNA, visible="yes", display_name="Anna Sousa", organisation="H2 Lda")
    _join_and_confirm(world, key, BORIS)
    assert _send(world, collection_id) == (1, 2, "")

    for email in (ANNA, BORIS):
        (issue,) = _issues(world, email)
        assert issue["Subject"] == "Hydrogen SMEs — December, issue 1: 2 calls"
        assert issue["List-Id"] == f"Hydrogen SMEs — December <c{collection_id}.collections.callwatch.test>"
        assert issue["List-Unsubscribe"].startswith(f"<{world.web}/member/leave/")
        assert issue["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = issue.get_body(preferencelist=("plain",)).get_content()
        html = issue.get_body(preferencelist=("html",)).get_content()
        assert NOTE in text and "Green hydrogen electrolyser pilots for SMEs" in text
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    # Anna says she is interested: the GET only asks, the POST records it, once.
    (anna_issue,) = _issues(world, ANNA)
    interest = link(anna_issue, "member/interest")
    with world.http() as http:
        assert "I&#39;m interested" in http.get(interest).text or "I'm interested" in http.get(interest).text
        with session_scope(world.app.engine) as session:
            assert repo.interest_by_call(session, collection_id=collection_id) == {}
        for _ in range(2):
            assert world.submit(http, interest).status_code == 200
    with session_scope(world.app.engine) as session:
        counts = repo.interest_by_call(session, collection_id=collection_id)
    assert counts == {world.call_id("A"): (1, ["Anna Sousa (H2 Lda)"])}

    # Boris leaves with his mail client's one-click POST (no cookies, no CSRF token).
    (boris_issue,) = _issues(world, BORIS)
    url = boris_issue["List-Unsubscribe"].strip("<>")
    answer = world.http().post(url, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and "You left this newsletter" in answer.text
    assert _member(world, BORIS).status == MemberStatus.LEFT

    # The next issue carries only the call added since, and goes to Anna alone.
    assert _send(world, collection_id) == (None, 0, "nothing new")
    with session_scope(world.app.engine) as session:
        repo.add_to_collection(
            session, collection_id=collection_id, call_id=world.call_id("D"), by=None, now=world.app.clock()
        )
    assert _send(world, collection_id) == (2, 1, "")
    (second,) = _issues(world, ANNA)[1:]
    assert second["Subject"] == "Hydrogen SMEs — December, issue 2: 1 call"
    assert "Hydrogen storage for German clusters" in second.get_body(preferencelist=("plain",)).get_content()
    assert len(_issues(world, BORIS)) == 1


def test_leaving_one_collection_keeps_the_others(world: MailWorld) -> None:
    first, first_key = _collection(world, "First")
    second, second_key = _collection(world, "Second", keys=("D",))
    _join_and_confirm(world, first_key, ANNA)
    _join_and_confirm(world, second_key, ANNA)
    _send(world, first)
    leave = _issues(world, ANNA)[0]["List-Unsubscribe"].strip("<>")
    assert world.http().post(leave, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _member(world, ANNA, first).status == MemberStatus.LEFT
    assert _member(world, ANNA, second).status == MemberStatus.CONFIRMED
    assert _send(world, second) == (1, 1, "")


def test_a_member_who_leaves_before_sending_gets_nothing(world: MailWorld) -> None:
    collection_id, key = _collection(world)
    _join_and_confirm(world, key, ANNA)
    with session_scope(world.app.engine) as session:
        collection = repo.get_collection(session, collection_id=collection_id)
        send_issue(session, mail_context(world.app), collection, by=None, now=world.app.clock())
    with session_scope(world.app.engine) as session:
        repo.leave_collection(session, member_id=_member(world, ANNA).id, now=world.app.clock())
    asyncio.run(deliver(world.app))
    assert _issues(world, ANNA) == []
    with session_scope(world.app.engine) as session:
        rows = session.exec(select(Delivery).where(Delivery.kind == DeliveryKind.COLLECTION_ISSUE)).all()
        assert [row.status for row in rows] == [DeliveryStatus.SKIPPED]


def test_one_issue_however_often_send_is_pressed(world: MailWorld) -> None:
    collection_id, key = _collection(world)
    _join_and_confirm(world, key, ANNA)
    assert _send(world, collection_id, expected=1) == (1, 1, "")
    # The owner's page showed "issue 1" in two tabs: the second press sends nothing.
    with session_scope(world.app.engine) as session:
        repo.add_to_collection(
            session, collection_id=collection_id, call_id=world.call_id("D"), by=None, now=world.app.clock()
        )
    assert _send(world, collection_id, expected=1) == (None, 0, "already sent")
    assert len(_issues(world, ANNA)) == 1


def test_joining_says_the_same_whoever_asks_and_never_alters_a_confirmed_member(world: MailWorld) -> None:
    _, key = _collection(world)
    _join_and_confirm(world, key, ANNA, visible="yes", display_name="Anna")
    with world.http() as http:
        member_answer = _join(world, http, key, ANNA)
        stranger_answer = _join(world, http, key, "new@example.org")
    assert member_answer.status_code == stranger_answer.status_code == 200
    assert member_answer.text.replace(ANNA, "X") == stranger_answer.text.replace("new@example.org", "X")
    world.wait_for_messages("new@example.org")
    assert len([m for m in world.messages_to(ANNA) if m["X-Callwatch-Kind"] == "member-confirm"]) == 1
    assert _member(world, ANNA).display_name == "Anna" and _member(world, ANNA).visible


def test_bad_addresses_keys_and_links_are_refused_and_change_nothing(world: MailWorld) -> None:
    _, key = _collection(world)
    with world.http() as http:
        assert _join(world, http, key, "not-an-address").status_code == 422
        assert http.get(f"{world.web}/c/nope/join").status_code == 404
        assert _join(world, http, key, ANNA).status_code == 200
    confirm = link(world.wait_for_messages(ANNA)[0], "member/confirm")
    token = confirm.rsplit("/", 1)[1]
    with world.http() as http:
        # A join token is not a leave token, and a tampered one is nobody's.
        assert (
            http.post(f"{world.web}/member/leave/{token}", data={"List-Unsubscribe": "One-Click"}).status_code
            == 400
        )
        assert http.get(confirm[:-2] + ("AA" if not confirm.endswith("AA") else "BB")).status_code == 400
        # A confirmation without the page's CSRF token is refused.
        assert http.post(confirm, data={"visible": "yes"}).status_code == 403
    assert _member(world, ANNA).status == MemberStatus.PENDING
    world.web_clock.at = world.app.clock() + timedelta(days=4)
    with world.http() as http:
        assert http.get(confirm).status_code == 410


def test_a_global_unsubscribe_ends_every_membership(world: MailWorld) -> None:
    collection_id, key = _collection(world)
    message = _join_and_confirm(world, key, ANNA)
    with world.http() as http:
        unsubscribe = message["List-Unsubscribe"].split(",")[0].strip("<> ")
        assert "/unsubscribe/" in unsubscribe
        assert http.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert _member(world, ANNA).status == MemberStatus.LEFT
    assert _send(world, collection_id) == (1, 0, "")


def test_housekeeping_keeps_addresses_that_confirmed_a_membership(world: MailWorld) -> None:
    _, key = _collection(world)
    _join_and_confirm(world, key, ANNA)
    with world.http() as http:
        _join(world, http, key, BORIS)  # never confirms
    with session_scope(world.app.engine) as session:
        stale = repo.unconfirmed_before(session, before=world.app.clock() + timedelta(days=30))
        anna, boris = (repo.subscriber_by_email(session, email=e) for e in (ANNA, BORIS))
    assert boris.id in stale and anna.id not in stale


def test_each_member_reads_the_issue_in_the_language_they_chose(world: MailWorld) -> None:
    collection_id, key = _collection(world)
    with world.http() as http:
        assert _join(world, http, key, BORIS, language="pl").status_code == 200
    confirmation = world.wait_for_messages(BORIS)[0]
    assert confirmation["Subject"] == "Prosimy o potwierdzenie: Hydrogen SMEs — December"
    with world.http() as http:
        url = link(confirmation, "member/confirm")
        assert "Potwierdź i zapisz się" in http.get(url).text
        world.submit(http, url)
    _join_and_confirm(world, key, ANNA)  # in English: the cards are worded per language, not shared
    assert _send(world, collection_id) == (1, 2, "")
    (issue,) = _issues(world, BORIS)
    assert issue["Subject"] == "Hydrogen SMEs — December, wydanie 1: 2 nabory"
    polish = issue.get_body(preferencelist=("plain",)).get_content()
    assert "Jestem zainteresowany" in polish and "stycznia 2027" in polish
    english = _issues(world, ANNA)[0].get_body(preferencelist=("plain",)).get_content()
    assert "I'm interested" in english and "January 2027" in english and "stycznia" not in english


def test_erasing_a_member_removes_the_membership_and_the_interest_only(world: MailWorld) -> None:
    collection_id, key = _collection(world)
    _join_and_confirm(world, key, ANNA)
    _join_and_confirm(world, key, BORIS)
    _send(world, collection_id)
    for email in (ANNA, BORIS):
        with world.http() as http:
            world.submit(http, link(_issues(world, email)[0], "member/interest"))
    with session_scope(world.app.engine) as session:
        exported = repo.export_subscriber(
            session, subscriber_id=repo.subscriber_by_email(session, email=ANNA).id
        )
        assert [m["status"] for m in exported["collection_memberships"]] == ["confirmed"]
        assert [i["call_id"] for i in exported["interest_shown"]] == [world.call_id("A")]
        repo.delete_subscriber(session, subscriber_id=repo.subscriber_by_email(session, email=ANNA).id)
    with session_scope(world.app.engine) as session:
        assert repo.interest_by_call(session, collection_id=collection_id) == {world.call_id("A"): (1, [])}
        assert repo.member_counts(session, collection_id=collection_id)["confirmed"] == 1
        assert repo.get_collection(session, collection_id=collection_id) is not None


def test_joining_is_limited_per_client(world: MailWorld) -> None:
    _, key = _collection(world)
    with world.http() as http:
        answers = [_join(world, http, key, f"person{n}@example.org").status_code for n in range(11)]
        refused = _join(world, http, key, ANNA)
    assert answers[:10] == [200] * 10 and answers[10] == 429
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    world.settle()
    assert world.messages_to(ANNA) == [] and len(world.messages_to("person0@example.org")) == 1
