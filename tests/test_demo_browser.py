"""The demo and a first run as a newcomer sees them in Chromium, and the screenshots in docs/screenshots
of the browse list, a call page, the sources page, the demo banner and the first-run notice, taken from
the demo's data (refresh them with CALLWATCH_SCREENSHOTS=docs/screenshots; see tests/browser.py)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser import Browser, browser  # noqa: F401 - the fixture
from tests.mailworld import MailWorld
from tests.test_demo import Demo, demo  # noqa: F401 - the fixture


@pytest.mark.slow
def test_the_demo_in_chromium_shows_its_banner_calls_and_sources(demo: Demo, browser: Browser) -> None:  # noqa: F811
    demo.wait_until_up()
    driver = browser.driver
    driver.get(f"{demo.url}/calls")
    banner = driver.find_element(By.CSS_SELECTOR, ".demo-banner")
    assert "Demo data, not live calls." in banner.text
    rows = driver.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert len(rows) >= 40, len(rows)  # a full first page of open and forthcoming calls
    assert "onerror" not in driver.page_source and "seeded" not in driver.page_source
    browser.shoot("calls")
    browser.shoot_element("demo-banner", banner)
    first = rows[0].find_element(By.CSS_SELECTOR, "a")
    title = first.text
    browser.click_and_wait(first)
    assert browser.heading() == title
    browser.shoot("call")
    driver.get(f"{demo.url}/sources")
    assert "not reached yet" not in driver.page_source  # every replayed source answered
    browser.shoot("sources")


@pytest.mark.slow
def test_a_first_run_says_no_source_was_reached_yet(world: MailWorld, browser: Browser) -> None:  # noqa: F811
    driver = browser.driver
    driver.get(f"{world.web}/calls")
    notice = driver.find_element(By.CSS_SELECTOR, ".first-run")
    assert notice.text.startswith("No source reached yet — see Sources.")
    browser.shoot("first-run")
    browser.click_and_wait(notice.find_element(By.LINK_TEXT, "Sources"))
    page = driver.page_source
    # This world configures no source: the page says so, and never that every source is healthy.
    assert "No source is configured yet" in page and "Every enabled source is healthy" not in page
