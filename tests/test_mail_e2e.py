"""The whole e-mail path as a subscriber lives it, over real sockets: seeded calls -> `callwatch
subscribe` -> confirmation e-mail at the local SMTP server -> the confirm link in the web app ->
`callwatch digest --now` -> the digest, parsed with Python's email parser, with the expected calls,
deadlines, reasons and working signed links -> reminders and change alerts -> one-click unsubscribe.
"""

from __future__ import annotations

from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Consent, Delivery, Subscriber
from tests.mailworld import CALLS, MOVED_A, MailWorld, call_in, link, utc

ANNA = "anna@example.org"
SUBSCRIBE = (
    "subscribe",
    ANNA,
    "--keywords",
    "hydrogen",
    "--keywords",
    "electrolyser",
    "--country",
    "PT",
    "--org-type",
    "sme",
    "--timezone",
    "Europe/Lisbon",
    "--digest-day",
    "monday",
    "--digest-hour",
    "8",
)


def _subscribe_and_confirm(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    result = world.cli(*SUBSCRIBE, "--now", "2026-11-21T10:00:00Z")
    assert result.exit_code == 0, result.output
    [confirmation] = world.messages_to(ANNA)
    assert confirmation["Subject"] == "Please confirm your subscription"
    with world.http() as http:
        page = http.get(link(confirmation, "confirm"))
        assert page.status_code == 200 and "Confirm my subscription" in page.text
        assert _status(world) == "pending"  # a GET changes nothing
        done = world.submit(http, link(confirmation, "confirm"))
        assert done.status_code == 200 and "Subscription confirmed" in done.text
    assert _status(world) == "confirmed"


def _status(world: MailWorld, email: str = ANNA) -> str:
    with session_scope(world.app.engine) as session:
        return session.exec(select(Subscriber.status).where(Subscriber.email == email)).one()


def test_subscribe_confirm_digest_links_reminders_alerts_unsubscribe(world: MailWorld) -> None:
    _subscribe_and_confirm(world)
    # Asking again within 10 minutes sends no second confirmation; a pending address gets no digest.
    assert (
        world.cli(
            "subscribe", "bob@example.org", "--keywords", "hydrogen", "--now", "2026-11-21T10:00:00Z"
        ).exit_code
        == 0
    )
    assert (
        world.cli(
            "subscribe", "bob@example.org", "--keywords", "vouchers", "--now", "2026-11-21T10:05:00Z"
        ).exit_code
        == 0
    )
    assert len(world.messages_to("bob@example.org")) == 1

    before = len(world.smtp.received)
    early = world.cli("digest", "--now", "2026-11-23T07:55:00Z")  # 07:55 in Lisbon: not yet
    assert early.exit_code == 0 and len(world.smtp.received) == before
    ran = world.cli("digest", "--now", "2026-11-23T08:05:00Z")
    assert ran.exit_code == 0, ran.output
    [digest] = [m for m in world.messages_to(ANNA) if m["X-Callwatch-Kind"] == "digest"]
    assert world.messages_to("bob@example.org")[1:] == []

    # Headers: one-click unsubscribe (RFC 8058), list id, stable ids.
    assert digest["Subject"] == "Your Callwatch digest: 2 new calls"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = digest["List-Unsubscribe"].split(",")[0].strip(" <>")
    assert unsubscribe_url.startswith(world.web + "/unsubscribe/")
    assert "mailto:alerts@callwatch.test" in digest["List-Unsubscribe"]
    assert digest["List-Id"] == "Callwatch funding-call alerts <alerts.callwatch.test>"
    assert digest["Message-ID"].endswith("@callwatch.test>") and digest["Date"]

    text = digest.get_body(preferencelist=("plain",)).get_content()
    html = digest.get_body(preferencelist=("html",)).get_content()
    # The first digest lists the open calls that fit: A (keywords, PT, SME) and E; not the
    # closed C, not D (Germany only), not B (no keyword).
    assert "Open calls that fit your profile (2)" in text
    assert "Green hydrogen electrolyser pilots for SMEs" in text
    assert "Hydrogen valleys" not in text and "German clusters" not in text and "tourism" not in text
    assert "3 January 2027 17:00 (Brussels)" in text and "3 January 2027 16:00 (Lisbon)" in text
    assert "41 days left" in text
    assert "keywords: hydrogen, electrolyser · open to SMEs in PT · 41 days left" in text
    assert "€2,000,000 in total, up to €500,000 per project" in text
    # E closes within 14 days: it shows "10 days left" among the new calls, not twice.
    assert "10 days left" in text and "Closing soon" not in text
    # A scraped title with markup: escaped in HTML, plain in text, never an element.
    assert "<img src=x onerror=alert(1)>" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert unsubscribe_url in text and unsubscribe_url in html

    # The signed links work: track A, mark E not relevant (read an hour after the digest came).
    world.web_clock.at = utc("2026-11-23T09:05:00Z")
    track_a = [u for u in _links_near(text, "Green hydrogen electrolyser", "/track/")][0]
    dismiss_e = [u for u in _links_near(text, "Electrolyser supply chain", "/dismiss/")][0]
    with world.http() as http:
        assert http.get(track_a).status_code == 200
        assert world.submit(http, track_a).status_code == 200
        assert world.submit(http, dismiss_e).status_code == 200
        tampered = track_a[:-3] + ("abc" if not track_a.endswith("abc") else "xyz")
        assert http.post(tampered).status_code == 400
        wrong_purpose = world.web + "/unsubscribe/" + track_a.rsplit("/", 1)[1]
        assert http.post(wrong_purpose, data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert _status(world) == "confirmed"
    with session_scope(world.app.engine) as session:
        anna = repo.subscriber_by_email(session, email=ANNA)
        assert list(repo.tracked_calls(session, subscriber_ids=[anna.id])[anna.id]) == [world.call_id("A")]

    # The same period again, and a later run the same week: nothing more.
    assert world.cli("digest", "--now", "2026-11-23T08:30:00Z").exit_code == 0
    assert world.cli("digest", "--now", "2026-11-25T12:00:00Z").exit_code == 0
    assert len([m for m in world.messages_to(ANNA) if m["X-Callwatch-Kind"] == "digest"]) == 1

    # Reminders for the tracked call A (deadline 3 Jan 2027): 30 days before at 08:00 Lisbon.
    assert world.cli("reminders", "--now", "2026-12-04T07:59:00Z").exit_code == 0
    assert _kinds(world).count("reminder") == 0
    assert world.cli("reminders", "--now", "2026-12-04T08:10:00Z").exit_code == 0
    assert world.cli("reminders", "--now", "2026-12-04T09:00:00Z").exit_code == 0
    [reminder] = [m for m in world.messages_to(ANNA) if m["X-Callwatch-Kind"] == "reminder"]
    assert reminder["Subject"] == "Deadline in 30 days: Green hydrogen electrolyser pilots for SMEs"

    # The deadline moves: one change alert that says so.
    world.seed([MOVED_A], now=utc("2026-12-05T06:00:00Z"))
    assert world.cli("alerts", "--now", "2026-12-05T07:00:00Z").exit_code == 0
    assert world.cli("alerts", "--now", "2026-12-05T08:00:00Z").exit_code == 0
    [alert] = [m for m in world.messages_to(ANNA) if m["X-Callwatch-Kind"] == "alert"]
    alert_text = alert.get_body(preferencelist=("plain",)).get_content()
    assert "deadline moved from 3 January 2027 17:00 to 10 January 2027 17:00 (Brussels)" in alert_text

    # One-click unsubscribe: a POST without cookies, 200 and no redirect; then nothing is sent.
    world.web_clock.at = utc("2026-12-05T09:00:00Z")
    with world.http() as http:
        assert http.get(unsubscribe_url).status_code == 200 and _status(world) == "confirmed"
        answer = http.post(unsubscribe_url, data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200 and "location" not in answer.headers
        again = http.post(unsubscribe_url, files={"List-Unsubscribe": (None, "One-Click")})
        assert again.status_code == 200
    assert _status(world) == "unsubscribed"
    sent = len(world.smtp.received)
    assert world.cli("digest", "--now", "2026-11-30T08:05:00Z").exit_code == 0
    assert world.cli("reminders", "--now", "2026-12-20T08:05:00Z").exit_code == 0
    assert len(world.smtp.received) == sent
    with session_scope(world.app.engine) as session:
        anna_id = repo.subscriber_by_email(session, email=ANNA).id
        query = select(Consent.event, Consent.source).where(Consent.subscriber_id == anna_id)
        events = session.exec(query.order_by(Consent.id)).all()
    assert events == [("subscribed", "cli"), ("confirmed", "web"), ("unsubscribed", "one-click")]


def _links_near(text: str, title: str, path: str) -> list[str]:
    block = text.split(title, 1)[1].split("\n\n", 1)[0]
    return [word for word in block.split() if path in word]


def _kinds(world: MailWorld) -> list[str]:
    with session_scope(world.app.engine) as session:
        return [row.kind for row in session.exec(select(Delivery).where(Delivery.status == "sent"))]


def test_expired_confirmation_link_offers_a_new_one(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    assert world.cli(*SUBSCRIBE, "--now", "2026-11-21T10:00:00Z").exit_code == 0
    [confirmation] = world.messages_to(ANNA)
    world.web_clock.at = utc("2026-11-24T10:01:00Z")  # 3 days and a minute later
    with world.http() as http:
        expired = http.get(link(confirmation, "confirm"))
        assert expired.status_code == 410 and "expired" in expired.text
        assert http.post(link(confirmation, "confirm")).status_code == 410
        assert _status(world) == "pending"
        fresh = world.submit(
            http, link(confirmation, "confirm"), action=link(confirmation, "confirm") + "/resend"
        )
        assert fresh.status_code == 200
    assert len(world.messages_to(ANNA)) == 2
    with world.http() as http:
        assert world.submit(http, link(world.messages_to(ANNA)[1], "confirm")).status_code == 200
    assert _status(world) == "confirmed"


def test_manage_page_exports_and_erases(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    assert world.cli(*SUBSCRIBE, "--confirmed", "--now", "2026-11-21T10:00:00Z").exit_code == 0
    assert world.cli("track", ANNA, str(world.call_id("A")), "--now", "2026-11-21T10:00:00Z").exit_code == 0
    with session_scope(world.app.engine) as session:
        manage = world.app.links.manage(repo.subscriber_by_email(session, email=ANNA))
    with world.http() as http:
        page = http.get(manage)
        assert page.status_code == 200
        assert "hydrogen, electrolyser" in page.text and "Green hydrogen electrolyser pilots" in page.text
        data = http.get(manage + "/export").json()
        assert data["subscriber"]["email"] == ANNA and data["profiles"][0]["countries"] == ["PT"]
        assert [e["event"] for e in data["consent_events"]] == ["subscribed", "confirmed"]
        assert world.submit(http, manage, action=manage + "/delete").status_code == 200
        assert http.get(manage).status_code == 400  # the subscriber is gone
    with session_scope(world.app.engine) as session:
        assert repo.subscriber_by_email(session, email=ANNA) is None
        assert session.exec(select(Consent)).all() == []


def test_second_digest_has_new_changed_and_closing_soon(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    assert world.cli(*SUBSCRIBE, "--confirmed", "--now", "2026-11-21T10:00:00Z").exit_code == 0
    assert world.cli("digest", "--now", "2026-11-23T08:05:00Z").exit_code == 0
    fresh = call_in(
        "F", "Hydrogen refuelling for SME fleets", deadline="2027-03-01T16:00:00Z", countries=["PT"]
    )
    world.seed([fresh], now=utc("2026-11-25T09:00:00Z"))
    world.seed([MOVED_A], now=utc("2026-11-26T09:00:00Z"))
    assert world.cli("digest", "--now", "2026-11-30T08:05:00Z").exit_code == 0
    first, second = [m for m in world.messages_to(ANNA) if m["X-Callwatch-Kind"] == "digest"]
    assert second["Subject"] == "Your Callwatch digest: 1 new call"
    text = second.get_body(preferencelist=("plain",)).get_content()
    new, rest = text.split("== Changed (1) ==")
    assert "New calls for you (1)" in new and "Hydrogen refuelling for SME fleets" in new
    assert "Green hydrogen electrolyser" not in new  # not new any more
    changed, closing = rest.split("== Closing soon (1) ==")
    assert "* deadline moved from 3 January 2027 17:00 to 10 January 2027 17:00 (Brussels)" in changed
    assert "Electrolyser supply chain" in closing and "3 days left" in closing
    assert first["Message-ID"] != second["Message-ID"]


def test_an_address_with_an_underscore_is_found_again(world: MailWorld) -> None:
    # "_" must match itself in LIKE on SQLite too, else a second profile makes a second subscriber.
    for keyword in ("hydrogen", "vouchers"):
        result = world.cli("subscribe", "ana_ferreira@example.org", "--keywords", keyword, "--confirmed")
        assert result.exit_code == 0, result.output
    assert world.cli("subscribe", "anaxferreira@example.org", "--keywords", "x", "--confirmed").exit_code == 0
    with session_scope(world.app.engine) as session:
        ana = repo.subscriber_by_email(session, email="ANA_Ferreira@example.org")
        assert ana is not None and ana.email == "ana_ferreira@example.org"
        assert len(repo.profiles_of(session, subscriber_ids=[ana.id])[ana.id]) == 2
