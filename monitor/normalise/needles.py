"""The text a regular expression cannot match without, to skip it cheaply on texts that lack it.

Owns `needle(pattern)`: the longest run of literal characters that every match of `pattern` contains
(read from its parse: a run at the top level, or inside a group or a repetition taken at least once),
or None when there is none worth looking for. `search_any`/`finditer` use it as a prefilter: a vocabulary
of hundreds of rules is read against 5-54 kB of conditions per portal record, and most rules name
nothing in most texts (issue #18), so `needle in text` (a fast substring scan) answers for most of them.
Must not: change what a pattern matches; patterns with case-insensitive flags get no needle.
Pure: no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

try:  # Python 3.11+ keeps the parser here; it is what `re.compile` itself runs.
    from re import _constants as _sre  # type: ignore[attr-defined]
    from re import _parser as _parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older layouts
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _parse  # type: ignore[no-redef]

_SHORTEST = 3  # a shorter needle is found in nearly every text: no gain


@functools.cache
def needle(pattern: re.Pattern[str]) -> str | None:
    """The longest literal every match of `pattern` contains, or None."""
    if pattern.flags & re.IGNORECASE:
        return None
    try:
        parsed = _parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - no needle is always correct
        return None
    runs = list(_runs(list(parsed)))
    best = max(runs, key=len, default="")
    return best if len(best) >= _SHORTEST else None


def _runs(items: list[tuple[object, object]]) -> Iterator[str]:
    """Literal runs of a sequence that every match of the sequence contains."""
    run: list[str] = []
    for op, arg in items:
        if op is _sre.LITERAL:
            run.append(chr(arg))  # type: ignore[arg-type]
            continue
        yield "".join(run)
        run = []
        if op is _sre.SUBPATTERN:
            _group, add_flags, del_flags, body = arg  # type: ignore[misc]
            if not (add_flags | del_flags) & re.IGNORECASE:
                yield from _runs(list(body))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            low, _high, body = arg  # type: ignore[misc]
            if low >= 1:
                yield from _runs(list(body))
    yield "".join(run)


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)`, skipped when the pattern's needle is not in `text`."""
    found = needle(pattern)
    if found is not None and found not in text:
        return iter(())
    return pattern.finditer(text)


def search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """`pattern.search(text)`, skipped when the pattern's needle is not in `text`."""
    found = needle(pattern)
    if found is not None and found not in text:
        return None
    return pattern.search(text)
