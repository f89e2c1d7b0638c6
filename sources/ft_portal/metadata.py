"""Reading SEDIA record metadata, where every value, even a scalar, comes wrapped in a list.

Owns: all values of a key, the first non-blank one as text, and the JSON that
some keys carry inside a string (budgetOverview, actions), which may arrive
broken.

Must not: do I/O or interpret values (that is `records` and `budget`); what
cannot be read becomes a warning, never a guess.
"""

from __future__ import annotations

import json
from typing import Any


def values(metadata: dict[str, Any], key: str) -> list[Any]:
    """All values of a metadata key (SEDIA wraps every value, even scalars, in a list)."""
    value = metadata.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def first(metadata: dict[str, Any], key: str) -> str | None:
    """The first non-blank value of a metadata key, as stripped text."""
    for value in values(metadata, key):
        text = "" if value is None else str(value).strip()
        if text:
            return text
    return None


def decode_json(metadata: dict[str, Any], key: str, warnings: list[str]) -> Any:
    """The JSON inside the first value of a string-valued key; None plus a warning when broken."""
    found = values(metadata, key)
    if not found or found[0] is None:
        return None
    value = found[0]
    if not isinstance(value, str):
        return value  # already structured: nothing to decode
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        # Seen: the AarhusAI fixture's budgetOverview ends mid-string (truncated upstream).
        warnings.append(f"{key} is not valid JSON ({exc}; {len(value)} chars); left empty")
        return None
