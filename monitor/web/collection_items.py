"""A collection's items: adding a call (from the browse page or a call's page, with a note), and on
the collection's page editing a note, moving an item up or down, and removing it.

Owns the "Add to collection" form the public call pages show a signed-in editor (`collecting`,
read lazily by the templates, so a visitor without a session costs nothing), and the rule for
notes: plain text stored as typed (at most 1000 characters), escaped by every page that shows it.
The form is offered only when the browser holds its CSRF cookie (set when it signed in); without
it the call page only links to the collections. Must not: write SQL (db.repo).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from db import repo
from db.engine import session_scope
from monitor.people.signin import local_path
from monitor.web.account import AccountDep, current_account, editable, not_found
from monitor.web.deps import PagesDep, form_for

CollectForm, ItemForm = form_for("collect"), form_for("collection-item")
MAX_NOTE = 1000

router = APIRouter(include_in_schema=False)


class Collecting:
    """What the public call pages need for their "Add to collection" form, worked out on first use."""

    def __init__(self, request: Request) -> None:
        self.request = request

    @cached_property
    def account(self) -> Any:
        return current_account(self.request, self.request.app.state.app)

    @cached_property
    def collections(self) -> list[tuple[int, str]]:
        if self.account is None:
            return []
        with session_scope(self.request.app.state.app.engine) as session:
            rows = repo.collections_of(session, subscriber_id=self.account.id)
            return [(row.id, row.name) for row in rows if row.id is not None]

    @cached_property
    def token(self) -> str | None:
        guard = self.request.app.state.pages.guard
        cookie = guard.cookie_of(self.request)
        return guard.field(cookie, "collect") if cookie else None

    @property
    def back(self) -> str:
        url = self.request.url
        return local_path(url.path + (f"?{url.query}" if url.query else ""), "/calls")

    @property
    def added(self) -> bool:
        return self.request.query_params.get("added") == "1" and self.account is not None

    @property
    def ready(self) -> bool:
        return bool(self.collections and self.token)


def collecting(request: Request) -> Collecting:
    return Collecting(request)


def item_views(items: list[Any], snapshot: Any) -> list[dict[str, Any]]:
    """Each item with its call as the catalogue holds it now (None when no longer stored)."""
    views = []
    for index, item in enumerate(items):
        primary = snapshot.primary_id(item.call_id)
        call = snapshot.get(primary) if primary is not None else None
        views.append({"item": item, "call": call, "first": index == 0, "last": index == len(items) - 1})
    return views


def _call_id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


@router.post("/collect", response_class=HTMLResponse)
def add_post(request: Request, pages: PagesDep, account: AccountDep, form: CollectForm) -> Response:
    """Add a call (with an optional note) to one of the person's collections, then go back."""
    if form.problem:
        return pages.blocked(request, form.problem)
    collection_id, call_id = _call_id(form.get("collection")), _call_id(form.get("call"))
    snapshot = request.app.state.catalogue.get()
    primary = snapshot.primary_id(call_id) if call_id is not None else None
    with session_scope(pages.app.engine) as session:
        collection = editable(session, collection_id, account) if collection_id is not None else None
        if collection is None or primary is None:
            return not_found(request, pages)
        repo.add_to_collection(
            session, collection_id=collection_id, call_id=primary, by=account.id, now=pages.app.clock(),
            note=form.get("note").strip()[:MAX_NOTE],
        )  # fmt: skip
    back = local_path(form.get("back"), f"/collections/{collection_id}")
    return RedirectResponse(back + ("&" if "?" in back else "?") + "added=1", status_code=303)


@router.post("/collections/{collection_id}/items/{call_id}", response_class=HTMLResponse)
def item_post(
    collection_id: int, call_id: int, request: Request, pages: PagesDep, account: AccountDep, form: ItemForm
) -> Response:
    """One of the item forms: `action` is "note" (with `note`), "up", "down" or "remove"."""
    if form.problem:
        return pages.blocked(request, form.problem)
    action, now = form.get("action"), pages.app.clock()
    with session_scope(pages.app.engine) as session:
        if editable(session, collection_id, account) is None:
            return not_found(request, pages)
        items = repo.collection_items(session, collection_id=collection_id)
        place = next((i for i, item in enumerate(items, start=1) if item.call_id == call_id), None)
        if place is None:
            return not_found(request, pages)
        if action == "note":
            note = form.get("note").strip()[:MAX_NOTE]
            repo.set_item_note(session, collection_id=collection_id, call_id=call_id, note=note, now=now)
        elif action in ("up", "down"):
            to = place - 1 if action == "up" else place + 1
            repo.move_item(session, collection_id=collection_id, call_id=call_id, to_position=to, now=now)
        elif action == "remove":
            repo.dismiss_from_collection(
                session, collection_id=collection_id, call_id=call_id, by=account.id, now=now
            )
    return RedirectResponse(f"/collections/{collection_id}?done=saved#items", status_code=303)
