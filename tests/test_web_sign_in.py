"""Signing in by e-mailed link, over real HTTP (the web app on a loopback port, the local SMTP
server): single use, 15 minutes on the app's clock, bound to the asking browser, sessions revoked
one at a time, no account enumeration, rate limits, local `next` paths, garbage links refused.
"""

from __future__ import annotations

import re
from contextlib import closing
from datetime import timedelta
from urllib.parse import quote

import httpx
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import SignInLink, WebSession
from monitor.people.signin import digest
from monitor.web.signin import PER_ADDRESS, PER_CLIENT
from tests.mailworld import MailWorld, link

ANNA = "anna@example.org"


def ask(world: MailWorld, http: httpx.Client, email: str, next_path: str = "") -> httpx.Response:
    page = f"{world.web}/sign-in" + (f"?next={quote(next_path, safe='')}" if next_path else "")
    return world.submit(http, page, {"email": email}, action="/sign-in")


def mailed_link(world: MailWorld, email: str, count: int = 1) -> str:
    messages = world.wait_for_messages(email, count)
    assert len(messages) >= count, f"{len(messages)} messages to {email}"
    return link(messages[count - 1], "sign-in")


def signed_in(
    world: MailWorld, email: str = ANNA, next_path: str = ""
) -> tuple[httpx.Client, httpx.Response]:
    """A client that asked for a link and used it; and the answer to using it."""
    http = world.http()
    count = len(world.messages_to(email)) + 1
    assert ask(world, http, email, next_path).status_code == 200
    url = mailed_link(world, email, count)
    return http, world.submit(http, url)


