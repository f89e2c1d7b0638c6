"""The call page shows both instants when a documented rule moved a deadline ("published by the source
as …"), nothing extra when the deadline is the published one, and a tender's own time zone. Real HTTP
(the `world` fixture), the database written by the repository, so `deadline.published_at` round-trips.
"""

from __future__ import annotations

from bs4 import BeautifulSoup

from monitor.model.call import DeadlineIn
from tests.mailworld import MailWorld, utc
from tests.test_web_calls import call, get, seed


def test_call_page_shows_the_published_instant_beside_the_interpreted_one(world: MailWorld) -> None:
    # A portal topic: deadlineDate "2027-04-08T00:00:00.000+0000" (AarhusAI sample), stored at
    # 17:00 Brussels (15:00Z) by the documented rule; a cascade cut-off kept as published (03:59Z).
    topic = DeadlineIn(
        at=utc("2027-04-08T15:00:00Z"),
        label="Stage 1",
        date_only=True,
        published_at=utc("2027-04-08T00:00:00Z"),
    )
    cascade = DeadlineIn(at=utc("2027-09-02T03:59:00Z"), label="Cut-off 2")
    seed(
        world,
        [call("P", "Published instants", deadlines=(topic, cascade), extra={"time_zone": "Europe/Skopje"})],
        eccp=[],
    )
    page = get(world, f"/calls/{world.call_id('P')}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    cells = [
        " ".join(tr.find_all("td")[1].get_text(" ", strip=True).split())
        for tr in soup.select("table.deadlines tbody tr")
    ]
    assert cells == [
        "8 Apr 2027 17:00 (Brussels) Your time: The source gives the date only; the time is assumed. "
        "Published by the source as 8 Apr 2027 02:00 (Brussels)",
        "2 Sep 2027 05:59 (Brussels) Your time:",
    ]
    assert "own time zone, Europe/Skopje" in soup.select_one("#h-deadlines").parent.get_text(" ", strip=True)
