"""A call whose deadline cannot be read, end to end: a real poll over the local HTTP server stores it
as status unknown with the source's words, and it stays visible as "deadline unknown — see call
page" with those words in the digest received by the local SMTP server (English and French), in
RSS and Atom (parsed with feedparser), on the browse page, the call page, the JSON API and the
CSV export; calendars leave it out (no date, no event). A closed call (its deadline passed) and a
call its source no longer lists stay out of all of them.
"""

from __future__ import annotations

import csv
import io
import json

import feedparser
import httpx

import tests.kinds  # noqa: F401 - registers the "scripted" source kind
from monitor.poll.pipeline import poll_sources
from sources import build_source
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from tests.httpserver import LocalHTTPServer, Reply
from tests.kinds import scripted_config
from tests.mailworld import MailWorld, utc

PHRASE = "deadline unknown — see call page"
# Slovenian cluster pages write "Rok za oddajo" (submission deadline); "bo objavljen naknadno" is
# "will be published later": no date to read. English cluster sites write "to be announced".
SLOVENIAN = "Rok za oddajo: bo objavljen naknadno"
ENGLISH = "Deadline: to be announced"
CALLS = [
    {
        "key": "vodik",
        "title": "Hydrogen cluster vouchers for SMEs",
        "url": "https://cluster.example.si/razpisi/vodik",
        "summary_text": "Vouchers for SMEs testing hydrogen applications with the cluster's members.",
        "deadline_text": SLOVENIAN,
    },
    {
        "key": "tba",
        "title": "Electrolyser testing vouchers",
        "url": "https://cluster.example.eu/calls/electrolyser-testing",
        "deadline_text": ENGLISH,
    },
    {
        "key": "closed",
        "title": "Hydrogen valleys pilot call",
        "url": "https://cluster.example.eu/calls/hydrogen-valleys",
        "deadline_text": "Deadline: 15 September 2026, 17:00 CET",
    },
]
POLLED = "2026-11-21T09:00:00Z"
LINE_SL = f"{PHRASE}: “{SLOVENIAN}”"
LINE_EN = f"{PHRASE}: “{ENGLISH}”"


def _poll(world: MailWorld, server: LocalHTTPServer, calls: list[dict[str, str]], at: str) -> None:
    import asyncio

    server.route("/cluster", Reply(200, json.dumps(calls), {"Content-Type": "application/json"}))
    source = build_source(scripted_config("cluster", server.url + "/cluster"))

    async def run() -> None:
        policy = HttpPolicy(min_interval=0.0, max_attempts=2, backoff_base=0.01, deadline=5)
        async with PoliteClient(policy) as client:
            [report] = await poll_sources(
                [source], client=client, engine=world.app.engine, clock=lambda: utc(at), strict=True
            )
            assert report.error is None, report.error

    asyncio.run(run())


