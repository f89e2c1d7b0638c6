"""Whether a decoded text can be trusted: replacement characters and mojibake.

Owns: `text_problem` (what is wrong with one text, or None) and `text_problems` (the fields of
a normalised call whose text is damaged), so the store keeps a clean stored value instead.
Mojibake is recognised by what it is, not by a list of examples: characters that, written back
in windows-1252 (or Latin-1), form a valid multi-byte UTF-8 sequence ("Ã©" is the two bytes of
"é", "â€“" the three of "–").

Must not: repair text (a guessed repair would be stored as the source's words), import anything
but the standard library.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

REPLACEMENT = "\ufffd"
# Fields read as text by users and matching; the HTML companions go with their text.
CHECKED_FIELDS = (
    "title", "summary_text", "conditions_text", "organisation", "programme", "project",
    "parent_title", "type_of_action", "budget_text", "countries_text", "org_types_text",
)  # fmt: skip


def _continuation_chars() -> str:
    """What the bytes 0x80-0xBF (UTF-8 continuation bytes) look like read as windows-1252 or Latin-1."""
    chars = set()
    for byte in range(0x80, 0xC0):
        chars.add(chr(byte))  # Latin-1 (and windows-1252's five unassigned bytes)
        with contextlib.suppress(UnicodeDecodeError):  # 0x81, 0x8D, 0x8F, 0x90, 0x9D
            chars.add(bytes([byte]).decode("cp1252"))
    return "".join(sorted(chars))


# A lead byte of a 2-4 byte UTF-8 sequence read as Latin-1 (Â..ô), then continuation look-alikes.
_CANDIDATE = re.compile(f"[\u00c2-\u00f4][{re.escape(_continuation_chars())}]{{1,3}}")


def _as_bytes(text: str) -> bytes:
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            out += char.encode("latin-1")
    return bytes(out)


def _mojibake(text: str) -> str | None:
    """The first stretch of `text` that is UTF-8 read as a single-byte code page, if any."""
    for match in _CANDIDATE.finditer(text):
        raw = _as_bytes(match.group())
        length = 2 if raw[0] < 0xE0 else 3 if raw[0] < 0xF0 else 4
        if len(raw) < length:
            continue
        try:
            raw[:length].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return text[match.start() : match.start() + length]
    return None


def text_problem(text: str | None) -> str | None:
    """What makes `text` untrustworthy ("replacement characters (U+FFFD)", "mojibake 'Ã©'"), or None."""
    if not text:
        return None
    if REPLACEMENT in text:
        return f"{text.count(REPLACEMENT)} replacement character(s) (U+FFFD)"
    if found := _mojibake(text):
        return f"mojibake {found!r} (UTF-8 read as windows-1252)"
    return None


def text_problems(values: Mapping[str, Any]) -> dict[str, str]:
    """Field -> problem for every checked text field of a call's values that is damaged."""
    problems = {}
    for name in CHECKED_FIELDS:
        value = values.get(name)
        if isinstance(value, str) and (problem := text_problem(value)):
            problems[name] = problem
    return problems
