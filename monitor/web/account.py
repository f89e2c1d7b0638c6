"""Who is signed in: the session and browser cookies, and the route dependencies that read them.

Owns the cookies `callwatch_session` (a signed-in browser: HttpOnly, SameSite=Lax, Secure on an
https site, 30 days) and `callwatch_browser` (a random value set when the sign-in form is posted,
to which the e-mailed link is bound), `current_account`, and `AccountDep` / `OptionalAccountDep`;
and who may see a collection's pages (`editable`: its owner and co-editors; others get 404;
`editing` runs an editor's POST behind that check and the form's CSRF check).
A route that needs an account sends a visitor who has none to /sign-in with 303, carrying the
page they wanted as `next` (a POST's page is not worth coming back to: they land on their
collections). Must not: decide what a session is worth (`monitor.people.signin` does).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from db import repo
from db.engine import session_scope
from db.models import Collection, Subscriber
from monitor.app import App
from monitor.people.signin import SESSION_LIFETIME, account_for, local_path, new_secret, well_formed
from monitor.web.deps import AppDep
from monitor.web.security import COOKIE as CSRF_COOKIE

SESSION_COOKIE = "callwatch_session"
BROWSER_COOKIE = "callwatch_browser"
BROWSER_AGE = 24 * 3600  # longer than a link lives; a day later, asking again sets a new one


def current_account(request: Request, app: App) -> Subscriber | None:
    """The signed-in subscriber (detached from its session), or None; read once per request."""
    if hasattr(request.state, "account"):
        return request.state.account  # type: ignore[no-any-return]
    with session_scope(app.engine) as session:
        account = account_for(session, key=request.cookies.get(SESSION_COOKIE), now=app.clock())
        if account is not None:
            session.expunge(account)
    request.state.account = account
    return account


def _optional(request: Request, app: AppDep) -> Subscriber | None:
    return current_account(request, app)


def _required(request: Request, app: AppDep) -> Subscriber:
    account = current_account(request, app)
    if account is None:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = local_path(wanted) if request.method == "GET" else "/collections"
        raise HTTPException(303, headers={"Location": "/sign-in?" + urlencode({"next": target})})
    return account


AccountDep = Annotated[Subscriber, Depends(_required)]
OptionalAccountDep = Annotated[Subscriber | None, Depends(_optional)]


def secure_cookies(app: App) -> bool:
    return app.settings.base_url.startswith("https://")


def browser_of(request: Request) -> str | None:
    value = request.cookies.get(BROWSER_COOKIE)
    return value if well_formed(value) else None


def browser_for(request: Request) -> tuple[str, bool]:
    """This browser's sign-in cookie value, and whether it is new (then `remember_browser` it)."""
    value = browser_of(request)
    return (value, False) if value is not None else (new_secret(), True)


def remember_browser(response: Response, value: str, app: App) -> None:
    response.set_cookie(
        BROWSER_COOKIE, value, max_age=BROWSER_AGE, path="/", httponly=True, samesite="lax",
        secure=secure_cookies(app),
    )  # fmt: skip


def open_session(response: Response, key: str, app: App, csrf_cookie: str | None = None) -> None:
    """Set the session cookie; and the browser's CSRF cookie (`csrf_cookie`, which the sign-in form
    just proved) for as long, so the call pages' "Add to collection" forms work after a restart."""
    age = int(SESSION_LIFETIME.total_seconds())
    secure = secure_cookies(app)
    response.set_cookie(
        SESSION_COOKIE, key, max_age=age, path="/", httponly=True, samesite="lax", secure=secure
    )
    if csrf_cookie:
        response.set_cookie(CSRF_COOKIE, csrf_cookie, max_age=age, path="/", httponly=True, samesite="lax",
                            secure=secure)  # fmt: skip


def close_session(response: Response, app: App) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure_cookies(app)
    )


def editable(session: Any, collection_id: int, account: Subscriber) -> Collection | None:
    """The collection when `account` owns or co-edits it, else None: the routes answer 404 either
    way, so nobody learns which collection ids exist."""
    assert account.id is not None
    if not repo.may_edit_collection(session, collection_id=collection_id, subscriber_id=account.id):
        return None
    return repo.get_collection(session, collection_id=collection_id)


def not_found(request: Request, pages: Any) -> HTMLResponse:
    _ = pages.words(request)
    message = _("There is no collection at this address that you can edit.")
    return pages.page(request, "error", 404, title=_("Collection not found"), message=message)


def editing(
    pages: Any, request: Request, account: Subscriber, collection_id: int, form: Any, work: Any
) -> Any:
    """An editor's POST: refused when its form failed the CSRF check, 404 when `account` may not edit
    the collection, else `work(session, collection)`'s answer (the session commits after it)."""
    if form.problem:
        return pages.blocked(request, form.problem)
    with session_scope(pages.app.engine) as session:
        collection = editable(session, collection_id, account)
        if collection is None:
            return not_found(request, pages)
        return work(session, collection)
