"""Calls as CSV rows for the export (`/calls.csv`): the columns and each call's cells.

Owns the column names and order, and the guard against formula injection: a cell a spreadsheet
would run as a formula gets a leading apostrophe. Deadlines are Brussels wall-clock times.
Must not: write the file (the web layer adds the BOM and streams it) or load anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from monitor.model.view import LogicalCall, next_deadline, status_at
from monitor.render.api import brussels_iso, number
from monitor.render.words import unknown_deadline

CSV_COLUMNS = (
    "id",
    "identifier",
    "title",
    "status",
    "programme",
    "funding type",
    "next deadline (Brussels)",
    "all deadlines (Brussels)",
    "budget total",
    "currency",
    "per-project max",
    "countries",
    "org types",
    "ecosystems",
    "sources",
    "url",
    "page url",
)
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_row(call: LogicalCall, *, now: datetime, page_url: str) -> list[str]:
    """One call as the CSV export's cells, in `CSV_COLUMNS` order, each safe to open in a spreadsheet."""
    stages = "; ".join(
        f"{d.label}: {brussels_iso(d.at)}" if d.label else str(brussels_iso(d.at)) for d in call.deadlines
    )
    if (unknown := unknown_deadline(call)) is not None:
        stages = unknown.line()
    cells: Sequence[Any] = (
        call.id,
        call.identifier,
        call.title,
        status_at(call, now),
        call.programme,
        call.funding_type,
        brussels_iso(next_deadline(call, now)),
        stages,
        number(call.budget_total),
        call.budget_currency,
        number(call.contribution_max),
        _joined(call.countries),
        _joined(call.org_types),
        _joined(call.ecosystems),
        _joined(call.sources),
        call.url,
        page_url,
    )
    return [csv_safe(cell) for cell in cells]


def csv_safe(value: Any) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _joined(values: Iterable[str] | None) -> str:
    return ", ".join(values or ())
