"""The gettext catalogues: the template is current, and every offered language lacks nothing.

Rendering tests (tests/test_mail_languages.py, tests/test_web_languages.py) then check that what a
subscriber receives is looked up in the catalogue; these check the catalogues themselves.
"""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from monitor.cli.translations import TEMPLATE, check, extract, message_ids, read_catalogue, untranslated
from monitor.render.i18n import forget_missing, missing, offered_languages, supported, translator

# The largest cluster communities (issue #15): offering fewer is a regression, not a choice.
EXPECTED = ["en", "de", "es", "fr", "it", "pl"]
TRANSLATED = EXPECTED[1:]


def test_the_offered_languages() -> None:
    assert offered_languages() == EXPECTED


def test_the_template_holds_every_text_of_the_code() -> None:
    with TEMPLATE.open("rb") as handle:
        template = message_ids(read_po(handle))
    current = message_ids(extract())
    assert not current - template, "run `callwatch translations update`"
    assert not template - current, "texts no longer in the code: run `callwatch translations update`"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated(language: str) -> None:
    catalog = read_catalogue(language)
    assert not message_ids(extract()) - message_ids(catalog), "run `callwatch translations update`"
    assert untranslated(catalog) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_and_plural_forms_agree(language: str) -> None:
    catalog = read_catalogue(language)
    errors = [(message.id, found) for message, found in catalog.check() if found]
    assert errors == []
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(message.string) == catalog.num_plurals, message.id


def test_polish_has_three_plural_forms() -> None:
    # CLDR: 1 dzień, 2–4 dni, 5+ dni; "one/other" tables would get 22 and 25 wrong.
    _ = translator("pl")
    forms = {_.ngettext("%(num)d day left", "%(num)d days left", n) for n in (1, 2, 5)}
    assert len(forms) >= 2
    assert read_catalogue("pl").num_plurals == 3


def test_a_missing_text_is_shown_in_english_and_remembered() -> None:
    forget_missing()
    assert translator("de")("A text no catalogue has") == "A text no catalogue has"
    assert "A text no catalogue has" in missing("de")
    forget_missing()


def test_a_language_is_matched_to_its_base_or_english() -> None:
    assert supported("fr-BE") == "fr"
    assert supported("pt") == "en"
    assert supported(None) == "en"


def test_the_check_command_agrees() -> None:
    result = CliRunner().invoke(check)
    assert result.exit_code == 0, result.output


def test_misses_are_kept_within_a_bound() -> None:
    # A refusal naming a time is a new text each time: a long-lived process must not grow with them.
    forget_missing()
    _ = translator("pl")
    for number in range(1_500):
        _(f"A text with a value in it: {number}")
    assert 0 < len(missing("pl")) <= 1_000
    forget_missing()
