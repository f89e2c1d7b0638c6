"""Which recorded changes of a call a subscriber is told about, as sentences.

Owns the rule shared by digests and change alerts: "listed" changes are
never shown (a call coming back to a listing is not news), changes are told
in the order they were recorded, and a sentence is told once. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from db.models import CallChange
from monitor.render.words import describe_change

Changes = dict[int, list[CallChange]]  # call record id -> its changes, oldest first


def member_changes(call: Any, changes: Changes, keep: Callable[[CallChange], bool]) -> list[CallChange]:
    """The changes of every record of a (merged) call that `keep` accepts, "listed" ones left out."""
    return [
        change
        for member in call.members
        for change in changes.get(member.call.id or 0, [])
        if keep(change) and change.field != "listed"
    ]


def change_lines(rows: Iterable[CallChange], *, currency: str | None, language: str = "en") -> list[str]:
    """The changes as sentences in `language`, oldest first, each sentence once."""
    lines = [
        describe_change(c.field, c.kind, c.old_value, c.new_value, currency=currency, language=language)
        for c in sorted(rows, key=lambda c: c.id or 0)
    ]
    return list(dict.fromkeys(lines))
