"""The owner's side of a collection's newsletter: /collections/{id}/members shows who subscribed,
the issues sent, what the next issue will carry, and which calls members are interested in (with
the names of those who chose to be visible); its "Send issue" button sends the next issue.

Owns who sees and sends (the signed-in owner and co-editors; anyone else gets 404) and the
double-press rule: the form carries the number of the issue it shows, and a press whose issue went
out meanwhile sends nothing. Must not: write SQL (db.repo) or decide what an issue carries
(monitor.plan.issues does).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from db import repo
from db.engine import session_scope
from monitor.plan.issues import send_issue
from monitor.web.account import AccountDep, editable, editing, not_found
from monitor.web.collection_chat import chat_section
from monitor.web.deps import PagesDep, form_for

SendForm = form_for("collection-issue")
NOTICES = ("sent", "nothing", "already")

router = APIRouter(include_in_schema=False)


@router.get("/collections/{collection_id}/members", response_class=HTMLResponse)
def members_page(
    collection_id: int,
    request: Request,
    pages: PagesDep,
    account: AccountDep,
    notice: str = "",
    count: int = 0,
) -> HTMLResponse:
    with session_scope(pages.app.engine) as session:
        collection = editable(session, collection_id, account)
        if collection is None:
            return not_found(request, pages)
        interest = repo.interest_by_call(session, collection_id=collection_id)
        items = repo.collection_items(session, collection_id=collection_id)
        titles = {item.call_id: _title(session, item.call_id) for item in items}
        titles |= {call_id: _title(session, call_id) for call_id in interest if call_id not in titles}
        interested = [
            {"title": titles[call_id], "call_id": call_id, "count": count_, "names": names}
            for call_id, (count_, names) in sorted(interest.items(), key=lambda pair: -pair[1][0])
        ]
        upcoming = [
            {"title": titles[item.call_id], "note": item.note}  # unsent items are among the items
            for item in repo.unsent_items(session, collection_id=collection_id)
        ]
        return pages.page(
            request, "collection_members", collection=collection, account=account,
            counts=repo.member_counts(session, collection_id=collection_id),
            issues=repo.issues_of(session, collection_id=collection_id), upcoming=upcoming,
            next_number=repo.next_issue_number(session, collection_id=collection_id), interested=interested,
            join_url=f"{pages.links.base_url}/c/{collection.public_key}/join",
            notice=notice if notice in NOTICES else "", count=count,
            **chat_section(pages, request, session, collection),
        )  # fmt: skip


@router.post("/collections/{collection_id}/issues", response_class=HTMLResponse)
def send_post(
    collection_id: int, request: Request, pages: PagesDep, account: AccountDep, form: SendForm
) -> Response:
    number = form.get("number")

    def work(session: Any, collection: Any) -> Response:
        outcome = send_issue(
            session, pages.mail, collection, by=account.id, now=pages.app.clock(),
            expected_number=int(number) if number.isdigit() else -1,
        )  # fmt: skip
        notice = "sent" if outcome.issue else "nothing" if outcome.reason == "nothing new" else "already"
        target = f"/collections/{collection_id}/members?notice={notice}&count={outcome.recipients}"
        response = RedirectResponse(target, status_code=303)
        if outcome.recipients:  # sent after the answer, so after the claims are committed
            response.background = BackgroundTask(pages.deliver)
        return response

    return editing(pages, request, account, collection_id, form, work)  # type: ignore[no-any-return]


def _title(session: object, call_id: int) -> str:
    call = repo.logical_call(session, call_id=call_id)  # type: ignore[arg-type]
    return call.title if call is not None else f"#{call_id}"
