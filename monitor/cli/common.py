"""What every `callwatch` command shares: building the app, logging set-up, the consoles, exit
statuses (0 ok, 1 a source or delivery failed, 2 bad usage/configuration) and reading `--now`.

Owns how a command fails: the message unwrapped on stderr, then the exit status. Must not define
commands (the modules beside it do) nor import them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, NoReturn

import click
from rich.console import Console

from monitor.app import build_app
from monitor.clock import parse_instant
from monitor.settings import SettingsError, load_settings
from sources import SourceConfigError

console = Console(stderr=True)
EXIT_FAILED, EXIT_USAGE = 1, 2


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # One line per job run every few seconds drowns what matters; the worker logs its own results.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def out() -> Console:
    """Standard output; wide when piped so a table never truncates ids or errors."""
    return Console(width=None if sys.stdout.isatty() else 200)


def fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    """Print an error unwrapped (operators grep for file names and keys) and exit."""
    click.echo(f"callwatch: {message}", err=True)
    sys.exit(status)


def with_app(*, migrate: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Build settings and app for a command; configuration errors exit 2 with the message."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                settings = load_settings()
                configure_logging(settings.log_level)
                app = build_app(settings, migrate=migrate)
            except (SettingsError, SourceConfigError) as exc:
                fail(str(exc))
            return command(app, *args, **kwargs)

        return wrapper

    return decorate


def validate_now(now_text: str) -> datetime:
    """A `--now` value as an instant, or click's usage error naming the option."""
    try:
        return parse_instant(now_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None
