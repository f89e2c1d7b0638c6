"""Issue 14 for real users, over real sockets: strict filters ("only calls that state this") on the
browse page, the JSON API and the feeds; "Not stated: …" on every card; "any of" / "all of" words
and strict boxes in the profile form; the manage page's "N calls match now · next digest …"; and
`callwatch preview`. The world's web clock stands at Saturday 2026-11-21 10:00 UTC.

Expected values are worked out by hand from the calls below:
- AG: cascade, agri-food, SMEs, Portugal.     - NE: cascade, SMEs, no ecosystem, no country.
- DG: cascade, digital, no org type, no country. - GR: grant, agri-food, Portugal, "hydrogen".
- ND: cascade vouchers with no deadline stated (its source still lists it).
"""

from __future__ import annotations

import json
import re
from typing import Any

import feedparser
import httpx
from bs4 import BeautifulSoup
from icalendar import Calendar

from db import repo
from db.engine import session_scope
from monitor.model.call import CallIn
from tests.mailworld import MailWorld, call_in, utc

ANA = "ana@example.pt"


def _call(key: str, title: str, deadline: str | None, **update: Any) -> CallIn:
    countries = update.pop("countries", None)
    org_types = update.pop("org_types", None)
    base = call_in(key, title, deadline=deadline, countries=countries, org_types=org_types)
    return base.model_copy(update=update)


CALLS = [
    _call("AG", "Cascade vouchers for agri-food SMEs", "2027-01-15T16:00:00Z", ecosystems=["agri-food"],
          funding_type="cascade", org_types=["sme"], countries=["PT"]),
    _call("NE", "Cascade vouchers for food SMEs", "2027-01-20T16:00:00Z", funding_type="cascade",
          org_types=["sme"]),
    _call("DG", "Cascade vouchers for digital makers", "2027-01-25T16:00:00Z", ecosystems=["digital"],
          funding_type="cascade"),
    _call("GR", "Hydrogen grants for farms", "2027-02-01T16:00:00Z", ecosystems=["agri-food"],
          funding_type="grant", countries=["PT"]),
    _call("ND", "Cascade vouchers, rolling", None, funding_type="cascade",
          deadline_text="Deadline: to be announced"),
]  # fmt: skip


def seed(world: MailWorld) -> dict[str, int]:
    world.seed(CALLS, now=utc("2026-11-20T09:00:00Z"))
    return {key: world.call_id(key) for key in ("AG", "NE", "DG", "GR", "ND")}


def get(world: MailWorld, path: str, **headers: str) -> httpx.Response:
    with world.http() as http:
        response = http.get(f"{world.web}{path}", headers=headers)
    assert response.status_code < 500, response.text
    return response


def titles(html: str) -> list[str]:
    return [a.get_text() for a in BeautifulSoup(html, "html.parser").select("a.call-title")]


# --------------------------------------------------------------------------- feeds


def test_an_editors_agri_food_cascade_feed_with_strict_ecosystem_carries_only_calls_stating_it(
    world: MailWorld,
) -> None:
    ids = seed(world)
    base = "/feeds/calls.rss?funding_type=cascade&org_type=sme&ecosystem=agri-food"
    loose = feedparser.parse(get(world, base).content)
    by_id = {e.link: e for e in loose.entries}
    page = f"{world.web}/calls/"
    # Without strict, a call that names no ecosystem (or no organisation type) is kept and says so;
    # DG names another ecosystem and is out.
    assert set(by_id) == {page + str(ids[k]) for k in ("AG", "NE", "ND")}
    assert "Not stated:</strong> ecosystem</p>" in by_id[page + str(ids["NE"])].summary
    assert "Not stated" not in by_id[page + str(ids["AG"])].summary

    strict = get(world, base + "&strict=ecosystem")
    assert strict.status_code == 200
    assert [e.link for e in feedparser.parse(strict.content).entries] == [page + str(ids["AG"])]
    assert strict.headers["etag"] != get(world, base).headers["etag"]  # the cache key holds strict
    assert "strict: ecosystem" in feedparser.parse(strict.content).feed.title

    atom = feedparser.parse(get(world, "/feeds/calls.atom?strict=ecosystem").content)
    assert {e.link for e in atom.entries} == {page + str(ids[k]) for k in ("AG", "DG", "GR")}

    calendar = Calendar.from_ical(get(world, "/feeds/calls.ics?ecosystem=agri-food&org_type=sme").content)
    text = {str(e["SUMMARY"]): str(e["DESCRIPTION"]) for e in calendar.walk("VEVENT")}
    assert "Not stated: organisation types" in text["Deadline: Hydrogen grants for farms"]
    assert "Not stated" not in text["Deadline: Cascade vouchers for agri-food SMEs"]

    bad = get(world, "/feeds/calls.rss?strict=ecosystem,colour")
    assert bad.status_code == 400 and bad.text.startswith("strict: unknown strict criteria: colour")


