"""The Jinja2 environment for pages and feeds, with the filters that put a call's dates in words.

Autoescaping is ON for everything: scraped titles can carry markup
(reliability.md: Jinja2 does not escape by default). The date filters are
`monitor.render.words`'s, so a call looks the same in every output:
`brussels` in running text ("19 March 2027 17:00 (Brussels)"), `brussels_short`
in table cells ("19 Mar 2027 17:00 (Brussels)"); `conflict_values` quotes what each
source of a deadline conflict says.
Must not: word a fact itself or render e-mails (`monitor.render.email` does).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.render.words import brussels, brussels_short, conflict_values, opening

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def make_environment(folder: Path = TEMPLATES) -> Environment:
    env = Environment(
        loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined, trim_blocks=True,
        lstrip_blocks=True,
    )  # fmt: skip
    env.filters["brussels"] = brussels
    env.filters["brussels_short"] = brussels_short
    env.filters["conflict_values"] = conflict_values
    env.filters["opening"] = opening  # a day, never a time: "Opens for submissions on 8 October 2026"
    return env
