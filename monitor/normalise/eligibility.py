"""Whether a call restricts who may apply to the organisation types it names (`org_types_exclusive`).

Owns the reading of exclusive wording ("Only SMEs may apply", "réservé aux PME", "nur KMU sind
antragsberechtigt"; cues kept as data in `data/exclusive_cues.toml`), the splitting of a text into the
sentences those cues are read in, and the rule for a source's labelled list of eligible entities.
An organisation type found in prose means "mentioned"; only a cue tied to a named type in the same
sentence, or a source's list that states eligibility and is read entry by entry, makes the types
exclusive (issue #14).
Must not: decide whether a profile is eligible (that is `monitor.match`), do I/O beyond reading its data
file at import, or guess: an entry of a list it cannot read might be the profile's type, so such a list
is not exclusive.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from monitor.normalise import needles
from monitor.normalise.vocab import extract_org_types, fold


@dataclass(frozen=True)
class Cue:
    """One exclusive wording; its `who` group holds the words it restricts."""

    pattern: re.Pattern[str]

    def restricts(self, folded: str, guards: tuple[re.Pattern[str], ...]) -> bool:
        """Some match names an organisation type in `who`, its cue words outside every guard."""
        matches = list(needles.finditer(self.pattern, folded))
        if not matches:
            return False
        # Guards are read only when the cue matched: most sentences match no cue (issue #18).
        guarded = [m.span() for guard in guards for m in needles.finditer(guard, folded)]
        for m in matches:
            words = [(m.start(), m.start("who")), (m.end("who"), m.end())]
            if any(_overlap(span, guard) for span in words if span[0] < span[1] for guard in guarded):
                continue
            if extract_org_types(m.group("who")):
                return True
        return False


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _load() -> tuple[tuple[Cue, ...], tuple[re.Pattern[str], ...]]:
    with (Path(__file__).parent / "data" / "exclusive_cues.toml").open("rb") as handle:
        table = tomllib.load(handle)
    cues: list[Cue] = []
    guards: list[re.Pattern[str]] = []
    for language, entry in table.items():
        for text in entry["cues"]:
            pattern = re.compile(text)
            if "who" not in pattern.groupindex:
                raise ValueError(f"exclusive_cues.toml [{language}]: cue without a `who` group: {text!r}")
            cues.append(Cue(pattern))
        # Guards apply to every cue: "not only" cancels an "only" whatever table it came from.
        guards.extend(re.compile(text) for text in entry.get("guards", ()))
    return tuple(cues), tuple(guards)


CUES, GUARDS = _load()

# A list entry is a short line; html_to_text separates list items by blank lines, so a blank line cannot
# end a list.
_ITEM = 100
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?![a-z])|;\s+")
# A list entry of a source's "eligible entities" field: "Education and training institution, Research
# Institution incl. University".
_ENTRY_SEPARATORS = re.compile(r"[,;\n•]+")


def sentences(text: str) -> list[str]:
    """The sentences of `text`; a line ending with ":" runs on into the short lines of the list it opens.

    Pages flattened to text give one line per block, so a line break ends a sentence unless a colon
    introduces what follows ("Only the following entities may apply:" + one line per entity, up to a
    line that ends a sentence or is too long to be an entry). A period followed by a lower-case letter
    ("incl. universities", "e.g. SMEs") does not end one.
    """
    blocks: list[str] = []
    listing = False
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        ends = blocks[-1].endswith((".", "!", "?")) if blocks else True
        if blocks and (blocks[-1].endswith(":") or (listing and len(line) <= _ITEM and not ends)):
            listing = True
            blocks[-1] += " " + line
        else:
            blocks.append(line)
            listing = False
    return [part for block in blocks for part in _SENTENCE_END.split(block) if part]


def exclusive_wording(text: str) -> bool:
    """Some sentence restricts who may apply to an organisation type it names."""
    return any(cue.restricts(folded, GUARDS) for s in sentences(text) for folded in [fold(s)] for cue in CUES)


def list_read_whole(text: str) -> bool:
    """Every entry of a source's list of eligible entities names an organisation type Callwatch knows.

    "Private institution, incl. private company (private for profit)" names none, yet an SME is one:
    a list with such an entry says nothing about the types it does not name.
    """
    entries = [entry.strip() for entry in _ENTRY_SEPARATORS.split(text) if entry.strip()]
    return bool(entries) and all(extract_org_types(entry) for entry in entries)


def org_types_exclusive(org_types: list[str], text: str, *, listed: bool) -> bool | None:
    """True when who may apply is restricted to `org_types`, False when they are only mentioned, None
    when no type was found. `listed`: `text` is a source's labelled list of eligible entities."""
    if not org_types:
        return None
    if listed:
        return list_read_whole(text)
    return exclusive_wording(text)
