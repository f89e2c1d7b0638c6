"""The words around a date that say whether it is a deadline, in the 24 official EU languages.

Owns: reading `data/deadline_cues.toml` (cue, weak, not, launch and label words per language) into the
patterns `dates.extract_deadlines` uses; the verdict on one date from the words before it ("Rok:" ->
deadline, "Projektbeginn" / "start by" / "published on" -> not a deadline); the warnings for a deadline
label with no date on its line ("Deadline: end of spring"); the languages a text's cue words belong to.
Must not: read anything but its own packaged data file (once, at import), read the clock or settings,
or turn words into dates (`date_words` does).
"""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files

from monitor.normalise.vocab import fold

_GROUPS = {"launch": "launch", "not": "anti", "cue": "cue", "weak": "weak"}  # TOML key -> match group
_MIN_HINT = 4  # "do", "od", "от" are shared by many languages: they say nothing about which one


def _load() -> dict[str, dict[str, list[str]]]:
    with (files("monitor.normalise") / "data" / "deadline_cues.toml").open("rb") as handle:
        return tomllib.load(handle)


def _pattern(entry: str) -> str:
    if entry.startswith("re:"):
        return entry[3:]
    words = fold(entry)
    head, tail = words.startswith("*"), words.endswith("*")
    body = r"\s+".join(re.escape(word) for word in words.strip("*").split())
    return (r"\w*" if head else "") + body + (r"\w*" if tail else "")


def _alternatives(entries: list[str]) -> str:
    # Phrases before the regular expressions, longest first: "start by" must win over "start\w*".
    ordered = sorted(set(entries), key=lambda e: (e.startswith("re:") or "*" in e, -len(e)))
    return "|".join(_pattern(entry) for entry in ordered)


CUE_WORDS = _load()
_CUES = re.compile(
    r"\b(?:"
    + "|".join(
        f"(?P<{group}>{_alternatives([e for words in CUE_WORDS.values() for e in words.get(key, [])])})"
        for key, group in _GROUPS.items()
    )
    + r")\b"
)
# A label ("Deadline: …", "Rok za prijavu: …"); English adds "date"/"time"/"for <what>" before the colon.
_LABEL_CUE = re.compile(
    r"\b(?:" + _alternatives([e for words in CUE_WORDS.values() for e in words.get("label", [])]) + r")s?\b"
    r"(?:\s(?:date|time|for\s[^:\n\d]{0,40}))?\s*:"
)
# "2027. március 15-ig", "28.2.2027 mennessä": the cue follows the date (searched from the date's start).
_AFTER = re.compile(
    r"(?:" + "|".join(_pattern(e) for words in CUE_WORDS.values() for e in words.get("after", [])) + r")\b"
)
_HINTS = {
    language: re.compile(
        r"\b(?:"
        + _alternatives([e for k in ("cue", "not", "label") for e in words.get(k, []) if len(e) >= _MIN_HINT])
        + r")\b"
    )
    for language, words in CUE_WORDS.items()
}
_JOINT = re.compile(r"[\W_]*(?:(?:and|or|et|und|e|y|i|oraz|en|a|es|ja|och|og|si|και|и)\b[\W_]*)?")
_BULLET = re.compile(r"\s*(?:[-*\u2022\u00b7\u25aa>]|\d{1,2}[.)])")


def verdict(ctx: str, in_list: bool) -> str | None:
    """'cue' / 'anti' / 'launch' from the folded words between the previous date and this one, or None."""
    near = ctx[-120:]
    every = list(_CUES.finditer(near))
    tokens = [m for m in every if m.lastgroup != "weak" or len(near) - m.end() <= 15]
    if tokens:
        last = tokens[-1]
        # "must start by 1 November": a weak "by" right after a non-deadline word keeps its meaning.
        before = [m for m in every if m.end() <= last.start()]
        glued = bool(before) and not near[before[-1].end() : last.start()].strip()
        if last.lastgroup == "weak" and glued and before[-1].lastgroup == "anti":
            return "anti"
        kind = last.lastgroup
        return kind if kind in ("anti", "launch") else "cue"
    # A list goes on after ", " / " and " or on a new "– " item line; a new "Info day: …" line ends it.
    line = ctx.rsplit("\n", 1)[-1]
    joint = bool(_JOINT.fullmatch(ctx) or ("\n" in ctx and ":" not in line and _BULLET.match(line)))
    return "cue" if in_list and joint and len(ctx) < 200 else None


def cue_after(folded: str, start: int, stop: int) -> bool:
    """A deadline word written right after a date (between its start and `stop`, plus a few characters)."""
    return _AFTER.search(folded, start, min(stop + 12, len(folded))) is not None


def languages_in(folded: str) -> set[str]:
    """The languages whose cue words occur in `folded` text (to tell which month "listopad" is)."""
    return {language for language, pattern in _HINTS.items() if pattern.search(folded)}


def unreadable_labels(text: str, folded: str, spans: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """Warnings for "Deadline: end of spring": a deadline label whose next non-empty line holds no date."""
    warnings: list[tuple[int, str]] = []
    padded = folded + "\n"
    for match in _LABEL_CUE.finditer(folded):
        rest = padded[match.end() : match.end() + 300]  # the value may sit on the next line(s)
        begin = match.end() + len(rest) - len(rest.lstrip(" \t\r\n*\u2022-"))
        line_end = padded.index("\n", begin)
        if not any(match.end() <= s < line_end or s < match.end() < e for s, e in spans):
            quoted = " ".join(text[match.start() : line_end].split())[:100]
            warnings.append((match.start(), f"unreadable deadline {quoted!r}"))
    return warnings
