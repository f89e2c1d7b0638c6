"""Public pages and API for calls: browse and search, each call's page, the JSON API (with its
OpenAPI description), CSV export, and the operators' source-health page.

Owns the routes and what each response carries; filtering is `monitor.catalogue`'s (one query
language for pages, API, CSV and feeds), JSON and CSV shapes are `monitor.present`'s, the wording
of pages is the templates' (`templates/web/calls.html`, `call.html`, `sources.html`). Reads only:
the web process's writes (sign-up, tracking) are `monitor.web.people`'s. A bad filter is a 400
naming the parameter (an HTML page with the form, or JSON `{"detail": ...}`), never a 500.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.catalogue.cache import CatalogueCache
from monitor.catalogue.query import MAX_PER_PAGE, MAX_TEXT, SORTS, STATUSES, CallQuery, QueryError
from monitor.catalogue.snapshot import Catalogue
from monitor.match.phrases import COUNTRY_GROUPS
from monitor.model.view import LogicalCall, days_left, days_until, next_deadline, status_at
from monitor.normalise.html import sanitise_html
from monitor.normalise.vocab import ECOSYSTEMS, FUNDING_TYPES, ORG_TYPES
from monitor.render.api import CallDetailPublic, CallsPublic, SourcePublic, call_summary, change_summary
from monitor.render.csv import CSV_COLUMNS, csv_row
from monitor.render.words import field_topic, funding_label, money

PER_PAGE = 50
MAX_PAGE = 100_000
SORT_LABELS = {"deadline": "Next deadline", "updated": "Recently changed", "new": "Newly found"}


@dataclass(frozen=True)
class Selection:
    """A validated query and the snapshot it was validated against."""

    catalogue: Catalogue
    query: CallQuery


def calls_routes(app: App, templates: Environment, catalogue: CatalogueCache) -> APIRouter:
    """Pages and API for calls and sources; every read of calls goes through `catalogue`."""
    router = APIRouter()
    base = app.settings.base_url.rstrip("/")

    def render(name: str, code: int = 200, /, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(f"web/{name}.html").render(**context), status_code=code)

    def selection(request: Request) -> Selection:
        snapshot = catalogue.get()
        try:
            query = CallQuery.from_params(request.query_params.multi_items(), sources=snapshot.sources)
        except QueryError as error:
            raise HTTPException(status_code=400, detail=str(error)) from None
        return Selection(snapshot, query)

    def history(call: LogicalCall) -> list[dict[str, Any]]:
        """Every member record's changes, newest first, with the row's own `when`."""
        rows = []
        with session_scope(app.engine) as session:
            for member in call.members:
                rows += [
                    (row, member.call.source_id) for row in repo.changes_for(session, call_id=member.call.id)
                ]
        rows.sort(key=lambda pair: (pair[0].at, pair[0].id or 0), reverse=True)
        currency = call.budget_currency
        return [{**change_summary(row, source=src, currency=currency), "when": row.at} for row, src in rows]

    # ----------------------------------------------------------------------- pages

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    @router.get("/calls", response_class=HTMLResponse, include_in_schema=False)
    def browse(request: Request) -> HTMLResponse:
        snapshot, now = catalogue.get(), app.clock()
        items = request.query_params.multi_items()
        context = {"vocab": vocabularies(snapshot), "now": now}
        try:
            query = CallQuery.from_params(items, sources=snapshot.sources)
            page = page_number(request.query_params.get("page"))
        except QueryError as error:
            return render("calls", 400, error=str(error), form=form_fields(items, expanded=True), **context)
        found = snapshot.page(query, now=now, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
        return render(
            "calls",
            error=None,
            form=form_fields(query.params(), expanded=any(name != "q" for name, _ in query.params())),
            found=found,
            page=page,
            per_page=PER_PAGE,
            rows=[list_row(call, now) for call in found.calls],
            links=page_links(query.params(), page, found),
            **context,
        )

    @router.get("/calls/{call_id}", response_class=HTMLResponse, include_in_schema=False)
    def call_page(call_id: str) -> Response:
        snapshot, now = catalogue.get(), app.clock()
        record_id = int(call_id) if call_id.isascii() and call_id.isdigit() and len(call_id) < 19 else None
        primary = snapshot.primary_id(record_id) if record_id is not None else None
        call = snapshot.get(primary) if primary is not None else None
        if call is None:
            message = f"Callwatch has no call with the id {call_id[:40]!r}."
            return render("error", 404, title="Call not found", message=message)
        if primary != record_id:  # another source's record of a merged call: one page per call
            return RedirectResponse(f"/calls/{primary}", status_code=307)
        return render("call", **call_view(call, history(call), now=now))

    @router.get("/sources", response_class=HTMLResponse, include_in_schema=False)
    def sources_page() -> HTMLResponse:
        with session_scope(app.engine) as session:
            rows = [
                source_view(source, repo.recent_runs(session, source_id=source.id, limit=1))
                for source in repo.list_sources(session)
            ]
        return render("sources", sources=rows, now=app.clock())

    # ----------------------------------------------------------------------- JSON and CSV

    @router.get(
        "/api/calls",
        response_model=CallsPublic,
        tags=["calls"],
        summary="Search calls",
        openapi_extra=_FILTERS_DOC,
        responses={400: {"description": "A filter value that cannot be used"}},
    )
    def api_calls(
        selected: Selection = Depends(selection),
        page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1")] = 1,
        per_page: Annotated[
            int, Query(ge=1, description=f"Calls per page; more than {MAX_PER_PAGE} gives {MAX_PER_PAGE}")
        ] = 50,
    ) -> dict[str, Any]:
        """Calls matching the filters, soonest next deadline first, one page at a time. The filters
        are the same for the web pages, the CSV export and the feeds: repeat a parameter or separate
        values with commas; values of one parameter are alternatives, parameters all apply."""
        now, per_page = app.clock(), min(per_page, MAX_PER_PAGE)
        found = selected.catalogue.page(selected.query, now=now, offset=(page - 1) * per_page, limit=per_page)
        following = [*selected.query.params(), ("page", str(page + 1)), ("per_page", str(per_page))]
        return {
            "total": found.total,
            "page": page,
            "per_page": per_page,
            "calls": [call_summary(c, now=now, page_url=f"{base}/calls/{c.id}") for c in found.calls],
            "next": f"{base}/api/calls?{urlencode(following)}" if found.has_next else None,
        }

    @router.get(
        "/api/calls/{call_id}",
        response_model=CallDetailPublic,
        tags=["calls"],
        summary="One call",
        responses={404: {"description": "No call has this id"}},
    )
    def api_call(call_id: int) -> dict[str, Any]:
        """One call with every deadline stage, its sources, provenance, conflicts and change history.
        The id of any source's record of the call is accepted."""
        snapshot, now = catalogue.get(), app.clock()
        primary = snapshot.primary_id(call_id)
        call = snapshot.get(primary) if primary is not None else None
        if call is None:
            raise HTTPException(status_code=404, detail=f"no call has the id {call_id}")
        summary = call_summary(call, now=now, page_url=f"{base}/calls/{call.id}")
        changes = [{k: v for k, v in change.items() if k != "when"} for change in history(call)]
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
    def export_csv(selected: Selection = Depends(selection)) -> Response:
        """Every call matching the filters (not paginated), one row each. A cell that a spreadsheet
        would run as a formula (starting with = + - @) starts with an apostrophe."""
        now = app.clock()
        out = io.StringIO()
        out.write("\ufeff")  # Excel reads UTF-8 (accents in titles) right only after a byte order mark
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for entry in selected.catalogue.filter(selected.query, now=now):
            writer.writerow(csv_row(entry.call, now=now, page_url=f"{base}/calls/{entry.call.id}"))
        headers = {"Content-Disposition": 'attachment; filename="callwatch-calls.csv"'}
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)

    @router.get("/api/sources", response_model=list[SourcePublic], tags=["sources"], summary="Source health")
    def api_sources() -> list[dict[str, Any]]:
        """Every configured source with its last run, last success, last error and failure streak."""
        with session_scope(app.engine) as session:
            return [source_summary(source) for source in repo.list_sources(session)]

    return router


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
    _parameter("sort", "deadline (soonest first, the default), updated or new", {"enum": [*SORTS]}),
]  # fmt: skip
_FILTERS_DOC = {"parameters": FILTER_PARAMETERS}


