"""Checks of what a person types on the command line before a subscription is stored: the e-mail
address (`monitor.people.addresses`, the same check as the sign-up form) and the programmes.

Owns the messages, which list the valid values so a typo can be corrected from the message alone.
Must not store anything: `monitor.people.subscriptions` does, and checks the other criteria
(countries, organisation types, ecosystems, funding types) with their lists.
"""

from __future__ import annotations

from collections.abc import Iterable

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.cli.common import fail
from monitor.match.prepare import programme_keys
from monitor.normalise.programmes import PROGRAMMES
from monitor.people.addresses import usable_address

# Every key a programme in the table is known by: abbreviation, full name, names in brackets.
_KNOWN = frozenset().union(*(programme_keys(abbreviation) for abbreviation, _ in PROGRAMMES.values()))


def check_address(email: str) -> str:
    """The address as typed (trimmed), or exit 2 saying what is wrong with it.

    Deliverability (DNS) is not checked: the confirmation e-mail is that check, and the CLI must
    work offline.
    """
    try:
        return usable_address(email)
    except ValueError as exc:
        fail(f"not a usable e-mail address: {exc}")


def check_programmes(values: Iterable[str], stored: Iterable[str] = ()) -> list[str]:
    """The programmes given (comma-separated or repeated), or exit 2 naming the unknown one and
    listing the abbreviations; full names ("Horizon Europe"), portal ids and the programme names
    of stored calls (cascade-funding and cluster calls name their own) are accepted too."""
    found = [part.strip() for value in values for part in value.split(",") if part.strip()]
    known = _KNOWN.union(*(programme_keys(name) for name in stored))
    for text in found:
        if not programme_keys(text) & known:
            names = ", ".join(abbreviation for abbreviation, _ in PROGRAMMES.values())
            fail(f"unknown programme {text!r}: one of {names} (or its full name, e.g. 'Horizon Europe')")
    return found


def stored_programmes(app: App) -> set[str]:
    """The programme names stored calls carry (what the web form offers)."""
    with session_scope(app.engine) as session:
        return {call.programme for call in repo.search_calls(session, limit=100_000) if call.programme}
