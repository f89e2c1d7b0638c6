"""A collection's chat channels, on its members page: add one (issues are copied to it), send it a
test, remove it, re-activate a suspended one (routes under `/collections/{id}/chat`).

Owns those edits for the collection's owner and co-editors (anyone else gets 404). The rules are
the manage page's (`monitor.web.chat_targets`): a URL is checked and SSRF-guarded before it is
sealed and stored, never shown again (pages show it masked, a refused one is not echoed back),
and every form is a POST with a CSRF token that answers 303 back to the members page.
Must not: send (the queue does), or touch another collection's or a subscriber's targets.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from db import repo
from db.models import ChatKind, ChatStatus
from monitor.render.i18n import N_
from monitor.web.account import AccountDep, editing
from monitor.web.chat_targets import claim_test, section, store_target
from monitor.web.deps import PagesDep, form_for
from monitor.web.pages import Pages

AddChatForm, ChatTestForm = form_for("chat-add"), form_for("chat-test")
RemoveChatForm, ActivateChatForm = form_for("chat-remove"), form_for("chat-activate")
KINDS = ((ChatKind.ISSUE, N_("Issues of this collection")),)

router = APIRouter(include_in_schema=False)


def chat_section(pages: Pages, request: Request, session: Any, collection: Any) -> dict[str, Any]:
    """The members page's context for the "Chat channels" section (targets masked)."""
    rows = repo.chat_targets_of(session, collection_id=collection.id)
    said = request.query_params.get("chat", "")
    return section(pages.words(request), said, rows, KINDS) | {"base": f"/collections/{collection.id}"}


def _back(collection_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(f"/collections/{collection_id}/members?chat={what}#chat", status_code=303)


def _target(session: Any, collection: Any, target_id: int) -> Any:
    row = repo.get_chat_target(session, target_id=target_id)
    return row if row is not None and row.collection_id == collection.id else None


@router.post("/collections/{collection_id}/chat", response_class=HTMLResponse)
def add_target(
    collection_id: int, request: Request, pages: PagesDep, account: AccountDep, form: AddChatForm
) -> Response:
    def work(session: Any, collection: Any) -> Response:
        url, kinds = str(form.get("url")), [ChatKind.ISSUE]
        what = store_target(session, pages, url, kinds=kinds, subscriber_id=None, collection_id=collection_id)
        return _back(collection_id, what)

    return editing(pages, request, account, collection_id, form, work)


@router.post("/collections/{collection_id}/chat/{target_id}/test", response_class=HTMLResponse)
def test_target(
    collection_id: int,
    target_id: int,
    request: Request,
    pages: PagesDep,
    account: AccountDep,
    form: ChatTestForm,
) -> Response:
    claimed: list[int] = []

    def work(session: Any, collection: Any) -> Response:
        row = _target(session, collection, target_id)
        if row is None or row.status != ChatStatus.ACTIVE:
            return _back(collection_id, "removed" if row is None else "")
        link = f"{pages.links.base_url}/c/{collection.public_key}"
        claimed.append(claim_test(session, pages, row, pages.words(request), link=link, subscriber_id=None))
        return _back(collection_id, "test")

    answer = editing(pages, request, account, collection_id, form, work)
    if any(claimed):
        pages.deliver()  # after the claim is committed
    return answer


@router.post("/collections/{collection_id}/chat/{target_id}/delete", response_class=HTMLResponse)
def remove_target(
    collection_id: int,
    target_id: int,
    request: Request,
    pages: PagesDep,
    account: AccountDep,
    form: RemoveChatForm,
) -> Response:
    def work(session: Any, collection: Any) -> Response:
        if _target(session, collection, target_id) is not None:
            repo.remove_chat_target(session, target_id=target_id, now=pages.app.clock())
        return _back(collection_id, "removed")

    return editing(pages, request, account, collection_id, form, work)


@router.post("/collections/{collection_id}/chat/{target_id}/activate", response_class=HTMLResponse)
def activate_target(
    collection_id: int, target_id: int, request: Request, pages: PagesDep, account: AccountDep,
    form: ActivateChatForm,
) -> Response:  # fmt: skip
    def work(session: Any, collection: Any) -> Response:
        if _target(session, collection, target_id) is not None:
            repo.reactivate_chat_target(session, target_id=target_id)
        return _back(collection_id, "activated")

    return editing(pages, request, account, collection_id, form, work)