# --------------------------------------------------------------------------- view data (pure)


def page_number(text: str | None) -> int:
    if not text:
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= MAX_PAGE):
        raise QueryError(f"page: {text[:20]!r} is not a page number from 1 to {MAX_PAGE}")
    return int(text)


def vocabularies(snapshot: Catalogue) -> dict[str, Any]:
    """The form's choices as (value, label) pairs."""
    return {
        "statuses": [(s, s.capitalize()) for s in STATUSES],
        "funding_types": [(f, funding_label(f)) for f in FUNDING_TYPES],
        "org_types": list(ORG_TYPES.items()),
        "ecosystems": list(ECOSYSTEMS.items()),
        "sources": [(s, s) for s in snapshot.sources],
        "programmes": sorted({e.call.programme for e in snapshot.entries if e.call.programme}),
        "sorts": SORT_LABELS,
    }


def form_fields(params: list[tuple[str, str]], *, expanded: bool) -> dict[str, Any]:
    """The form's fields from URL parameters: a valid query's canonical ones, or, after a 400, the
    visitor's own, so that the value the message names can be corrected."""
    given: dict[str, list[str]] = {}
    for name, value in params:
        given.setdefault(name, []).extend(v.strip() for v in value.split(",") if v.strip())

    def last(name: str) -> str:
        return (given.get(name) or [""])[-1][:100]

    status = [s.lower() for s in given.get("status", [])] or ["open", "forthcoming"]
    lists = {name: given.get(name, []) for name in ("funding_type", "org_type", "ecosystem", "source")}
    texts = {name: ", ".join(given.get(name, []))[:400] for name in ("programme", "country")}
    singles = {name: last(name) for name in ("deadline_from", "deadline_to", "min_days_left")}
    return {
        "q": " ".join(v for n, v in params if n == "q")[: MAX_TEXT + 100],
        "status": STATUSES if "all" in status else status,
        "sort": last("sort") or "deadline",
        "open": expanded,
        **lists, **texts, **singles,
    }  # fmt: skip


