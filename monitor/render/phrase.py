"""Texts that are said again in another language: match reasons and verdicts, built once, shown in many.

Owns `Phrase` (an English sentence that keeps its msgid and its values: `Phrase(N_("open to
%(whom)s"), whom=...)`), `Local` (a value worded by a function of the language: a date, an amount,
a list of translated names) and `say(value, language)`, which turns either into the text of a
language. Both are `str` subclasses whose value is the English text, so code that compares, joins or
serialises reasons (tests, the preview JSON, the API) keeps working unchanged and stays English.
Must not: choose a language, read anything, or format a date or an amount itself (`words` does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from monitor.render.i18n import SOURCE_LANGUAGE, translator


class Phrase(str):
    """An English sentence that remembers its msgid and values; `say` translates it."""

    msgid: str
    plural_id: str | None
    num: int | None
    values: dict[str, Any]

    def __new__(cls, msgid: str, **values: Any) -> Phrase:
        return cls._made(msgid, None, None, values)

    @classmethod
    def plural(cls, singular: str, plural: str, num: int, **values: Any) -> Phrase:
        """A sentence with a number in it (`%(num)d`), in the right plural form of each language."""
        return cls._made(singular, plural, num, values)

    @classmethod
    def _made(cls, msgid: str, plural_id: str | None, num: int | None, values: dict[str, Any]) -> Phrase:
        english = _filled(msgid if num is None or num == 1 else str(plural_id), num, values, str)
        made = str.__new__(cls, english)
        made.msgid, made.plural_id, made.num, made.values = msgid, plural_id, num, values
        return made

    def say(self, language: str) -> str:
        if language == SOURCE_LANGUAGE:
            return str(self)
        _ = translator(language)
        if self.num is None:
            text = _.gettext(self.msgid)
        else:
            text = _.ngettext(self.msgid, str(self.plural_id), self.num)
        return _filled(text, self.num, self.values, lambda value: say(value, language))


class Local(str):
    """A value worded by `word(language)`: its English text is `word("en")`."""

    word: Callable[[str], str]

    def __new__(cls, word: Callable[[str], str]) -> Local:
        made = str.__new__(cls, word(SOURCE_LANGUAGE))
        made.word = word
        return made

    def say(self, language: str) -> str:
        return str(self) if language == SOURCE_LANGUAGE else self.word(language)


def say(value: Any, language: str) -> str:
    """`value` in `language`: a `Phrase` or `Local` translated, anything else as it is (a keyword
    as the subscriber typed it, a number)."""
    if isinstance(value, Phrase | Local):
        return value.say(language)
    return str(value)


def say_all(values: Sequence[Any], language: str, separator: str = " · ") -> str:
    """Reasons in `language`, one line: 'keywords: hydrogen · open to SMEs in PT · 41 days left'."""
    return separator.join(say(value, language) for value in values)


def _filled(text: str, num: int | None, values: dict[str, Any], word: Callable[[Any], str]) -> str:
    filled: dict[str, Any] = {key: word(value) for key, value in values.items()}
    if num is not None:
        filled["num"] = num
    return text % filled if filled else text
