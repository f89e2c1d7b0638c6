"""Sign-up that fits each person, and track requests that are never dropped, over real sockets (the
web app on a loopback port, the local SMTP server, the CLI as the operator's scheduler).

A cluster manager tracks three calls within ten minutes: the per-address pacing sends one
confirmation e-mail, and confirming it tracks all three. A confirmed address asked to track a
call finds it waiting on its manage page. Someone who wants only reminders and changes for the
calls they track gets those, and no digest, across two digest slots.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from bs4 import BeautifulSoup
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Delivery
from monitor.web.security import PER_ADDRESS
from tests.mailworld import CALLS, MailWorld, call_in, link, utc

MIRA = "mira@cluster.example.org"
# What the form sends when opened from "Track this call": the track-only choice is proposed.
TRACK_ONLY = {
    "name": "Hydrogen",
    "keywords": "hydrogen",
    "countries": "PT",
    "timezone": "Europe/Lisbon",
    "digest_weekday": "0",
    "digest_hour": "8",
    "language": "en",
}
TITLES = {
    "A": "Green hydrogen electrolyser pilots for SMEs",
    "B": "Digital vouchers for tourism SMEs",
    "D": "Hydrogen storage for German clusters",
}


def _track(world: MailWorld, http: httpx.Client, email: str, key: str, **fields: str) -> httpx.Response:
    """ "Track this call" on a call's page, then the sign-up form it leads to, as a browser sends it."""
    page = f"{world.web}/subscribe?track={world.call_id(key)}"
    form = BeautifulSoup(http.get(page).text, "html.parser")
    proposed = form.find("input", attrs={"name": "frequency", "checked": True})["value"]
    data = {**TRACK_ONLY, "frequency": proposed, "email": email, **fields}
    return world.submit(http, page, data, action="/subscribe")


def _follows(world: MailWorld, email: str = MIRA) -> tuple[list[int], list[int]]:
    """(tracked, pending) call ids."""
    with session_scope(world.app.engine) as session:
        row = repo.subscriber_by_email(session, email=email)
        tracked = sorted(repo.tracked_calls(session, subscriber_ids=[row.id]).get(row.id, {}))
        return tracked, sorted(repo.pending_calls(session, subscriber_id=row.id))


def _kinds(world: MailWorld, email: str = MIRA) -> list[str]:
    return [str(m["X-Callwatch-Kind"]) for m in world.messages_to(email)]


