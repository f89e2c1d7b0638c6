"""Public pages for calls: browse and search, each call's page, and the operators' source-health page.

Owns the routes and what each page shows, worked out before the template sees it; filtering is
`monitor.catalogue`'s (one query language for pages, API, CSV and feeds), the wording of pages is
the templates' (`templates/web/calls.html`, `call.html`, `sources.html`), the JSON and CSV routes
are `monitor.web.api`'s. Must not write: the web process's writes (sign-up, tracking) are
`monitor.web.people`'s. A bad filter is a 400 page naming the parameter, with the form, never a 500.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from sqlalchemy.engine import Engine

from db import repo
from db.engine import session_scope
from monitor.catalogue.query import MAX_TEXT, STATUSES, CallQuery, QueryError
from monitor.catalogue.snapshot import Catalogue
from monitor.match.phrases import COUNTRY_GROUPS
from monitor.model.view import LogicalCall, days_left, days_until, next_deadline, status_at
from monitor.normalise.html import sanitise_html
from monitor.normalise.vocab import ECOSYSTEMS, FUNDING_TYPES, ORG_TYPES
from monitor.render.api import SourcePublic, change_summary
from monitor.render.i18n import N_, Translator, translator
from monitor.render.labels import ecosystem_label, field_topic, funding_label, org_type_label, status_label
from monitor.render.money import money
from monitor.render.words import STATED_WORDS, unknown_deadline, utc
from monitor.web.collection_items import collecting
from monitor.web.deps import AppDep, CatalogueDep, TemplatesDep
from monitor.web.language import remember, switcher

PER_PAGE = 50
MAX_PAGE = 100_000
SORT_LABELS = {"deadline": N_("Next deadline"), "updated": N_("Recently changed"), "new": N_("Newly found")}
# The browse form's "only calls that state this" boxes (`strict=`), by STRICT_CRITERIA name.
STRICT_CHOICES = (("country", N_("an eligible country")), ("org_type", N_("who may apply")),
                  ("ecosystem", N_("an ecosystem")), ("programme", N_("a programme")),
                  ("funding_type", N_("a funding type")), ("budget", N_("a budget")),
                  ("deadline", N_("a deadline")))  # fmt: skip

router = APIRouter()


def render(
    request: Request, templates: Environment, name: str, code: int = 200, /, **context: Any
) -> HTMLResponse:
    """A public page in the visitor's language (`templates` is that language's environment)."""
    language = templates.globals["language"]
    page = templates.get_template(f"web/{name}.html")
    html = page.render(switcher=switcher(request, language), collect=collecting(request), **context)
    response = HTMLResponse(html, status_code=code)
    remember(request, response)
    return response


def history(engine: Engine, call: LogicalCall) -> list[dict[str, Any]]:
    """Every member record's changes, newest first, with the row's own `when`."""
    rows = []
    with session_scope(engine) as session:
        for member in call.members:
            rows += [
                (row, member.call.source_id) for row in repo.changes_for(session, call_id=member.call.id)
            ]
    rows.sort(key=lambda pair: (pair[0].at, pair[0].id or 0), reverse=True)
    currency = call.budget_currency
    return [{**change_summary(row, source=src, currency=currency), "when": row.at} for row, src in rows]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/calls", response_class=HTMLResponse, include_in_schema=False)
def browse(request: Request, app: AppDep, catalogue: CatalogueDep, templates: TemplatesDep) -> HTMLResponse:
    snapshot, now, language = catalogue.get(), app.clock(), templates.globals["language"]
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    vocab = vocabularies(snapshot, language)
    context = {"vocab": vocab, "now": now, "first_run": not any_source_reached(app.engine)}
    try:
        query = CallQuery.from_params(items, sources=snapshot.sources)
        page = page_number(request.query_params.get("page"))
    except QueryError as error:
        form = form_fields(items, expanded=True)
        return render(request, templates, "calls", 400, error=str(error), form=form, **context)
    found = snapshot.page(query, now=now, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    silent = snapshot.not_stated(found.calls, query.criteria())
    return render(
        request,
        templates,
        "calls",
        error=None,
        form=form_fields(query.params(), expanded=any(name != "q" for name, _ in query.params())),
        found=found,
        page=page,
        per_page=PER_PAGE,
        rows=[list_row(call, now, stated(silent.get(call.id, ()), language)) for call in found.calls],
        links=page_links(query.params(), page, found),
        **context,
    )


@router.get("/calls/{call_id}", response_class=HTMLResponse, include_in_schema=False)
def call_page(
    call_id: str, request: Request, app: AppDep, catalogue: CatalogueDep, templates: TemplatesDep
) -> Response:
    snapshot, now = catalogue.get(), app.clock()
    _ = translator(templates.globals["language"])
    record_id = int(call_id) if call_id.isascii() and call_id.isdigit() and len(call_id) < 19 else None
    primary = snapshot.primary_id(record_id) if record_id is not None else None
    call = snapshot.get(primary) if primary is not None else None
    if call is None:
        message = _("Callwatch has no call with the id %(id)s.", id=repr(call_id[:40]))
        return render(request, templates, "error", 404, title=_("Call not found"), message=message)
    if primary != record_id:  # another source's record of a merged call: one page per call
        return RedirectResponse(f"/calls/{primary}", status_code=307)
    view = call_view(call, history(app.engine, call), now=now, words=_)
    return render(request, templates, "call", **view)


@router.get("/sources", response_class=HTMLResponse, include_in_schema=False)
def sources_page(request: Request, app: AppDep, templates: TemplatesDep) -> HTMLResponse:
    with session_scope(app.engine) as session:
        rows = [
            source_view(
                source, repo.recent_runs(session, source_id=source.id, limit=1), templates.globals["language"]
            )
            for source in repo.list_sources(session)
        ]
    return render(request, templates, "sources", sources=rows, now=app.clock())


def any_source_reached(engine: Engine) -> bool:
    """Whether any source has ever answered a poll: until one has, an empty list means nothing yet."""
    with session_scope(engine) as session:
        return any(source.last_success_at for source in repo.list_sources(session))


# --------------------------------------------------------------------------- view data (pure)


def page_number(text: str | None) -> int:
    if not text:
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= MAX_PAGE):
        raise QueryError(f"page: {text[:20]!r} is not a page number from 1 to {MAX_PAGE}")
    return int(text)


def vocabularies(snapshot: Catalogue, language: str = "en") -> dict[str, Any]:
    """The form's choices as (value, label) pairs, labelled in `language`."""
    _ = translator(language)
    return {
        "statuses": [(s, status_label(s, language=language).capitalize()) for s in STATUSES],
        "funding_types": [(f, funding_label(f, language=language)) for f in FUNDING_TYPES],
        "org_types": [(slug, org_type_label(slug, language=language)) for slug in ORG_TYPES],
        "ecosystems": [(slug, ecosystem_label(slug, language=language)) for slug in ECOSYSTEMS],
        "sources": [(s, s) for s in snapshot.sources],
        "strict": [(name, _(label)) for name, label in STRICT_CHOICES],
        "programmes": sorted({e.call.programme for e in snapshot.entries if e.call.programme}),
        "sorts": {name: _(label) for name, label in SORT_LABELS.items()},
    }


