"""The review queue of a collection: /collections/{id}/review lists the calls its saved filter
matches that no editor has decided on yet, newest first; each can be accepted (with a note) or
dismissed.

Owns the queue's rule: the same catalogue query as the browse page (`monitor.catalogue`, sorted
"new"), minus every call accepted or dismissed (`repo.decided_call_ids`), so a dismissed call
never comes back, whatever later changes to it. Only editors see it (404 for anyone else).
Must not: write SQL (db.repo), or filter calls itself.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from db import repo
from db.engine import session_scope
from monitor.catalogue.query import CallQuery, QueryError
from monitor.web.account import AccountDep, editable, not_found
from monitor.web.deps import CatalogueDep, PagesDep, form_for

ReviewForm = form_for("review")
SHOWN = 50  # one screen of decisions at a time
MAX_NOTE = 1000

router = APIRouter(include_in_schema=False)


def queue(snapshot: Any, filter_query: str | None, decided: set[int], now: Any) -> tuple[list[Any], int]:
    """The undecided calls the filter matches, newest first (at most SHOWN), and how many there are."""
    if filter_query is None:
        return [], 0
    params = parse_qsl(filter_query)
    query = replace(CallQuery.from_params(params, sources=snapshot.sources), sort="new")
    waiting = [
        entry.call
        for entry in snapshot.filter(query, now=now)
        if not decided & {entry.call.id, *(int(m.call.id) for m in entry.call.members)}
    ]
    return waiting[:SHOWN], len(waiting)


@router.get("/collections/{collection_id}/review", response_class=HTMLResponse)
def review_page(
    collection_id: int, request: Request, pages: PagesDep, account: AccountDep, catalogue: CatalogueDep,
    done: str = "",
) -> HTMLResponse:  # fmt: skip
    now = pages.app.clock()
    with session_scope(pages.app.engine) as session:
        collection = editable(session, collection_id, account)
        if collection is None:
            return not_found(request, pages)
        decided = repo.decided_call_ids(session, collection_id=collection_id)
        error = ""
        try:
            calls, total = queue(catalogue.get(), collection.filter_query, decided, now)
        except QueryError as problem:  # a source removed since the filter was saved
            calls, total, error = [], 0, str(problem)
        return pages.page(
            request, "collection_review", account=account, collection=collection, calls=calls, total=total,
            error=error, now=now, notice=done if done in ("accepted", "dismissed") else "",
        )  # fmt: skip


@router.post("/collections/{collection_id}/review", response_class=HTMLResponse)
def review_post(
    collection_id: int, request: Request, pages: PagesDep, account: AccountDep, catalogue: CatalogueDep,
    form: ReviewForm,
) -> Response:  # fmt: skip
    """Accept (`action=accept`, with an optional `note`) or dismiss (`action=dismiss`) one call."""
    if form.problem:
        return pages.blocked(request, form.problem)
    text, action, now = form.get("call"), form.get("action"), pages.app.clock()
    snapshot = catalogue.get()
    primary = snapshot.primary_id(int(text)) if text.isdigit() and len(text) < 12 else None
    with session_scope(pages.app.engine) as session:
        if editable(session, collection_id, account) is None or primary is None:
            return not_found(request, pages)
        if action == "accept":
            note = form.get("note").strip()[:MAX_NOTE]
            repo.add_to_collection(
                session, collection_id=collection_id, call_id=primary, by=account.id, now=now, note=note
            )
        elif action == "dismiss":
            repo.dismiss_from_collection(
                session, collection_id=collection_id, call_id=primary, by=account.id, now=now
            )
        else:
            return not_found(request, pages)
    done = "accepted" if action == "accept" else "dismissed"
    return RedirectResponse(f"/collections/{collection_id}/review?done={done}", status_code=303)
