"""The `callwatch` command for a newcomer (issue 17): quiet by default, results on stdout, one line
and exit 2 for each mistake an operator makes (database, folder, port, address, criterion), a hint
when nothing is stored, tables that fit an 80-column terminal, and the web's default statuses."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.httpserver import LocalHTTPServer, Reply
from tests.test_cli import _invoke, _source, env  # noqa: F401 - the fixture

SCRIPT = Path(sys.executable).parent / "callwatch"
OPEN = {"key": "A", "title": "Hydrogen valleys", "deadline_text": "Deadline: 12 March 2027"}
FORTHCOMING = {
    "key": "B",
    "title": "Batteries for small ferries",
    "opens_text": "Opening: 1 January 2027",
    "deadline_text": "Deadline: 12 May 2027",
    "status_hint": "forthcoming",
}


def _run(values: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as an operator runs it (its own logging set-up)."""
    merged = {**{k: v for k, v in os.environ.items() if not k.startswith("CALLWATCH_")}, **values}
    return subprocess.run([str(SCRIPT), *args], env=merged, capture_output=True, text=True, timeout=60)


def _one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_default_run_prints_no_alembic_lines_and_v_shows_them(env) -> None:  # noqa: F811
    quiet = _run({**env, "CALLWATCH_LOG_LEVEL": "INFO"}, "calls", "--json")
    assert quiet.returncode == 0 and json.loads(quiet.stdout) == []
    assert "alembic" not in quiet.stderr and "Context impl" not in quiet.stderr
    loud = _run({**env, "CALLWATCH_LOG_LEVEL": "INFO"}, "-v", "db", "upgrade")
    assert loud.returncode == 0 and "alembic" in loud.stderr


def test_calls_with_nothing_stored_says_why_and_what_to_run(env) -> None:  # noqa: F811
    result = _invoke("calls")
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == (
        "callwatch: no calls stored yet: no source has been polled successfully (see `callwatch sources`). "
        "Run `callwatch poll` to poll them now, or `callwatch demo` to see Callwatch with recorded data.\n"
    )


def test_calls_defaults_to_open_and_forthcoming_like_the_web(env, http_server: LocalHTTPServer) -> None:  # noqa: F811
    http_server.route(
        "/ok", Reply(200, json.dumps([OPEN, FORTHCOMING]), {"Content-Type": "application/json"})
    )
    _source(env, "good", http_server.url + "/ok")
    assert _invoke("poll", "--now", "2026-11-21T10:00:00Z").exit_code == 0
    shown = json.loads(_invoke("calls", "--json").stdout)
    assert sorted((c["title"], c["status"]) for c in shown) == [
        ("Batteries for small ferries", "forthcoming"),
        ("Hydrogen valleys", "open"),
    ]
    only_open = json.loads(_invoke("calls", "--status", "open", "--json").stdout)
    assert [c["title"] for c in only_open] == ["Hydrogen valleys"]
    closed = _invoke("calls", "--status", "closed")
    assert closed.exit_code == 0 and closed.stderr == (
        "callwatch: no closed call among the 2 that match; `--status all` shows every one\n"
    )


def test_unreachable_postgresql_is_one_line_naming_the_variable(env) -> None:  # noqa: F811
    closed_port = _free_port()
    url = f"postgresql://callwatch:hunter2@127.0.0.1:{closed_port}/callwatch"
    result = _run({**env, "CALLWATCH_DATABASE_URL": url}, "calls")
    assert result.returncode == 2
    line = _one_line(result)
    assert line.startswith(
        "callwatch: CALLWATCH_DATABASE_URL: cannot use "
        f"postgresql+psycopg://callwatch:***@127.0.0.1:{closed_port}/callwatch: "
    )
    assert "hunter2" not in result.stderr


