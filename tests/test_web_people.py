"""The people pages over real HTTP (the web app on a loopback port, the local SMTP server):
the sign-up form, CSRF protection, rate limits, and editing on the manage page.

What is checked is what a person, or an attacker, can see and change: page
bytes, status codes, headers, e-mails received, and rows in the database.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Consent, Profile, RateHit, Subscriber
from monitor.people.signups import check_sign_up
from monitor.people.subscriptions import ProfileInput, SubscriptionError
from monitor.web import manage as manage_pages
from monitor.web import people as people_pages
from monitor.web import signup as signup_pages
from monitor.web.security import COOKIE, PER_ADDRESS, PER_CLIENT, field_value
from tests.mailworld import CALLS, SECRET, MailWorld, link, utc

ANNA = "anna@example.org"
FORM = {
    "name": "Hydrogen",
    "keywords": "hydrogen, electrolyser",
    "countries": "PT",
    "org_types": ["sme"],
    "frequency": "weekly",
    "timezone": "Europe/Lisbon",
    "digest_weekday": "0",
    "digest_hour": "8",
    "language": "en",
}


def _sign_up(world: MailWorld, http: httpx.Client, email: str, track: int | None = None, **fields: object):
    page = f"{world.web}/subscribe" + (f"?track={track}" if track else "")
    return world.submit(http, page, {**FORM, "email": email, **fields}, action="/subscribe")


def _subscriber(world: MailWorld, email: str = ANNA) -> Subscriber | None:
    with session_scope(world.app.engine) as session:
        row = repo.subscriber_by_email(session, email=email)
        if row is not None:
            session.expunge(row)
        return row


def _profiles(world: MailWorld, email: str = ANNA) -> list[Profile]:
    with session_scope(world.app.engine) as session:
        row = repo.subscriber_by_email(session, email=email)
        found = repo.profiles_of(session, subscriber_ids=[row.id]).get(row.id, []) if row else []
        for profile in found:
            session.expunge(profile)
        return found


def _tracked(world: MailWorld, email: str = ANNA) -> list[int]:
    with session_scope(world.app.engine) as session:
        row = repo.subscriber_by_email(session, email=email)
        return sorted(repo.tracked_calls(session, subscriber_ids=[row.id]).get(row.id, {}))


def _confirmed(world: MailWorld, email: str = ANNA) -> str:
    """A confirmed subscriber made with the CLI at the world's time (a digest is owed only for slots
    after the confirmation); returns their manage link."""
    at = world.web_clock.at.isoformat()
    result = world.cli(
        "subscribe", email, "--keywords", "hydrogen", "--country", "PT", "--confirmed", "--now", at
    )
    assert result.exit_code == 0, result.output
    with session_scope(world.app.engine) as session:
        return world.app.links.manage(repo.subscriber_by_email(session, email=email))


def _without_token(html: str) -> str:
    return re.sub(r'name="csrf" value="[0-9a-f]+"', 'name="csrf" value=""', html)


# --------------------------------------------------------------------------- the sign-up form


def test_the_form_offers_every_criterion_and_names_the_call_to_track(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    call_a = world.call_id("A")
    with world.http() as http:
        page = http.get(f"{world.web}/subscribe?track={call_a}")
        plain = http.get(f"{world.web}/subscribe?track=99999999")
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # the test site is http
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    soup = BeautifulSoup(page.text, "html.parser")
    form = soup.find("form", action="/subscribe")
    names = {field["name"] for field in form.find_all(["input", "textarea", "select"])}
    assert names >= {
        "csrf", "track", "email", "name", "keywords", "exclude", "countries", "org_types", "ecosystems",
        "programmes", "funding_types", "budget_min", "budget_max", "min_days_left", "frequency",
        "digest_weekday", "digest_hour", "timezone", "timezone_other", "language",
    }  # fmt: skip
    assert form.find("input", attrs={"name": "track"})["value"] == str(call_a)
    assert "Green hydrogen electrolyser pilots for SMEs" in page.text
    # Every field has a label (usable with a screen reader, and without JavaScript).
    for field in form.find_all(["input", "textarea", "select"]):
        if field.get("type") != "hidden":
            assert soup.find("label", attrs={"for": field["id"]}), field
    assert soup.find("option", attrs={"value": "Europe/Lisbon"}) and soup.find(
        "option", attrs={"value": "fr"}
    )
    assert plain.status_code == 200 and "will also track" not in plain.text


def test_a_new_address_confirms_by_e_mail_and_then_tracks_the_call(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    call_a = world.call_id("A")
    with world.http() as http:
        answer = _sign_up(world, http, ANNA, track=call_a)
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    assert _subscriber(world).status == "pending" and _tracked(world) == []  # nothing before consent
    [message] = world.wait_for_messages(ANNA)
    assert message["Subject"] == "Please confirm your subscription"
    confirm_url = link(message, "confirm")
    with world.http() as http:
        page = http.get(confirm_url)
        assert "You will also track" in page.text and "Green hydrogen electrolyser pilots" in page.text
        done = world.submit(http, confirm_url)
    assert done.status_code == 200 and "Subscription confirmed" in done.text
    assert "Your first digest: Monday 23 November 08:00 (Europe/Lisbon)" in done.text
    assert _subscriber(world).status == "confirmed" and _tracked(world) == [call_a]
    [profile] = _profiles(world)
    assert (profile.name, profile.keywords, profile.countries) == (
        "Hydrogen",
        ["hydrogen", "electrolyser"],
        ["PT"],
    )
    assert _subscriber(world).timezone == "Europe/Lisbon"
    with session_scope(world.app.engine) as session:
        events = session.exec(select(Consent.event, Consent.source).order_by(Consent.id)).all()
    assert events == [("subscribed", "web"), ("confirmed", "web")]


def test_new_pending_and_confirmed_addresses_get_the_same_answer(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    pending, confirmed, new = "pending@example.org", "confirmed@example.org", "new@example.org"
    assert world.cli("subscribe", pending, "--keywords", "x", "--now", "2026-11-21T08:00:00Z").exit_code == 0
    _confirmed(world, confirmed)
    before = {pending: len(world.messages_to(pending)), confirmed: len(world.messages_to(confirmed))}
    pages = {}
    with world.http() as http:
        for address in (new, pending, confirmed):
            answer = _sign_up(world, http, address, track=world.call_id("B"))
            assert answer.status_code == 200
            pages[address] = (
                _without_token(answer.text).replace(address, "ADDRESS"),
                answer.headers.get("set-cookie"),
            )
    assert pages[new] == pages[pending] == pages[confirmed]

    # New and pending: a confirmation. Confirmed: its manage link, and nothing changed.
    assert world.wait_for_messages(new)[0]["Subject"] == "Please confirm your subscription"
    again = world.wait_for_messages(pending, before[pending] + 1)[-1]
    assert again["Subject"] == "Please confirm your subscription"
    notice = world.wait_for_messages(confirmed, before[confirmed] + 1)[-1]
    assert notice["Subject"] == "Your Callwatch subscription" and notice["X-Callwatch-Kind"] == "manage-link"
    text = notice.get_body(preferencelist=("plain",)).get_content()
    assert (
        "already subscribed, so nothing was changed" in text and "Digital vouchers for tourism SMEs" in text
    )
    assert [p.keywords for p in _profiles(world, confirmed)] == [["hydrogen"]]
    assert _subscriber(world, confirmed).timezone == "Europe/Brussels"
    # The track link in that e-mail is the person's own way to track the call.
    with world.http() as http:
        assert world.submit(http, link(notice, "track")).status_code == 200
    assert _tracked(world, confirmed) == [world.call_id("B")]
    # A second sign-up of the confirmed address within 10 minutes sends nothing more.
    with world.http() as http:
        _sign_up(world, http, confirmed)
    assert len(world.wait_for_messages(confirmed, before[confirmed] + 2, timeout=1)) == before[confirmed] + 1


def test_errors_show_the_form_again_with_what_was_typed(world: MailWorld) -> None:
    with world.http() as http:
        bad_address = _sign_up(world, http, "anna@", keywords="green hydrogen, <script>x</script>")
        bad_country = _sign_up(world, http, ANNA, countries="Narnia", ecosystems=["digital", "tourism"])
        bad_budget = _sign_up(world, http, ANNA, budget_min="lots")
        bad_zone = _sign_up(world, http, ANNA, timezone_other="Mars/Olympus")
    assert bad_address.status_code == 422 and "Not a usable e-mail address" in bad_address.text
    soup = BeautifulSoup(bad_address.text, "html.parser")
    assert soup.find("input", attrs={"name": "email"})["value"] == "anna@"
    assert soup.find("textarea", attrs={"name": "keywords"}).text == "green hydrogen, <script>x</script>"
    assert "<script>x</script>" not in bad_address.text  # shown as text, escaped
    assert soup.find("input", attrs={"name": "org_types", "value": "sme"}).has_attr("checked")
    assert soup.find("input", attrs={"name": "csrf"})["value"]  # the form can be sent again
    assert bad_country.status_code == 422 and "Unknown country &#39;Narnia&#39;" in bad_country.text
    checked = BeautifulSoup(bad_country.text, "html.parser").find_all("input", attrs={"name": "ecosystems"})
    assert sorted(box["value"] for box in checked if box.has_attr("checked")) == ["digital", "tourism"]
    assert bad_budget.status_code == 422 and "minimum budget must be an amount" in bad_budget.text
    assert bad_zone.status_code == 422 and "Unknown time zone" in bad_zone.text
    assert _subscriber(world) is None and world.smtp.received == []


# --------------------------------------------------------------------------- CSRF


def test_forms_without_a_valid_token_change_nothing(world: MailWorld) -> None:
    data = {**FORM, "email": ANNA}
    with world.http() as http:
        http.get(f"{world.web}/subscribe")  # the cookie, but no field
        cookie = http.cookies[COOKIE]
        missing = http.post(f"{world.web}/subscribe", data=data)
        wrong = http.post(f"{world.web}/subscribe", data=data | {"csrf": "0" * 64})
        other_purpose = field_value(SECRET, cookie, "confirm")
        purpose = http.post(f"{world.web}/subscribe", data=data | {"csrf": other_purpose})
        good = field_value(SECRET, cookie, "subscribe")
        other_origin = http.post(
            f"{world.web}/subscribe", data=data | {"csrf": good}, headers={"Origin": "https://evil.example"}
        )
        other_referer = http.post(
            f"{world.web}/subscribe",
            data=data | {"csrf": good},
            headers={"Referer": "https://evil.example/x"},
        )
        null_origin = http.post(
            f"{world.web}/subscribe", data=data | {"csrf": good}, headers={"Origin": "null"}
        )
    with world.http() as stranger:  # a valid field, but not this browser's cookie
        no_cookie = stranger.post(f"{world.web}/subscribe", data=data | {"csrf": good})
    for answer in (missing, wrong, purpose, other_origin, other_referer, null_origin, no_cookie):
        assert answer.status_code == 403 and "Nothing was changed" in answer.text
    assert _subscriber(world) is None
    with world.http() as http:
        http.get(f"{world.web}/subscribe")
        ours = http.post(
            f"{world.web}/subscribe",
            data=data | {"csrf": field_value(SECRET, http.cookies[COOKIE], "subscribe")},
            headers={"Origin": world.web, "Referer": world.web + "/subscribe"},
        )
    assert ours.status_code == 200 and _subscriber(world) is not None


def test_every_state_changing_form_needs_the_token_except_one_click(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    manage = _confirmed(world)
    call_a = world.call_id("A")
    assert world.cli("track", ANNA, str(call_a)).exit_code == 0
    with session_scope(world.app.engine) as session:
        anna = repo.subscriber_by_email(session, email=ANNA)
        links_ = world.app.links
        profile_id = _profiles(world)[0].id
        confirm, track = links_.confirm(anna), links_.track(anna, call_a)
        dismiss, unsubscribe = links_.dismiss(anna, profile_id, call_a), links_.unsubscribe(anna)
    targets = [
        f"{world.web}/subscribe", confirm, confirm + "/resend", track, dismiss, manage + "/preferences",
        manage + "/profiles", f"{manage}/profiles/{profile_id}", f"{manage}/profiles/{profile_id}/delete",
        manage + "/untrack", manage + "/track", manage + "/reset-feeds", manage + "/delete",
    ]  # fmt: skip
    # Every POST route of the people pages is in that list, or is the one-click unsubscribe.
    routes = [*people_pages.router.routes, *signup_pages.router.routes, *manage_pages.router.routes]
    posts = {route.path for route in routes if "POST" in getattr(route, "methods", ())}
    paths = {
        re.sub(r"/(confirm|track|dismiss|manage)/[^/]+", r"/\1/{token}", t.replace(world.web, ""))
        for t in targets
    }
    paths = {p.replace(f"/profiles/{profile_id}", "/profiles/{profile_id}") for p in paths}
    assert posts - paths == {"/unsubscribe/{token}"}
    with world.http() as http:
        for url in targets:
            http.get(url)  # a browser would have the cookie; the field is what a forger lacks
            answer = http.post(url, data={"call_id": str(call_a), "keywords": "x", "language": "fr"})
            assert answer.status_code == 403, url
    assert _subscriber(world).language == "en" and _tracked(world) == [call_a]
    assert [p.keywords for p in _profiles(world)] == [["hydrogen"]]
    # RFC 8058: the one-click POST has no cookie and no token, and works, with a 200.
    with world.http() as mail_client:
        answer = mail_client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        again = mail_client.post(unsubscribe, files={"List-Unsubscribe": (None, "One-Click")})
    assert (
        answer.status_code == 200 and "location" not in answer.headers and "set-cookie" not in answer.headers
    )
    assert again.status_code == 200
    assert _subscriber(world).status == "unsubscribed"


# --------------------------------------------------------------------------- rate limits


def test_sign_ups_are_limited_per_client(world: MailWorld) -> None:
    with world.http() as http:
        for n in range(PER_CLIENT.count):
            assert _sign_up(world, http, f"person{n}@example.org").status_code == 200
        refused = _sign_up(world, http, "one-too-many@example.org")
        assert refused.status_code == 429 and "Too many attempts" in refused.text
        assert 3500 <= int(refused.headers["retry-after"]) <= 3600
        world.settle()
        world.web_clock.at += PER_CLIENT.window + timedelta(seconds=1)
        assert _sign_up(world, http, "later@example.org").status_code == 200
    assert _subscriber(world, "one-too-many@example.org") is None
    assert _subscriber(world, "later@example.org") is not None


def test_over_the_per_address_limit_the_answer_is_the_same_and_nothing_is_sent(world: MailWorld) -> None:
    start = world.web_clock.at
    answers = []
    with world.http() as http:
        # Ten minutes apart, so each attempt would be allowed a new confirmation e-mail.
        for n in range(PER_ADDRESS.count + 1):
            world.web_clock.at = start + timedelta(minutes=10 * n)
            answers.append(_without_token(_sign_up(world, http, ANNA, name=f"Profile {n}").text))
            world.settle()
    assert len(set(answers)) == 1
    assert len(world.wait_for_messages(ANNA, PER_ADDRESS.count + 1, timeout=2)) == PER_ADDRESS.count
    assert len(_profiles(world)) == PER_ADDRESS.count
    with session_scope(world.app.engine) as session:
        buckets = session.exec(select(RateHit.bucket)).all()
    assert buckets and not any("anna" in b or "example" in b or "127.0.0.1" in b for b in buckets)


# --------------------------------------------------------------------------- the manage page


def test_manage_page_edits_persist_and_take_effect(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    manage = _confirmed(world)
    [profile] = _profiles(world)
    with world.http() as http:
        page = http.get(manage)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        saved = world.submit(
            http,
            manage,
            {"language": "fr", "timezone": "Europe/Brussels", "timezone_other": "Europe/Lisbon",
             "digest_weekday": "0", "digest_hour": "7"},
            action=f"{manage}/preferences",
        )  # fmt: skip
        assert saved.status_code == 303 and saved.headers["location"].endswith(
            "?saved=preferences#preferences"
        )
        # The page is now in the language just chosen (French).
        page = http.get(world.web + saved.headers["location"]).text
        assert "préférences d&#39;e-mail sont enregistrées." in page
        edited = world.submit(
            http,
            manage,
            {"name": "Tourism", "keywords": "vouchers", "countries": "Portugal", "frequency": "daily",
             "org_types": ["sme", "startup"], "budget_max": "€ 100 000"},
            action=f"{manage}/profiles/{profile.id}",
        )  # fmt: skip
        assert edited.status_code == 303
        bad = world.submit(http, manage, {"timezone_other": "Nowhere/Land"}, action=f"{manage}/preferences")
        assert bad.status_code == 422 and "fuseau horaire inconnu &#39;Nowhere/Land&#39;" in bad.text
        assert 'value="Nowhere/Land"' in bad.text
    anna = _subscriber(world)
    assert (anna.language, anna.timezone, anna.digest_weekday, anna.digest_hour) == (
        "fr",
        "Europe/Lisbon",
        0,
        7,
    )
    [profile] = _profiles(world)
    assert (profile.name, profile.keywords, profile.countries, profile.frequency) == (
        "Tourism",
        ["vouchers"],
        ["PT"],
        "daily",
    )
    assert profile.org_types == ["sme", "startup"] and profile.budget_max == 100000
    # Taking effect: the next digest is daily at 07:00 Lisbon, in French, with the voucher call.
    assert world.cli("digest", "--now", "2026-11-22T07:05:00Z").exit_code == 0
    [digest] = [m for m in world.messages_to(ANNA) if m["X-Callwatch-Kind"] == "digest"]
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert digest["Subject"].startswith("Votre sélection Callwatch")
    assert "Digital vouchers for tourism SMEs" in text and "Green hydrogen" not in text


def test_profiles_are_added_and_deleted_only_by_their_owner(world: MailWorld) -> None:
    manage = _confirmed(world)
    other = _confirmed(world, "bob@example.org")
    [bobs] = _profiles(world, "bob@example.org")
    with world.http() as http:
        added = world.submit(http, manage, {"name": "Digital", "keywords": "AI"}, action=f"{manage}/profiles")
        assert added.status_code == 303 and "saved=added" in added.headers["location"]
        assert len(_profiles(world)) == 2
        # Anna's genuine forms, sent for Bob's profile with Anna's link: refused.
        first = _profiles(world)[0]
        own = f"{manage}/profiles/{first.id}"
        theft = world.submit(
            http, manage, {"keywords": "stolen"}, action=own, to=f"{manage}/profiles/{bobs.id}"
        )
        assert theft.status_code == 400
        gone = world.submit(http, manage, action=f"{own}/delete", to=f"{manage}/profiles/{bobs.id}/delete")
        assert gone.status_code == 400
        deleted = world.submit(http, manage, action=f"{manage}/profiles/{first.id}/delete")
        assert deleted.status_code == 303
    assert [p.name for p in _profiles(world)] == ["Digital"]
    assert [p.keywords for p in _profiles(world, "bob@example.org")] == [["hydrogen"]]
    assert other != manage


def test_untracking_from_the_manage_page(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    manage = _confirmed(world)
    for key in ("A", "B"):
        assert world.cli("track", ANNA, str(world.call_id(key))).exit_code == 0
    with world.http() as http:
        page = http.get(manage)
        assert "Green hydrogen electrolyser pilots" in page.text and "Digital vouchers" in page.text
        answer = world.submit(http, manage, {"call_id": str(world.call_id("A"))}, action=f"{manage}/untrack")
        assert answer.status_code == 303
        after = http.get(world.web + answer.headers["location"])
    assert (
        "You no longer track that call." in after.text
        and "Green hydrogen electrolyser pilots" not in after.text
    )
    assert _tracked(world) == [world.call_id("B")]


def test_resetting_feed_links_changes_them_and_refuses_the_old_ones(world: MailWorld) -> None:
    manage = _confirmed(world)
    with world.http() as http:
        before = [u for u in links_in(http.get(manage).text) if "/feeds/" in u]
        answer = world.submit(http, manage, action=f"{manage}/reset-feeds")
        assert answer.status_code == 303
        page = http.get(world.web + answer.headers["location"])
        after = [u for u in links_in(page.text) if "/feeds/" in u]
        # Three profile feeds and the tracked-calls calendar, all new.
        assert len(before) == len(after) == 4 and not set(before) & set(after)
        assert [u for u in after if "/feeds/tracked/" in u]
        calendars = [(http.get(new).status_code, http.get(old).status_code)
                     for new, old in zip(after, before, strict=True) if "/feeds/tracked/" in new]  # fmt: skip
        assert "Your private feed links are new" in page.text
        # The manage link (and every other e-mailed link) still works.
        assert http.get(manage).status_code == 200
        fresh, stale = http.get(after[0]), http.get(before[0])
    assert _profiles(world)[0].feed_token_version == 2
    assert fresh.status_code == 200 and 400 <= stale.status_code < 500
    assert calendars == [(200, 404)]


def links_in(html: str) -> list[str]:
    return [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a", href=True)]


def test_markup_in_a_profile_name_is_shown_as_text(world: MailWorld) -> None:
    manage = _confirmed(world)
    name = '<script>alert("x")</script>'
    with world.http() as http:
        world.submit(http, manage, {"name": name, "keywords": "x"}, action=f"{manage}/profiles")
        page = http.get(manage).text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert any(p.name == name for p in _profiles(world))


def test_erasing_from_the_manage_page(world: MailWorld) -> None:
    manage = _confirmed(world)
    with world.http() as http:
        answer = world.submit(http, manage, action=f"{manage}/delete")
        assert answer.status_code == 200 and "Your data is erased" in answer.text
        assert http.get(manage).status_code == 400
    assert _subscriber(world) is None


# --------------------------------------------------------------------------- the pure parts


def test_origin_rules_and_token_rotation() -> None:
    from starlette.responses import Response

    from monitor.web.security import CsrfGuard, origin_problem, token_problem

    ours = "https://callwatch.example"
    assert origin_problem({}, ours) is None  # no header: the token decides
    assert origin_problem({"origin": "https://callwatch.example"}, ours) is None
    assert origin_problem({"origin": "https://callwatch.example:8443"}, ours)
    assert origin_problem({"origin": "null"}, ours)
    assert origin_problem({"referer": "https://callwatch.example/subscribe?x=1"}, ours) is None
    assert origin_problem({"referer": "http://callwatch.example/subscribe"}, ours)  # scheme counts
    cookie = "a" * 43
    old = field_value("old-secret", cookie, "subscribe")
    assert token_problem(["new-secret", "old-secret"], cookie, old, "subscribe") is None
    assert token_problem(["new-secret"], cookie, old, "subscribe")
    assert token_problem(["old-secret"], "short", old, "subscribe")
    response = Response()
    CsrfGuard("s", (), ours).set_cookie(response, cookie)
    assert "Secure" in response.headers["set-cookie"] and "HttpOnly" in response.headers["set-cookie"]


def test_form_text_is_read_forgivingly() -> None:
    from monitor.people.subscriptions import SubscriptionError
    from monitor.web.forms import blank, preferences, profile_input

    typed = blank() | {
        "keywords": "“green hydrogen”, electroly*",
        "budget_min": "€ 60 000",
        "budget_max": "1,500,000",
    }
    profile = profile_input(typed)
    # Quotes mark an exact phrase (the matcher reads them): typographic ones become straight.
    assert profile.keywords == ['"green hydrogen", electroly*'] and profile.budget_min == 60000
    assert profile.budget_max == 1500000
    assert preferences(blank() | {"timezone_other": " America/Toronto "})["timezone"] == "America/Toronto"
    for field, text in (("budget_max", "-5"), ("budget_min", "NaN"), ("min_days_left", "ten")):
        with pytest.raises(SubscriptionError):
            profile_input(blank() | {field: text})


def test_the_sign_up_form_refuses_an_address_the_cli_refuses(world: MailWorld) -> None:
    """One address rule for the form and `callwatch subscribe` (monitor.people.addresses)."""
    for address in ("a@b", "ops@callwatch.invalid"):
        with pytest.raises(SubscriptionError, match="not a usable e-mail address"):
            check_sign_up(address, ProfileInput(keywords=["hydrogen"]), {})
        result = world.cli("subscribe", address, "--keywords", "hydrogen")
        assert result.exit_code == 2 and "not a usable e-mail address" in result.output
    assert check_sign_up(" Anna@Example.org ", ProfileInput(keywords=["hydrogen"]), {}) == "Anna@example.org"
