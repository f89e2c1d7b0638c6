"""The Jinja2 environment for e-mails, feeds and pages.

Autoescaping is ON for everything: scraped titles can carry markup
(reliability.md: Jinja2 does not escape by default). Template filters for
dates live here so a call looks the same in every output.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.model.zones import BRUSSELS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def make_environment(folder: Path = TEMPLATES) -> Environment:
    env = Environment(
        loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined, trim_blocks=True,
        lstrip_blocks=True,
    )  # fmt: skip
    env.filters["brussels"] = format_brussels
    return env


def format_brussels(value: datetime | None) -> str:
    """'19 Mar 2027 17:00 (Brussels)' — the wall-clock time applicants see on the portal."""
    if value is None:
        return "—"
    local = value.astimezone(BRUSSELS)
    return f"{local.day} {local:%b %Y %H:%M} (Brussels)"