def test_missing_sqlite_folder_is_named_and_not_created(env, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "nonexistent" / "dir"
    result = CliRunner(env={"CALLWATCH_DATABASE_URL": f"sqlite:///{folder}/x.db"}).invoke(main, ["calls"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"callwatch: CALLWATCH_DATABASE_URL: the folder {folder} does not exist; create it, or put the "
        f"database under {env['CALLWATCH_VAR_DIR']} (Callwatch creates folders only there)\n"
    )
    assert not folder.parent.exists()


def test_sqlite_folder_under_var_is_created(env, tmp_path: Path) -> None:  # noqa: F811
    url = f"sqlite:///{env['CALLWATCH_VAR_DIR']}/deeper/x.db"
    result = CliRunner(env={"CALLWATCH_DATABASE_URL": url}).invoke(main, ["calls", "--json"])
    assert result.exit_code == 0 and (Path(env["CALLWATCH_VAR_DIR"]) / "deeper" / "x.db").exists()


@pytest.mark.parametrize("command", ["serve", "run"])
def test_busy_port_is_refused_before_any_url_is_printed(env, command: str) -> None:  # noqa: F811
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run(env, command, "--port", str(port))
    assert result.returncode == 2 and "Callwatch web app" not in result.stderr + result.stdout
    assert _one_line(result).startswith(
        f"callwatch: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["subscribe", "a@b"],
            "callwatch: not a usable e-mail address: invalid e-mail address 'a@b': The part after the @-sign "
            "is not valid. It should have a period.",
        ),
        (
            ["subscribe", "anna@example.org", "--programme", "Nonsense"],
            "callwatch: unknown programme 'Nonsense': one of HORIZON, DIGITAL, CEF, ERASMUS+, EDF, LIFE,",
        ),
    ],
    ids=["address", "programme"],
)
def test_bad_address_and_programme_are_refused_listing_what_is_valid(env, args, message) -> None:  # noqa: F811
    result = _invoke(*args)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(message)


def test_programmes_by_name_and_stored_ones_are_accepted(env) -> None:  # noqa: F811
    result = _invoke("subscribe", "anna@example.org", "--programme", "Horizon Europe, SMP", "--confirmed")
    assert result.exit_code == 0, result.output
    assert result.stdout == "anna@example.org: new subscriber, profile 1 added, status confirmed\n"


def test_sending_commands_print_their_summary_on_stdout(env) -> None:  # noqa: F811
    for command, first in (
        ("digest", "digests: 0 to send"),
        ("reminders", "reminders: 0 to send"),
        ("alerts", "alerts: 0 to send"),
        ("send", "sent 0, retry later 0"),
    ):
        result = _invoke(command, "--now", "2026-11-23T08:00:00Z")
        assert result.exit_code == 0 and result.stdout.startswith(first), command
        assert result.stderr == "", command


def test_tables_fit_80_columns(env, http_server: LocalHTTPServer, monkeypatch) -> None:  # noqa: F811
    http_server.route(
        "/ok", Reply(200, json.dumps([OPEN, FORTHCOMING]), {"Content-Type": "application/json"})
    )
    http_server.route("/down", Reply(503, "maintenance " * 20))
    _source(env, "eu-cascade-funding", http_server.url + "/ok")
    _source(env, "ft-portal", http_server.url + "/down", "")
    monkeypatch.setenv("COLUMNS", "80")
    polled = _invoke("poll", "--now", "2026-11-21T10:00:00Z")
    listed, stored = _invoke("sources"), _invoke("calls")
    for result in (polled, listed, stored):
        lines = result.stdout.splitlines()
        assert lines and max(len(line) for line in lines) <= 80, result.stdout
    # One line per source: the long error goes below the table, where it can wrap.
    assert [line.split()[:2] for line in polled.stdout.splitlines()[2:4]] == [
        ["eu-cascade-funding", "ok"],
        ["ft-portal", "failed"],
    ]
    assert any(line.startswith("ft-portal: ") and "503" in line for line in polled.stdout.splitlines())
    # Titles wrap at words; ids stay whole.
    assert stored.stdout.splitlines()[2].split() == [
        "1",
        "open",
        "2027-03-12",
        "17:00",
        "-",
        "Hydrogen",
        "eu-cascade-funding",
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
