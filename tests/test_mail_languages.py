"""A subscriber in each offered language (French, German, Polish, as issue #15 names, and Italian
and Spanish) receives every e-mail wholly in their language: a confirmation, a digest, a reminder,
a change alert and a manage link, over the real SMTP path.

For each message (subject, text and HTML parts decoded): nothing rendered was missing from the
language's catalogue, and no English text of three words or more from the catalogue appears
outside call content. These pass once the translators have filled the catalogues; that every text
is marked at all is proved by tests/test_mail_pseudo.py.
"""

from __future__ import annotations

import re

import pytest

from monitor.cli.translations import extract
from monitor.render.i18n import forget_missing, missing, offered_languages
from tests.mailflow import every_kind, visible, without_content
from tests.mailworld import MailWorld

SUBSCRIBERS = {
    "fr": "camille@example.fr",
    "de": "jonas@example.de",
    "pl": "zofia@example.pl",
    "it": "giulia@example.it",
    "es": "lucia@example.es",
}


def test_every_translated_language_is_tested() -> None:
    assert sorted(SUBSCRIBERS) == offered_languages()[1:]


def english_sentences() -> set[str]:
    """The catalogue's English texts of three words or more, split at their placeholders."""
    found: set[str] = set()
    for message in extract():
        for msgid in message.id if isinstance(message.id, tuple) else (message.id,):
            for piece in re.split(r"%\(\w+\)[sd]", msgid or ""):
                piece = piece.strip(" :.,;()·—-")
                if len(piece.split()) >= 3:
                    found.add(piece)
    return found


@pytest.mark.parametrize("language", sorted(SUBSCRIBERS))
def test_every_email_is_in_the_subscribers_language(world: MailWorld, language: str) -> None:
    forget_missing()
    messages = every_kind(world, SUBSCRIBERS[language], language)
    assert missing(language) == set()
    english = english_sentences()
    left = {
        (kind, part): sorted(s for s in english if s in without_content(text))
        for kind, message in messages.items()
        for part, text in visible(message).items()
    }
    assert {key: found for key, found in left.items() if found} == {}
    for message in messages.values():
        html = message.get_body(preferencelist=("html",))
        assert html is None or f'<html lang="{language}">' in html.get_content()
