"""A call on ECCP and on the Funding & Tenders Portal appears once in `callwatch calls`.

Both sources are polled with the real CLI over the local HTTP server: the
portal's pages are built from the recorded records (with the RECONSTRUCTED
cascade record for competitive call 14703, cut-offs 31 March and 30 June
2025), ECCP's from the RECONSTRUCTED pages, whose node 207511 is the same call
with its second cut-off on 7 July 2025 and a link to the portal's page.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.httpserver import LocalHTTPServer
from tests.test_eccp import CONFIG_FILE as ECCP_CONFIG
from tests.test_eccp import SITE as ECCP_SITE
from tests.test_eccp import serve_site
from tests.test_ft_portal_e2e import PAGE_SIZE, _rows, _serve

SHIPPED = Path(__file__).parents[1] / "config" / "sources"


@pytest.fixture
def both(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str, http_server: LocalHTTPServer):
    for name in list(os.environ):
        if name.startswith("CALLWATCH_"):
            monkeypatch.delenv(name)
    sources = tmp_path / "config" / "sources"
    sources.mkdir(parents=True)
    portal = (SHIPPED / "ft-portal.toml").read_text()
    portal = portal.replace("https://api.tech.ec.europa.eu", http_server.url)
    (sources / "ft-portal.toml").write_text(portal.replace("page_size = 100", f"page_size = {PAGE_SIZE}"))
    (sources / "eccp.toml").write_text(ECCP_CONFIG.read_text().replace(ECCP_SITE, http_server.url))
    (tmp_path / "config" / "callwatch.toml").write_text("[http]\nmin_interval = 0\nmax_attempts = 1\n")
    for name, value in {
        "CALLWATCH_DATABASE_URL": database_url, "CALLWATCH_CONFIG_DIR": str(tmp_path / "config"),
        "CALLWATCH_VAR_DIR": str(tmp_path / "var"), "CALLWATCH_LOG_LEVEL": "WARNING",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    _serve(http_server, _rows())
    serve_site(http_server)
    return http_server


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_one_call_two_sources_with_the_deadline_conflict(both: LocalHTTPServer) -> None:
    polled = _cli("poll", "--now", "2026-11-21T09:00:00Z", "--json")
    assert polled.exit_code == 0, polled.output
    assert {r["source_id"]: r["new"] for r in json.loads(polled.stdout)} == {"eccp": 14, "ft-portal": 17}

    listed = json.loads(_cli("calls", "--status", "all", "--limit", "500", "--json").stdout)
    assert len(listed) == 14 + 17 - 1  # the shared call once
    [powerup] = [c for c in listed if "PowerUp NetZero - 2nd Open Call" in c["title"]]
    assert [(s["source"], s["key"]) for s in powerup["sources"]] == [
        ("ft-portal", "14703"),
        ("eccp", "207511"),
    ]
    # Deadlines and budget from the portal, the owning organisation from ECCP.
    assert [d["at_utc"] for d in powerup["deadlines"]] == ["2025-03-31T15:00:00Z", "2025-06-30T15:00:00Z"]
    assert powerup["provenance"]["deadlines"] == "ft-portal"
    assert powerup["provenance"]["organisation"] == "eccp"
    assert powerup["budget"]["total"] == 600000
    [eccp_record] = [s for s in powerup["sources"] if s["source"] == "eccp"]
    assert eccp_record["deadlines"] == ["2025-03-31T15:00:00Z", "2025-07-07T15:00:00Z"]
    [conflict] = powerup["conflicts"]
    # A cascade's cut-offs are kept as published (17:00+02:00), so they are shown with their time.
    assert conflict["values"] == {
        "ft-portal": "31 March 2025 17:00, 30 June 2025 17:00",
        "eccp": "31 March 2025 17:00, 7 July 2025 17:00",
    }
    # Only that call is linked: every other call has one source.
    assert sorted(len(c["sources"]) for c in listed).count(2) == 1

    table = _cli("calls", "--status", "all", "--limit", "500", "--search", "PowerUp")
    assert "ft-portal, eccp" in table.stdout and "deadlines differ" in table.stdout
    assert "eccp says 31 March 2025 17:00, 7 July 2025 17:00" in table.stdout

    # A second poll of both changes nothing and keeps the link.
    again = json.loads(_cli("poll", "--now", "2026-11-21T09:00:00Z", "--json").stdout)
    assert all(r["new"] == 0 and r["changed"] == 0 for r in again)
    assert len(json.loads(_cli("calls", "--status", "all", "--limit", "500", "--json").stdout)) == 30
