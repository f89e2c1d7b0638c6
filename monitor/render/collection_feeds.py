"""A published collection as CSV with chosen columns, and the parsing of the `columns` parameter.

Owns the column names a collection's export offers (`COLUMNS`, the order they are listed in when
none are asked for), each entry's cells (the catalogue export's cells, `monitor.render.csv.csv_row`,
reused for what a call says, plus the collection's own: position, note, when added), and the guard
against formula injection on every cell (`csv_safe`: a cell starting with = + - @ tab or CR gets
a leading apostrophe). Must not: write the file (the route adds the BOM and the header row's
encoding), read a clock or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.render.api import brussels_iso
from monitor.render.collection import CollectionEntry
from monitor.render.csv import CSV_COLUMNS, csv_row, csv_safe

COLUMNS = (
    "position", "title", "identifier", "status", "programme", "funding_type", "deadline", "deadlines",
    "budget", "currency", "per_project", "countries", "org_types", "ecosystems", "note", "added", "url",
    "page_url",
)  # fmt: skip
# Our column -> the catalogue export's column it is read from.
_FROM_EXPORT = {
    "title": "title", "identifier": "identifier", "status": "status", "programme": "programme",
    "funding_type": "funding type", "deadline": "next deadline (Brussels)",
    "deadlines": "all deadlines (Brussels)", "budget": "budget total", "currency": "currency",
    "per_project": "per-project max", "countries": "countries", "org_types": "org types",
    "ecosystems": "ecosystems", "url": "url", "page_url": "page url",
}  # fmt: skip


class ColumnError(ValueError):
    """A `columns` value that names a column the export does not have (the message lists them)."""


def chosen_columns(given: str | None) -> tuple[str, ...]:
    """The columns asked for in `columns=a,b,c` (spaces and case ignored, repeats dropped); all when empty."""
    names = [name.strip().lower() for name in (given or "").split(",") if name.strip()]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        shown = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise ColumnError(f"columns: unknown {shown}; use any of {','.join(COLUMNS)}")
    return tuple(dict.fromkeys(names)) or COLUMNS


def csv_rows(entries: Sequence[CollectionEntry], columns: Sequence[str], *, now: datetime) -> list[list[str]]:
    """The header row and one row per entry, each cell safe to open in a spreadsheet."""
    rows = [list(columns)]
    for entry in entries:
        export = dict(zip(CSV_COLUMNS, csv_row(entry.call, now=now, page_url=entry.page_url), strict=True))
        own = {
            "position": str(entry.position),
            "note": csv_safe(entry.note),
            "added": csv_safe(brussels_iso(entry.added)),
            "status": csv_safe(entry.status),
        }
        rows.append([own[name] if name in own else export[_FROM_EXPORT[name]] for name in columns])
    return rows
