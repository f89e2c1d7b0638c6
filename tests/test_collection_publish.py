"""A published collection over real HTTP (the web app on a loopback port, tests/mailworld.py): its page,
RSS and Atom (notes first, ids of their own that survive moves), its calendar (every stage, notes),
CSV with chosen columns and the formula guard, the newsletter snippet, conditional GET, and the 404.
The collection is made with db/repo functions, as the owner pages would; the world's web clock
stands at 2026-11-21 10:00 UTC.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import feedparser
import httpx
from bs4 import BeautifulSoup
from icalendar import Calendar

from db import repo
from db.engine import session_scope
from monitor.model.call import DeadlineIn
from monitor.render.i18n import forget_missing, missing, offered_languages
from tests.mailworld import MailWorld, call_in, utc

SEEDED_AT = utc("2026-11-20T08:00:00Z")
EDITED_AT = utc("2026-11-21T09:00:00Z")


def two_stage() -> Any:
    stages = [
        DeadlineIn(at=utc("2027-01-20T16:00:00Z"), label="Stage 1"),
        DeadlineIn(at=utc("2027-05-20T15:00:00Z"), label="Stage 2"),
    ]
    base = call_in("S2", "Hydrogen storage, two stages", deadline=None, budget=3_000_000)
    return base.model_copy(
        update={"deadlines": stages, "next_deadline_at": stages[0].at, "final_deadline_at": stages[1].at}
    )


def publish(
    world: MailWorld, notes: dict[str, str], *, name: str = "Agri-food SMEs — December", **values: str
) -> dict[str, Any]:
    """Three calls in the store, and a collection holding those named in `notes` (in that order)."""
    world.seed(
        [
            call_in("H1", "Hydrogen valleys for SMEs", deadline="2027-01-10T16:00:00Z", budget=2_000_000),
            two_stage(),
            call_in("=cmd", "-2+3 tourism vouchers", deadline="2027-02-01T16:00:00Z").model_copy(
                update={"identifier": "=cmd|' /C calc'!A0"}
            ),
        ],
        now=SEEDED_AT,
    )
    ids = {key: world.call_id(key) for key in ("H1", "S2", "=cmd")}
    with session_scope(world.app.engine) as session:
        owner = repo.create_subscriber(session, email="editor@cluster.test", now=SEEDED_AT).id
        box = repo.create_collection(session, owner_id=owner, name=name, now=SEEDED_AT, **values)
        for key, note in notes.items():
            repo.add_to_collection(
                session, collection_id=box.id, call_id=ids[key], by=owner, now=EDITED_AT, note=note
            )
        found = {"id": box.id, "key": box.public_key, "owner": owner}
    return {**found, "calls": ids}


def get(world: MailWorld, path: str, method: str = "GET", **headers: str) -> httpx.Response:
    with world.http() as http:
        response = http.request(method, f"{world.web}{path}", headers=headers)
    assert response.status_code < 500, response.text
    return response


def parsed(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def events(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return {str(e["UID"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}


def rows(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


NOTES = {"S2": "Two stages: start early.", "H1": "Fits our hydrogen members."}


def test_rss_and_atom_carry_the_notes_first_ids_of_their_own_and_the_deadlines(world: MailWorld) -> None:
    box = publish(world, NOTES)
    ids, scope = box["calls"], f"collection-{box['id']}"
    for fmt in ("rss", "atom"):
        response = get(world, f"/c/{box['key']}/feed.{fmt}")
        assert response.headers["content-type"] == f"application/{fmt}+xml; charset=utf-8"
        assert response.headers["cache-control"] == "public, max-age=300"
        assert response.headers["referrer-policy"] == "same-origin"
        feed = parsed(response)
        assert feed.feed.title == "Agri-food SMEs — December"
        assert [e.id for e in feed.entries] == [
            f"tag:callwatch,2026:{scope}/call/{ids[k]}" for k in ("S2", "H1")
        ]
        assert [e.link for e in feed.entries] == [f"{world.web}/calls/{ids[k]}" for k in ("S2", "H1")]
        first, second = (entry.summary for entry in feed.entries)
        assert first.startswith("<p>Editor&#x27;s note: Two stages: start early.</p>")
        assert "Stage 1: 20 January 2027 17:00 Brussels time" in first
        assert "Stage 2: 20 May 2027 17:00 Brussels time" in first
        assert second.startswith("<p>Editor&#x27;s note: Fits our hydrogen members.</p>")
        assert "10 January 2027 17:00 Brussels time" in second
        assert "https://calls.example.eu/H1" in second
    assert parsed(get(world, f"/c/{box['key']}/feed.rss")).feed.language == "en"


def test_entry_ids_stay_when_items_move_and_the_feed_is_rebuilt(world: MailWorld) -> None:
    box = publish(world, NOTES)
    before = get(world, f"/c/{box['key']}/feed.atom")
    with session_scope(world.app.engine) as session:
        repo.move_item(
            session, collection_id=box["id"], call_id=box["calls"]["H1"], to_position=1, now=EDITED_AT
        )
    after = get(world, f"/c/{box['key']}/feed.atom")
    assert after.headers["etag"] != before.headers["etag"]
    old, new = [e.id for e in parsed(before).entries], [e.id for e in parsed(after).entries]
    assert new == list(reversed(old))


def test_the_calendar_has_every_stage_with_the_note_and_uids_of_its_own(world: MailWorld) -> None:
    box = publish(world, NOTES)
    ids, scope = box["calls"], f"collection-{box['id']}"
    found = events(get(world, f"/c/{box['key']}/calendar.ics"))
    starts = {uid: event.decoded("DTSTART") for uid, event in found.items()}
    assert starts == {
        f"{scope}-call-{ids['S2']}-deadline-label-stage-1@callwatch": utc("2027-01-20T16:00:00Z"),
        f"{scope}-call-{ids['S2']}-deadline-label-stage-2@callwatch": utc("2027-05-20T15:00:00Z"),
        f"{scope}-call-{ids['H1']}-deadline-stage-1@callwatch": utc("2027-01-10T16:00:00Z"),
    }
    for uid, event in found.items():
        note = NOTES["S2"] if f"-{ids['S2']}-" in uid else NOTES["H1"]
        assert str(event["DESCRIPTION"]).startswith(f"Editor's note: {note}\n\n")


def test_csv_has_the_columns_asked_for_and_guards_against_formulas(world: MailWorld) -> None:
    box = publish(world, {"=cmd": '=HYPERLINK("http://evil.test")', "H1": "@SUM(A1)", "S2": "+1"})
    found = rows(get(world, f"/c/{box['key']}/calls.csv?columns=position,title,note,deadline,budget"))
    assert found == [
        ["position", "title", "note", "deadline", "budget"],
        ["1", "'-2+3 tourism vouchers", '\'=HYPERLINK("http://evil.test")', "2027-02-01T17:00:00+01:00", ""],
        ["2", "Hydrogen valleys for SMEs", "'@SUM(A1)", "2027-01-10T17:00:00+01:00", "2000000"],
        ["3", "Hydrogen storage, two stages", "'+1", "2027-01-20T17:00:00+01:00", "3000000"],
    ]
    assert rows(get(world, f"/c/{box['key']}/calls.csv?columns=IDENTIFIER, page_url"))[1] == [
        "'=cmd|' /C calc'!A0",
        f"{world.web}/calls/{box['calls']['=cmd']}",
    ]
    every = rows(get(world, f"/c/{box['key']}/calls.csv"))
    assert every[0][:3] == ["position", "title", "identifier"] and len(every[0]) == 18
    refused = get(world, f"/c/{box['key']}/calls.csv?columns=title,secret")
    assert refused.status_code == 400
    assert "'secret'" in refused.text and "position,title,identifier" in refused.text


def test_conditional_get_answers_304_until_the_collection_changes(world: MailWorld) -> None:
    box = publish(world, NOTES)
    for name in ("", "/feed.rss", "/feed.atom", "/calendar.ics", "/calls.csv", "/snippet.html"):
        path = f"/c/{box['key']}{name}"
        first = get(world, path)
        assert first.status_code == 200
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert get(world, path, **{"If-None-Match": etag}).status_code == 304
        assert get(world, path, **{"If-Modified-Since": modified}).status_code == 304
        earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True)
        assert get(world, path, **{"If-Modified-Since": earlier}).status_code == 200
    rss = f"/c/{box['key']}/feed.rss"
    seen = {get(world, rss).headers["etag"]}
    changes = [
        lambda s: repo.set_item_note(s, collection_id=box["id"], call_id=box["calls"]["H1"], note="New note",
                                     now=EDITED_AT + timedelta(minutes=1)),
        lambda s: repo.move_item(s, collection_id=box["id"], call_id=box["calls"]["H1"], to_position=1,
                                 now=EDITED_AT + timedelta(minutes=2)),
        lambda s: repo.add_to_collection(s, collection_id=box["id"], call_id=box["calls"]["=cmd"], by=None,
                                         now=EDITED_AT + timedelta(minutes=3)),
    ]  # fmt: skip
    bodies = [get(world, rss).content]
    for change in changes:
        old = get(world, rss).headers["etag"]
        with session_scope(world.app.engine) as session:
            change(session)
        response = get(world, rss, **{"If-None-Match": old})
        assert response.status_code == 200
        assert response.headers["etag"] not in seen
        seen.add(response.headers["etag"])
        assert response.content not in bodies
        bodies.append(response.content)
    assert b"New note" in bodies[1]
    assert len(parsed(get(world, rss)).entries) == 3


def test_the_page_links_every_format_and_shows_the_snippet(world: MailWorld) -> None:
    box = publish(world, NOTES, description="Calls for our members.\nUpdated weekly.")
    response = get(world, f"/c/{box['key']}")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["referrer-policy"] == "same-origin"
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1.get_text() == "Agri-food SMEs — December"
    hrefs = {a["href"] for a in page.find_all("a")}
    base = f"{world.web}/c/{box['key']}"
    for name in ("join", "feed.rss", "feed.atom", "calendar.ics", "calls.csv", "snippet.html"):
        assert f"{base}/{name}" in hrefs
    items = page.select("li.collection-item")
    assert [li.h2.get_text() for li in items] == ["Hydrogen storage, two stages", "Hydrogen valleys for SMEs"]
    assert "Two stages: start early." in items[0].select_one("p.note").get_text()
    assert "20 May 2027" in items[0].get_text()
    snippet = get(world, f"/c/{box['key']}/snippet.html")
    assert snippet.headers["content-security-policy"] == "default-src 'none'"
    assert page.find("textarea").get_text() == snippet.text
    fragment = BeautifulSoup(snippet.text, "html.parser")
    assert fragment.find(["html", "body", "script", "style"]) is None
    assert all(not tag.get("class") for tag in fragment.find_all(True))
    assert fragment.find("table") is not None and "Fits our hydrogen members." in fragment.get_text()


def test_the_collection_speaks_its_own_language(world: MailWorld) -> None:
    box = publish(world, NOTES, language="fr")
    page = BeautifulSoup(get(world, f"/c/{box['key']}").text, "html.parser")
    assert page.html["lang"] == "fr"
    assert page.find("a", href=f"{world.web}/c/{box['key']}/join").get_text() == "S'abonner par e-mail"
    feed = parsed(get(world, f"/c/{box['key']}/feed.rss"))
    assert feed.feed.language == "fr"
    assert feed.entries[0].summary.startswith("<p>Note de la rédaction\xa0: Two stages")
    assert "<strong>Dates limites\xa0:</strong>" in feed.entries[0].summary
    assert "20 mai 2027" in feed.entries[0].summary and "Détails sur Callwatch" in feed.entries[0].summary
    [first, *_] = sorted(
        events(get(world, f"/c/{box['key']}/calendar.ics")).values(), key=lambda e: e.decoded("DTSTART")
    )
    assert str(first["SUMMARY"]).startswith("Date limite\xa0: Hydrogen valleys")
    assert "Détails\xa0: " in str(first["DESCRIPTION"])


def test_an_unknown_or_replaced_key_is_404(world: MailWorld) -> None:
    box = publish(world, NOTES)
    assert get(world, f"/c/{box['key']}/other.txt").status_code == 404
    with session_scope(world.app.engine) as session:
        fresh = repo.republish_collection(session, collection_id=box["id"], now=EDITED_AT)
    for key in (box["key"], "nope", "x" * 41, "a%20b"):
        for name in ("", "/feed.rss", "/feed.atom", "/calendar.ics", "/calls.csv", "/snippet.html"):
            response = get(world, f"/c/{key}{name}")
            assert response.status_code == 404, (key, name)
            assert response.headers["cache-control"] == "no-store"
    assert get(world, f"/c/{fresh}/feed.rss").status_code == 200


def test_every_offered_language_has_every_text_of_the_page_snippet_and_feeds(world: MailWorld) -> None:
    box = publish(world, NOTES)
    for language in offered_languages():
        with session_scope(world.app.engine) as session:
            repo.update_collection(session, collection_id=box["id"], now=EDITED_AT, language=language)
        forget_missing()
        for name in ("", "/snippet.html", "/feed.rss", "/feed.atom", "/calendar.ics"):
            assert get(world, f"/c/{box['key']}{name}").status_code == 200
        assert missing(language) == set(), language


def test_an_empty_collection_says_so_and_a_passing_deadline_changes_its_validators(world: MailWorld) -> None:
    box = publish(world, {"H1": ""})
    with session_scope(world.app.engine) as session:
        empty = repo.create_collection(session, owner_id=box["owner"], name="Nothing yet", now=EDITED_AT)
        key = empty.public_key
    page = get(world, f"/c/{key}")
    assert "This collection holds no calls yet." in page.text
    assert parsed(get(world, f"/c/{key}/feed.atom")).entries == []
    csv_before = get(world, f"/c/{box['key']}/calls.csv?columns=status")
    assert rows(csv_before)[1] == ["open"]
    world.web_clock.at = utc("2027-01-10T16:00:01Z")  # H1's only deadline has passed
    after = get(
        world, f"/c/{box['key']}/calls.csv?columns=status", **{"If-None-Match": csv_before.headers["etag"]}
    )
    assert after.status_code == 200 and rows(after)[1] == ["closed"]
    assert get(world, f"/c/{box['key']}", method="HEAD").status_code == 200
