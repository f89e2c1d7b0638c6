"""Issue 17: a newcomer opens the site at http://localhost:PORT while CALLWATCH_BASE_URL (or the
printed URL) says 127.0.0.1. Chromium sends `Origin: http://localhost:PORT` with the form; it must
be accepted as this site, not answered with a 403."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser import Browser, browser  # noqa: F401 - the fixture
from tests.mailworld import MailWorld


@pytest.mark.slow
def test_sign_up_form_opened_at_localhost_is_accepted_in_chromium(world: MailWorld, browser: Browser) -> None:  # noqa: F811
    port = world.web.rsplit(":", 1)[1]
    assert world.web == f"http://127.0.0.1:{port}"  # the configured address is the other alias
    driver = browser.driver
    driver.get(f"http://localhost:{port}/subscribe")
    driver.find_element(By.ID, "s-email").send_keys("carla@example.org")
    driver.find_element(By.ID, "s-keywords").send_keys("hydrogen")
    browser.click_and_wait(
        driver.find_element(By.CSS_SELECTOR, "form[action='/subscribe'] button[type=submit]")
    )
    assert browser.heading() == "Check your inbox", driver.page_source[:2000]
    assert driver.current_url.startswith(f"http://localhost:{port}/")
    assert world.wait_for_messages("carla@example.org")
