"""The `callwatch` command: the contract operators and scripts rely on.

Owns the command group (`monitor.cli:main`, the entry point) and which commands it has; each
command lives in a module beside this one and shares `monitor.cli.common` (app building, logging,
exit statuses: 0 ok, 1 a source or delivery failed, 2 bad usage/configuration). Must not define
commands here, and nothing happens at import: every command builds its own settings and app.
"""

from __future__ import annotations

import click

from monitor.cli import calls, db, demo, mail, preview, samples, serve, sources, translations
from monitor.cli.common import VERBOSE


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option("0.1.0", prog_name="callwatch")
@click.option(
    "-v", "--verbose", is_flag=True, help="Show libraries' logs (alembic, httpx) and full tracebacks."
)
@click.pass_context
def main(context: click.Context, verbose: bool) -> None:
    """Callwatch: EU funding calls, polled, normalised, matched and delivered.

    Settings come from CALLWATCH_* environment variables (and .env); sources
    from config/sources/*.toml. See README.md.
    """
    context.meta[VERBOSE] = verbose


for _module in (db, sources, calls, serve, mail, preview, samples, demo, translations):
    for _command in _module.COMMANDS:
        main.add_command(_command)

__all__ = ["main"]
