"""The objects an entry point builds once and passes down: settings, engine,
validated source configs, HTTP policy, clock.

Owns start-up order: validate settings and every config file first (so a
typo stops start-up with its file and key), then prepare ./var, the secret
and the database.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from db import repo
from db.engine import make_engine, session_scope
from db.migrate import upgrade
from monitor.clock import Clock, system_clock
from monitor.links import LinkBuilder
from monitor.model.source import UnlistRule
from monitor.settings import Settings, ensure_secret, prepare_var_dir
from monitor.tokens import Signer
from sources import SourceConfigError, build_source, load_source_configs
from sources.base import Source, SourceConfig
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy


class WorkerDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jitter_seconds: int = Field(default=60, ge=0)
    misfire_grace_seconds: int = Field(default=86400, ge=1)
    # How often the active worker plans digests, reminders and alerts that are due (and operator alerts).
    mail_check_seconds: int = Field(default=120, ge=1)
    # How often every worker (active or standing by) sends queued e-mail.
    send_interval_seconds: int = Field(default=30, ge=1)
    # PostgreSQL: workers standing by plan digests too, every `mail_check_seconds`, sharing the
    # subscribers with the active worker (each subscriber planned by one of them). SQLite: ignored.
    share_digest_planning: bool = True
    # A standing-by worker tries to become the active one this often (takeover time after a crash).
    standby_retry_seconds: int = Field(default=15, ge=1)
    # The active worker checks it still holds the leader lock this often (lost database connection).
    leadership_check_seconds: int = Field(default=20, ge=1)
    # Daily housekeeping: addresses that never confirmed are erased after this many days, and the
    # stored bodies of e-mails sent (or given up) longer ago than this are dropped (rows stay).
    unconfirmed_retention_days: int = Field(default=30, ge=4)
    message_retention_days: int = Field(default=30, ge=1)


class MailPolicy(BaseModel):
    """`[mail]` in config/callwatch.toml: pacing, retries, reminders (RFC 5321 wants them configurable)."""

    model_config = ConfigDict(extra="forbid")

    # Messages per second to the SMTP server (0 = no limit); providers enforce their own quota.
    rate_per_second: float = Field(default=10.0, ge=0)
    # A sender holds a message this long; a killed sender's message is picked up after it.
    lease_seconds: int = Field(default=600, ge=10)
    # Stop a sending run after this many transient failures in a row (the server is unwell).
    circuit_breaker: int = Field(default=20, ge=1)
    # Transient failures are retried with growing delays until give-up (a stale digest is useless).
    retry_base_seconds: int = Field(default=300, ge=1)
    retry_max_seconds: int = Field(default=6 * 3600, ge=1)
    digest_give_up_hours: int = Field(default=48, ge=1)
    other_give_up_hours: int = Field(default=24, ge=1)
    # A digest or reminder missed (worker down) by up to this much is sent once; later ones are skipped.
    catch_up_hours: int = Field(default=48, ge=1)
    # Permanent refusals (5xx) in a row before an address is suspended.
    suspend_after_hard_failures: int = Field(default=3, ge=1)
    confirmation_interval_minutes: int = Field(default=10, ge=1)
    reminder_offsets_days: list[int] = Field(default_factory=lambda: [30, 14, 7, 1])
    # Reminders go out at this local hour in the subscriber's time zone.
    reminder_hour: int = Field(default=8, ge=0, le=23)
    closing_soon_days: int = Field(default=14, ge=1)
    max_calls_per_section: int = Field(default=25, ge=1)


class PollDefaults(BaseModel):
    """`[poll]` in config/callwatch.toml: the evidence a call missing from a source needs to be unlisted."""

    model_config = ConfigDict(extra="forbid")

    # Complete polls must miss a call over at least this many hours, and at least this many times:
    # one outage answering "no results" or one half-rendered listing then unlists nothing.
    unlist_after_hours: float = Field(default=24.0, ge=0)
    unlist_after_polls: int = Field(default=2, ge=2)

    def unlist_rule(self) -> UnlistRule:
        return UnlistRule(after=timedelta(hours=self.unlist_after_hours), polls=self.unlist_after_polls)


class Defaults(BaseModel):
    """config/callwatch.toml, validated."""

    model_config = ConfigDict(extra="forbid")

    http: dict[str, float | int] = Field(default_factory=dict)
    poll: PollDefaults = Field(default_factory=PollDefaults)
    worker: WorkerDefaults = Field(default_factory=WorkerDefaults)
    mail: MailPolicy = Field(default_factory=MailPolicy)


def load_defaults(config_dir: Path) -> Defaults:
    path = config_dir / "callwatch.toml"
    if not path.exists():
        return Defaults()
    try:
        defaults = Defaults.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
        HttpPolicy(**defaults.http)  # type: ignore[arg-type]
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise SourceConfigError(f"{path}: {exc}") from None
    return defaults


@dataclass
class App:
    settings: Settings
    engine: Engine
    defaults: Defaults
    source_configs: list[SourceConfig]
    clock: Clock = system_clock
    sources: list[Source] = field(default_factory=list)

    def http_client(self, **overrides: object) -> PoliteClient:
        values = {**self.defaults.http, **overrides, "user_agent": self.settings.user_agent}
        return PoliteClient(HttpPolicy(**values))  # type: ignore[arg-type]

    @property
    def unlist(self) -> UnlistRule:
        """The evidence a call missing from its source needs before it is unlisted (`[poll]`)."""
        return self.defaults.poll.unlist_rule()

    @property
    def signer(self) -> Signer:
        """Signs and checks every token in links: the current secret, and retired ones for reading."""
        return Signer(self.settings.secret(), tuple(self.settings.old_secrets()), clock=self.clock)

    @property
    def links(self) -> LinkBuilder:
        """Absolute links; built on each use because `serve` may set the base URL after start-up."""
        return LinkBuilder(self.settings.base_url, self.signer)

    def enabled_sources(self, ids: list[str] | None = None) -> list[Source]:
        if ids:
            by_id = {source.id: source for source in self.sources}
            unknown = [source_id for source_id in ids if source_id not in by_id]
            if unknown:
                raise SourceConfigError(
                    f"unknown source id(s): {', '.join(unknown)} (see `callwatch sources`)"
                )
            return [by_id[source_id] for source_id in ids]
        return [source for source in self.sources if source.config.enabled]


def build_app(
    settings: Settings, *, migrate: bool = False, clock: Clock = system_clock, wait_for_database: bool = False
) -> App:
    """Validate configuration, prepare ./var, open the database (upgrading it if asked).

    `wait_for_database` (the worker): a SQLite folder that does not exist yet is not an error here;
    `monitor.startup` waits for it like for a database server that is down.
    """
    defaults = load_defaults(settings.config_dir)
    configs = load_source_configs(settings.config_dir)
    prepare_var_dir(settings, wait_for_folder=wait_for_database)
    ensure_secret(settings)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    app = App(settings, engine, defaults, configs, clock, [build_source(c) for c in configs])
    return app


def sync_sources(app: App) -> None:
    """Mirror the source files into the database (health rows for `callwatch sources`).

    Two processes starting on a fresh database (two workers, a worker and a `poll`) may both find
    a source row missing and both insert it; the loser's transaction fails on the primary key.
    The row then exists, so running the sync again updates it instead: a lost race, not an error.
    """
    for attempt in range(3):
        try:
            with session_scope(app.engine) as session:
                for config in app.source_configs:
                    repo.sync_source(session, config=config, now=app.clock())
            return
        except IntegrityError:
            if attempt == 2:
                raise
