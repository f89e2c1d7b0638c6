"""Links of SEDIA records: the canonical portal page per record type, and the record's own url.

Owns which url a call shows and which further links it keeps (formats.md §1.5):
every record's own `url` is kept, a constructed link only adds to it.

Must not: do I/O or build a link from a number that does not name the page.
"""

from __future__ import annotations

from typing import Any

from sources.ft_portal.metadata import first

PORTAL = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities"


def portal_url(record: dict[str, Any], key: str) -> str | None:
    """The canonical portal page of the call, by record type (formats.md §1.5)."""
    metadata = record["metadata"]
    type_code = first(metadata, "type")
    identifier = first(metadata, "identifier") or key
    if type_code == "8":
        # Only `callccm2Id` names the competitive-call page: the number in `reference` does not
        # (METU's reference 11143, its own url competitive-calls-cs/46214053).
        call_id = first(metadata, "callccm2Id")
        return f"{PORTAL}/competitive-calls-cs/{call_id}" if call_id and call_id.isdigit() else None
    if type_code == "0":
        return f"{PORTAL}/tender-details/{identifier}"
    if type_code == "2":
        reference = str(record.get("reference") or "")
        prospect = reference if reference.endswith("PROSPECTSEN") else f"{identifier}PROSPECTSEN"
        return f"{PORTAL}/prospect-details/{prospect}"
    return f"{PORTAL}/topic-details/{identifier.lower()}"


def own_url(record: dict[str, Any]) -> str | None:
    """The record's own `url` (top level, else metadata), when it is a web address."""
    for url in (record.get("url"), first(record["metadata"], "url")):
        if isinstance(url, str) and url.strip().startswith(("http://", "https://")):
            return url.strip()
    return None


def call_links(record: dict[str, Any], key: str) -> tuple[str | None, list[str]]:
    """The call's url and further links: every record's own url is kept, a constructed one only adds.

    Cascades and tenders show their own url (seen: METU's record links
    competitive-calls-cs/46214053 while its reference number is 11143, so a
    link built from the reference pointed elsewhere). Topics keep the built
    topic page, because legacy records' own url is the topicDetails JSON file.
    """
    own, built = own_url(record), portal_url(record, key)
    if first(record["metadata"], "type") in {"0", "8"}:
        main, other = own or built, built
    else:
        main, other = built or own, own
    return main, [other] if other and other != main else []
