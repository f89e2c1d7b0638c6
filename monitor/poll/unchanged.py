"""Which records of a harvest need normalising again (issue #18).

Owns the rule: a record whose `raw_digest` (the source's record plus the normaliser's version) equals
the one stored with its call, whose call is listed, and whose clock fields (status, next deadline)
read the same at this poll's `now` by the normaliser's own rules (`normalise.call.clock_fields`)
would be stored exactly as it is: it is not normalised, and the store counts it as seen and unchanged.
A record whose clock fields moved is normalised in full, so what is stored (and the change lines
written) is what a full normalise writes.
Must not: touch the database (`db.repo.stored_clocks` reads what this decides on) or drop a record:
every record of the harvest is either normalised or reported unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.model.raw import RawCall
from monitor.normalise.call import clock_fields, raw_digest


@dataclass
class Partition:
    """The records to normalise, the keys that stand unchanged, and every key's digest."""

    to_normalise: list[RawCall] = field(default_factory=list)
    unchanged: set[str] = field(default_factory=set)
    digests: dict[str, str] = field(default_factory=dict)


def partition(raws: Sequence[RawCall], stored: Mapping[str, Any], now: datetime) -> Partition:
    """Split a harvest's records; `stored` maps keys to `db.repo.StoredClock`-like records."""
    digests: dict[str, str] = {}
    for raw in raws:
        if raw.key not in digests:  # the store keeps a key's first record
            digests[raw.key] = raw_digest(raw)
    unchanged = {key for key, digest in digests.items() if _stands(stored.get(key), digest, now)}
    return Partition([raw for raw in raws if raw.key not in unchanged], unchanged, digests)


def _stands(call: Any, digest: str, now: datetime) -> bool:
    if call is None or not call.listed or call.raw_digest != digest:
        return False
    return clock_fields(call, call.deadlines, now) == (call.status, call.next_deadline_at)
