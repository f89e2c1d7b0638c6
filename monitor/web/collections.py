"""The owners' pages of curated collections: /collections (theirs, and a form to make one) and
/collections/{id} (name, description, language, the saved filter, co-editors, and the items,
whose routes are `monitor.web.collection_items`'; the review queue is `monitor.web.curating`'s).

Owns who sees these pages (the signed-in owner and co-editors; anyone else gets 404, so ids do
not leak), and the saved filter's form: a /calls address or query string, checked and stored in
the catalogue's canonical form. Every POST carries a CSRF token and passes the origin check.
Must not: write SQL (db.repo), or decide what a filter matches (monitor.catalogue).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from db import repo
from db.engine import session_scope
from monitor.catalogue.query import CallQuery, QueryError
from monitor.people.invitations import invite
from monitor.render.i18n import offered_languages
from monitor.web import collection_items, curating
from monitor.web.account import AccountDep, editable, not_found
from monitor.web.collection_items import item_views
from monitor.web.deps import CatalogueDep, PagesDep, form_for
from monitor.web.pages import Pages
from monitor.web.security import Limit

CreateForm, EditForm = form_for("collection-create"), form_for("collection-edit")
FilterForm, InviteForm = form_for("collection-filter"), form_for("collection-invite")
UninviteForm = form_for("collection-uninvite")
# Each invitation mails a stranger: an editor inviting more than this an hour is a script.
INVITES = Limit("collection-invite", 20, timedelta(hours=1))
MAX_NAME, MAX_DESCRIPTION = 200, 4000
NOTICES = ("saved", "invited", "already", "added", "filter", "removed", "too-many")

router = APIRouter(include_in_schema=False)


@router.get("/collections", response_class=HTMLResponse)
def collections_page(request: Request, pages: PagesDep, account: AccountDep) -> HTMLResponse:
    return _list(request, pages, account)


def _list(request: Request, pages: Pages, account: Any, status: int = 200, **form: Any) -> HTMLResponse:
    with session_scope(pages.app.engine) as session:
        rows = repo.collections_of(session, subscriber_id=account.id)
        counts = repo.item_counts(session, collection_ids=[row.id for row in rows if row.id is not None])
        listed = [
            {"collection": row, "count": counts.get(row.id or 0, 0), "owned": row.owner_id == account.id}
            for row in rows
        ]
        return pages.page(
            request, "collections", status, account=account, rows=listed, languages=offered_languages(),
            form={"name": "", "description": "", "error": "", "language": pages.words(request).language}
            | form,
        )  # fmt: skip


@router.post("/collections", response_class=HTMLResponse)
def create_post(request: Request, pages: PagesDep, account: AccountDep, form: CreateForm) -> Response:
    if form.problem:
        return pages.blocked(request, form.problem)
    values, _ = _fields(form), pages.words(request)
    if not values["name"]:
        return _list(request, pages, account, 422, error=_("Give the collection a name."), **values)
    with session_scope(pages.app.engine) as session:
        row = repo.create_collection(session, owner_id=account.id, now=pages.app.clock(), **values)
        target = f"/collections/{row.id}"
    return RedirectResponse(target, status_code=303)


def _fields(form: Any) -> dict[str, str]:
    language = form.get("language")
    return {
        "name": " ".join(form.get("name").split())[:MAX_NAME],
        "description": form.get("description").strip()[:MAX_DESCRIPTION],
        "language": language if language in offered_languages() else "en",
    }


@router.get("/collections/{collection_id}", response_class=HTMLResponse)
def collection_page(
    collection_id: int, request: Request, pages: PagesDep, account: AccountDep, catalogue: CatalogueDep,
    done: str = "",
) -> HTMLResponse:  # fmt: skip
    notice = done if done in NOTICES else ""
    return show(request, pages, catalogue, collection_id, account, notice=notice)


def show(
    request: Request, pages: Pages, catalogue: Any, collection_id: int, account: Any, status: int = 200,
    **extra: Any,
) -> HTMLResponse:  # fmt: skip
    """The collection's page (404 for anyone who does not edit it)."""
    with session_scope(pages.app.engine) as session:
        collection = editable(session, collection_id, account)
        if collection is None:
            return not_found(request, pages)
        items = repo.collection_items(session, collection_id=collection_id)
        editors = [{"email": email, "accepted": row.accepted_at is not None}
                   for row, email in repo.editors_of(session, collection_id=collection_id)]  # fmt: skip
        owner = repo.subscriber(session, subscriber_id=collection.owner_id)
        return pages.page(
            request, "collection", status, account=account, collection=collection,
            owned=collection.owner_id == account.id,
            items=item_views(items, catalogue.get()), editors=editors,
            owner_email=owner.email if owner else "",
            languages=offered_languages(), **({"error": "", "notice": ""} | extra),
        )  # fmt: skip


