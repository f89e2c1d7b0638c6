"""Every text of every e-mail is marked for translation, proved with a pseudo-translation.

A temporary catalogue says every msgid as "‹msgid›" (the texts extracted from the code and the
templates now, so a text added without a marker fails here before any translator sees it); a
French-speaking subscriber then receives each kind of e-mail, and everything they can read must be
inside ‹…›, except what is never translated: call content (titles, summaries, programme names),
numbers, dates and amounts (worded by Babel in French), country and city names (CLDR), URLs,
e-mail addresses and the name Callwatch.
"""

from __future__ import annotations

import re

import pytest
from babel import Locale
from babel.dates import get_day_names, get_month_names

import monitor.render.i18n as i18n
from tests.mailflow import every_kind, visible, without_content
from tests.mailworld import MailWorld
from tests.pseudo import PSEUDO, pseudo_locale  # noqa: F401 - the fixture

ADDRESS = "pseudo@example.org"


def unmarked(text: str) -> list[str]:
    """The words of `text` outside ‹…› that are not a date, a country or a city in French."""
    while True:  # innermost first: a translated text can hold translated values
        inner = re.sub(r"‹[^‹›]*›", " ", text)
        if inner == text:
            break
        text = inner
    locale = Locale.parse(PSEUDO)
    names = [*locale.territories.values(), "Lisbonne", "Bruxelles"]
    text = without_content(text, *sorted(names, key=len, reverse=True))
    dates = {
        w.lower()
        for names_ in (get_month_names("wide", locale=PSEUDO), get_day_names("wide", locale=PSEUDO))
        for w in names_.values()
    }
    return [word for word in re.findall(r"[^\W\d_]{2,}", text) if word.lower() not in dates]


def test_unmarked_finds_an_english_word_outside_the_markers() -> None:
    assert unmarked("‹Budget: 2 000 000 €› then Deadline") == ["then", "Deadline"]
    assert unmarked("‹Changed: Hydrogen valleys› 3 janvier 2027 17:00 Portugal") == []


@pytest.mark.usefixtures("pseudo_locale")
def test_every_text_of_every_email_is_marked(world: MailWorld) -> None:
    messages = every_kind(world, ADDRESS, PSEUDO)
    left = {
        (kind, part): words
        for kind, message in messages.items()
        for part, text in visible(message).items()
        if (words := unmarked(text))
    }
    assert left == {}, "\n".join(f"{key}: {words}" for key, words in left.items())
    assert i18n.missing(PSEUDO) == set()
