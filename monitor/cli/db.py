"""`callwatch db upgrade` and `callwatch db status`: the database schema.

Owns what these commands print and their exit statuses. Must not migrate anything itself:
`db.migrate` does.
"""

from __future__ import annotations

import sys

import click

from db.migrate import current_revision, head_revision, upgrade
from monitor.app import App
from monitor.cli.common import EXIT_FAILED, console, with_app


@click.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
@with_app()
def db_upgrade(app: App) -> None:
    """Apply every pending migration (safe to run any time)."""
    before = current_revision(app.engine)
    upgrade(app.engine)
    after = current_revision(app.engine)
    console.print(f"database at revision {after} (was {before or 'empty'}) — {_safe_url(app)}")


@db.command("status")
@with_app()
def db_status(app: App) -> None:
    """Show the database revision and whether migrations are pending; exit 1 if they are."""
    current, head = current_revision(app.engine), head_revision(app.engine)
    click.echo(f"current: {current or 'empty'}  head: {head}")
    if current != head:
        sys.exit(EXIT_FAILED)


def _safe_url(app: App) -> str:
    return app.engine.url.render_as_string(hide_password=True)


COMMANDS = (db,)