def test_the_third_track_request_in_ten_minutes_is_tracked_on_confirmation(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    start = world.web_clock.at
    answers = []
    with world.http() as http:
        for minutes, key in ((0, "A"), (3, "B"), (6, "D")):
            world.web_clock.at = start + timedelta(minutes=minutes)
            answers.append(_track(world, http, MIRA, key))
            world.settle()
    for answer, key in zip(answers, "ABD", strict=True):
        assert answer.status_code == 200 and "Check your inbox" in answer.text
        assert f"Your request to track <strong>{TITLES[key]}</strong> is kept" in answer.text
        assert "at most one such e-mail every 10 minutes" in answer.text
    # One confirmation (the pacing held the other two back); nothing tracked before consent,
    # but all three requests kept.
    [confirmation] = world.wait_for_messages(MIRA)
    assert len(world.wait_for_messages(MIRA, 2, timeout=1)) == 1
    ids = sorted(world.call_id(k) for k in "ABD")
    assert _follows(world) == ([], ids)

    world.web_clock.at = start + timedelta(minutes=9)
    with world.http() as http:
        page = http.get(link(confirmation, "confirm"))
        assert "You will also track these 3 calls" in page.text
        assert all(title in page.text for title in TITLES.values())
        done = world.submit(http, link(confirmation, "confirm"))
    assert done.status_code == 200 and "Subscription confirmed" in done.text
    assert "You now track:" in done.text and all(title in done.text for title in TITLES.values())
    assert "No digest: you chose only reminders and changes for the calls you track." in done.text
    assert "a reminder 30, 14, 7 and 1 days before each deadline" in done.text
    assert _follows(world) == (ids, [])
    with session_scope(world.app.engine) as session:  # the same form three times: one profile
        mira = repo.subscriber_by_email(session, email=MIRA)
        assert [p.frequency for p in repo.profiles_of(session, subscriber_ids=[mira.id])[mira.id]] == ["off"]


def test_a_confirmed_address_finds_its_track_requests_waiting_on_the_manage_page(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    assert world.cli("subscribe", MIRA, "--keywords", "x", "--confirmed").exit_code == 0
    with session_scope(world.app.engine) as session:
        manage = world.app.links.manage(repo.subscriber_by_email(session, email=MIRA))
    call_b, call_d = world.call_id("B"), world.call_id("D")
    with world.http() as http:
        _track(world, http, MIRA, "B")
        world.settle()
        world.web_clock.at += timedelta(minutes=3)
        _track(world, http, MIRA, "D")  # within 10 minutes: no second e-mail
        world.settle()
    [notice] = world.wait_for_messages(MIRA)
    assert notice["X-Callwatch-Kind"] == "manage-link" and len(world.messages_to(MIRA)) == 1
    assert _follows(world) == ([], sorted([call_b, call_d]))

    with world.http() as http:
        page = http.get(manage).text
        waiting = page.split("Calls waiting for you", 1)[1].split("</ul>", 1)[0]
        assert TITLES["B"] in waiting and TITLES["D"] in waiting
        assert "nothing is sent about them until you track them here" in page
        exported = http.get(manage + "/export").json()
        assert exported["calls_waiting_to_be_tracked"] == [call_b, call_d]
        assert exported["tracked_calls"] == []
        # While D waits, a reminder due for it is not sent (30 days before 1 March, 08:00 Lisbon).
        assert world.cli("reminders", "--now", "2027-01-30T08:10:00Z").exit_code == 0
        assert "reminder" not in _kinds(world)
        assert world.submit(http, link(notice, "track")).status_code == 200  # B, from the e-mail
        assert _follows(world) == ([call_b], [call_d])
        saved = world.submit(http, manage, {"call_id": str(call_d)}, action=f"{manage}/track")
        assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=tracked#tracked")
        after = http.get(world.web + saved.headers["location"]).text
    assert "You now track that call" in after and "Calls waiting for you" not in after
    assert _follows(world) == (sorted([call_b, call_d]), [])
    assert world.cli("reminders", "--now", "2027-01-30T08:20:00Z").exit_code == 0
    [reminder] = [m for m in world.messages_to(MIRA) if m["X-Callwatch-Kind"] == "reminder"]
    assert reminder["Subject"] == f"Deadline in 30 days: {TITLES['D']}"


def test_a_track_only_subscriber_gets_reminders_and_alerts_but_no_digest(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    # A weekly subscriber with the same criteria: the digest slots do run.
    weekly = ("subscribe", "weekly@example.org", "--keywords", "hydrogen", "--country", "PT",
              "--timezone", "Europe/Lisbon", "--confirmed", "--now", "2026-11-21T09:30:00Z")  # fmt: skip
    assert world.cli(*weekly).exit_code == 0
    with world.http() as http:
        assert _track(world, http, MIRA, "A").status_code == 200
        [confirmation] = world.wait_for_messages(MIRA)
        done = world.submit(http, link(confirmation, "confirm"))
    assert "No digest" in done.text
    with session_scope(world.app.engine) as session:
        mira = repo.subscriber_by_email(session, email=MIRA)
        [profile] = repo.profiles_of(session, subscriber_ids=[mira.id])[mira.id]
        assert profile.frequency == "off"
        manage = world.app.links.manage(mira)
    with world.http() as http:
        page = http.get(manage).text
    assert "no digest: only reminders and changes for tracked calls" in page

    # Two Mondays, 08:05 Lisbon, each with calls that fit the profile (A and E, then F).
    assert world.cli("digest", "--now", "2026-11-23T08:05:00Z").exit_code == 0
    fresh = call_in(
        "F", "Hydrogen refuelling for SME fleets", deadline="2027-03-01T16:00:00Z", countries=["PT"]
    )
    world.seed([fresh], now=utc("2026-11-25T09:00:00Z"))
    assert world.cli("digest", "--now", "2026-11-30T08:05:00Z").exit_code == 0
    assert _kinds(world, "weekly@example.org").count("digest") == 2
    with session_scope(world.app.engine) as session:
        rows = session.exec(select(Delivery.kind).where(Delivery.subscriber_id == mira.id)).all()
    assert "digest" not in rows  # not even a skipped one

    assert world.cli("reminders", "--now", "2026-12-04T08:10:00Z").exit_code == 0
    moved = call_in("A", TITLES["A"], deadline="2027-01-10T16:00:00Z", countries=["DE", "PT", "ES"],
                    org_types=["sme"], budget=2_000_000, per_project=500_000)  # fmt: skip
    world.seed([moved], now=utc("2026-12-05T06:00:00Z"))
    assert world.cli("alerts", "--now", "2026-12-05T07:00:00Z").exit_code == 0
    assert _kinds(world) == ["confirmation", "reminder", "alert"]
    reminder, alert = world.messages_to(MIRA)[1:]
    assert reminder["Subject"] == f"Deadline in 30 days: {TITLES['A']}"
    alert_text = alert.get_body(preferencelist=("plain",)).get_content()
    assert "deadline moved from 3 January 2027 17:00 to 10 January 2027 17:00 (Brussels)" in alert_text


def test_the_forms_offer_the_three_choices_and_the_pages_say_what_happens(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    with world.http() as http:
        plain = BeautifulSoup(http.get(f"{world.web}/subscribe").text, "html.parser")
        tracking = BeautifulSoup(
            http.get(f"{world.web}/subscribe?track={world.call_id('A')}").text, "html.parser"
        )
    for soup, proposed in ((plain, "weekly"), (tracking, "off")):
        radios = soup.find_all("input", attrs={"name": "frequency"})
        labels = [soup.find("label", attrs={"for": r["id"]}).get_text(" ", strip=True) for r in radios]
        assert [r["value"] for r in radios] == ["weekly", "daily", "off"]
        assert labels == ["Weekly digest of the new calls that fit", "Daily digest of the new calls that fit",
                          "No digest: only reminders and changes for the calls I track"]  # fmt: skip
        assert [r["value"] for r in radios if r.has_attr("checked")] == [proposed]

    # The manage page offers the same three, for each profile and for a new one.
    assert world.cli("subscribe", MIRA, "--keywords", "x", "--confirmed").exit_code == 0
    with session_scope(world.app.engine) as session:
        manage = world.app.links.manage(repo.subscriber_by_email(session, email=MIRA))
    with world.http() as http:
        page = BeautifulSoup(http.get(manage).text, "html.parser")
    forms = [f for f in page.find_all("form") if f.find("input", attrs={"name": "frequency"})]
    assert len(forms) == 2
    for form in forms:
        assert [r["value"] for r in form.find_all("input", attrs={"name": "frequency"})] == [
            "weekly", "daily", "off"
        ]  # fmt: skip

    # Over the per-address limit: no profile saved and no e-mail, but the call to track is kept,
    # and the page (the same as for anyone) says so.
    start = world.web_clock.at
    with world.http() as http:
        for n in range(PER_ADDRESS.count + 1):
            world.web_clock.at = start + timedelta(minutes=10 * n)
            key = "A" if n < PER_ADDRESS.count else "B"
            answer = _track(world, http, "lena@example.org", key, name=f"Profile {n}")
            world.settle()
    assert "The form is saved at most 5 times an hour for one address" in answer.text
    assert "(a call to track is still kept)" in answer.text
    assert len(world.messages_to("lena@example.org")) == PER_ADDRESS.count
    tracked, pending = _follows(world, "lena@example.org")
    assert tracked == [] and pending == sorted([world.call_id("A"), world.call_id("B")])


def test_asking_again_for_a_confirmation_link_says_exactly_what_happened(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    assert world.cli("subscribe", MIRA, "--keywords", "x", "--now", "2026-11-21T10:00:00Z").exit_code == 0
    [first] = world.messages_to(MIRA)
    expired = link(first, "confirm")
    world.web_clock.at = utc("2026-11-24T10:01:00Z")  # the link works for 3 days
    with world.http() as http:
        sent = world.submit(http, expired, action=expired + "/resend")
        world.settle()
        world.web_clock.at += timedelta(minutes=4)
        paced = world.submit(http, expired, action=expired + "/resend")
    assert f"A new confirmation link is on its way to {MIRA}" in sent.text
    assert f"A confirmation link was sent to {MIRA} 4 minutes ago: use that one" in paced.text
    assert "You can ask for another in 6 minutes." in paced.text
    assert len(world.wait_for_messages(MIRA, 3, timeout=1)) == 2