def list_row(call: LogicalCall, now: datetime) -> dict[str, Any]:
    at = next_deadline(call, now)
    return {
        "call": call,
        "status": status_at(call, now),
        "next_deadline": at,
        "days_left": days_left(call, now),
    }


def page_links(params: list[tuple[str, str]], page: int, found: Any) -> dict[str, str | None]:
    """Previous and next pages of the same filters, and the same filters in every other format."""

    def with_page(number: int) -> str:
        return "/calls?" + urlencode([*params, *([("page", str(number))] if number > 1 else [])])

    encoded = ("?" + urlencode(params)) if params else ""
    return {
        "previous": with_page(page - 1) if page > 1 else None,
        "next": with_page(page + 1) if found.has_next else None,
        "csv": f"/calls.csv{encoded}",
        "json": f"/api/calls{encoded}",
        "rss": f"/feeds/calls.rss{encoded}",
        "atom": f"/feeds/calls.atom{encoded}",
        "ics": f"/feeds/calls.ics{encoded}",
    }


def call_view(call: LogicalCall, changes: list[dict[str, Any]], *, now: datetime) -> dict[str, Any]:
    """Everything the call page shows, worked out before the template sees it."""
    taken: dict[str, list[str]] = {}
    for name, source in call.provenance.items():
        value = call.deadlines if name == "deadlines" else getattr(call, name, None)
        label = field_topic(name)
        if value not in (None, "", [], {}) and label not in taken.setdefault(source, []):
            taken[source].append(label)
    at = next_deadline(call, now)
    stages = [
        {
            "deadline": d,
            "days_left": days_until(d.at, now),
            "passed": d.at < now,
            "utc": f"{d.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        }
        for d in call.deadlines
    ]
    return {
        "call": call,
        "now": now,
        "status": status_at(call, now),
        "next_deadline": at,
        "days_left": days_left(call, now),
        "stages": stages,
        "changes": changes,
        "budget": budget_view(call),
        # Sanitised at ingest (monitor.normalise.html); sanitised again because the page shows it as HTML.
        "summary_html": sanitise_html(call.summary_html),
        "members": [{"member": m, "fields": taken.get(m.call.source_id, [])} for m in call.members],
        "country_groups": [COUNTRY_GROUPS.get(g, (g,))[0] for g in call.country_groups or ()],
        "org_types": [ORG_TYPES.get(t, t) for t in call.org_types or ()],
        "ecosystems": [ECOSYSTEMS.get(e, e) for e in call.ecosystems or ()],
    }


def budget_view(call: LogicalCall) -> dict[str, str | None]:
    currency = call.budget_currency
    low, high = money(call.contribution_min, currency), money(call.contribution_max, currency)
    per_project = (
        f"{low} to {high}" if low and high and low != high else high or (f"from {low}" if low else None)
    )
    return {"total": money(call.budget_total, currency), "per_project": per_project}


def source_summary(source: Any) -> dict[str, Any]:
    values = {name: getattr(source, name) for name in SourcePublic.model_fields if name != "failing"}
    return {
        **values,
        "failing": bool(source.enabled and source.consecutive_failures >= source.alert_after_failures),
    }


def source_view(source: Any, runs: Any) -> dict[str, Any]:
    hours, seconds = divmod(source.interval_seconds, 3600)
    interval = f"{hours} h" if not seconds else f"{source.interval_seconds // 60} min"
    return {
        "source": source,
        "last_run": runs[0] if runs else None,
        "interval": interval,
        **source_summary(source),
    }
