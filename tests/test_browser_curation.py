"""A cluster manager's whole hour in headless Chromium, against the real web app and SMTP server.

The owner signs in by the e-mailed link, creates a collection, adds three calls with notes from the
browse page, saves a filter and accepts one call from the review queue and dismisses another; the
collection's RSS, Atom and iCalendar parse, with the notes; two members subscribe and confirm; the
owner sends an issue, which both receive with a one-click List-Unsubscribe; one member says "I'm
interested" and the owner's page shows 1; that member leaves the collection with one click, and
only the collection. With CALLWATCH_SCREENSHOTS=docs/screenshots it refreshes the README's pictures.
"""

from __future__ import annotations

import feedparser
import httpx
import icalendar
from selenium.webdriver.common.by import By

from db import repo
from db.engine import session_scope
from db.models import MemberStatus, SubscriberStatus
from tests.browser import Browser, browser  # noqa: F401 - the fixture
from tests.mailworld import CALLS, MailWorld, call_in, link, utc

OWNER, ANNA, BORIS = "manager@cluster.example.org", "anna@sme.example.org", "boris@sme.example.org"
NAME = "Hydrogen SMEs — December"
NOTES = {
    "A": "Our electrolyser members should apply: pilot lines fit the Aveiro group",
    "B": "Tourism SMEs in Portugal: vouchers up to 60 000 EUR",
    "D": "Partners wanted in Bavaria: ask us for introductions",
}
EXTRA = [
    call_in(
        "F",
        "Hydrogen skills academy for Portuguese clusters",
        deadline="2027-04-01T16:00:00Z",
        countries=["PT"],
    ),
]


def _wait_mail(world: MailWorld, address: str, kind: str, count: int = 1):  # noqa: ANN202
    found = []
    for _ in range(200):
        found = [
            m for m in world.wait_for_messages(address, count, timeout=0.1) if m["X-Callwatch-Kind"] == kind
        ]
        if len(found) >= count:
            return found[count - 1]
    raise AssertionError(
        f"no {kind} e-mail to {address}: {[m['X-Callwatch-Kind'] for m in world.messages_to(address)]}"
    )


