"""The sample e-mails rendered in headless Chromium, in each language docs/emails/ keeps.

`callwatch samples DIR --languages en,fr` writes them (the real path, see monitor/cli/samples.py);
this opens each language's digest and change alert and checks that the page is in that language
and shows the calls. With CALLWATCH_SCREENSHOTS=docs/emails it also refreshes the committed
screenshots, docs/emails/<language>/digest.png and alert.png (see tests/browser.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.cli.samples import write_samples
from tests.browser import Browser, browser  # noqa: F401 - the fixture

LANGUAGES = ("en", "fr")  # what docs/emails/ keeps
HEIGHTS = {"digest": 1400, "alert": 1000}  # an e-mail client's reading pane, 760 pixels wide


@pytest.mark.parametrize("language", LANGUAGES)
def test_sample_emails_render_in_their_language(browser: Browser, tmp_path: Path, language: str) -> None:  # noqa: F811
    asyncio.run(write_samples(tmp_path / language, language))
    shots = browser.shots / language
    shots.mkdir(parents=True, exist_ok=True)
    for kind, height in HEIGHTS.items():
        metrics = {"width": 760, "height": height, "deviceScaleFactor": 1, "mobile": False}
        browser.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        browser.driver.get((tmp_path / language / f"{kind}.html").as_uri())
        html = browser.driver.find_element("tag name", "html")
        assert html.get_attribute("lang") == language
        assert "Renewable hydrogen electrolysers for industrial clusters" in html.text
        path = shots / f"{kind}.png"
        path.write_bytes(browser.driver.get_screenshot_as_png())
        browser.taken.append(path)
