"""Translations: gettext catalogues in `templates/locale/<language>/LC_MESSAGES/callwatch.po`.

Owns which languages are offered (English plus every language with a catalogue), reading a
catalogue (Babel reads the .po and compiles it in memory, so no compiled .mo file is kept in
the repository or built at install), the plural rule of each language (the catalogue's
Plural-Forms header, which `pybabel init` takes from CLDR), and the `N_` marker for texts
defined in code and translated where they are shown.

A message missing from a catalogue is shown in English and remembered in `missing()`: the
tests render every e-mail and page in every offered language and fail on any miss.

Must not: format dates or numbers (`monitor.render.words` does, with Babel's CLDR data), read
the database, or choose a person's language (the web layer and the subscriber record do).
"""

from __future__ import annotations

import functools
import gettext as gettext_module
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

# Not monitor.render.templating.TEMPLATES: that module uses words.py, which marks texts with N_.
LOCALE_DIR = Path(__file__).resolve().parents[2] / "templates" / "locale"
DOMAIN = "callwatch"
SOURCE_LANGUAGE = "en"

# msgids looked up and not found, per language: read by tests, never by production code. Capped,
# as a text with a value in it (a refusal naming a time) is a new miss each time in a long-lived process.
_MISSES: dict[str, set[str]] = {}
_MISSES_KEPT = 1_000


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "translate later"
    """Marks a text for extraction where it is defined; it is translated where it is shown."""
    return message


# The colon after a label is the language's: French puts a (non-breaking) space before it.
LABEL = N_("%(label)s:")


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def offered_languages() -> list[str]:
    """English first, then every language with a catalogue, by code."""
    return list(_offered(LOCALE_DIR))


@functools.cache
def _offered(folder: Path) -> tuple[str, ...]:
    # Cached per folder: pages ask on every request, the catalogues change only with a release.
    return (SOURCE_LANGUAGE, *sorted(p.parents[1].name for p in folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")))


def supported(language: str | None) -> str:
    """`language` if it is offered, else its base language ("fr-BE" → "fr"), else English."""
    if not language:
        return SOURCE_LANGUAGE
    offered = offered_languages()
    code = language.replace("-", "_")
    for candidate in (code, code.split("_")[0].lower()):
        if candidate in offered:
            return candidate
    return SOURCE_LANGUAGE


def language_name(code: str) -> str:
    """The language's name in itself ("Français", "Polski"), from CLDR."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


class _MissRecorder(gettext_module.NullTranslations):
    """The fallback of every catalogue: English text, and the miss remembered."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def gettext(self, message: str) -> str:
        _remember(self.language, message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        _remember(self.language, msgid1)
        return msgid1 if n == 1 else msgid2


def _remember(language: str, message: str) -> None:
    misses = _MISSES.setdefault(language, set())
    if len(misses) < _MISSES_KEPT:
        misses.add(message)


@functools.cache
def translations(language: str) -> gettext_module.NullTranslations:
    """The compiled catalogue of `language` (English: the texts as written)."""
    path = catalogue_path(language)
    if language == SOURCE_LANGUAGE or not path.exists():
        return gettext_module.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    # Fuzzy entries are guesses of `pybabel update`, not translations: they are left out.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    compiled = gettext_module.GNUTranslations(buffer)
    compiled.add_fallback(_MissRecorder(language))
    return compiled


@dataclass(frozen=True)
class Translator:
    """gettext and ngettext of one language, the shape Jinja's i18n extension installs."""

    language: str
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]

    def __call__(self, message: str, **values: object) -> str:
        """One text, with %(name)s filled in: `_("Week of %(day)s", day=...)`."""
        text = self.gettext(message)
        return text % values if values else text

    def label(self, text: str) -> str:
        """A label before its value, with the language's punctuation: "Budget:", French "Budget :"."""
        return self.gettext(LABEL) % {"label": text}

    def plural(self, singular: str, plural: str, num: int, **values: object) -> str:
        """A text with a number in it; `%(num)d` is filled in with `num`."""
        return self.ngettext(singular, plural, num) % {"num": num, **values}


@functools.cache
def translator(language: str) -> Translator:
    compiled = translations(supported(language))
    return Translator(supported(language), compiled.gettext, compiled.ngettext)


def missing(language: str) -> set[str]:
    """The messages looked up in `language` since the last `forget_missing()` and not found."""
    return set(_MISSES.get(language, ()))


def forget_missing() -> None:
    _MISSES.clear()
