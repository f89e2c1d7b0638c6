"""Settings: embedded defaults, one clear message per bad variable, the secret rules."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path
from typing import Any

import pytest

from monitor.settings import SettingsError, ensure_secret, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("CALLWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


def test_embedded_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/callwatch.db"
    assert settings.outbox_dir == Path("var/outbox")
    assert settings.smtp is None
    assert settings.base_url == "http://127.0.0.1:8000"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.env == "development"
    assert "Callwatch" in settings.user_agent and "callwatch@localhost" in settings.user_agent


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CALLWATCH_DATABASE_URL", "mysql://x/y", "CALLWATCH_DATABASE_URL: must start with sqlite:///"),
        ("CALLWATCH_SMTP_URL", "ftp://mail.example.org", "CALLWATCH_SMTP_URL: must look like smtp://"),
        ("CALLWATCH_SMTP_URL", "smtp://host:notaport", "CALLWATCH_SMTP_URL: bad port"),
        ("CALLWATCH_BASE_URL", "callwatch.example.org", "CALLWATCH_BASE_URL: must start with http"),
        ("CALLWATCH_PORT", "eighty", "CALLWATCH_PORT"),
        ("CALLWATCH_ENV", "staging", "CALLWATCH_ENV"),
        ("CALLWATCH_MAIL_FROM", "no-at-sign", "CALLWATCH_MAIL_FROM: must be an e-mail address"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert expected in str(caught.value)


def test_every_bad_variable_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLWATCH_PORT", "0")
    monkeypatch.setenv("CALLWATCH_BASE_URL", "nope")
    message = str(pytest.raises(SettingsError, load_settings).value)
    assert "CALLWATCH_PORT" in message and "CALLWATCH_BASE_URL" in message


def test_postgres_urls_are_driven_by_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLWATCH_DATABASE_URL", "postgresql://u@db:5432/callwatch")
    assert load_settings().database_url == "postgresql+psycopg://u@db:5432/callwatch"


def test_smtp_url_is_parsed_and_password_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLWATCH_SMTP_URL", "smtps://alerts%40example.org:p%40ss@mail.example.org")
    settings = load_settings()
    target = settings.smtp
    assert target is not None
    assert (target.host, target.port, target.tls) == ("mail.example.org", 465, True)
    assert (target.username, target.password) == ("alerts@example.org", "p@ss")
    assert "p@ss" not in repr(target) and "p@ss" not in repr(settings)


@pytest.mark.parametrize("secret", [None, "changeme", "short-but-not-default"])
def test_production_refuses_missing_default_or_short_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
):
    monkeypatch.setenv("CALLWATCH_ENV", "production")
    if secret is not None:
        monkeypatch.setenv("CALLWATCH_SECRET_KEY", secret)
    message = str(pytest.raises(SettingsError, load_settings).value)
    assert "CALLWATCH_SECRET_KEY" in message


def test_production_accepts_a_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLWATCH_ENV", "production")
    monkeypatch.setenv("CALLWATCH_SECRET_KEY", "x" * 40)
    assert load_settings().secret() == "x" * 40


def test_development_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = ensure_secret(load_settings(var_dir=tmp_path / "var"))
    path = tmp_path / "var" / "secret_key"
    assert len(settings.secret()) >= 48
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = ensure_secret(load_settings(var_dir=tmp_path / "var"))
    assert again.secret() == settings.secret()


def _key_after_barrier(var_dir: Path, barrier: Any, keys: Any) -> None:
    settings = load_settings(var_dir=var_dir)
    barrier.wait()
    keys.put(ensure_secret(settings).secret())


def test_processes_starting_together_on_a_fresh_var_share_one_key(tmp_path: Path) -> None:
    """Cron's poll and the worker at first start: no FileExistsError, no half-read key, one key."""
    context = multiprocessing.get_context("fork")
    barrier, keys = context.Barrier(12), context.Queue()
    processes = [
        context.Process(target=_key_after_barrier, args=(tmp_path / "var", barrier, keys)) for _ in range(12)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(30)
    assert [process.exitcode for process in processes] == [0] * 12
    found = {keys.get(timeout=5) for _ in processes}
    assert found == {(tmp_path / "var" / "secret_key").read_text().strip()}
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["secret_key"]  # no drafts left behind


def test_nothing_is_created_by_loading_settings(tmp_path: Path) -> None:
    load_settings(var_dir=tmp_path / "var")
    assert not (tmp_path / "var").exists()


def test_the_calendar_domain_is_a_domain_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().ics_domain == "callwatch"
    monkeypatch.setenv("CALLWATCH_ICS_DOMAIN", " Calls.Example.ORG ")
    assert load_settings().ics_domain == "calls.example.org"
    for bad in ("https://calls.example.org", "calls example", "-calls.example.org", "calls..example.org", ""):
        monkeypatch.setenv("CALLWATCH_ICS_DOMAIN", bad)
        with pytest.raises(SettingsError, match="CALLWATCH_ICS_DOMAIN: must be a domain name"):
            load_settings()
