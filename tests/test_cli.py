"""The `callwatch` command as operators use it: help, exit statuses, clear errors.

In-process (click's runner) so the test source kind is available; the
processes test runs the real console script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.httpserver import LocalHTTPServer, Reply

CALLS = [{"key": "A", "title": "Hydrogen valleys", "deadline_text": "Deadline: 12 March 2027"}]
COMMANDS = [
    "db",
    "sources",
    "poll",
    "calls",
    "subscribe",
    "track",
    "digest",
    "reminders",
    "serve",
    "worker",
    "run",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith("CALLWATCH_"):
            monkeypatch.delenv(name)
    config = tmp_path / "config"
    (config / "sources").mkdir(parents=True)
    values = {
        "CALLWATCH_DATABASE_URL": database_url,
        "CALLWATCH_CONFIG_DIR": str(config),
        "CALLWATCH_VAR_DIR": str(tmp_path / "var"),
        "CALLWATCH_LOG_LEVEL": "WARNING",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def _source(env: dict[str, str], source_id: str, url: str, extra: str = "") -> None:
    path = Path(env["CALLWATCH_CONFIG_DIR"]) / "sources" / f"{source_id}.toml"
    path.write_text(f'id = "{source_id}"\nname = "{source_id}"\nkind = "scripted"\nurl = "{url}"\n{extra}')


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_describes_every_command() -> None:
    result = _invoke("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
        sub = _invoke(command, "--help")
        assert sub.exit_code == 0 and "Usage:" in sub.output and len(sub.output.splitlines()) > 3


def test_poll_reports_per_source_and_exits_1_on_failure(env, http_server: LocalHTTPServer) -> None:
    http_server.route("/ok", Reply(200, json.dumps(CALLS), {"Content-Type": "application/json"}))
    http_server.route("/down", Reply(404, "gone"))
    _source(env, "good", http_server.url + "/ok")
    _source(env, "bad", http_server.url + "/down")
    result = _invoke("poll", "--json")
    assert result.exit_code == 1
    reports = {r["source_id"]: r for r in json.loads(result.stdout)}
    assert reports["good"]["status"] == "ok" and reports["good"]["new"] == 1
    assert reports["bad"]["status"] == "failed" and "404" in reports["bad"]["error"]
    only_good = _invoke("poll", "good")
    assert only_good.exit_code == 0 and "good" in only_good.stdout and "unchanged" in only_good.stdout


def test_poll_unknown_source_id_exits_2(env) -> None:
    result = _invoke("poll", "nope")
    assert result.exit_code == 2 and "unknown source id(s): nope" in result.output


def test_sources_json_shows_health(env, http_server: LocalHTTPServer) -> None:
    http_server.route("/down", Reply(503))
    _source(env, "flaky", http_server.url + "/down", 'interval = "30m"\n')
    _invoke("poll")
    [row] = json.loads(_invoke("sources", "--json").stdout)
    assert (row["id"], row["interval"], row["last_status"], row["consecutive_failures"]) == (
        "flaky",
        "30m",
        "failed",
        1,
    )
    assert "503" in row["last_error"] and row["last_success_at"] is None


def test_calls_json_lists_stored_calls(env, http_server: LocalHTTPServer) -> None:
    http_server.route("/ok", Reply(200, json.dumps(CALLS), {"Content-Type": "application/json"}))
    _source(env, "good", http_server.url + "/ok")
    _invoke("poll")
    [call] = json.loads(_invoke("calls", "--status", "open", "--json").stdout)
    assert call["title"] == "Hydrogen valleys" and call["status"] == "open"
    assert call["deadlines"][0]["at_brussels"] == "2027-03-12T17:00:00+01:00"
    assert call["deadlines"][0]["time_assumed"] is True
    assert json.loads(_invoke("calls", "--search", "no such words", "--json").stdout) == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            'id = "x"\nname = "X"\nkind = "scripted"\nurl = "http://a/"\ncolour = "red"\n',
            "key 'colour': unknown key",
        ),
        (
            'id = "x"\nname = "X"\nkind = "nonsense"\nurl = "http://a/"\n',
            "key 'kind': unknown kind 'nonsense'",
        ),
        (
            'id = "y"\nname = "X"\nkind = "scripted"\nurl = "http://a/"\n',
            "key 'id': 'y' must equal the file name 'x'",
        ),
        ('id = "x"\nname = "X"\nkind = "scripted"\nurl = "http://a/"\ninterval = "soon"\n', "key 'interval'"),
        (
            'id = "x"\nname = "X"\nkind = "scripted"\nurl = "ftp://a/"\n',
            "key 'url': url must start with http",
        ),
        ("id = \n", "cannot read TOML"),
    ],
    ids=["unknown-key", "unknown-kind", "id-mismatch", "bad-interval", "bad-url", "bad-toml"],
)
def test_bad_source_file_stops_start_up_naming_file_and_key(env, content: str, expected: str) -> None:
    (Path(env["CALLWATCH_CONFIG_DIR"]) / "sources" / "x.toml").write_text(content)
    result = _invoke("sources")
    assert result.exit_code == 2
    assert "x.toml" in result.output and expected in result.output


def test_bad_setting_stops_start_up_naming_the_variable(env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLWATCH_SMTP_URL", "gopher://mail")
    result = _invoke("sources")
    assert result.exit_code == 2 and "CALLWATCH_SMTP_URL" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["subscribe", "a@example.org\r\nBcc: x@y.z"], "not a usable e-mail address"),
        (["subscribe", "a@example.org", "--country", "Atlantis"], "unknown country 'Atlantis'"),
        (["subscribe", "a@example.org", "--org-type", "pirates"], "unknown organisation type 'pirates'"),
        (["subscribe", "a@example.org", "--timezone", "Mars/Olympus"], "unknown time zone"),
        (["subscribe", "a@example.org", "--budget-min", "lots"], "is not an amount in euros"),
        (["track", "nobody@example.org", "1"], "no subscriber nobody@example.org"),
        (["subscriber", "export", "nobody@example.org"], "no subscriber nobody@example.org"),
    ],
)
def test_people_commands_refuse_bad_input_with_exit_2(env, args: list[str], message: str) -> None:
    result = _invoke(*args)
    assert result.exit_code == 2 and message in result.output


def test_bad_now_is_a_usage_error() -> None:
    result = _invoke("digest", "--now", "next tuesday")
    assert result.exit_code == 2 and "ISO 8601" in result.output


def test_db_upgrade_and_status(env) -> None:
    upgraded = _invoke("db", "upgrade")
    head = sorted(
        p.name[:4] for p in (Path(__file__).parent.parent / "db/migrations/versions").glob("0*.py")
    )[-1]
    assert upgraded.exit_code == 0 and f"revision {head}" in upgraded.output
    assert _invoke("db", "status").exit_code == 0


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "callwatch"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "callwatch, version 0.1.0" in result.stdout
