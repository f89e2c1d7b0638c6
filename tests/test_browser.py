"""A person in a real headless Chromium: signs up through the form (asking to track a call), follows
the confirmation link from the e-mail the local SMTP server received, edits the profile on the manage
page, tracks another call from an e-mailed link, and unsubscribes with the unsubscribe page's button.

No JavaScript of ours runs: these are plain forms, links and `<details>`. Along the way it saves the
screenshots in docs/screenshots (see tests/browser.py for refreshing them).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from db import repo
from db.engine import session_scope
from tests.browser import Browser, browser  # noqa: F401 - the fixture
from tests.mailworld import CALLS, MailWorld, link, utc

ANNA = "anna@example.org"


def _anna(world: MailWorld) -> tuple[str, list[int], list]:
    """Anna's status, tracked call ids and profiles, from the database."""
    with session_scope(world.app.engine) as session:
        anna = repo.subscriber_by_email(session, email=ANNA)
        tracked = sorted(repo.tracked_calls(session, subscriber_ids=[anna.id]).get(anna.id, {}))
        profiles = repo.profiles_of(session, subscriber_ids=[anna.id]).get(anna.id, [])
        for profile in profiles:
            session.expunge(profile)
        return anna.status, tracked, profiles


@pytest.mark.slow
def test_sign_up_confirm_edit_track_and_unsubscribe_in_chromium(world: MailWorld, browser: Browser) -> None:  # noqa: F811
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    call_a, call_b = world.call_id("A"), world.call_id("B")
    driver = browser.driver

    # Browse, search, open a call, and follow its "Track this call" to the sign-up form.
    driver.get(f"{world.web}/calls")
    assert "Digital vouchers for tourism SMEs" in driver.page_source
    driver.find_element(By.ID, "f-q").send_keys("electrolyser")
    browser.click_and_wait(driver.find_element(By.XPATH, "//button[normalize-space()='Search']"))
    assert "Digital vouchers" not in driver.page_source
    browser.click_and_wait(driver.find_element(By.LINK_TEXT, "Green hydrogen electrolyser pilots for SMEs"))
    assert driver.current_url.endswith(f"/calls/{call_a}")
    browser.click_and_wait(driver.find_element(By.LINK_TEXT, "Track this call"))
    assert driver.current_url.endswith(f"/subscribe?track={call_a}")
    assert (
        "Green hydrogen electrolyser pilots for SMEs" in driver.find_element(By.CSS_SELECTOR, ".notice").text
    )
    driver.find_element(By.ID, "s-email").send_keys(ANNA)
    driver.find_element(By.ID, "s-keywords").send_keys("hydrogen, electroly*")
    driver.find_element(By.ID, "s-countries").send_keys("Portugal")
    driver.find_element(By.ID, "s-org_types-sme").click()
    browser.shoot("subscribe")
    browser.click_and_wait(
        driver.find_element(By.CSS_SELECTOR, "form[action='/subscribe'] button[type=submit]")
    )
    assert browser.heading() == "Check your inbox"
    assert _anna(world)[:2] == ("pending", [])

    # The confirmation e-mail, its link, the button.
    [message] = world.wait_for_messages(ANNA)
    driver.get(link(message, "confirm"))
    assert "You will also track" in driver.page_source
    browser.click_and_wait(
        driver.find_element(By.XPATH, "//button[normalize-space()='Confirm my subscription']")
    )
    assert browser.heading() == "Subscription confirmed"
    assert _anna(world)[:2] == ("confirmed", [call_a])
    browser.shoot("confirmed")

    # The manage page: the tracked call is listed; edit the profile's keywords and frequency.
    browser.click_and_wait(driver.find_element(By.LINK_TEXT, "Review your profile and preferences"))
    manage_url = driver.current_url
    assert browser.heading() == "Your Callwatch subscription"
    assert "Green hydrogen electrolyser pilots" in driver.find_element(By.ID, "tracked").text
    browser.shoot("manage")
    [profile] = _anna(world)[2]
    assert (profile.keywords, profile.countries, profile.frequency) == (
        ["hydrogen", "electroly*"],
        ["PT"],
        "off",  # came to track a call: the form proposed no digest
    )
    driver.find_element(By.CSS_SELECTOR, f"#profile-{profile.id} details > summary").click()
    keywords = driver.find_element(By.ID, f"p{profile.id}-keywords")
    keywords.clear()
    keywords.send_keys("vouchers, tourism")
    driver.find_element(By.ID, f"p{profile.id}-frequency-daily").click()
    browser.click_and_wait(
        driver.find_element(By.CSS_SELECTOR, f"#profile-{profile.id} form button[type=submit]")
    )
    assert "The profile is saved." in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert "vouchers, tourism" in driver.find_element(By.ID, f"profile-{profile.id}").text
    [profile] = _anna(world)[2]
    assert (profile.keywords, profile.frequency) == (["vouchers", "tourism"], "daily")

    # Track another call from the link a digest carries.
    with session_scope(world.app.engine) as session:
        track_b = world.app.links.track(repo.subscriber_by_email(session, email=ANNA), call_b)
    driver.get(track_b)
    browser.click_and_wait(driver.find_element(By.XPATH, "//button[normalize-space()='Track this call']"))
    assert browser.heading() == "Tracked"
    assert _anna(world)[1] == sorted([call_a, call_b])

    # Unsubscribe from the manage page's link, with the unsubscribe page's button.
    driver.get(manage_url)
    browser.click_and_wait(driver.find_element(By.LINK_TEXT, "Unsubscribe from every e-mail"))
    assert browser.heading() == "Unsubscribe" and _anna(world)[0] == "confirmed"
    browser.shoot("unsubscribe")
    browser.click_and_wait(driver.find_element(By.XPATH, "//button[normalize-space()='Unsubscribe']"))
    assert browser.heading() == "Unsubscribed"
    assert _anna(world)[0] == "unsubscribed"
    # The browse list and a call page are shot from the demo's data (tests/test_demo_browser.py).
    assert len(browser.taken) == 8 and all(path.stat().st_size > 10_000 for path in browser.taken)
