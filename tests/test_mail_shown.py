"""The shown-log end to end: what "new" and "changed" mean in digests, the preview and the manage page.

Driven as people use it (the CLI as the operator, the web app's manage and confirm pages, the real
local SMTP server): an empty digest takes nothing away, a widened profile brings its existing
matches, a call listed once is not new again, a change is told once, a digest that never reached
its reader gives its calls back, and nobody gets a digest for a slot that passed before they
confirmed.
"""

from __future__ import annotations

import json
from email.message import EmailMessage

from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Delivery, DeliveryStatus, Shown
from tests.mailworld import CALLS, MailWorld, call_in, link, utc

ANNA = "anna@example.org"
LISBON = ("--timezone", "Europe/Lisbon", "--digest-day", "monday", "--digest-hour", "8")
FIRST_LINE = "First digest: the open calls that fit you today"
A_TITLE, E_TITLE = "Green hydrogen electrolyser pilots for SMEs", "Electrolyser supply chain"


def _subscribe(
    world: MailWorld, *keywords: str, confirmed: bool = True, at: str = "2026-11-21T10:00:00Z"
) -> None:
    words = [arg for word in keywords for arg in ("--keywords", word)]
    extra = ["--confirmed"] if confirmed else []
    args = ("subscribe", ANNA, *words, "--country", "PT", "--org-type", "sme", *LISBON, *extra, "--now", at)
    result = world.cli(*args)
    assert result.exit_code == 0, result.output


def _digests(world: MailWorld) -> list[EmailMessage]:
    return [m for m in world.messages_to(ANNA) if m["X-Callwatch-Kind"] == "digest"]


def _text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def _digest(world: MailWorld, at: str) -> None:
    result = world.cli("digest", "--now", at)
    assert result.exit_code == 0, result.output


def _preview(world: MailWorld, at: str) -> dict:
    result = world.cli("preview", ANNA, "--json", "--now", at)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _manage(world: MailWorld) -> str:
    with session_scope(world.app.engine) as session:
        return world.app.links.manage(repo.subscriber_by_email(session, email=ANNA))


def _shown(world: MailWorld) -> list[tuple[int | None, int, int | None, int]]:
    with session_scope(world.app.engine) as session:
        rows = session.exec(select(Shown).order_by(Shown.id)).all()
        return [(r.profile_id, r.call_id, r.change_id, r.delivery_id) for r in rows]