@router.post("/collections/{collection_id}", response_class=HTMLResponse)
def edit_post(
    collection_id: int, request: Request, pages: PagesDep, account: AccountDep, catalogue: CatalogueDep,
    form: EditForm,
) -> Response:  # fmt: skip
    if form.problem:
        return pages.blocked(request, form.problem)
    values, _ = _fields(form), pages.words(request)
    with session_scope(pages.app.engine) as session:
        if editable(session, collection_id, account) is None:
            return not_found(request, pages)
        if not values["name"]:
            error = _("Give the collection a name.")
        else:
            repo.update_collection(session, collection_id=collection_id, now=pages.app.clock(), **values)
            return _done(collection_id, "saved")
    return show(request, pages, catalogue, collection_id, account, 422, error=error)


@router.post("/collections/{collection_id}/filter", response_class=HTMLResponse)
def filter_post(
    collection_id: int, request: Request, pages: PagesDep, account: AccountDep, catalogue: CatalogueDep,
    form: FilterForm,
) -> Response:  # fmt: skip
    if form.problem:
        return pages.blocked(request, form.problem)
    try:
        query = saved_filter(form.get("filter"), catalogue.get().sources)
    except QueryError as error:
        return show(request, pages, catalogue, collection_id, account, 422, error=str(error))
    with session_scope(pages.app.engine) as session:
        if editable(session, collection_id, account) is None:
            return not_found(request, pages)
        repo.update_collection(
            session, collection_id=collection_id, now=pages.app.clock(), filter_query=query
        )
    return _done(collection_id, "filter")


def saved_filter(text: str, sources: Any) -> str | None:
    """A browse address (`https://…/calls?country=PT`, `/calls?…`, `?…` or `country=PT`) as the
    catalogue's canonical query string; None when empty; QueryError when a filter is not valid."""
    text = text.strip()[:2000]
    if not text:
        return None
    query_string = urlsplit(text).query if "?" in text else text
    items = [(k, v) for k, v in parse_qsl(query_string) if k not in ("page", "lang")]
    return urlencode(CallQuery.from_params(items, sources=sources).params())


@router.post("/collections/{collection_id}/editors", response_class=HTMLResponse)
def invite_post(
    collection_id: int, request: Request, pages: PagesDep, account: AccountDep, catalogue: CatalogueDep,
    form: InviteForm,
) -> Response:  # fmt: skip
    if form.problem:
        return pages.blocked(request, form.problem)
    _ = pages.words(request)
    with session_scope(pages.app.engine) as session:
        collection = editable(session, collection_id, account)
        if collection is None:
            return not_found(request, pages)
        if pages.limiter.hit(session, INVITES, str(account.id), now=pages.app.clock()) is not None:
            return _done(collection_id, "too-many")
        try:
            added = invite(
                session, pages.mail, collection=collection, inviter=account,
                email=form.get("email")[:320], now=pages.app.clock(),
            )  # fmt: skip
        except ValueError as error:
            problem = _("not a usable e-mail address: %(reason)s", reason=str(error))
            return show(request, pages, catalogue, collection_id, account, 422, error=problem)
    response = _done(collection_id, "invited" if added else "already")
    response.background = BackgroundTask(pages.deliver)  # sent after the answer has gone
    return response


@router.post("/collections/{collection_id}/editors/remove", response_class=HTMLResponse)
def uninvite_post(
    collection_id: int, request: Request, pages: PagesDep, account: AccountDep, form: UninviteForm
) -> Response:
    """The owner takes a co-editor (or an invitation) off the collection."""
    if form.problem:
        return pages.blocked(request, form.problem)
    with session_scope(pages.app.engine) as session:
        collection = editable(session, collection_id, account)
        if collection is None or collection.owner_id != account.id:
            return not_found(request, pages)
        editor = repo.subscriber_by_email(session, email=form.get("email")[:320])
        if editor is not None and editor.id is not None:
            repo.remove_editor(session, collection_id=collection_id, subscriber_id=editor.id)
    return _done(collection_id, "removed")


def _done(collection_id: int, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/collections/{collection_id}?done={notice}", status_code=303)


router.include_router(collection_items.router)
router.include_router(curating.router)
