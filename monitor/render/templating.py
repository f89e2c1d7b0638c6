"""The Jinja2 environments for pages and feeds, one per language, with the filters that put a
call's dates in words.

Autoescaping is ON for everything: scraped titles can carry markup
(reliability.md: Jinja2 does not escape by default). The date filters are
`monitor.render.words`'s, in the environment's language, so a call looks the same in every output:
`brussels` in running text ("19 March 2027 17:00 (Brussels)"), `brussels_short`
in table cells ("19 Mar 2027 17:00 (Brussels)"); `conflict_values` quotes what each
source of a deadline conflict says. Each environment has its language's gettext catalogue
installed (`{{ _("…") }}`, `{% trans %}`, `ngettext`) and the global `language`.
Must not: word a fact itself or render e-mails (`monitor.render.email` does).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.render.i18n import translator
from monitor.render.labels import country_name, funding_label, status_label
from monitor.render.money import money
from monitor.render.words import brussels, brussels_short, conflict_values, opening

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def make_environment(folder: Path = TEMPLATES, *, language: str = "en") -> Environment:
    words = translator(language)
    env = Environment(
        loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, extensions=["jinja2.ext.i18n"],
    )  # fmt: skip
    env.install_gettext_callables(words.gettext, words.ngettext, newstyle=True)  # type: ignore[attr-defined]
    code = words.language
    env.globals["language"] = code
    env.filters["brussels"] = functools.partial(brussels, language=code)
    env.filters["brussels_short"] = functools.partial(brussels_short, language=code)
    env.filters["conflict_values"] = functools.partial(conflict_values, language=code)
    # A day, never a time: "Opens for submissions on 8 October 2026".
    env.filters["opening"] = functools.partial(opening, language=code)
    for name, function in (("funding_label", funding_label), ("status_label", status_label),
                           ("country_name", country_name)):  # fmt: skip
        env.globals[name] = functools.partial(function, language=code)
    env.globals["euros"] = lambda amount: money(amount, "EUR", language=code)
    return env


class Environments:
    """One environment per language, made on first use; `globals` are shared by all of them
    (the static asset helper, the demo banner's data)."""

    def __init__(self, folder: Path = TEMPLATES) -> None:
        self.folder = folder
        self.globals: dict[str, Any] = {}
        self._made: dict[str, Environment] = {}

    def get(self, language: str) -> Environment:
        code = translator(language).language
        if code not in self._made:
            self._made[code] = make_environment(self.folder, language=code)
        env = self._made[code]
        env.globals.update(self.globals)
        return env