# --------------------------------------------------------------------------- browse and API


def test_browse_page_and_api_take_strict_and_name_what_is_not_stated(world: MailWorld) -> None:
    ids = seed(world)
    loose = get(world, "/calls?ecosystem=agri-food")
    assert set(titles(loose.text)) == {CALLS[i].title for i in (0, 1, 3, 4)}
    soup = BeautifulSoup(loose.text, "html.parser")
    row = next(tr for tr in soup.select("tbody tr") if "for food SMEs" in tr.get_text())
    assert row.select_one(".not-stated").get_text() == "Not stated: ecosystem"
    assert soup.select_one('input[name="strict"][value="ecosystem"]') is not None  # the form's box

    strict = get(world, "/calls?ecosystem=agri-food&strict=ecosystem")
    assert set(titles(strict.text)) == {CALLS[0].title, CALLS[3].title}
    box = BeautifulSoup(strict.text, "html.parser").select_one('input[name="strict"][value="ecosystem"]')
    assert box.has_attr("checked")
    bad = get(world, "/calls?strict=colour")
    assert bad.status_code == 400 and "strict: unknown strict criteria: colour" in bad.text

    listing = get(world, "/api/calls?ecosystem=agri-food&org_type=sme").json()
    silent = {c["id"]: c["not_stated"] for c in listing["calls"]}
    assert silent == {ids["AG"]: [], ids["NE"]: ["ecosystem"], ids["GR"]: ["org_type"],
                      ids["ND"]: ["org_type", "ecosystem"]}  # fmt: skip
    both = get(world, "/api/calls?ecosystem=agri-food&org_type=sme&strict=ecosystem,org_type").json()
    assert [c["id"] for c in both["calls"]] == [ids["AG"]]
    # Links to the same filters spell strict canonically (in STRICT_CRITERIA order).
    assert (
        "/feeds/calls.rss?strict=org_type%2Cecosystem" in get(world, "/calls?strict=ecosystem,org_type").text
    )
    dated = get(world, "/api/calls?funding_type=cascade&strict=deadline").json()
    assert ids["ND"] not in {c["id"] for c in dated["calls"]} and dated["total"] == 3
    refused = get(world, "/api/calls?strict=colour")
    assert refused.status_code == 400 and refused.json()["detail"].startswith("strict: unknown strict")


# --------------------------------------------------------------------------- profile form, manage page


def _manage(world: MailWorld) -> tuple[str, int]:
    result = world.cli(
        "subscribe", ANA, "--keywords", "vouchers", "--confirmed", "--now", "2026-11-21T09:00:00Z"
    )
    assert result.exit_code == 0, result.output
    with session_scope(world.app.engine) as session:
        subscriber = repo.subscriber_by_email(session, email=ANA)
        [profile] = repo.profiles_of(session, subscriber_ids=[subscriber.id])[subscriber.id]
        return world.app.links.manage(subscriber), int(profile.id)


def test_the_profile_form_takes_any_of_all_of_and_strict_and_the_manage_page_counts_matches(
    world: MailWorld,
) -> None:
    seed(world)
    manage, pid = _manage(world)
    with world.http() as http:
        page = http.get(manage).text
        # "vouchers" matches AG, NE, DG and ND; the weekly digest is Monday at 08:00 Brussels time.
        assert "4 calls match now (4 not yet in a digest) · next digest Monday 23 November 08:00" in " ".join(
            page.split()
        )
        for text in ("Any of these words", "All of these words", "Only calls that name an ecosystem",
                     "Words match their plural and inflected forms",
                     "title, keywords and summary only"):  # fmt: skip
            assert text in page
        assert "electroly" not in page and "electroly" not in http.get(f"{world.web}/subscribe").text
        assert "All of these words" in http.get(f"{world.web}/subscribe").text

        values = {"keywords": "vouchers, grants", "keywords_all": "cascade", "ecosystems": "agri-food",
                  "countries": "PT", "strict": ["ecosystem", "country"], "frequency": "weekly"}  # fmt: skip
        saved = world.submit(http, manage, values, action=f"{manage}/profiles/{pid}")
        assert saved.status_code == 303, saved.text
        page = " ".join(http.get(manage).text.split())
        # All of "cascade", agri-food stated, Portugal stated: AG only (GR is a grant, NE states neither).
        assert "1 call matches now (1 not yet in a digest) · next digest Monday 23 November 08:00" in page
        assert "Only calls that state</dt><dd>countries, ecosystem" in page

        bad = world.submit(http, manage, {**values, "strict": ["colour"]}, action=f"{manage}/profiles/{pid}")
        assert bad.status_code == 422 and "unknown strict criteria: colour" in bad.text
    with session_scope(world.app.engine) as session:
        profile = repo.profile(session, profile_id=pid)
        assert profile.keywords == ["vouchers", "grants"] and profile.keywords_all == ["cascade"]
        assert profile.strict == ["country", "ecosystem"]


