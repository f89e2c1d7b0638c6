"""Signing in by e-mailed link: GET/POST /sign-in, GET/POST /sign-in/{nonce}, POST /sign-out.

Owns what the pages reveal: nothing about the address. A known, new, unsubscribed or
over-its-limit address gets the very same "Check your inbox" page, and the e-mail queued is sent
after the answer has gone. Only a client over its own limit is told so (429, Retry-After).
A GET of a link changes nothing (mail scanners follow links): it shows a "Sign in" button, and
the POST uses the link. A link opened in a browser other than the one that asked is refused
with a page that says so and offers to mail a new link to the same address for this browser.
Every POST carries a CSRF token and passes the origin check (monitor.web.security).
Must not: decide what a link or a session is (monitor.people.signin does).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from db.engine import session_scope
from monitor.people.addresses import usable_address
from monitor.people.signin import (
    LINK_LIFETIME,
    SignInError,
    check_link,
    link_owner,
    local_path,
    sign_in,
    sign_out,
)
from monitor.people.signin import send_sign_in_link as send_link
from monitor.web.account import (
    SESSION_COOKIE,
    OptionalAccountDep,
    browser_for,
    browser_of,
    close_session,
    open_session,
    remember_browser,
)
from monitor.web.deps import PagesDep, form_for
from monitor.web.pages import Pages
from monitor.web.security import Limit

SignInForm, LinkForm, AgainForm, SignOutForm = (
    form_for("sign-in"), form_for("sign-in-link"), form_for("sign-in-again"), form_for("sign-out"),
)  # fmt: skip
# A person retyping an address needs a few tries; a script mailing strangers needs many.
PER_CLIENT = Limit("sign-in-client", 10, timedelta(hours=1))
PER_ADDRESS = Limit("sign-in-address", 5, timedelta(hours=1))

router = APIRouter(include_in_schema=False)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(
    request: Request, pages: PagesDep, account: OptionalAccountDep, next: str = "", signed_out: str = ""
) -> HTMLResponse:
    return pages.page(
        request,
        "sign_in",
        account=account,
        next=local_path(next),
        email="",
        error="",
        signed_out=bool(signed_out),
    )


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in_post(request: Request, pages: PagesDep, form: SignInForm) -> Response:
    if form.problem:
        return pages.blocked(request, form.problem)
    next_path, typed = local_path(form.get("next")), form.get("email")[:320]
    try:
        address = usable_address(typed)
    except ValueError as error:
        _ = pages.words(request)
        problem = _("not a usable e-mail address: %(reason)s", reason=str(error))
        return pages.page(
            request,
            "sign_in",
            422,
            account=None,
            next=next_path,
            email=typed,
            error=problem,
            signed_out=False,
        )
    return _send(request, pages, address, next_path)


def _send(request: Request, pages: Pages, address: str, next_path: str) -> Response:
    """Count the attempt, mail a link bound to this browser, answer the same page whatever happened."""
    if (too_many := pages.over_client_limit(request, PER_CLIENT, page="sign_in_many")) is not None:
        return too_many
    app = pages.app
    now = app.clock()
    browser, fresh = browser_for(request)
    with session_scope(app.engine) as session:
        if pages.limiter.hit(session, PER_ADDRESS, address.lower(), now=now) is None:
            language = pages.words(request).language
            send_link(session, pages.mail, email=address, browser=browser, next_path=next_path, now=now,
                      language=language)  # fmt: skip
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    response = pages.page(request, "sign_in_sent", email=address, minutes=minutes, limit=PER_ADDRESS.count)
    if fresh:
        remember_browser(response, browser, app)
    response.background = BackgroundTask(pages.deliver)
    return response


def _refused(request: Request, pages: Pages, nonce: str, error: SignInError) -> HTMLResponse:
    _ = pages.words(request)
    status = 403 if error.other_browser else 400
    return pages.page(
        request, "sign_in_link", status, message=_(str(error)), other_browser=error.other_browser,
        again=f"/sign-in/{nonce}/again",
    )  # fmt: skip


@router.get("/sign-in/{nonce}", response_class=HTMLResponse)
def link_page(nonce: str, request: Request, pages: PagesDep) -> HTMLResponse:
    with session_scope(pages.app.engine) as session:
        try:
            check_link(session, nonce=nonce, browser=browser_of(request), now=pages.app.clock())
        except SignInError as error:
            return _refused(request, pages, nonce, error)
    return pages.page(request, "sign_in_link", action=f"/sign-in/{nonce}", message="", other_browser=False)


@router.post("/sign-in/{nonce}", response_class=HTMLResponse)
def link_post(nonce: str, request: Request, pages: PagesDep, form: LinkForm) -> Response:
    app, browser = pages.app, browser_of(request)
    with session_scope(app.engine) as session:
        try:  # the link first: a broken link says so whatever the form carried
            check_link(session, nonce=nonce, browser=browser, now=app.clock())
            if form.problem:
                return pages.blocked(request, form.problem)
            done = sign_in(session, nonce=nonce, browser=browser, now=app.clock())
        except SignInError as error:
            return _refused(request, pages, nonce, error)
    response = RedirectResponse(done.next_path, status_code=303)
    open_session(response, done.session_key, app, pages.guard.cookie_of(request))
    return response


@router.post("/sign-in/{nonce}/again", response_class=HTMLResponse)
def link_again(nonce: str, request: Request, pages: PagesDep, form: AgainForm) -> Response:
    """A link opened in another browser: a new one for this browser, to the same address."""
    if form.problem:
        return pages.blocked(request, form.problem)
    with session_scope(pages.app.engine) as session:
        found = link_owner(session, nonce=nonce, now=pages.app.clock())
        address, next_path = (found[0].email, found[1]) if found is not None else (None, "")
    if address is None:
        error = SignInError("this sign-in link is not known (it may have been cut when it was copied)")
        return _refused(request, pages, nonce, error)
    return _send(request, pages, address, next_path)


@router.post("/sign-out", response_class=HTMLResponse)
def sign_out_post(request: Request, pages: PagesDep, form: SignOutForm) -> Response:
    if form.problem:
        return pages.blocked(request, form.problem)
    with session_scope(pages.app.engine) as session:
        sign_out(session, key=request.cookies.get(SESSION_COOKIE), now=pages.app.clock())
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    close_session(response, pages.app)
    return response