def stated(criteria: Any, language: str) -> str | None:
    """'ecosystem, countries' (`words.stated_words`), each word in `language`."""
    _ = translator(language)
    return ", ".join(dict.fromkeys(_(STATED_WORDS.get(name, name)) for name in criteria)) or None


def form_fields(params: list[tuple[str, str]], *, expanded: bool) -> dict[str, Any]:
    """The form's fields from URL parameters: a valid query's canonical ones, or, after a 400, the
    visitor's own, so that the value the message names can be corrected."""
    given: dict[str, list[str]] = {}
    for name, value in params:
        given.setdefault(name, []).extend(v.strip() for v in value.split(",") if v.strip())

    def last(name: str) -> str:
        return (given.get(name) or [""])[-1][:100]

    status = [s.lower() for s in given.get("status", [])] or ["open", "forthcoming"]
    names = ("funding_type", "org_type", "ecosystem", "source", "strict")
    lists = {name: given.get(name, []) for name in names}
    texts = {name: ", ".join(given.get(name, []))[:400] for name in ("programme", "country")}
    singles = {name: last(name) for name in ("deadline_from", "deadline_to", "min_days_left")}
    return {
        "q": " ".join(v for n, v in params if n == "q")[: MAX_TEXT + 100],
        "status": STATUSES if "all" in status else status,
        "sort": last("sort") or "deadline",
        "open": expanded,
        **lists, **texts, **singles,
    }  # fmt: skip