def test_empty_digest_then_widened_profile_lists_the_existing_matches(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    _subscribe(world, "geothermal")
    _digest(world, "2026-11-23T08:05:00Z")  # nothing fits: an empty digest, not sent
    assert _digests(world) == [] and _shown(world) == []

    # Monday morning Anna widens her profile on the manage page (the feed would list the calls too).
    world.web_clock.at = utc("2026-11-23T09:00:00Z")
    manage = _manage(world)
    with session_scope(world.app.engine) as session:
        anna = repo.subscriber_by_email(session, email=ANNA)
        [profile] = repo.profiles_of(session, subscriber_ids=[anna.id])[anna.id]
    edit = {"name": "Hydrogen", "keywords": "hydrogen, electrolyser", "countries": "PT", "org_types": "sme"}
    with world.http() as http:
        assert "0 calls match now" in http.get(manage).text
        saved = world.submit(
            http, manage, edit | {"frequency": "weekly"}, action=f"{manage}/profiles/{profile.id}"
        )
        assert saved.status_code == 303, saved.text
        assert "2 calls match now (2 not yet in a digest)" in http.get(manage).text

    before = _preview(world, "2026-11-25T12:00:00Z")
    assert before["first"] is True
    assert {m["title"]: m["in_digest"] for m in before["matches"]} == {
        A_TITLE: "new",
        E_TITLE + " <img src=x onerror=alert(1)>": "new",
    }
    _digest(world, "2026-11-25T12:00:00Z")  # the same week: its (empty) digest is done
    assert _digests(world) == []

    _digest(world, "2026-11-30T08:05:00Z")
    [digest] = _digests(world)
    text = _text(digest)
    assert digest["Subject"] == "Your Callwatch digest: 2 new calls"
    assert FIRST_LINE in text and FIRST_LINE in digest.get_body(("html",)).get_content()
    assert "Open calls that fit your profile (2)" in text and A_TITLE in text and E_TITLE in text
    with world.http() as http:
        page = http.get(manage).text
    assert "2 calls match now ·" in page and "not yet in a digest" not in page
    after = _preview(world, "2026-12-01T12:00:00Z")
    assert after["first"] is False and {m["in_digest"] for m in after["matches"]} == {"not new"}


def test_a_call_listed_once_is_not_new_again_and_its_change_is_told_once(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    _subscribe(world, "hydrogen", "electrolyser")
    _digest(world, "2026-11-23T08:05:00Z")
    moved = call_in(
        "A", A_TITLE, deadline="2027-01-10T16:00:00Z", countries=["DE", "PT", "ES"], org_types=["sme"],
        summary="Pilot lines for electrolysers in industrial clusters.",
        budget=2_000_000, per_project=500_000,
    )  # fmt: skip
    world.seed([moved], now=utc("2026-11-26T09:00:00Z"))
    _digest(world, "2026-11-30T08:05:00Z")
    fresh = call_in(
        "F", "Hydrogen refuelling for SME fleets", deadline="2027-03-01T16:00:00Z", countries=["PT"]
    )
    world.seed([fresh], now=utc("2026-12-02T09:00:00Z"))
    _digest(world, "2026-12-07T08:05:00Z")

    first, second, third = (_text(m) for m in _digests(world))
    assert "Open calls that fit your profile (2)" in first and FIRST_LINE in first
    # Second: A is not new any more; its deadline move is told under "Changed"; no "first digest".
    assert "New calls for you" not in second and FIRST_LINE not in second
    assert "== Changed (1) ==" in second
    assert "* deadline moved from 3 January 2027 17:00 to 10 January 2027 17:00 (Brussels)" in second
    # Third: only F is new; the move is not told again.
    assert "New calls for you (1)" in third and "Hydrogen refuelling for SME fleets" in third
    assert "Changed" not in third and "deadline moved" not in third and A_TITLE not in third
    told = [row for row in _shown(world) if row[2] is not None]
    assert len(told) == 1 and told[0][1] == world.call_id("A")
    listed = [row[1] for row in _shown(world) if row[2] is None]
    assert sorted(listed) == sorted(world.call_id(k) for k in ("A", "E", "F"))


def test_calls_over_the_limit_come_in_the_next_digest(world: MailWorld) -> None:
    (world.config_dir / "callwatch.toml").write_text(
        "[mail]\nrate_per_second = 0\nmax_calls_per_section = 1\n"
    )
    storage = "Hydrogen storage for Portuguese SMEs"
    extra = call_in("G", storage, deadline="2027-03-01T16:00:00Z", countries=["PT"], org_types=["sme"])
    world.seed([*CALLS, extra], now=utc("2026-11-21T09:00:00Z"))
    _subscribe(world, "hydrogen")  # A and G fit; neither closes within 14 days
    _digest(world, "2026-11-23T08:05:00Z")
    _digest(world, "2026-11-30T08:05:00Z")
    first, second = (_text(m) for m in _digests(world))
    assert "Open calls that fit your profile (1)" in first and "1 more match on the website" in first
    assert "New calls for you (1)" in second and "more match" not in second
    titles = [[t for t in (A_TITLE, storage) if t in text] for text in (first, second)]
    assert sorted(sum(titles, [])) == sorted([A_TITLE, storage])


def test_a_digest_that_never_arrived_gives_its_calls_back(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    _subscribe(world, "hydrogen", "electrolyser")
    _digest(world, "2026-11-23T08:05:00Z")
    # The sender gave up on it (what it does after digest_give_up_hours of transient refusals).
    with session_scope(world.app.engine) as session:
        [row] = session.exec(select(Delivery).where(Delivery.kind == "digest")).all()
        repo.finish_delivery(
            session, delivery_id=row.id, status=DeliveryStatus.EXPIRED, now=utc("2026-11-25T08:05:00Z")
        )
        lost = row.id
    assert _preview(world, "2026-11-30T08:00:00Z")["first"] is True
    _digest(world, "2026-11-30T08:05:00Z")
    second = _text(_digests(world)[-1])
    assert "Open calls that fit your profile (2)" in second and FIRST_LINE in second
    assert lost not in {row[3] for row in _shown(world)}  # the lost digest's rows were replaced
    assert len(_shown(world)) == 2


def test_confirming_on_tuesday_sends_no_digest_for_mondays_slot(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    _subscribe(world, "hydrogen", "electrolyser", confirmed=False, at="2026-11-22T10:00:00Z")
    [confirmation] = world.messages_to(ANNA)
    world.web_clock.at = utc("2026-11-24T09:00:00Z")  # Tuesday; Monday's slot was 08:00 Lisbon
    with world.http() as http:
        assert world.submit(http, link(confirmation, "confirm")).status_code == 200
    _digest(world, "2026-11-24T09:01:00Z")
    _digest(world, "2026-11-25T09:00:00Z")
    assert _digests(world) == []
    with session_scope(world.app.engine) as session:
        assert session.exec(select(Delivery).where(Delivery.kind == "digest")).all() == []
    assert _preview(world, "2026-11-24T09:02:00Z")["next_digest"] == "2026-11-30T08:00:00+00:00"
    _digest(world, "2026-11-30T08:05:00Z")
    [digest] = _digests(world)
    assert FIRST_LINE in _text(digest) and digest["Subject"] == "Your Callwatch digest: 2 new calls"