# --------------------------------------------------------------------------- preview and the digest


def preview(world: MailWorld, *args: str) -> Any:
    result = world.cli("preview", ANA, "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_preview_lists_what_the_next_digest_holds_as_the_planner_does(world: MailWorld) -> None:
    ids = seed(world)
    subscribe = ("subscribe", ANA, "-k", "vouchers", "--country", "PT", "--timezone", "Europe/Lisbon")
    assert world.cli(*subscribe, "--confirmed", "--now", "2026-11-21T09:00:00Z").exit_code == 0
    before = preview(world, "--now", "2026-11-23T07:00:00Z")
    assert before["next_digest"] == "2026-11-23T08:00:00+00:00" and before["since"] is None
    # "vouchers" once in each title: BM25 ranks the shorter title higher (the word is more of it);
    # NE and DG tie (titles of the same length): the sooner deadline first. AG states the country,
    # which breaks ties only: it does not add points.
    ranked = [(m["call_id"], m["score"], m["in_digest"], m["not_stated"]) for m in before["matches"]]
    assert ranked == [
        (ids["ND"], 0.4885, "new", ["country"]),
        (ids["NE"], 0.4438, "new", ["country"]),
        (ids["DG"], 0.4438, "new", ["country"]),
        (ids["AG"], 0.4244, "new", []),
    ]
    first = next(m for m in before["matches"] if m["call_id"] == ids["AG"])
    assert first["reasons"][:2] == ["keywords: vouchers", "open to PT"]
    assert {"criterion": "country", "outcome": "eligible", "detail": "open to PT", "evidence": None} in (
        first["verdicts"]
    )
    text = world.cli("preview", ANA, "--now", "2026-11-23T07:00:00Z").stdout
    assert "next digest Monday 23 November 08:00 (Lisbon)" in text
    assert f"[new] call {ids['NE']} · score 0.4438 · Cascade vouchers for food SMEs" in text
    assert "     country: unknown — no country stated" in text and "not stated: countries" in text

    # The digest the planner sends holds exactly what the preview said, each card saying what is not stated.
    assert world.cli("digest", "--now", "2026-11-23T08:05:00Z").exit_code == 0
    [digest] = [m for m in world.messages_to(ANA) if m["X-Callwatch-Kind"] == "digest"]
    body = digest.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert [t for t in (c.title for c in CALLS) if t in body] == [c.title for c in CALLS if c.key != "GR"]
    cards = {c.split("\n")[0]: c for c in re.split(r"\n\d+\. ", body)}
    assert "   Not stated: countries\n" in cards["Cascade vouchers for food SMEs"]
    assert "Not stated" not in cards["Cascade vouchers for agri-food SMEs"]

    # After it: what was sent is not new; a call marked "not relevant" is gone; a new call is new.
    with session_scope(world.app.engine) as session:
        [profile] = repo.profiles_of(
            session, subscriber_ids=[repo.subscriber_by_email(session, email=ANA).id]
        ).popitem()[1]
        repo.dismiss_call(session, profile_id=profile.id, call_id=ids["DG"], now=utc("2026-11-23T09:00:00Z"))
    world.seed([_call("NV", "New vouchers for PT", "2027-03-01T16:00:00Z", countries=["PT"])],
               now=utc("2026-11-25T09:00:00Z"))  # fmt: skip
    after = preview(world, "--now", "2026-11-26T09:00:00Z", "--profile", str(profile.id))
    assert (
        after["next_digest"] == "2026-11-30T08:00:00+00:00" and after["since"] == "2026-11-23T08:05:00+00:00"
    )
    assert {m["call_id"]: m["in_digest"] for m in after["matches"]} == {
        ids["AG"]: "not new", world.call_id("NV"): "new", ids["NE"]: "not new", ids["ND"]: "not new",
    }  # fmt: skip
    scores = [m["score"] for m in after["matches"]]
    assert scores == sorted(scores, reverse=True)
    assert world.cli("digest", "--now", "2026-11-30T08:05:00Z").exit_code == 0
    second = [m for m in world.messages_to(ANA) if m["X-Callwatch-Kind"] == "digest"][1]
    assert second["Subject"] == "Your Callwatch digest: 1 new call"


def test_preview_refuses_an_unknown_address_or_profile(world: MailWorld) -> None:
    unknown = world.cli("preview", "nobody@example.org")
    assert unknown.exit_code == 2 and unknown.stderr.strip() == "callwatch: no subscriber nobody@example.org"
    assert world.cli("subscribe", ANA, "-k", "vouchers", "--confirmed").exit_code == 0
    missing = world.cli("preview", ANA, "--profile", "999")
    assert missing.exit_code == 2 and "has no profile 999" in missing.stderr
    assert world.cli("preview", ANA, "--now", "yesterday").exit_code == 2