def list_row(call: LogicalCall, now: datetime, not_stated: str | None = None) -> dict[str, Any]:
    """A row of the browse table; `not_stated` names the asked criteria the call is silent on."""
    at = next_deadline(call, now)
    return {
        "call": call,
        "status": status_at(call, now),
        "next_deadline": at,
        "days_left": days_left(call, now),
        "unknown": unknown_deadline(call),
        "not_stated": not_stated,
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


def call_view(
    call: LogicalCall, changes: list[dict[str, Any]], *, now: datetime, words: Translator | None = None
) -> dict[str, Any]:
    """Everything the call page shows, worked out before the template sees it, in `words`' language."""
    language = (words := words or translator("en")).language
    taken: dict[str, list[str]] = {}
    for name, source in call.provenance.items():
        value = call.deadlines if name == "deadlines" else getattr(call, name, None)
        label = field_topic(name, language=language)
        if value not in (None, "", [], {}) and label not in taken.setdefault(source, []):
            taken[source].append(label)
    at = next_deadline(call, now)
    stages = [
        {
            "deadline": d,
            "days_left": days_until(d.at, now),
            "passed": d.at < now,
            "utc": utc(d.at),
        }
        for d in call.deadlines
    ]
    return {
        "call": call,
        "now": now,
        "status": status_at(call, now),
        "next_deadline": at,
        "days_left": days_left(call, now),
        "unknown": unknown_deadline(call),
        "stages": stages,
        "changes": changes,
        "budget": budget_view(call, words),
        # Sanitised at ingest (monitor.normalise.html); sanitised again because the page shows it as HTML.
        "summary_html": sanitise_html(call.summary_html),
        "members": [{"member": m, "fields": taken.get(m.call.source_id, [])} for m in call.members],
        "country_groups": [words(COUNTRY_GROUPS.get(g, (g,))[0]) for g in call.country_groups or ()],
        "org_types": [org_type_label(t, language=language) for t in call.org_types or ()],
        "ecosystems": [ecosystem_label(e, language=language) for e in call.ecosystems or ()],
    }


def budget_view(call: LogicalCall, words: Translator | None = None) -> dict[str, str | None]:
    _ = words or translator("en")
    cur, language = call.budget_currency, _.language
    low, high = (money(a, cur, language=language) for a in (call.contribution_min, call.contribution_max))
    per_project = high or (_("from %(low)s", low=low) if low else None)
    if low and high and low != high:
        per_project = _("%(low)s to %(high)s", low=low, high=high)
    return {"total": money(call.budget_total, cur, language=language), "per_project": per_project}


def source_summary(source: Any) -> dict[str, Any]:
    values = {name: getattr(source, name) for name in SourcePublic.model_fields if name != "failing"}
    return {
        **values,
        "failing": bool(source.enabled and source.consecutive_failures >= source.alert_after_failures),
    }


def source_view(source: Any, runs: Any, language: str = "en") -> dict[str, Any]:
    hours, seconds = divmod(source.interval_seconds, 3600)
    _ = translator(language)
    interval = (
        _("%(num)d h", num=hours) if not seconds else _("%(num)d min", num=source.interval_seconds // 60)
    )
    return {
        "source": source,
        "last_run": runs[0] if runs else None,
        "interval": interval,
        **source_summary(source),
        # Never answered: neither healthy nor (below its alert threshold) failing; say so.
        "unreached": bool(source.enabled and source.last_success_at is None),
    }
