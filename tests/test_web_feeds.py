"""Feeds over real HTTP (the web app on a loopback port, tests/mailworld.py): public RSS/Atom/iCalendar
filtered like the browse page, private profile feeds and tracked-call calendars behind signed tokens,
conditional GET, and the refusals. Expected items are worked out by hand from the calls below; the
world's web clock stands at 2026-11-21 10:00 UTC unless a test moves it.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import feedparser
import httpx
from fastapi.testclient import TestClient
from icalendar import Calendar
from lxml import etree

from db import repo
from db.engine import session_scope
from db.models import Profile, Subscriber
from monitor.app import build_app
from monitor.model.call import CallIn, DeadlineIn
from monitor.settings import load_settings
from monitor.tokens import Purpose
from monitor.web import create_app
from tests.mailworld import MailWorld, call_in, utc

NASTY = "Tourism vouchers <script>alert(1)</script> & <img src=x onerror=alert(1)>"
# Every C0 control PostgreSQL can store (not NUL) except tab, LF and CR, plus DEL and a C1 control.
CONTROLS = "".join(chr(c) for c in range(1, 0x20) if chr(c) not in "\t\n\r") + "\x7f\x85"
ED = "ed@example.org"


def two_stage(first: str = "2027-01-20T16:00:00Z") -> CallIn:
    stages = [
        DeadlineIn(at=utc(first), label="Stage 1"),
        DeadlineIn(at=utc("2027-05-20T15:00:00Z"), label="Stage 2"),
    ]
    base = call_in("S4", "Hydrogen storage, two stages; A\\B", deadline=None, countries=["DE"])
    return base.model_copy(
        update={
            "deadlines": stages,
            "next_deadline_at": stages[0].at,
            "final_deadline_at": stages[1].at,
            "summary_text": "Line one\nLine two",
        }
    )


def hydrogen_valleys(title: str = "Hydrogen valleys for SMEs") -> CallIn:
    return call_in(
        "H1", title, deadline="2027-01-10T16:00:00Z", countries=["DE"], budget=2_000_000, per_project=500_000
    )


def seed(world: MailWorld) -> dict[str, int]:
    """Five calls, each stored an hour after the previous one (so "newest change first" is known)."""
    calls = [
        (hydrogen_valleys(), "2026-11-20T08:00:00Z"),
        (
            call_in(
                "V2",
                NASTY,
                deadline="2027-02-01T16:00:00Z",
                countries=["PT"],
                summary=f"Line one{CONTROLS}\nline two",
            ),
            "2026-11-20T09:00:00Z",
        ),
        (
            call_in("C3", "Closed hydrogen call", deadline="2026-10-01T15:00:00Z", status="closed"),
            "2026-11-20T10:00:00Z",
        ),
        (two_stage(), "2026-11-20T11:00:00Z"),
        (
            call_in("R5", "Hydrogen refuelling stations", deadline="2026-11-25T16:00:00Z", countries=["DE"]),
            "2026-11-20T12:00:00Z",
        ),
    ]
    for call, at in calls:
        world.seed([call], now=utc(at))
    return {key: world.call_id(key) for key in ("H1", "V2", "C3", "S4", "R5")}


def get(world: MailWorld, path: str, **headers: str) -> httpx.Response:
    url = path if path.startswith("http") else f"{world.web}{path}"
    with world.http() as http:
        response = http.get(url, headers=headers)
    assert response.status_code < 500, response.text
    return response


def page(world: MailWorld, call_id: int) -> str:
    return f"{world.web}/calls/{call_id}"


def parsed(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def events(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return {str(e["UID"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}


# --------------------------------------------------------------------------- public feeds


def test_filtered_rss_and_atom_list_the_expected_calls(world: MailWorld) -> None:
    ids = seed(world)
    # Germany (or unstated), open or forthcoming, at least 21 days left on 21 November: H1 (10 Jan)
    # and S4 (20 Jan), not R5 (25 Nov), V2 (Portugal only) or C3 (closed); newest change first.
    atom = get(world, "/feeds/calls.atom?country=DE&min_days_left=21")
    assert atom.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert atom.headers["cache-control"] == "public, max-age=300"
    feed = parsed(atom)
    # Entry ids are tag URIs on CALLWATCH_ICS_DOMAIN, not the site's host: a moved site keeps them.
    assert [e.id for e in feed.entries] == [f"tag:callwatch,2026:call/{ids[k]}" for k in ("S4", "H1")]
    assert [e.link for e in feed.entries] == [page(world, ids["S4"]), page(world, ids["H1"])]
    assert [e.title for e in feed.entries] == [
        "Hydrogen storage, two stages; A\\B",
        "Hydrogen valleys for SMEs",
    ]
    assert [e.updated for e in feed.entries] == ["2026-11-20T11:00:00+00:00", "2026-11-20T08:00:00+00:00"]
    assert "€2,000,000 in total, up to €500,000 per project" in feed.entries[1].summary
    assert "10 January 2027 17:00 Brussels time" in feed.entries[1].summary
    assert feed.feed.title == "Callwatch: EU funding calls (country: DE; min_days_left: 21)"
    assert any(link.rel == "self" and link.href.endswith("/feeds/calls.atom?country=DE&min_days_left=21")
               for link in feed.feed.links)  # fmt: skip

    rss = get(world, "/feeds/calls.rss?country=de&min_days_left=21&limit=1")
    assert rss.headers["content-type"] == "application/rss+xml; charset=utf-8"
    feed = parsed(rss)
    assert [e.link for e in feed.entries] == [page(world, ids["S4"])]
    assert feed.entries[0].published_parsed[:4] == (2026, 11, 20, 11)
    # The default feed: every open and forthcoming call, newest change first.
    assert [e.link for e in parsed(get(world, "/feeds/calls.rss")).entries] == [
        page(world, ids[key]) for key in ("R5", "S4", "V2", "H1")
    ]


def test_markup_and_control_characters_stay_harmless(world: MailWorld) -> None:
    seed(world)
    for fmt in ("rss", "atom"):
        response = get(world, f"/feeds/calls.{fmt}?q=tourism")
        assert b"<script" not in response.content and b"<img" not in response.content
        etree.fromstring(response.content)  # well-formed XML 1.0 despite the controls in the summary
        [entry] = parsed(response).entries
        assert entry.title == NASTY
        assert "Line one" in entry.summary and "\x01" not in entry.summary


def test_calendar_has_every_stage_with_utc_times_alarms_and_escaping(world: MailWorld) -> None:
    ids = seed(world)
    response = get(world, "/feeds/calls.ics?country=DE")
    found = events(response)
    host = "callwatch"
    starts = {uid: event.decoded("DTSTART") for uid, event in found.items()}
    assert starts == {
        f"call-{ids['H1']}-deadline-stage-1@{host}": utc("2027-01-10T16:00:00Z"),
        f"call-{ids['S4']}-deadline-label-stage-1@{host}": utc("2027-01-20T16:00:00Z"),
        f"call-{ids['S4']}-deadline-label-stage-2@{host}": utc("2027-05-20T15:00:00Z"),
        f"call-{ids['R5']}-deadline-stage-1@{host}": utc("2026-11-25T16:00:00Z"),
    }
    for event in found.values():
        assert sorted(a.decoded("TRIGGER") for a in event.walk("VALARM")) == [
            -timedelta(days=7),
            -timedelta(days=1),
        ]
    stage2 = found[f"call-{ids['S4']}-deadline-label-stage-2@{host}"]
    assert str(stage2["SUMMARY"]) == "Deadline: Hydrogen storage, two stages; A\\B (Stage 2)"
    assert str(stage2["URL"]) == page(world, ids["S4"])
    raw = response.content.replace(b"\r\n ", b"")
    assert b"SUMMARY:Deadline: Hydrogen storage\\, two stages\\; A\\\\B (Stage 2)\r\n" in raw
    assert b"Line one\\nLine two" in raw
    assert b"X-WR-CALNAME:Callwatch deadlines (country: DE)" in raw


def test_moved_deadline_keeps_its_event_uid(world: MailWorld) -> None:
    ids = seed(world)
    before = get(world, "/feeds/calls.ics?country=DE")
    world.seed([two_stage(first="2027-01-27T16:00:00Z")], now=utc("2026-11-21T09:30:00Z"))
    after = get(world, "/feeds/calls.ics?country=DE")
    assert after.headers["etag"] != before.headers["etag"]
    old, new = events(before), events(after)
    assert set(new) == set(old)
    uid = f"call-{ids['S4']}-deadline-label-stage-1@callwatch"  # CALLWATCH_ICS_DOMAIN's default
    assert old[uid].decoded("DTSTART") == utc("2027-01-20T16:00:00Z")
    assert new[uid].decoded("DTSTART") == utc("2027-01-27T16:00:00Z")
    assert new[uid].decoded("SEQUENCE") > old[uid].decoded("SEQUENCE")


def test_moving_the_site_keeps_every_event_uid(world: MailWorld) -> None:
    seed(world)
    here = events(get(world, "/feeds/calls.ics"))
    moved = build_app(load_settings(base_url="https://calls.example.org"))
    moved.clock = world.web_clock
    try:
        with TestClient(create_app(moved)) as client:
            there = client.get("/feeds/calls.ics")
    finally:
        moved.engine.dispose()
    assert there.status_code == 200 and "https://calls.example.org/calls/" in there.text
    elsewhere = {str(e["UID"]): e for e in Calendar.from_ical(there.content).walk("VEVENT")}
    assert len(here) == 5 and set(elsewhere) == set(here)
    assert {uid.split("@")[1] for uid in here} == {"callwatch"}


def test_two_changes_within_a_second_give_two_sequence_values(world: MailWorld) -> None:
    ids = seed(world)
    uid = f"call-{ids['S4']}-deadline-label-stage-1@callwatch"
    seen = [events(get(world, "/feeds/calls.ics?country=DE"))[uid].decoded("SEQUENCE")]
    start = utc("2026-11-21T09:30:00Z")
    for step, first in enumerate(("2027-01-27T16:00:00Z", "2027-01-28T16:00:00Z")):
        world.seed([two_stage(first=first)], now=start + timedelta(milliseconds=400 * step))
        seen.append(events(get(world, "/feeds/calls.ics?country=DE"))[uid].decoded("SEQUENCE"))
    assert seen[0] < seen[1] < seen[2]


def test_conditional_get(world: MailWorld) -> None:
    ids = seed(world)
    first = get(world, "/feeds/calls.rss")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and parsedate_to_datetime(modified) == utc("2026-11-20T12:00:00Z")
    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        again = get(world, "/feeds/calls.rss", **{"If-None-Match": header})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    assert get(world, "/feeds/calls.rss", **{"If-None-Match": '"nope"'}).status_code == 200
    assert get(world, "/feeds/calls.rss", **{"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)
    assert get(world, "/feeds/calls.rss", **{"If-Modified-Since": earlier}).status_code == 200
    assert (
        get(
            world, "/feeds/calls.rss", **{"If-None-Match": '"nope"', "If-Modified-Since": modified}
        ).status_code
        == 200
    )
    # Another filter, another format: other validators.
    assert get(world, "/feeds/calls.atom").headers["etag"] != etag
    assert get(world, "/feeds/calls.rss?country=DE").headers["etag"] != etag
    # The same filter spelt differently is the same feed.
    assert get(world, "/feeds/calls.rss?status=forthcoming,open&sort=updated").headers["etag"] == etag
    with world.http() as http:
        head = http.head(f"{world.web}/feeds/calls.rss")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag

    # Time passing changes nothing until a deadline is crossed; then R5 closes and the feed changes.
    world.web_clock.at = utc("2026-11-25T15:59:00Z")
    assert get(world, "/feeds/calls.rss", **{"If-None-Match": etag}).status_code == 304
    world.web_clock.at = utc("2026-11-25T16:01:00Z")
    closed = get(world, "/feeds/calls.rss", **{"If-None-Match": etag})
    assert closed.status_code == 200 and closed.headers["etag"] != etag
    assert page(world, ids["R5"]) not in [e.link for e in parsed(closed).entries]
    assert parsedate_to_datetime(closed.headers["last-modified"]) == utc("2026-11-25T16:00:00Z")

    # A changed call: a new ETag and the new title.
    etag = closed.headers["etag"]
    world.seed([hydrogen_valleys("Hydrogen valleys for SMEs and clusters")], now=utc("2026-11-25T17:00:00Z"))
    changed = get(world, "/feeds/calls.rss", **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert parsed(changed).entries[0].title == "Hydrogen valleys for SMEs and clusters"


def test_bad_filters_are_400_and_unknown_formats_404(world: MailWorld) -> None:
    seed(world)
    for query in (
        "status=bogus",
        "country=Atlantis",
        "org_type=wizard",
        "deadline_from=31/03/2027",
        "min_days_left=-1",
        "sort=random",
        "source=nowhere",
        "limit=0",
        "limit=101",
        "limit=ten",
        "q=%01",
        "q=" + "x" * 301,
    ):
        response = get(world, f"/feeds/calls.rss?{query}")
        assert response.status_code == 400, query
        assert response.headers["content-type"].startswith("text/plain")
    assert get(world, "/feeds/calls.ics?limit=1000").status_code == 200
    assert get(world, "/feeds/calls.ics?limit=1001").status_code == 400
    assert get(world, "/feeds/calls.xml").status_code == 404
    assert get(world, "/feeds/calls.rss?unknown=1&q=%3Cscript%3E").status_code == 200


# --------------------------------------------------------------------------- private feeds


def subscriber_and_profile(world: MailWorld, email: str = ED) -> tuple[Subscriber, Profile]:
    with session_scope(world.app.engine) as session:
        subscriber = repo.subscriber_by_email(session, email=email)
        assert subscriber is not None
        [profile] = repo.profiles_of(session, subscriber_ids=[subscriber.id]).get(subscriber.id, [])  # type: ignore[list-item]
        return subscriber, profile


def profile_url(world: MailWorld, fmt: str, email: str = ED) -> str:
    subscriber, profile = subscriber_and_profile(world, email)
    return world.app.links.profile_feed(subscriber, profile, fmt)


def subscribe(world: MailWorld, email: str = ED, *more: str) -> None:
    args = (
        "subscribe",
        email,
        "--keywords",
        "hydrogen",
        "--country",
        "DE",
        *more,
        "--now",
        "2026-11-21T09:50:00Z",
    )
    result = world.cli(*args)
    assert result.exit_code == 0, result.output


def test_profile_feed_lists_the_profile_matches(world: MailWorld) -> None:
    ids = seed(world)
    subscribe(world, ED, "--confirmed")
    subscribe(world, "other@example.org", "--confirmed")
    # hydrogen + Germany, live: R5, S4, H1 (not C3, closed; not V2), newest change first.
    expected = [page(world, ids[key]) for key in ("R5", "S4", "H1")]
    for fmt in ("rss", "atom"):
        response = get(world, profile_url(world, fmt))
        assert response.headers["cache-control"] == "private, max-age=300"
        feed = parsed(response)
        assert [e.link for e in feed.entries] == expected
        assert feed.feed.title == "Callwatch: My calls"
    uids = set(events(get(world, profile_url(world, "ics"))))
    assert {uid.split("-deadline-")[0] for uid in uids} == {f"call-{ids[k]}" for k in ("R5", "S4", "H1")}

    # "Not relevant" leaves the feed; the validator changes with it.
    url = profile_url(world, "atom")
    etag = get(world, url).headers["etag"]
    assert get(world, url, **{"If-None-Match": etag}).status_code == 304
    subscriber, profile = subscriber_and_profile(world)
    with session_scope(world.app.engine) as session:
        repo.dismiss_call(session, profile_id=profile.id, call_id=ids["R5"], now=utc("2026-11-21T10:00:00Z"))  # type: ignore[arg-type]
    response = get(world, url, **{"If-None-Match": etag})
    assert response.status_code == 200
    assert [e.link for e in parsed(response).entries] == expected[1:]


def test_private_feed_tokens_refuse_everything_but_a_live_link(world: MailWorld) -> None:
    seed(world)
    subscribe(world, ED, "--confirmed")
    subscribe(world, "other@example.org", "--confirmed")
    links = world.app.links
    subscriber, profile = subscriber_and_profile(world)
    _, others = subscriber_and_profile(world, "other@example.org")
    good = profile_url(world, "rss")
    token = good.rsplit("/", 1)[1].removesuffix(".rss")
    manage = links.manage(subscriber).rsplit("/", 1)[1]
    tracked = links.tracked_calendar(subscriber).rsplit("/", 1)[1].removesuffix(".ics")
    foreign = links.signer.make(Purpose.FEED, s=subscriber.id, v=subscriber.token_version, p=others.id, f=1)  # type: ignore[arg-type]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    refused = [
        f"/feeds/profile/{manage}.rss",  # another purpose
        f"/feeds/profile/{tracked}.rss",  # the tracked calendar's token
        f"/feeds/tracked/{token}.ics",  # a profile token as tracked calendar
        f"/feeds/profile/{foreign}.rss",  # someone else's profile
        f"/feeds/profile/{tampered}.rss",
        f"/feeds/profile/{token}.xml",
        f"/feeds/profile/{token}",
        "/feeds/profile/.rss",
        "/feeds/profile/not-a-token.atom",
        "/feeds/profile/%C3%BC%00.ics",
        f"/feeds/tracked/{tracked}.rss",
    ]
    assert get(world, good).status_code == 200
    bodies = set()
    for path in refused:
        response = get(world, path)
        assert response.status_code == 404, path
        bodies.add(response.text)
    assert len(bodies) == 1  # the same words whatever was wrong

    # Revoking the profile's feed links: the old URL stops, a new one works.
    with session_scope(world.app.engine) as session:
        row = session.get(Profile, profile.id)
        assert row is not None
        row.feed_token_version += 1
        session.add(row)
    assert get(world, good).status_code == 404
    fresh = profile_url(world, "ics")
    assert get(world, fresh).status_code == 200
    # Revoking every link of the subscriber.
    with session_scope(world.app.engine) as session:
        repo.rotate_tokens(session, subscriber_id=subscriber.id)  # type: ignore[arg-type]
    assert get(world, fresh).status_code == 404


def test_feeds_stop_for_pending_unsubscribed_and_erased_subscribers(world: MailWorld) -> None:
    seed(world)
    subscribe(world, "pending@example.org")
    assert get(world, profile_url(world, "rss", "pending@example.org")).status_code == 404
    subscribe(world, ED, "--confirmed")
    url = profile_url(world, "rss")
    assert get(world, url).status_code == 200
    assert world.cli("unsubscribe", ED, "--now", "2026-11-21T10:00:00Z").exit_code == 0
    assert get(world, url).status_code == 404
    subscribe(world, ED, "--confirmed")  # back again, with a second profile: the old link works again
    assert get(world, url).status_code == 200
    assert world.cli("subscriber", "delete", ED, "--yes").exit_code == 0
    assert get(world, url).status_code == 404


def test_tracked_calendar_shows_tracked_calls_only(world: MailWorld) -> None:
    ids = seed(world)
    subscribe(world, ED, "--confirmed")
    for key in ("V2", "C3"):  # a closed call stays in the calendar of someone who tracks it
        assert world.cli("track", ED, str(ids[key]), "--now", "2026-11-21T10:00:00Z").exit_code == 0
    subscriber, _ = subscriber_and_profile(world)
    url = world.app.links.tracked_calendar(subscriber)
    response = get(world, url)
    assert response.headers["cache-control"] == "private, max-age=300"
    found = events(response)
    assert set(found) == {
        f"call-{ids['V2']}-deadline-stage-1@callwatch",
        f"call-{ids['C3']}-deadline-stage-1@callwatch",
    }
    assert str(found[f"call-{ids['V2']}-deadline-stage-1@callwatch"]["SUMMARY"]) == f"Deadline: {NASTY}"
    etag = response.headers["etag"]
    assert get(world, url, **{"If-None-Match": etag}).status_code == 304
    assert world.cli("track", ED, str(ids["H1"]), "--now", "2026-11-21T11:00:00Z").exit_code == 0
    again = get(world, url, **{"If-None-Match": etag})
    assert again.status_code == 200 and len(events(again)) == 3


def test_validators_never_render_and_bodies_are_built_once(world: MailWorld, monkeypatch: Any) -> None:
    from monitor.web import feeds as web_feeds

    seed(world)
    built: list[int] = []
    render = web_feeds.RENDER["atom"]
    monkeypatch.setitem(web_feeds.RENDER, "atom", lambda *a, **k: built.append(1) or render(*a, **k))
    first = get(world, "/feeds/calls.atom?country=DE")
    assert built == [1]
    assert (
        get(world, "/feeds/calls.atom?country=DE", **{"If-None-Match": first.headers["etag"]}).status_code
        == 304
    )
    again = get(world, "/feeds/calls.atom?country=de")  # another reader, no validators: the cached body
    assert again.content == first.content and built == [1]
