"""The pages under their content security policy in a real headless Chromium: the call page's script
(/static/call.js) still runs, the stylesheet applies, and the OpenAPI pages (/docs, /redoc) still
render, with no refusal in the browser console."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser import Browser, browser  # noqa: F401 - the fixture
from tests.mailworld import CALLS, MailWorld, utc

# ReDoc's "powered by" logo is on its CDN: refused by the policy (offline it would fail anyway).
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def refusals(driver: Any) -> list[str]:
    """Console lines that are the policy refusing something (Chromium words them this way)."""
    lines = [str(entry.get("message", "")) for entry in driver.get_log("browser")]
    found = [line for line in lines if "Content Security Policy" in line or "Refused to" in line]
    return [line for line in found if f"Loading the image '{REDOC_LOGO}'" not in line]


@pytest.mark.slow
def test_the_call_page_script_runs_under_the_policy(world: MailWorld, browser: Browser) -> None:  # noqa: F811
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    driver = browser.driver
    driver.get(f"{world.web}/calls/{world.call_id('A')}")
    local = driver.find_element(By.CSS_SELECTOR, "[data-local-time]")
    WebDriverWait(driver, 10).until(lambda _: local.text.strip() != "")
    assert local.find_element(By.XPATH, "..").is_displayed()  # call.js unhid "Your time: …"
    assert "2027" in local.text
    # The stylesheet from /static applies: the header has its brand colour, not the default.
    header = driver.find_element(By.CSS_SELECTOR, ".site-header")
    assert header.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "transparent")
    driver.get(f"{world.web}/calls")
    assert refusals(driver) == []


@pytest.mark.slow
def test_the_api_pages_render_under_their_policy(world: MailWorld, browser: Browser) -> None:  # noqa: F811
    driver = browser.driver
    driver.get(f"{world.web}/docs")
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"))
    paths = {
        e.text.replace("\u200b", "") for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert "/api/calls" in paths
    assert refusals(driver) == []
    driver.get(f"{world.web}/redoc")
    WebDriverWait(driver, 30).until(lambda d: "Search calls" in d.find_element(By.TAG_NAME, "body").text)
    assert refusals(driver) == []
