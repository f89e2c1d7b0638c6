"""A real headless Chromium (Debian's `chromium` and `chromedriver`) driven by Selenium, for tests
that use the pages as a person does, and the screenshots in docs/screenshots.

The driver and browser paths are given, so Selenium Manager never downloads
anything. Without Chromium the tests are skipped, except in CI (the CI
variable is set), where a missing browser is a failure. Screenshots go to a
temporary folder, or to $CALLWATCH_SCREENSHOTS (relative to the repository)
to refresh the committed ones:

    CALLWATCH_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest tests/test_browser.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[1]
# Read at import: the `world` fixture clears every CALLWATCH_ variable before a test runs.
SCREENSHOTS = os.environ.get("CALLWATCH_SCREENSHOTS")
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--lang=en-GB",
    "--window-size=1280,900",
)  # fmt: skip


class Browser:
    """The driver, plus the few moves the tests repeat: submit and wait, screenshot at two sizes."""

    def __init__(self, driver: Any, shots: Path) -> None:
        self.driver = driver
        self.shots = shots
        self.taken: list[Path] = []

    def click_and_wait(self, element: Any) -> None:
        """Click a button or link that loads a new page, and wait until it has."""
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.wait import WebDriverWait

        old = self.driver.find_element("tag name", "html")
        element.click()
        WebDriverWait(self.driver, 15).until(lambda _: _gone(old, expected_conditions.staleness_of(old)))
        WebDriverWait(self.driver, 15).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    def heading(self) -> str:
        return str(self.driver.find_element("tag name", "h1").text)

    def shoot(self, name: str) -> None:
        """`<name>-desktop.png` (1280×900) and `<name>-phone.png` (390×844 at 2×) of the page's top."""
        for size, metrics in (("desktop", DESKTOP), ("phone", PHONE)):
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            self.driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur();")
            path = self.shots / f"{name}-{size}.png"
            path.write_bytes(self.driver.get_screenshot_as_png())
            self.taken.append(path)
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)

    def shoot_element(self, name: str, element: Any) -> None:
        """`<name>.png`: one element of the page at desktop size (a banner, a notice)."""
        path = self.shots / f"{name}.png"
        path.write_bytes(element.screenshot_as_png)
        self.taken.append(path)


def chromium_available() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    if not chromium_available():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)")
        pytest.skip("chromium and chromedriver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    # The console (driver.get_log("browser")): content-security-policy refusals are logged there.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    shots = (ROOT / SCREENSHOTS) if SCREENSHOTS else tmp_path / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", DESKTOP)
        yield Browser(driver, shots)
    finally:
        driver.quit()


def _gone(element: Any, stale: Any) -> bool:
    """Whether the old page is gone. While the next page replaces it, Chromium sometimes answers
    "Node with given id does not belong to the document" instead of a stale-element error: that is
    the same news, so it counts as gone."""
    from selenium.common.exceptions import WebDriverException

    try:
        return bool(stale(None))
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