def test_a_new_address_signs_in_once_and_is_confirmed(world: MailWorld) -> None:
    http, done = signed_in(world)
    assert done.status_code == 303 and done.headers["location"] == "/collections"
    cookie = next(c for c in done.headers.get_list("set-cookie") if c.startswith("callwatch_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=2592000" in cookie
    assert "Secure" not in cookie  # the test site is http
    # The CSRF cookie the form proved now lives as long: "Add to collection" works after a restart.
    csrf = next(c for c in done.headers.get_list("set-cookie") if c.startswith("callwatch_csrf="))
    assert "Max-Age=2592000" in csrf and "HttpOnly" in csrf
    assert http.get(f"{world.web}/collections").status_code == 200
    with session_scope(world.app.engine) as session:
        row = repo.subscriber_by_email(session, email=ANNA)
        assert row is not None and row.status == "confirmed"
        # Only hashes are stored: neither the link's nonce nor the session key is in the tables.
        key = http.cookies["callwatch_session"]
        [stored] = session.exec(select(WebSession)).all()
        assert stored.key_hash == digest(key) and key not in stored.key_hash
    url = mailed_link(world, ANNA)
    nonce = url.rsplit("/", 1)[1]
    with session_scope(world.app.engine) as session:
        assert session.exec(select(SignInLink)).one().nonce_hash == digest(nonce)
    # Used once: the same link, even in the same browser, signs nobody in again.
    again = world.submit(http, url)
    assert again.status_code == 400 and "used already" in again.text
    http.close()


def test_opening_the_link_changes_nothing_until_the_button_is_pressed(world: MailWorld) -> None:
    with world.http() as http:
        ask(world, http, ANNA)
        url = mailed_link(world, ANNA)
        for _ in range(3):  # a mail scanner, a preview, the person
            page = http.get(url)
            assert page.status_code == 200 and 'action="/sign-in/' in page.text
            assert "callwatch_session" not in page.headers.get("set-cookie", "")
        assert (
            page.headers["referrer-policy"] == "same-origin" and page.headers["cache-control"] == "no-store"
        )
        assert world.submit(http, url).status_code == 303


def test_a_link_expires_after_15_minutes_on_the_app_clock(world: MailWorld) -> None:
    with world.http() as http:
        ask(world, http, ANNA)
        url = mailed_link(world, ANNA)
        world.web_clock.at += timedelta(minutes=14, seconds=59)
        assert http.get(url).status_code == 200
        world.web_clock.at += timedelta(seconds=1)
        late = world.submit(http, url)
        assert late.status_code == 400 and "expired" in late.text
        assert "callwatch_session" not in http.cookies


def test_a_link_opened_in_another_browser_is_refused_and_offers_a_new_one(world: MailWorld) -> None:
    with world.http() as asking, world.http() as other:
        ask(world, asking, ANNA)
        url = mailed_link(world, ANNA)
        refused = other.get(url)
        assert refused.status_code == 403 and "asked for in another browser" in refused.text
        posted = world.submit(other, url, to=url)  # the form's token, sent to the sign-in POST
        assert posted.status_code == 403 and "callwatch_session" not in other.cookies
        offer = world.submit(other, url, action=url.replace(world.web, "") + "/again")
        assert offer.status_code == 200 and "Check your inbox" in offer.text
        fresh = mailed_link(world, ANNA, 2)
        assert world.submit(other, fresh).status_code == 303
        assert other.get(f"{world.web}/collections").status_code == 200
        # The first link still works where it was asked for.
        assert world.submit(asking, url).status_code == 303


def test_signing_out_revokes_only_that_session(world: MailWorld) -> None:
    laptop, _ = signed_in(world)
    phone, _ = signed_in(world)
    out = world.submit(laptop, f"{world.web}/collections", action="/sign-out")
    assert out.status_code == 303
    gone = laptop.get(f"{world.web}/collections")
    assert gone.status_code == 303 and gone.headers["location"] == "/sign-in?next=%2Fcollections"
    # Even the old cookie, replayed, is dead; the other browser stays signed in.
    with session_scope(world.app.engine) as session:
        assert len([row for row in session.exec(select(WebSession)) if row.revoked_at]) == 1
    assert phone.get(f"{world.web}/collections").status_code == 200
    laptop.close()
    phone.close()


def test_known_and_unknown_addresses_get_the_same_answer(world: MailWorld) -> None:
    signed_in(world, "known@example.org")[0].close()

    def answer(email: str) -> str:
        with world.http() as http:
            page = ask(world, http, email)
            assert page.status_code == 200
            text = page.text.replace(email, "ADDRESS")
            return re.sub(r'name="csrf" value="[0-9a-f]+"', "", text)

    assert answer("known@example.org") == answer("stranger@example.org")
    assert "Check your inbox" in answer("nobody@example.org")


def test_rate_limits_per_address_and_per_client(world: MailWorld) -> None:
    with world.http() as http:
        pages = [ask(world, http, ANNA).status_code for _ in range(PER_ADDRESS.count + 1)]
        assert pages == [200] * (PER_ADDRESS.count + 1)  # the same answer, over the limit too
        world.settle()
        assert len(world.messages_to(ANNA)) == PER_ADDRESS.count
        for number in range(PER_CLIENT.count - PER_ADDRESS.count - 1):
            assert ask(world, http, f"p{number}@example.org").status_code == 200
        refused = ask(world, http, "late@example.org")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        world.settle()
        assert world.messages_to("late@example.org") == []


def test_the_next_path_must_be_local(world: MailWorld) -> None:
    for wanted, landed in (
        ("/collections?x=1", "/collections?x=1"),
        ("//evil.example/steal", "/collections"),
        ("/\\evil.example", "/collections"),
        ("https://evil.example/", "/collections"),
        ("javascript:alert(1)", "/collections"),
    ):
        http, done = signed_in(world, next_path=wanted)
        assert done.status_code == 303 and done.headers["location"] == landed, wanted
        http.close()


def test_a_page_that_needs_an_account_sends_to_sign_in_with_next(world: MailWorld) -> None:
    with world.http() as http:
        page = http.get(f"{world.web}/collections/7?done=saved")
        assert page.status_code == 303
        assert page.headers["location"] == "/sign-in?next=%2Fcollections%2F7%3Fdone%3Dsaved"
        form = http.get(f"{world.web}{page.headers['location']}")
        assert 'name="next" value="/collections/7?done=saved"' in form.text


def test_forged_and_garbage_links_are_refused_cleanly(world: MailWorld) -> None:
    with world.http() as http:
        ask(world, http, ANNA)
        real = mailed_link(world, ANNA)
        for nonce in ("garbage", "A" * 43, real.rsplit("/", 1)[1][:-1] + "x", "%00%ff", "a" * 500):
            page = http.get(f"{world.web}/sign-in/{nonce}")
            assert page.status_code == 400 and "not known" in page.text, nonce
            posted = world.submit(http, real, to=f"/sign-in/{nonce}")
            assert posted.status_code == 400 and "callwatch_session" not in http.cookies
        again = world.submit(http, real, to="/sign-in/garbage/again")
        assert again.status_code in (400, 403)
        # Without the CSRF token, even the real link is not used.
        bare = http.post(real, data={})
        assert bare.status_code == 403
        assert world.submit(http, real).status_code == 303


def test_cookies_are_secure_on_an_https_site() -> None:
    from types import SimpleNamespace

    from fastapi import Response

    from monitor.web.account import open_session, remember_browser

    site = SimpleNamespace(settings=SimpleNamespace(base_url="https://callwatch.example"))
    response = Response()
    open_session(response, "k" * 43, site, "c" * 43)  # type: ignore[arg-type]
    remember_browser(response, "b" * 43, site)  # type: ignore[arg-type]
    cookies = response.headers.getlist("set-cookie")
    assert len(cookies) == 3 and all(
        "Secure" in c and "HttpOnly" in c and "SameSite=lax" in c for c in cookies
    )


def test_a_session_ends_after_30_days_on_the_app_clock(world: MailWorld) -> None:
    http, _ = signed_in(world)
    with closing(http):
        world.web_clock.at += timedelta(days=30) - timedelta(seconds=1)
        assert http.get(f"{world.web}/collections").status_code == 200
        world.web_clock.at += timedelta(seconds=1)
        assert http.get(f"{world.web}/collections").status_code == 303


def test_signing_in_is_not_consent_to_digests_someone_else_asked_for(world: MailWorld) -> None:
    # Someone signed ANNA up for a digest; she never confirmed it. Her sign-in proves the address
    # but must not start the digest; and curating keeps her address from housekeeping's erasure.
    result = world.cli("subscribe", ANNA, "--keywords", "hydrogen")
    assert result.exit_code == 0, result.output
    http, done = signed_in(world)
    assert done.status_code == 303
    assert (
        world.submit(http, f"{world.web}/collections", {"name": "Mine"}, action="/collections").status_code
        == 303
    )
    with session_scope(world.app.engine) as session:
        row = repo.subscriber_by_email(session, email=ANNA)
        assert row is not None and row.status == "pending"
        assert row.id not in repo.unconfirmed_before(session, before=world.app.clock() + timedelta(days=60))
    assert http.get(f"{world.web}/collections").status_code == 200


def test_an_owner_who_unsubscribed_from_e_mails_still_signs_in_and_stays_unsubscribed(
    world: MailWorld,
) -> None:
    http, _ = signed_in(world)
    assert (
        world.submit(http, f"{world.web}/collections", {"name": "Mine"}, action="/collections").status_code
        == 303
    )
    with session_scope(world.app.engine) as session:
        anna = repo.subscriber_by_email(session, email=ANNA)
        repo.set_status(session, subscriber_id=anna.id, status="unsubscribed", now=world.app.clock())
    again, done = signed_in(world)
    assert done.status_code == 303 and "Mine" in again.get(f"{world.web}/collections").text
    with session_scope(world.app.engine) as session:
        assert repo.subscriber_by_email(session, email=ANNA).status == "unsubscribed"
