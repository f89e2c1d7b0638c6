"""Header values on the wire: a cleaned value becomes 7-bit, folded header lines.

Owns: RFC 2047 encoding (UTF-8 encoded-words for the non-ASCII runs only),
quoting display names, folding at existing spaces, and the last check on a
folded value before it is stored raw.

Why not leave this to the email package:
- Its folder drops the spaces around encoded-words when it folds a long subject
  mixing ASCII and non-ASCII words, so the subject read back differs.
- It RFC 2047-encodes any ASCII token longer than a line, so a long
  `List-Unsubscribe` URL arrives as `=?utf-8?q?=3Chttps...?=` and the
  mailbox provider shows no unsubscribe button.

A run longer than one encoded-word gives several side by side: mail clients
join them exactly; Python's address parser (not its unstructured one) keeps
one space between them in a display name.

Must not: clean or accept raw text (its input comes from monitor.deliver.headers),
build messages, send mail, read settings or touch the database.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from email.headerregistry import Address

from monitor.deliver.headers import ENCODED_WORD, LINE_BREAKS_AND_CONTROLS

__all__ = ["check_folded", "fold_mailbox", "fold_unstructured"]

_LINE = 78  # RFC 5322 "SHOULD" line length; the hard limit is 998
_HARD_LINE = 998
_EW_MAX = 75  # RFC 2047: an encoded-word is at most 75 characters
_PHRASE_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def _q_encode(data: bytes) -> str:
    return "".join("_" if byte == 0x20 else chr(byte) if byte in _Q_SAFE else f"={byte:02X}" for byte in data)


def _encoded_word(text: str, use_b: bool) -> str:
    data = text.encode("utf-8")
    if use_b:
        return f"=?utf-8?b?{base64.b64encode(data).decode('ascii')}?="
    return f"=?utf-8?q?{_q_encode(data)}?="


def _encoded_words(text: str, first_room: int) -> list[str]:
    """`text` as UTF-8 encoded-words of at most 75 characters, split between characters.

    Decoders ignore the whitespace between adjacent encoded-words, so every space
    of the text travels inside them and the text reads back exactly.
    """
    data = text.encode("utf-8")
    use_b = len(base64.b64encode(data)) < len(_q_encode(data))
    words: list[str] = []
    chunk = ""
    room = min(_EW_MAX, max(first_room, 16))
    for character in text:
        if chunk and len(_encoded_word(chunk + character, use_b)) > room:
            words.append(_encoded_word(chunk, use_b))
            chunk, room = "", _EW_MAX
        chunk += character
    if chunk:
        words.append(_encoded_word(chunk, use_b))
    return words


def _unstructured_tokens(text: str, first_room: int, plain: Callable[[str], str] = str) -> list[str]:
    """Space-separated tokens; runs of words with non-ASCII become encoded-words, the rest stays plain.

    A run is maximal, so two encoded runs are always separated by a plain word and
    the spaces around the run survive decoding (the email package's folder loses them).
    Only a run longer than one encoded-word gives adjacent encoded-words.
    """
    tokens: list[str] = []
    run: list[str] = []
    for word in text.split(" "):
        if word.isascii():
            if run:
                tokens.extend(_encoded_words(" ".join(run), first_room if not tokens else _EW_MAX))
                run = []
            tokens.append(plain(word))
        else:
            run.append(word)
    if run:
        tokens.extend(_encoded_words(" ".join(run), first_room if not tokens else _EW_MAX))
    return tokens


def _quoted_if_special(word: str) -> str:
    if _PHRASE_SPECIALS.search(word) or ENCODED_WORD.search(word):
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


def _fold(name: str, tokens: list[str]) -> str:
    """Join tokens with single spaces; a space becomes a line break where the line would pass 78.

    Folding only at existing spaces means unfolding gives back exactly the joined text.
    """
    lines: list[str] = []
    current = ""
    room = _LINE - len(name) - 2
    for index, token in enumerate(tokens):
        if index == 0:
            current = token
        elif len(current) + 1 + len(token) <= room:
            current += " " + token
        else:
            lines.append(current)
            current, room = " " + token, _LINE
    lines.append(current)
    return "\n".join(lines)


def check_folded(name: str, value: str) -> None:
    """ValueError unless `value` is safe to store raw: the last line of defence before writing a header."""
    lines = value.split("\n")
    if (
        not value.isascii()
        or LINE_BREAKS_AND_CONTROLS.search(value.replace("\n", ""))
        or any(not line.startswith(" ") or not line.strip() for line in lines[1:])
        or len(name) + 2 + len(lines[0]) > _HARD_LINE
        or any(len(line) > _HARD_LINE for line in lines[1:])
    ):
        raise ValueError(f"refusing to write header {name!r}: unsafe folded value {value!r}")


def fold_unstructured(name: str, text: str) -> str:
    """Unstructured text (Subject, List-Id, ...) as the folded value of header `name`."""
    return _fold(name, _unstructured_tokens(text, _LINE - len(name) - 2))


def fold_mailbox(name: str, address: Address) -> str:
    """One mailbox (From, To) as the folded value of header `name`: `phrase <addr>` or a bare addr."""
    display = address.display_name
    if not display:
        phrase = []
    elif display.isascii():
        phrase = [_quoted_if_special(display)]
    else:
        # Encoded runs as in unstructured text: Python's address parser (unlike mail clients)
        # keeps the space between two adjacent encoded-words of a display name.
        phrase = _unstructured_tokens(display, _LINE - len(name) - 2, _quoted_if_special)
    return _fold(name, [*phrase, f"<{address.addr_spec}>"] if phrase else [address.addr_spec])
