"""The JSON API for calls and sources (with its OpenAPI description) and the CSV export.

Owns these routes' parameters, status codes and the filter parameters' OpenAPI text; filtering is
`monitor.catalogue`'s (the same query language as the pages and feeds), the JSON and CSV shapes are
`monitor.render.api`'s. Must not write anything. A bad filter is a 400 with JSON `{"detail": ...}`
naming the parameter, never a 500 (nor FastAPI's generic 422).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.catalogue.query import MAX_PER_PAGE, MAX_TEXT, SORTS, STATUSES, CallQuery, QueryError
from monitor.catalogue.snapshot import Catalogue
from monitor.match.criteria import STRICT_CRITERIA
from monitor.normalise.vocab import ECOSYSTEMS, FUNDING_TYPES, ORG_TYPES
from monitor.render.api import CallDetailPublic, CallsPublic, SourcePublic, call_summary
from monitor.render.csv import CSV_COLUMNS, csv_row
from monitor.web.calls import MAX_PAGE, history, source_summary
from monitor.web.deps import AppDep, CatalogueDep, get_catalogue


@dataclass(frozen=True)
class Selection:
    """A validated query and the snapshot it was validated against."""

    catalogue: Catalogue
    query: CallQuery


def selection(request: Request) -> Selection:
    snapshot = get_catalogue(request).get()
    try:
        query = CallQuery.from_params(request.query_params.multi_items(), sources=snapshot.sources)
    except QueryError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    return Selection(snapshot, query)


SelectionDep = Annotated[Selection, Depends(selection)]


# --------------------------------------------------------------------------- OpenAPI


def _parameter(name: str, description: str, schema: dict[str, Any], *, many: bool = False) -> dict[str, Any]:
    if many:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_TEXT, _DATE = {"type": "string"}, {"type": "string", "format": "date"}
# The filter language in OpenAPI terms. Routes read filters through `CallQuery` (one parser for
# pages, API, CSV and feeds) rather than as typed FastAPI parameters, so a bad value gets a 400
# that names it instead of a generic 422; this table only describes them.
FILTER_PARAMETERS = [
    _parameter("q", 'Words that must all occur, as substrings, ignoring case and accents; "quotes" make a '
               f"phrase. At most {MAX_TEXT} characters.", _TEXT),
    _parameter("status", "Default: open and forthcoming; `all` for any", {"enum": [*STATUSES, "all"]},
               many=True),
    _parameter("programme", "Name, abbreviation or portal id: HORIZON, Digital Europe", _TEXT, many=True),
    _parameter("funding_type", "Calls that state none are included", {"enum": [*FUNDING_TYPES]}, many=True),
    _parameter("country", "Eligible country, code or name (PT, Portugal); calls that state none are included",
               _TEXT, many=True),
    _parameter("org_type", "Who may apply; calls that state none are included", {"enum": [*ORG_TYPES]},
               many=True),
    _parameter("ecosystem", "Calls that state none are included", {"enum": [*ECOSYSTEMS]}, many=True),
    _parameter("source", "Source id (see /api/sources)", _TEXT, many=True),
    _parameter("deadline_from", "Next deadline on or after this Brussels day", _DATE),
    _parameter("deadline_to", "Next deadline on or before this Brussels day", _DATE),
    _parameter("min_days_left", "At least this many whole days left before the next deadline",
               {"type": "integer", "minimum": 0, "maximum": 3650}),
    _parameter("strict", "Only calls that state these criteria (with a value asked, one that fits); "
               "`not_stated` of each call names the asked criteria it does not state",
               {"enum": [*STRICT_CRITERIA]}, many=True),
    _parameter("sort", "deadline (soonest first, the default), updated or new", {"enum": [*SORTS]}),
]  # fmt: skip
_FILTERS_DOC = {"parameters": FILTER_PARAMETERS}


router = APIRouter()


def _base(app: App) -> str:
    return app.settings.base_url.rstrip("/")


@router.get(
    "/api/calls",
    response_model=CallsPublic,
    tags=["calls"],
    summary="Search calls",
    openapi_extra=_FILTERS_DOC,
    responses={400: {"description": "A filter value that cannot be used"}},
)
def api_calls(
    app: AppDep,
    selected: SelectionDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1")] = 1,
    per_page: Annotated[
        int, Query(ge=1, description=f"Calls per page; more than {MAX_PER_PAGE} gives {MAX_PER_PAGE}")
    ] = 50,
) -> dict[str, Any]:
    """Calls matching the filters, soonest next deadline first, one page at a time. The filters
    are the same for the web pages, the CSV export and the feeds: repeat a parameter or separate
    values with commas; values of one parameter are alternatives, parameters all apply."""
    base, now, per_page = _base(app), app.clock(), min(per_page, MAX_PER_PAGE)
    found = selected.catalogue.page(selected.query, now=now, offset=(page - 1) * per_page, limit=per_page)
    following = [*selected.query.params(), ("page", str(page + 1)), ("per_page", str(per_page))]
    silent = selected.catalogue.not_stated(found.calls, selected.query.criteria())
    return {
        "total": found.total,
        "page": page,
        "per_page": per_page,
        "calls": [
            {**call_summary(c, now=now, page_url=f"{base}/calls/{c.id}"), "not_stated": _names(silent, c.id)}
            for c in found.calls
        ],
        "next": f"{base}/api/calls?{urlencode(following)}" if found.has_next else None,
    }


def _names(silent: dict[int, tuple[str, ...]], call_id: int) -> list[str]:
    """The verdict names of the criteria a call does not state, as the `strict` parameter spells them."""
    return [_STRICT_NAME.get(name, name) for name in silent.get(call_id, ())]


_STRICT_NAME = {verdict: name for name, verdict in STRICT_CRITERIA.items()}


@router.get(
    "/api/calls/{call_id}",
    response_model=CallDetailPublic,
    tags=["calls"],
    summary="One call",
    responses={404: {"description": "No call has this id"}},
)
def api_call(call_id: int, app: AppDep, catalogue: CatalogueDep) -> dict[str, Any]:
    """One call with every deadline stage, its sources, provenance, conflicts and change history.
    The id of any source's record of the call is accepted."""
    snapshot, now = catalogue.get(), app.clock()
    primary = snapshot.primary_id(call_id)
    call = snapshot.get(primary) if primary is not None else None
    if call is None:
        raise HTTPException(status_code=404, detail=f"no call has the id {call_id}")
    summary = call_summary(call, now=now, page_url=f"{_base(app)}/calls/{call.id}")
    changes = [{k: v for k, v in change.items() if k != "when"} for change in history(app.engine, call)]
    return {**summary, "description": call.summary_text, "changes": changes}


@router.get("/calls.csv", include_in_schema=False)
@router.get(
    "/api/calls.csv",
    tags=["calls"],
    summary="Export calls as CSV",
    response_class=Response,
    openapi_extra=_FILTERS_DOC,
    responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 with a byte order mark"}},
)
def export_csv(app: AppDep, selected: SelectionDep) -> Response:
    """Every call matching the filters (not paginated), one row each. A cell that a spreadsheet
    would run as a formula (starting with = + - @) starts with an apostrophe."""
    base, now = _base(app), app.clock()
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 (accents in titles) right only after a byte order mark
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in selected.catalogue.filter(selected.query, now=now):
        writer.writerow(csv_row(entry.call, now=now, page_url=f"{base}/calls/{entry.call.id}"))
    headers = {"Content-Disposition": 'attachment; filename="callwatch-calls.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/api/sources", response_model=list[SourcePublic], tags=["sources"], summary="Source health")
def api_sources(app: AppDep) -> list[dict[str, Any]]:
    """Every configured source with its last run, last success, last error and failure streak."""
    with session_scope(app.engine) as session:
        return [source_summary(source) for source in repo.list_sources(session)]
