"""What an ECCP poll keeps of each detail page between polls, so an unchanged page costs one 304.

Owns: the stored entry of one detail page (`{"etag", "last_modified", "call", "parse"}` under the
page's URL in the source's validators): building it from a 200 answer and its parsed call, and
reading back the call a 304 lets us reuse. A stored call is reused only when it was parsed by this
parser version with this `[detail]` config (`parse_key`); otherwise the page is fetched without
validators and parsed again, so a code or config change never serves a stale parse.

Must not: fetch, parse pages (`sources.eccp.detail`) or touch the database (the pipeline stores
the validators with the run).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from monitor.model.raw import RawCall
from sources.eccp.config import EccpConfig

# Bump when sources.eccp.detail reads a page differently: every stored parse is then refetched.
PARSER_VERSION = "1"


def parse_key(config: EccpConfig) -> str:
    """Names the parser and the selectors a stored call was read with."""
    text = PARSER_VERSION + "\n" + config.detail.model_dump_json()
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def reusable_call(entry: dict[str, Any] | None, key: str) -> RawCall | None:
    """The stored call of a page, if a 304 may stand for it (same parser and config, validators kept)."""
    if not entry or entry.get("parse") != key or not (entry.get("etag") or entry.get("last_modified")):
        return None
    try:
        return RawCall.model_validate(entry.get("call"))
    except ValidationError:
        return None  # stored by an older RawCall: read the page again


def conditional(entry: dict[str, Any]) -> dict[str, str]:
    """Only the validators of an entry (what the client turns into If-None-Match / If-Modified-Since)."""
    return {name: entry[name] for name in ("etag", "last_modified") if entry.get(name)}


def remember(
    validators: dict[str, str], call: RawCall, key: str, old: dict[str, Any] | None
) -> dict[str, Any]:
    """The entry to store for a page read now; {} (nothing kept) when the server sent no validators.

    `old` is the stored entry after a 304, which may carry only some validators: the ones it omits
    are kept (after a 200, pass None: the new answer's validators replace the old ones).
    """
    kept = {**conditional(old or {}), **validators}
    if not kept:
        return {}
    return {**kept, "call": call.model_dump(mode="json"), "parse": key}
