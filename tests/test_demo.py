"""`callwatch demo` as a newcomer runs it: a subprocess in an empty folder, no network, and within a
minute a browsable catalogue, a sign-up confirmed from the outbox, a digest, and feeds that parse.
Also the date shifting of recorded bodies (monitor/demo/dates.py), value by value.
"""

from __future__ import annotations

import email
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import httpx
import icalendar
import pytest
from bs4 import BeautifulSoup

from monitor.demo.dates import shift_dates
from monitor.demo.replay import Recording, ReplayServer

KINDS = {"ft-portal": "ft-portal", "eccp": "eccp", "euro-access": "selectors"}
CALLWATCH = Path(sys.executable).with_name("callwatch")
ADDRESS = "newcomer@example.org"
FORM = {"email": ADDRESS, "keywords": "innovation", "frequency": "weekly", "timezone": "Europe/Brussels",
        "digest_weekday": "0", "digest_hour": "8", "language": "en", "name": "Demo"}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _offline_env() -> dict[str, str]:
    """No CALLWATCH_* from outside, and every non-loopback request sent to a closed port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLWATCH_") and "proxy" not in k.lower()}
    dead = "http://127.0.0.1:9"
    return env | {
        "HTTP_PROXY": dead,
        "HTTPS_PROXY": dead,
        "ALL_PROXY": dead,
        "NO_PROXY": "127.0.0.1,localhost",
    }


class Demo:
    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (folder / "demo.out").open("w+")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [str(CALLWATCH), "demo", "--port", str(self.port)], cwd=folder, env=_offline_env(),
            stdout=self.log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def output(self) -> str:
        return (self.folder / "demo.out").read_text()

    def wait_until_up(self, timeout: float = 60) -> float:
        while time.monotonic() - self.started < timeout:
            assert self.process.poll() is None, self.output()
            try:
                if httpx.get(f"{self.url}/api/calls", timeout=2).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"the demo did not answer within {timeout} s:\n{self.output()}")

    def outbox(self) -> list[EmailMessage]:
        files = sorted((self.folder / "var" / "demo" / "outbox").glob("*.eml"))
        return [email.message_from_bytes(f.read_bytes(), policy=default_policy) for f in files]  # type: ignore[misc]

    def wait_for_mail(self, subject: str, timeout: float = 20) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.outbox() if ADDRESS in str(m["To"]) and subject in str(m["Subject"])]
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no {subject!r} e-mail in the outbox: {[m['Subject'] for m in self.outbox()]}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = Demo(tmp_path)
    yield running
    running.stop()


def _submit(
    http: httpx.Client, page_url: str, data: dict[str, str], action: str | None = None
) -> httpx.Response:
    """A page's form sent as a browser does: its hidden fields (the CSRF token) plus `data`."""
    page = http.get(page_url)
    target = urljoin(page_url, action or page_url)
    forms = BeautifulSoup(page.text, "html.parser").find_all("form", method="post")
    form = next(f for f in forms if urljoin(page_url, str(f.get("action") or page_url)) == target)
    hidden = {str(i["name"]): str(i.get("value", "")) for i in form.find_all("input", type="hidden")}
    return http.post(target, data=hidden | data)


def _text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


