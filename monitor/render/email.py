"""E-mail bodies: Jinja2 templates in `templates/mail/`, HTML and plain text, translated.

Owns the two environments (HTML with autoescaping, so a scraped title with
markup is shown as text; plain text without, so "R&D" stays "R&D"), and the
language each is rendered in: one pair of environments per language, with that
language's gettext catalogue (`monitor.render.i18n`) installed once, so two renders
in two languages never share state.

Must not: sign links, read the database or send. Pure apart from reading
the template files once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.render.i18n import translator
from monitor.render.templating import TEMPLATES


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def translate(language: str, message: str, **values: Any) -> str:
    """One text in Python code (subjects), formatted like the templates' _()."""
    return translator(language)(message, **values)


class MailRenderer:
    """Renders `templates/mail/<name>.html` and `<name>.txt` in a subscriber's language."""

    def __init__(self, folder: Path = TEMPLATES) -> None:
        self.folder = folder
        self._envs: dict[str, tuple[Environment, Environment]] = {}

    def environments(self, language: str) -> tuple[Environment, Environment]:
        """(html, text) environments of `language`, made on first use."""
        if language not in self._envs:
            common: dict[str, Any] = {
                "loader": FileSystemLoader(self.folder),
                "undefined": StrictUndefined,
                "trim_blocks": True,
                "lstrip_blocks": True,
                "extensions": ["jinja2.ext.i18n"],
            }
            html_env = Environment(autoescape=True, **common)
            text_env = Environment(autoescape=False, keep_trailing_newline=True, **common)  # noqa: S701 - plain text, never HTML
            words = translator(language)
            for env in (html_env, text_env):
                env.install_gettext_callables(words.gettext, words.ngettext, newstyle=True)  # type: ignore[attr-defined]
                env.globals["label"] = words.label
            self._envs[language] = (html_env, text_env)
        return self._envs[language]

    def render(
        self, name: str, *, language: str, subject: str, html: bool = True, **context: Any
    ) -> Rendered:
        html_env, text_env = self.environments(translator(language).language)
        values = {"language": language, "subject": subject, **context}
        text = text_env.get_template(f"mail/{name}.txt").render(**values)
        body = html_env.get_template(f"mail/{name}.html").render(**values) if html else None
        return Rendered(subject=subject, text=_tidy(text), html=body)


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces: text e-mails are read as they are."""
    lines = [line.rstrip() for line in text.splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip() + "\n"
