"""A person in a real headless Chromium switches the language with the header's switcher: the page
comes back in that language, and the next page too (the `lang` cookie), whatever the browser's own
Accept-Language says. Skipped without chromium and chromedriver (tests/browser.py).

The catalogue is the pseudo-translation (tests/pseudo.py), so "translated" is visible as ‹…›
before the translators have filled the real catalogues.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from monitor.render.i18n import language_name
from tests.browser import Browser, browser  # noqa: F401 - the fixture
from tests.mailworld import CALLS, MailWorld, utc
from tests.pseudo import pseudo_locale  # noqa: F401 - the fixture


@pytest.mark.slow
def test_the_switcher_translates_the_pages_in_chromium(
    world: MailWorld,
    pseudo_locale: str,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    driver = browser.driver
    driver.get(f"{world.web}/calls?status=all")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.heading() == "EU funding calls"
    switch = driver.find_element(By.CSS_SELECTOR, f"nav.languages a[lang='{pseudo_locale}']")
    assert switch.text == language_name(pseudo_locale)
    browser.click_and_wait(switch)
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == pseudo_locale
    assert browser.heading() == "‹EU funding calls›"
    assert "status=all" in driver.current_url  # the switcher keeps the page's filters
    current = driver.find_element(By.CSS_SELECTOR, "nav.languages a[aria-current]")
    assert current.get_attribute("lang") == pseudo_locale
    browser.click_and_wait(driver.find_element(By.LINK_TEXT, "‹Sources›"))
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == pseudo_locale
    assert browser.heading() == "‹Source health›"
    english = driver.find_element(By.CSS_SELECTOR, "nav.languages a[lang='en']")
    browser.click_and_wait(english)
    assert browser.heading() == "Source health"