@pytest.mark.slow
def test_the_demo_works_offline_within_a_minute(demo: Demo) -> None:
    seconds = demo.wait_until_up()
    answer = httpx.get(f"{demo.url}/api/calls", params={"per_page": 200}, timeout=10).json()
    statuses = Counter(call["status"] for call in answer["calls"])
    kinds = Counter(KINDS[call["source"]] for call in answer["calls"])
    assert answer["total"] == len(answer["calls"]) >= 80, (seconds, statuses)
    assert set(statuses) <= {"open", "forthcoming"} and len(kinds) == 3, kinds
    out = demo.output()
    assert f"Web app   {demo.url}" in out and "Database  var/demo/callwatch.db" in out
    assert "Outbox    var/demo/outbox/" in out
    page = httpx.get(f"{demo.url}/calls", timeout=10).text
    assert (
        "Demo data, not live calls." in page and "eccp: 17 recorded answers: 17 reconstructed by hand" in page
    )
    with httpx.Client(timeout=10) as http:
        signed = _submit(http, f"{demo.url}/subscribe", FORM, action="/subscribe")
        assert signed.status_code == 200 and "Check your inbox" in signed.text, signed.text[:500]
        confirmation = demo.wait_for_mail("confirm")
        [link] = [u for u in re.findall(r"https?://\S+", _text(confirmation)) if "/confirm/" in u]
        assert link.startswith(demo.url)
        done = _submit(http, link, {})
        assert done.status_code == 200 and "Subscription confirmed" in done.text
    when = re.search(r"callwatch digest --now (\S+)", out)
    assert when, out
    env = _offline_env() | dict(
        line.split("=", 1) for line in (demo.folder / "var/demo/demo.env").read_text().splitlines()
    )
    digest = subprocess.run([str(CALLWATCH), "digest", "--now", when.group(1), "--email", ADDRESS],
                            cwd=demo.folder, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert digest.returncode == 0, digest.stderr
    mail = demo.wait_for_mail("call")
    assert "innovation" in _text(mail).lower() and "confirm" not in str(mail["Subject"]).lower()
    rss = feedparser.parse(httpx.get(f"{demo.url}/feeds/calls.rss", timeout=10).content)
    assert not rss.bozo and len(rss.entries) >= 80
    calendar = icalendar.Calendar.from_ical(httpx.get(f"{demo.url}/feeds/calls.ics", timeout=10).content)
    assert len(calendar.walk("VEVENT")) >= 80


def test_the_replay_shifts_every_date_of_a_recording_to_today() -> None:
    recording = Recording.load("euro-access", overlay=True)
    with ReplayServer(recording, today=recording.now.date().replace(year=2026)) as replay:
        assert replay.shift_days == 365
        answer = httpx.get(f"{replay.url}/en/calls?sent=search&keyword=&submit=", timeout=10)
        missing = httpx.get(f"{replay.url}/en/calls/2263/x", timeout=10)
    assert answer.status_code == 200 and "142 Calls found" in answer.text  # the overlay's whole listing
    assert "12.11.2026" in answer.text and "12.11.2025" not in answer.text
    assert (
        f"{replay.url}/en/calls/135/" in answer.text
        and "https://www.euro-access.eu/en/calls/" not in answer.text
    )
    assert missing.status_code == 404 and "https://www.euro-access.eu/en/calls/2263/x" in missing.text
    assert replay.missing == ["GET /en/calls/2263/x"]
    # What the banner says of each recording, from its files' names (tests/recordings/README.md).
    assert recording.provenance() == "2 recorded answers: 2 real"
    assert (
        Recording.load("eccp", overlay=True).provenance() == "17 recorded answers: 17 reconstructed by hand"
    )


@pytest.mark.parametrize(
    ("recorded", "days", "shifted"),
    [
        # F&T portal deadlineDate (sedia_search_result_item_HORIZON-CL5-2024-D2-01-03.json): 19:00 Brussels
        # in summer stays 19:00 Brussels in winter, so the offset follows Brussels.
        ("2024-04-18T19:00:00.000+0200", 200, "2024-11-04T19:00:00.000+0100"),
        ("2024-11-26T23:00:00.000+0000", 10, "2024-12-06T23:00:00.000+0000"),  # UTC stays UTC
        ('"startDate": "2023-05-11"', 31, '"startDate": "2023-06-11"'),
        ("Deadline: 27.01.2026", 10, "Deadline: 06.02.2026"),  # euro-access listing
        ("20/03/2023 - 01/02/2023", 1, "21/03/2023 - 02/02/2023"),  # ECCP listing cards
        ("Submitted by x on 05 April 2023", 30, "Submitted by x on 05 May 2023"),  # ECCP byline
        ("until 13th May 2026 and July 13, 2026", 20, "until 2nd June 2026 and August 2, 2026"),
        ("June 7th 2023, 17:00 CET", 1, "June 8th 2023, 17:00 CET"),
        ("31 Dec 2024", 1, "1 Jan 2025"),
        # Left as written: a month alone, identifiers and budget years, a version number.
        ("opens in May 2027; HORIZON-CL5-2024-D2-01-03; {\"2024\": 5}; v1.2.2024", 9,
         "opens in May 2027; HORIZON-CL5-2024-D2-01-03; {\"2024\": 5}; v1.2.2024"),
    ],
)  # fmt: skip
def test_dates_move_by_whole_days_and_keep_their_shape(recorded: str, days: int, shifted: str) -> None:
    assert shift_dates(recorded, days) == shifted