def _subscribe(world: MailWorld, email: str, *extra: str) -> None:
    result = world.cli(
        "subscribe", email, "--keywords", "hydrogen", "--keywords", "electrolyser", "--min-days-left",
        "30", "--timezone", "Europe/Lisbon", "--digest-day", "monday", "--digest-hour", "8",
        "--confirmed", "--now", "2026-11-21T10:00:00Z", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def _bodies(world: MailWorld, email: str) -> tuple[str, str]:
    [digest] = [m for m in world.messages_to(email) if m["X-Callwatch-Kind"] == "digest"]
    text = digest.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = digest.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    return text.replace("\r\n", "\n"), html


def test_an_unreadable_deadline_is_stored_with_its_words(world: MailWorld, http_server: LocalHTTPServer):
    _poll(world, http_server, CALLS, POLLED)
    with httpx.Client(base_url=world.web, timeout=10) as http:
        api = {c["title"]: c for c in http.get("/api/calls", params={"status": "all"}).json()["calls"]}
    vodik = api["Hydrogen cluster vouchers for SMEs"]
    assert (vodik["status"], vodik["next_deadline"], vodik["deadlines"]) == ("unknown", None, [])
    assert vodik["deadline_unknown"] == LINE_SL
    assert any(SLOVENIAN in w for w in vodik["warnings"])
    closed = api["Hydrogen valleys pilot call"]
    assert (closed["status"], closed["deadline_unknown"]) == ("closed", None)
    assert closed["final_deadline"] == "2026-09-15T15:00:00Z"


def test_the_digest_keeps_it_as_deadline_unknown(world: MailWorld, http_server: LocalHTTPServer) -> None:
    _poll(world, http_server, CALLS, POLLED)
    _subscribe(world, "ana@example.si")
    _subscribe(world, "chloe@example.fr", "--language", "fr")
    ran = world.cli("digest", "--now", "2026-11-23T08:05:00Z")
    assert ran.exit_code == 0, ran.output

    text, html = _bodies(world, "ana@example.si")
    # Both undated calls fit (keywords) although the profile wants 30 days left: "unknown", kept.
    assert "Open calls that fit your profile (2)" in text
    vodik = text.split("Hydrogen cluster vouchers for SMEs", 1)[1].split("Electrolyser testing", 1)[0]
    assert f"   {LINE_SL}\n" in vodik
    assert f"keywords: hydrogen · {PHRASE}" in vodik
    assert "No upcoming deadline stated" not in text
    assert f"   {LINE_EN}\n" in text
    assert "Hydrogen valleys pilot call" not in text and "Hydrogen valleys" not in html
    assert "Closing soon" not in text  # no date: never "closing soon"
    assert LINE_SL in html and LINE_EN in html
    call_links = [line.split(": ", 1)[1] for line in vodik.splitlines() if "Call details:" in line]
    assert call_links and call_links[0].startswith(world.web + "/calls/")

    french, french_html = _bodies(world, "chloe@example.fr")
    assert f"date limite inconnue — voir la page de l'appel: “{SLOVENIAN}”" in french
    assert "date limite inconnue — voir la page de l&#39;appel" in french_html
    # The card is translated too, though an English digest was rendered first in this process.
    assert "Pourquoi cet appel" in french and "Why you see it" not in french


def test_feeds_and_pages_keep_it_calendars_leave_it_out(
    world: MailWorld, http_server: LocalHTTPServer
) -> None:
    _poll(world, http_server, CALLS, POLLED)
    with httpx.Client(base_url=world.web, timeout=10) as http:
        for fmt in ("rss", "atom"):
            feed = feedparser.parse(http.get(f"/feeds/calls.{fmt}").content)
            assert not feed.bozo, feed.bozo_exception
            items = {e.title: e for e in feed.entries}
            assert sorted(items) == ["Electrolyser testing vouchers", "Hydrogen cluster vouchers for SMEs"]
            vodik = items["Hydrogen cluster vouchers for SMEs"]
            # The phrase links the call's page on Callwatch, which links the source's own page.
            assert f'<strong>Deadline:</strong> <a href="{vodik.link}">{LINE_SL}</a>' in vodik.summary
            assert vodik.link.startswith(world.web + "/calls/")
            assert LINE_EN in items["Electrolyser testing vouchers"].summary
        calendar = http.get("/feeds/calls.ics").text
        assert "BEGIN:VCALENDAR" in calendar and "VEVENT" not in calendar

        browse = http.get("/calls").text
        assert "Hydrogen cluster vouchers for SMEs" in browse and LINE_SL in browse and LINE_EN in browse
        assert "Hydrogen valleys pilot call" not in browse
        assert "Hydrogen valleys pilot call" in http.get("/calls", params={"status": "closed"}).text
        only_open = http.get("/calls", params={"status": "open"}).text
        assert LINE_SL in only_open

        [vodik_id] = [c["id"] for c in http.get("/api/calls").json()["calls"] if c["key"] == "vodik"]
        page = http.get(f"/calls/{vodik_id}").text
        assert LINE_SL in page and 'href="https://cluster.example.si/razpisi/vodik"' in page
        rows = list(csv.DictReader(io.StringIO(http.get("/calls.csv").text)))
        assert sorted(r["all deadlines (Brussels)"] for r in rows) == [LINE_EN, LINE_SL]


def test_an_unlisted_call_without_a_deadline_leaves_digests_and_feeds(
    world: MailWorld, http_server: LocalHTTPServer
) -> None:
    _poll(world, http_server, CALLS, POLLED)
    # "tba" is gone: unlisted once complete polls have missed it twice, 24 h apart.
    _poll(world, http_server, [CALLS[0], CALLS[2]], "2026-11-21T15:00:00Z")
    _poll(world, http_server, [CALLS[0], CALLS[2]], "2026-11-22T15:00:00Z")
    with httpx.Client(base_url=world.web, timeout=10) as http:
        titles = [e.title for e in feedparser.parse(http.get("/feeds/calls.atom").content).entries]
        assert titles == ["Hydrogen cluster vouchers for SMEs"]
        assert "Electrolyser testing vouchers" not in http.get("/calls").text
        unknown = http.get("/calls", params={"status": "unknown"}).text
        assert "Electrolyser testing vouchers" in unknown and "no longer listed by its source" in unknown
    _subscribe(world, "ana@example.si")
    assert world.cli("digest", "--now", "2026-11-23T08:05:00Z").exit_code == 0
    text, _ = _bodies(world, "ana@example.si")
    assert "Open calls that fit your profile (1)" in text and LINE_SL in text
    assert "Electrolyser testing vouchers" not in text


def test_normalising_keeps_the_words_only_when_no_deadline_is_read() -> None:
    from monitor.model.raw import RawCall, RawDeadline
    from monitor.model.view import deadline_unknown, listed_undated, unread_deadline_text
    from monitor.normalise.call import normalise_call
    from monitor.render.words import UnknownDeadline, unknown_deadline

    now = utc(POLLED)
    unread = normalise_call(RawCall(key="u", title="Vouchers", deadline_text=SLOVENIAN), now=now)
    assert (unread.status, unread.deadlines, unread.extra) == ("unknown", [], {"deadline_text": SLOVENIAN})
    assert deadline_unknown(unread) and listed_undated(unread) and unread_deadline_text(unread) == SLOVENIAN
    stage = RawDeadline(text="Cut-off: to be confirmed", label="Cut-off 2")
    both = normalise_call(RawCall(key="s", title="V", deadlines=[stage], deadline_text=ENGLISH), now=now)
    assert both.extra == {"deadline_text": f"Cut-off: to be confirmed\n{ENGLISH}"}
    read = normalise_call(RawCall(key="r", title="V", deadline_text="Deadline: 30 April 2027"), now=now)
    assert (read.status, read.extra) == ("open", {})
    closed = normalise_call(RawCall(key="c", title="V", deadline_text=CALLS[2]["deadline_text"]), now=now)
    assert closed.status == "closed" and not deadline_unknown(closed)
    # Open by the source's own word, without a readable date: live already, worded with its words.
    hinted = normalise_call(RawCall(key="h", title="V", status_hint="open", deadline_text=ENGLISH), now=now)
    assert hinted.status == "open" and not deadline_unknown(hinted)
    assert unknown_deadline(hinted) == UnknownDeadline(ENGLISH)
    assert unknown_deadline(hinted.model_copy(update={"deadline_model": "permanent"})) is None
    assert unknown_deadline(read) is None and unknown_deadline(closed) is None
    assert unknown_deadline(unread) is not None and unknown_deadline(unread).line() == LINE_SL
    assert unknown_deadline(unread).line("date limite inconnue") == f"date limite inconnue: “{SLOVENIAN}”"
    long = normalise_call(RawCall(key="l", title="V", deadline_text="Rok: " + "kmalu " * 80), now=now)
    assert unknown_deadline(long) == UnknownDeadline("Rok: " + " ".join(["kmalu"] * 32) + "…")
