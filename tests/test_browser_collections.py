"""An owner curates a collection in headless Chromium: asks for a sign-in link, reads it from the
local SMTP server, signs in, makes a collection, adds three calls with notes from the browse page,
then accepts one call from the review queue and dismisses another.

The README's pictures of these pages come from tests/test_browser_curation.py, which walks the
same pages and then the newsletter.
"""

from __future__ import annotations

from selenium.webdriver.common.by import By

from db import repo
from db.engine import session_scope
from db.models import ItemState
from tests.browser import Browser, browser  # noqa: F401 - the fixture
from tests.mailworld import CALLS, MailWorld, link, utc

OWNER = "olga@example.org"
NOTES = {"A": "Fits our electrolyser members", "B": "For the tourism working group", "E": "Deadline soon!"}


def _button(browser: Browser, text: str) -> None:  # noqa: F811
    browser.click_and_wait(browser.driver.find_element(By.XPATH, f"//button[normalize-space()='{text}']"))


def test_an_owner_signs_in_and_curates_a_collection_in_chromium(world: MailWorld, browser: Browser) -> None:  # noqa: F811
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    ids = {key: world.call_id(key) for key in "ABCDE"}
    driver = browser.driver
    driver.get(f"{world.web}/calls/{ids['A']}")
    browser.click_and_wait(driver.find_element(By.LINK_TEXT, "Sign in to collect"))
    assert browser.heading() == "Sign in"
    driver.find_element(By.ID, "email").send_keys(OWNER)
    _button(browser, "E-mail me a sign-in link")
    assert browser.heading() == "Check your inbox"
    [message] = world.wait_for_messages(OWNER)
    assert message["Subject"] == "Your Callwatch sign-in link"
    driver.get(link(message, "sign-in"))
    _button(browser, "Sign in")
    # Back on the call page it came from, signed in.
    assert driver.current_url == f"{world.web}/calls/{ids['A']}"
    driver.get(f"{world.web}/collections")
    assert browser.heading() == "Your collections"
    driver.find_element(By.ID, "name").send_keys("Hydrogen and tourism, Portugal")
    driver.find_element(By.ID, "description").send_keys("Calls our cluster's members asked about.")
    _button(browser, "Create the collection")
    assert browser.heading() == "Hydrogen and tourism, Portugal"
    collection_url = driver.current_url
    collection_id = int(collection_url.rsplit("/", 1)[1])

    for key, note in NOTES.items():
        driver.get(f"{world.web}/calls")
        form = driver.find_element(
            By.XPATH, f"//form[@action='/collect'][input[@name='call' and @value='{ids[key]}']]"
        )
        form.find_element(By.NAME, "note").send_keys(note)
        browser.click_and_wait(form.find_element(By.TAG_NAME, "button"))
        assert "Added to your collection." in driver.find_element(By.CSS_SELECTOR, "[role=status]").text

    driver.get(collection_url)
    listed = driver.find_element(By.CSS_SELECTOR, "ol.collection-items").text
    for note in NOTES.values():
        assert note in listed
    driver.find_element(By.ID, "filter").send_keys("/calls?status=all")
    _button(browser, "Save the filter")
    assert "Filter saved." in driver.find_element(By.CSS_SELECTOR, "[role=status]").text

    browser.click_and_wait(driver.find_element(By.LINK_TEXT, "Review queue"))
    assert browser.heading() == "Review queue"
    waiting = driver.find_element(By.CSS_SELECTOR, "ol.review").text
    assert "Hydrogen storage for German clusters" in waiting and "Hydrogen valleys" in waiting
    assert "Digital vouchers" not in waiting  # already in the collection
    accept = driver.find_element(By.XPATH, f"//form[input[@name='call' and @value='{ids['D']}']]")
    accept.find_element(By.NAME, "note").send_keys("Partner search open")
    browser.click_and_wait(accept.find_element(By.XPATH, ".//button[@value='accept']"))
    dismiss = driver.find_element(By.XPATH, f"//form[input[@name='call' and @value='{ids['C']}']]")
    browser.click_and_wait(dismiss.find_element(By.XPATH, ".//button[@value='dismiss']"))
    assert "Nothing to review" in driver.find_element(By.TAG_NAME, "main").text

    with session_scope(world.app.engine) as session:
        items = repo.collection_items(session, collection_id=collection_id)
        expected = [(ids[key], note) for key, note in NOTES.items()] + [(ids["D"], "Partner search open")]
        assert [(i.call_id, i.note) for i in items] == expected
        assert repo.decided_call_ids(session, collection_id=collection_id) == set(ids.values())
        kept = {i.call_id: i.state for i in items}
        assert ids["C"] not in kept and all(state == ItemState.ACCEPTED for state in kept.values())
