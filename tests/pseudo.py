"""A pseudo-translation: a catalogue where every text is "‹" + English + "›", put in place of the real
catalogues, so a test can render pages and see which visible text was not looked up.

Used by tests/test_web_languages.py (and any rendering test that wants to find unmarked texts).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from monitor.cli.translations import extract
from monitor.render import i18n
from monitor.web import forms

PSEUDO = "fr"  # a real locale, so that CLDR has its plural rule and dates; its texts are pseudo
OPEN, CLOSE = "‹", "›"


def _clear() -> None:
    i18n.translations.cache_clear()
    i18n.translator.cache_clear()
    forms.choices.cache_clear()
    i18n.forget_missing()


@pytest.fixture
def pseudo_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every text of the code extracted and "translated" to ‹text›, as the only catalogue."""
    catalog = Catalog(locale=PSEUDO, domain=i18n.DOMAIN)
    for message in extract():
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            singular, plural = (OPEN + form + CLOSE for form in message.id[:2])
            catalog.add(message.id, (singular,) + (plural,) * (catalog.num_plurals - 1))
        else:
            catalog.add(message.id, OPEN + message.id + CLOSE)
    folder = tmp_path / "locale" / PSEUDO / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / f"{i18n.DOMAIN}.po").open("wb") as handle:
        write_po(handle, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    _clear()
    try:
        yield PSEUDO
    finally:
        monkeypatch.undo()
        _clear()
