"""What every `callwatch` command shares: building the app, logging set-up, the consoles, exit
statuses (0 ok, 1 a source or delivery failed, 2 bad usage/configuration) and reading `--now`.

Owns how a command fails: one line on stderr naming what to fix (the variable, the folder, the
port), then the exit status; results go to stdout, progress and errors to stderr. Must not define
commands (the modules beside it do) nor import them.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, NoReturn

import click
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from monitor.app import build_app
from monitor.clock import parse_instant
from monitor.settings import SettingsError, load_settings
from sources import SourceConfigError

console = Console(stderr=True)
EXIT_FAILED, EXIT_USAGE = 1, 2
VERBOSE = "callwatch.verbose"  # click context meta key, set by `callwatch -v`
# Libraries that log at INFO on every run (alembic: two lines per migration check; httpx: every
# request): their INFO lines are noise to an operator, so they show only with `-v`.
LIBRARIES = ("alembic", "httpx", "httpcore", "sqlalchemy", "asyncio", "apscheduler", "aiosmtplib")


def configure_logging(level: str, *, verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    quiet = logging.DEBUG if verbose else max(logging.WARNING, logging.getLevelName(level))
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(quiet)


def verbose() -> bool:
    context = click.get_current_context(silent=True)
    return bool(context and context.meta.get(VERBOSE))


def out() -> Console:
    """Standard output at the terminal's width (COLUMNS when set); wide when piped, so a table
    never truncates ids or errors."""
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() and int(columns) >= 40 else None
    return Console(width=width or (None if sys.stdout.isatty() else 200))


def table(*headers: str) -> Table:
    """A table that fits 80 columns: no outer frame, one space between columns."""
    return Table(
        *headers, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1), collapse_padding=True
    )


def fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    """Print an error unwrapped (operators grep for file names and keys) and exit."""
    click.echo(f"callwatch: {message}", err=True)
    sys.exit(status)


def database_problem(exc: Exception, url: str) -> str:
    """One line for a database that cannot be reached or opened, naming the variable."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"CALLWATCH_DATABASE_URL: cannot use {url}: {reason[0] if reason else type(exc).__name__}"


def with_app(
    *, migrate: bool = False, wait_for_database: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Build settings and app for a command; configuration and database errors exit 2 with one line.

    `wait_for_database` (the worker): don't touch the database here; the command waits for it."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            url = "the database"
            try:
                settings = load_settings()
                url = _safe(settings.database_url)
                configure_logging(settings.log_level, verbose=verbose())
                app = build_app(settings, migrate=migrate, wait_for_database=wait_for_database)
                return command(app, *args, **kwargs)
            except (SettingsError, SourceConfigError) as exc:
                fail(str(exc))
            except (DBAPIError, ArgumentError, NoSuchModuleError) as exc:
                if verbose():
                    raise
                fail(database_problem(exc, url))

        return wrapper

    return decorate


def _safe(url: str) -> str:
    """The URL with its password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url[:60])


def check_port(host: str, port: int) -> None:
    """Exit 2 naming the port when it cannot be listened on, before anything says where we listen."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As uvicorn binds: a port left in TIME_WAIT is free, one another process listens on is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        fail(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} "
            "(another process has it? choose another with --port or CALLWATCH_PORT)"
        )


def validate_now(now_text: str) -> datetime:
    """A `--now` value as an instant, or click's usage error naming the option."""
    try:
        return parse_instant(now_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--now") from None
