"""E-mail bodies: Jinja2 templates in `templates/mail/`, HTML and plain text, translated.

Owns the two environments (HTML with autoescaping, so a scraped title with
markup is shown as text; plain text without, so "R&D" stays "R&D"), and the
translations: `templates/mail/locale/<language>.toml` maps an English text to
its translation; a text without one is sent in English.

Must not: sign links, read the database or send. Pure apart from reading
the template files once.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.render.templating import TEMPLATES

LOCALES = TEMPLATES / "mail" / "locale"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


@functools.cache
def catalog(language: str) -> dict[str, Any]:
    path = LOCALES / f"{language}.toml"
    if language == "en" or not path.exists():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8"))


def available_languages() -> list[str]:
    return ["en", *sorted(p.stem for p in LOCALES.glob("*.toml"))]


def translator(language: str) -> tuple[Callable[[str], str], Callable[[str, str, int], str]]:
    """gettext and ngettext for `language`; Jinja's new-style i18n fills in %(name)s afterwards."""
    strings = catalog(language)

    def gettext(message: str) -> str:
        found = strings.get(message)
        return found if isinstance(found, str) else message

    def ngettext(singular: str, plural: str, number: int) -> str:
        found = strings.get(singular)
        if isinstance(found, dict):
            return str(found.get("one" if number == 1 else "other", plural))
        return singular if number == 1 else plural

    return gettext, ngettext


def translate(language: str, message: str, **values: Any) -> str:
    """One text in Python code (subjects), formatted like the templates' _()."""
    text = translator(language)[0](message)
    return text % values if values else text


class MailRenderer:
    """Renders `templates/mail/<name>.html` and `<name>.txt` in a subscriber's language."""

    def __init__(self, folder: Path = TEMPLATES) -> None:
        common = {"loader": FileSystemLoader(folder), "undefined": StrictUndefined, "trim_blocks": True,
                  "lstrip_blocks": True, "extensions": ["jinja2.ext.i18n"]}  # fmt: skip
        self.html_env = Environment(autoescape=True, **common)  # type: ignore[arg-type]
        self.text_env = Environment(autoescape=False, keep_trailing_newline=True, **common)  # type: ignore[arg-type]  # noqa: S701 - plain text, never HTML

    def render(
        self, name: str, *, language: str, subject: str, html: bool = True, **context: Any
    ) -> Rendered:
        gettext, ngettext = translator(language)
        values = {"language": language, "subject": subject, **context}
        text = self._render(self.text_env, f"mail/{name}.txt", gettext, ngettext, values)
        body = self._render(self.html_env, f"mail/{name}.html", gettext, ngettext, values) if html else None
        return Rendered(subject=subject, text=_tidy(text), html=body)

    @staticmethod
    def _render(env: Environment, template: str, gettext: Any, ngettext: Any, values: dict[str, Any]) -> str:
        # Installed per render: the environments are shared, the language is not.
        env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
        return env.get_template(template).render(**values)


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces: text e-mails are read as they are."""
    lines = [line.rstrip() for line in text.splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip() + "\n"
