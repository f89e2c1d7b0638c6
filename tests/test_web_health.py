"""Honest state for a newcomer (issue 17): a source that never answered is "not reached yet", never
"healthy"; the calls page says so on a first run; /healthz lists such sources; HEAD is answered
wherever GET is (uptime monitors use HEAD); /docs works offline."""

from __future__ import annotations

from bs4 import BeautifulSoup

from db.engine import session_scope
from db.models import Source
from tests.mailworld import MailWorld, utc
from tests.test_web_calls import get, seed

FIRST_RUN = (
    "No source reached yet — see Sources. Callwatch lists calls once a poll of a source has succeeded; "
    "until then this list stays empty. callwatch poll polls every source now; callwatch demo shows "
    "Callwatch with recorded data."
)


def _text(html: str, selector: str) -> str | None:
    found = BeautifulSoup(html, "html.parser").select_one(selector)
    return " ".join(found.get_text(" ", strip=True).split()) if found else None


def _reach(world: MailWorld, source_id: str) -> None:
    with session_scope(world.app.engine) as session:
        row = session.get(Source, source_id)
        row.last_run_at = row.last_success_at = utc("2026-11-21T09:00:00Z")
        row.last_status = "ok"


def test_first_run_is_not_healthy_anywhere(world: MailWorld) -> None:
    seed(world)
    with session_scope(world.app.engine) as session:
        eccp = session.get(Source, "eccp")
        eccp.consecutive_failures, eccp.last_status, eccp.last_error = 1, "failed", "fetch failed: no DNS"
    calls = get(world, "/")
    assert _text(calls.text, ".first-run").replace(" .", ".", 1) == FIRST_RUN
    assert BeautifulSoup(calls.text, "html.parser").select_one(".first-run a")["href"] == "/sources"
    page = get(world, "/sources").text
    assert "healthy" not in page
    assert _text(page, ".notice[role=status]") == (
        "2 sources not reached yet: eccp, seeded. They have never answered a poll; the last error says "
        "why. Run callwatch poll to try now, or callwatch demo to see Callwatch with recorded data."
    )
    assert get(world, "/healthz").json() == {
        "status": "ok",
        "database": "ok",
        "failing_sources": [],
        "last_run_failed_sources": ["eccp"],
        "never_succeeded_sources": ["eccp", "seeded"],
    }


def test_once_every_source_answered_the_notices_go(world: MailWorld) -> None:
    seed(world)
    _reach(world, "seeded")
    assert _text(get(world, "/").text, ".first-run") is None
    page = get(world, "/sources").text
    assert _text(page, ".notice[role=status]") == (
        "1 source not reached yet: eccp. It has never answered a poll. Run callwatch poll to try now, "
        "or callwatch demo to see Callwatch with recorded data."
    )
    _reach(world, "eccp")
    page = get(world, "/sources").text
    assert _text(page, ".success") == "Every enabled source is healthy."
    assert _text(page, ".notice[role=status]") is None
    assert get(world, "/healthz").json()["never_succeeded_sources"] == []