def _submit(chrome: Browser, form) -> None:  # noqa: ANN001
    chrome.click_and_wait(form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def _sign_in(world: MailWorld, chrome: Browser) -> None:
    driver = chrome.driver
    driver.get(f"{world.web}/sign-in")
    driver.find_element(By.ID, "email").send_keys(OWNER)
    _submit(chrome, driver.find_element(By.CSS_SELECTOR, "form.sign-in"))
    url = link(_wait_mail(world, OWNER, "sign-in"), "sign-in")
    driver.get(url)
    chrome.shoot("sign-in")
    _submit(chrome, driver.find_element(By.CSS_SELECTOR, f"form[action='{url.removeprefix(world.web)}']"))


def _add_from_browse_page(world: MailWorld, chrome: Browser, key: str) -> None:
    driver = chrome.driver
    driver.get(f"{world.web}/calls")
    call_id = world.call_id(key)
    form = driver.find_element(
        By.XPATH, f"//form[@class='collect'][input[@name='call' and @value='{call_id}']]"
    )
    form.find_element(By.NAME, "note").send_keys(NOTES[key])
    _submit(chrome, form)
    assert "Added to your collection." in driver.page_source


def _join(world: MailWorld, chrome: Browser, key: str, email: str, **choices: str) -> None:
    driver = chrome.driver
    driver.get(f"{world.web}/c/{key}")
    chrome.click_and_wait(driver.find_element(By.CSS_SELECTOR, f"a[href$='/c/{key}/join']"))
    driver.find_element(By.ID, "email").send_keys(email)
    _submit(chrome, driver.find_element(By.CSS_SELECTOR, f"form[action='/c/{key}/join']"))
    assert chrome.heading() == "Check your inbox"
    driver.get(link(_wait_mail(world, email, "member-confirm"), "member/confirm"))
    if choices:
        driver.find_element(By.NAME, "visible").click()
        driver.find_element(By.ID, "display_name").send_keys(choices["name"])
        driver.find_element(By.ID, "organisation").send_keys(choices["organisation"])
    _submit(chrome, driver.find_element(By.CSS_SELECTOR, "form[action^='/member/confirm/']"))
    assert chrome.heading() == "Subscription confirmed"


def test_a_cluster_manager_curates_publishes_and_sends_to_members(world: MailWorld, browser: Browser) -> None:  # noqa: F811
    world.seed([*CALLS, *EXTRA], now=utc("2026-11-21T09:00:00Z"))
    driver = browser.driver
    _sign_in(world, browser)

    # A collection, three calls from the browse page with their notes.
    driver.get(f"{world.web}/collections")
    driver.find_element(By.ID, "name").send_keys(NAME)
    driver.find_element(By.ID, "description").send_keys("Calls our hydrogen and tourism members asked about.")
    _submit(browser, driver.find_element(By.CSS_SELECTOR, "form[action='/collections']"))
    collection_id = int(driver.current_url.rstrip("/").rsplit("/", 1)[1])
    for key in NOTES:
        _add_from_browse_page(world, browser, key)

    # A saved filter (calls open to Portugal): E and F wait in the review queue. Accept one, dismiss one.
    driver.get(f"{world.web}/collections/{collection_id}")
    driver.find_element(By.ID, "filter").send_keys("/calls?country=PT")
    _submit(
        browser, driver.find_element(By.CSS_SELECTOR, f"form[action='/collections/{collection_id}/filter']")
    )
    driver.get(f"{world.web}/collections/{collection_id}/review")
    browser.shoot("review")
    accept = driver.find_element(By.XPATH, f"//form[input[@name='call' and @value='{world.call_id('F')}']]")
    accept.find_element(By.NAME, "note").send_keys("Free training places for members")
    browser.click_and_wait(accept.find_element(By.CSS_SELECTOR, "button[value=accept]"))
    dismiss = driver.find_element(By.XPATH, f"//form[input[@name='call' and @value='{world.call_id('E')}']]")
    browser.click_and_wait(dismiss.find_element(By.CSS_SELECTOR, "button[value=dismiss]"))
    assert "Nothing to review" in driver.page_source
    driver.get(f"{world.web}/collections/{collection_id}")
    browser.shoot("collection")
    titles = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "ol.collection-items > li > a")]
    assert len(titles) == 4 and "Electrolyser supply chain" not in " ".join(titles)

    # Published: the public page, and its feeds and calendar parse with the notes in them.
    with session_scope(world.app.engine) as session:
        key = repo.get_collection(session, collection_id=collection_id).public_key
    driver.get(f"{world.web}/c/{key}")
    browser.shoot("collection-public")
    assert driver.find_elements(By.TAG_NAME, "script") == [] or all(
        s.get_attribute("src") for s in driver.find_elements(By.TAG_NAME, "script")
    )
    for fmt in ("feed.rss", "feed.atom"):
        feed = feedparser.parse(httpx.get(f"{world.web}/c/{key}/{fmt}").content)
        assert not feed.bozo and len(feed.entries) == 4
        described = " ".join(entry.get("summary", "") for entry in feed.entries)
        assert "Free training places for members" in described and "Tourism SMEs in Portugal" in described
    calendar = icalendar.Calendar.from_ical(httpx.get(f"{world.web}/c/{key}/calendar.ics").content)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(events) >= 4 and any("Free training places" in str(e.get("description")) for e in events)

    # Two members subscribe (Anna lets the editors see her name) and confirm.
    _join(world, browser, key, ANNA, name="Anna Sousa", organisation="H2 Lda")
    _join(world, browser, key, BORIS)

    # The owner sends the first issue from the members page.
    driver.get(f"{world.web}/collections/{collection_id}/members")
    send = driver.find_element(By.CSS_SELECTOR, f"form[action='/collections/{collection_id}/issues']")
    _submit(browser, send)
    issues = {email: _wait_mail(world, email, "issue") for email in (ANNA, BORIS)}
    for message in issues.values():
        assert message["List-Unsubscribe"].startswith(f"<{world.web}/member/leave/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert NOTES["B"] in message.get_body(preferencelist=("plain",)).get_content()

    # Anna is interested in one call: the owner's page shows 1, and her name.
    driver.get(link(issues[ANNA], "member/interest"))
    _submit(browser, driver.find_element(By.CSS_SELECTOR, "form[action^='/member/interest/']"))
    assert browser.heading() == "Thank you"
    driver.get(f"{world.web}/collections/{collection_id}/members")
    browser.shoot("members")
    counts = [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "td.interest-count")]
    assert counts == ["1"] and "Anna Sousa (H2 Lda)" in driver.page_source

    # Anna's mail client unsubscribes her with one click: from this collection only.
    leave = issues[ANNA]["List-Unsubscribe"].strip("<>")
    assert httpx.post(leave, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with session_scope(world.app.engine) as session:
        anna = repo.subscriber_by_email(session, email=ANNA)
        boris = repo.subscriber_by_email(session, email=BORIS)
        assert (
            repo.membership(session, collection_id=collection_id, subscriber_id=anna.id).status
            == MemberStatus.LEFT
        )
        assert (
            repo.membership(session, collection_id=collection_id, subscriber_id=boris.id).status
            == MemberStatus.CONFIRMED
        )
        assert anna.status != SubscriberStatus.UNSUBSCRIBED
