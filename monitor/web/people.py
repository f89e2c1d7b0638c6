"""Pages for people: the sign-up form (monitor.web.signup), the manage page (monitor.web.manage),
and the pages behind the signed links in e-mails: confirm, unsubscribe (RFC 8058 one-click),
track a call, mark a call not relevant.

Owns the rule that a GET never changes anything (mail scanners and link
prefetchers follow every link): each GET shows a page with a button, and
the POST does the work. Every such POST carries a CSRF token
(monitor.web.security) except the one-click unsubscribe POST
(`List-Unsubscribe=One-Click`, form-encoded or multipart, no cookies), which
answers 200 with a page, never a redirect. A forged, tampered, revoked or
wrong-purpose link gets a 4xx page and changes nothing, whatever the form
carried; an authentic but expired confirmation link says so and offers a
new one.

`Pages` is what every people route shares: rendering with form tokens and
private-page headers, the link check, the refusal pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.people.subscriptions import confirm, resend_confirmation, subscriber_for, unsubscribe
from monitor.plan.claim import mail_context
from monitor.tokens import Purpose, TokenError
from monitor.web.forms import choices
from monitor.web.manage import manage_routes
from monitor.web.security import CheckedForm, CsrfGuard, RateLimiter
from monitor.web.signup import signup_routes

# Pages behind a secret link must not be cached, framed, or leak the link in a Referer.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


class Pages:
    """Shared by the people routes: templates, the mail context, CSRF guard and rate limiter."""

    def __init__(self, app: App, templates: Environment, deliver: Callable[[], Any]) -> None:
        self.app, self.templates, self.deliver = app, templates, deliver
        self.mail = mail_context(app)
        settings = app.settings
        self.guard = CsrfGuard(settings.secret(), tuple(settings.old_secrets()), settings.base_url)
        self.limiter = RateLimiter(settings.secret())
        self.choices = choices()

    def page(
        self,
        request: Request,
        name: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """Render templates/web/<name>.html; its forms get `csrf(purpose)` for their hidden field."""
        cookie = self.guard.cookie_of(request)
        fresh = cookie is None
        cookie = cookie or self.guard.new_cookie()
        used = []

        def csrf(purpose: str) -> str:
            used.append(purpose)
            return self.guard.field(cookie, purpose)

        html = self.templates.get_template(f"web/{name}.html").render(csrf=csrf, **context)
        response = HTMLResponse(html, status_code=status, headers=PRIVATE_HEADERS | (headers or {}))
        if fresh and used:
            self.guard.set_cookie(response, cookie)
        return response

    def refused(self, request: Request, error: TokenError) -> HTMLResponse:
        status = 410 if error.expired else 400
        return self.page(
            request,
            "link",
            status,
            title="This link cannot be used",
            message=str(error),
            expired=error.expired,
        )

    def blocked(self, request: Request, problem: str) -> HTMLResponse:
        """A form that failed the CSRF check: 403, nothing changed."""
        return self.page(request, "blocked", 403, title="This form could not be accepted", problem=problem)

    def acting(
        self,
        request: Request,
        purpose: Purpose,
        token: str,
        work: Callable[[Any, Any, dict[str, Any]], Response],
        form: CheckedForm | None = None,
    ) -> Response:
        """Run `work(session, subscriber, payload)` for an authentic link and, when a form is
        given, a form that passed the CSRF check; else the refusal page. The link is checked
        first: a broken link says so whatever the form carried."""
        with session_scope(self.app.engine) as session:
            try:
                subscriber, payload = subscriber_for(session, self.app.signer, purpose, token)
            except TokenError as error:
                return self.refused(request, error)
            if form is not None and form.problem:
                return self.blocked(request, form.problem)
            return work(session, subscriber, payload)


def people_routes(app: App, templates: Environment, *, deliver: Callable[[], Any]) -> APIRouter:
    """Every people page; `deliver()` sends what was queued (confirmations, manage links) right away."""
    pages = Pages(app, templates, deliver)
    router = APIRouter(include_in_schema=False)
    _confirm_routes(router, pages)
    _unsubscribe_routes(router, pages)
    for purpose, verb in ((Purpose.TRACK, "track"), (Purpose.DISMISS, "dismiss")):
        _call_action(router, pages, purpose, verb)
    router.include_router(signup_routes(pages))
    router.include_router(manage_routes(pages))
    return router


def _confirm_routes(router: APIRouter, pages: Pages) -> None:
    app = pages.app

    def wanted_call(session: Any, payload: dict[str, Any]) -> Any:
        """The call a sign-up asked to track (carried in the confirmation link), if still stored."""
        return repo.logical_call(session, call_id=int(payload["c"])) if payload.get("c") else None

    @router.get("/confirm/{token}", response_class=HTMLResponse)
    def confirm_page(token: str, request: Request) -> HTMLResponse:
        with session_scope(app.engine) as session:
            try:
                subscriber, payload = subscriber_for(session, app.signer, Purpose.CONFIRM, token)
            except TokenError as error:
                if error.expired and error.payload:
                    return pages.page(
                        request,
                        "link",
                        410,
                        title="This confirmation link has expired",
                        message=str(error),
                        expired=True,
                        resend_url=f"/confirm/{token}/resend",
                    )
                return pages.refused(request, error)
            call = wanted_call(session, payload)
            return pages.page(
                request,
                "confirm",
                email=subscriber.email,
                already=subscriber.status == "confirmed",
                action=f"/confirm/{token}",
                track_title=call.title if call is not None else None,
            )

    @router.post("/confirm/{token}", response_class=HTMLResponse)
    def confirm_post(
        token: str, request: Request, form: CheckedForm = Depends(pages.guard.form("confirm"))
    ) -> Response:
        def work(session: Any, subscriber: Any, payload: dict[str, Any]) -> Response:
            confirm(session, subscriber, now=app.clock(), origin="web")
            call = wanted_call(session, payload)
            if call is not None:
                repo.track_call(session, subscriber_id=subscriber.id, call_id=call.id, now=app.clock())
            tracking = f" You now track “{call.title}”." if call is not None else ""
            return pages.page(
                request,
                "done",
                title="Subscription confirmed",
                message=f"{subscriber.email} will receive Callwatch e-mails. Welcome!{tracking}",
                link=app.links.manage(subscriber),
                link_text="Review your profile and preferences",
            )

        return pages.acting(request, Purpose.CONFIRM, token, work, form)

    @router.post("/confirm/{token}/resend", response_class=HTMLResponse)
    def confirm_resend(
        token: str, request: Request, form: CheckedForm = Depends(pages.guard.form("resend"))
    ) -> HTMLResponse:
        # Only an authentic token (expired or not) may ask for a new link, for its own address.
        try:
            payload = app.signer.read(Purpose.CONFIRM, token)
        except TokenError as error:
            if not (error.expired and error.payload):
                return pages.refused(request, error)
            payload = error.payload
        if form.problem:
            return pages.blocked(request, form.problem)
        with session_scope(app.engine) as session:
            subscriber = repo.subscriber(session, subscriber_id=int(payload.get("s", 0)))
            if subscriber is None or int(payload.get("v", -1)) != subscriber.token_version:
                return pages.refused(request, TokenError("this link is no longer valid"))
            queued = resend_confirmation(session, pages.mail, subscriber, now=app.clock())
        if queued:
            pages.deliver()
        return pages.page(
            request,
            "done",
            title="Check your inbox",
            message="If this address still needs confirming, a new link is on its way.",
        )


def _unsubscribe_routes(router: APIRouter, pages: Pages) -> None:
    app = pages.app

    @router.get("/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_page(token: str, request: Request) -> Response:
        return pages.acting(
            request,
            Purpose.UNSUBSCRIBE,
            token,
            lambda _, subscriber, __: pages.page(
                request,
                "unsubscribe",
                email=subscriber.email,
                already=subscriber.status == "unsubscribed",
                action=f"/unsubscribe/{token}",
                manage_url=pages.app.links.manage(subscriber),
            ),
        )

    @router.post("/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_post(token: str, request: Request) -> Response:
        # RFC 8058: the POST carries only List-Unsubscribe=One-Click and no cookies, so no CSRF
        # token: the signed, purpose-bound link is the authority (the page's button posts here too).
        def work(session: Any, subscriber: Any, _: dict[str, Any]) -> Response:
            unsubscribe(session, subscriber, now=app.clock(), origin="one-click")
            message = f"{subscriber.email} will receive no more e-mails from Callwatch."
            return pages.page(request, "done", title="Unsubscribed", message=message, resubscribe=True)

        return pages.acting(request, Purpose.UNSUBSCRIBE, token, work)


def _call_action(router: APIRouter, pages: Pages, purpose: Purpose, verb: str) -> None:
    """GET /track/{token} or /dismiss/{token} shows the call and a button; POST does it."""
    app = pages.app
    wording = {
        "track": ("Track this call?", "You will get deadline reminders and change alerts.", "Tracked"),
        "dismiss": ("Not relevant?", "This call will not be shown again for this profile.", "Hidden"),
    }[verb]

    def load(session: Any, token: str) -> tuple[Any, dict[str, Any], Any]:
        subscriber, payload = subscriber_for(session, app.signer, purpose, token)
        call = repo.logical_call(session, call_id=int(payload.get("c", 0)))
        if call is None:
            raise TokenError("this call is no longer stored")
        return subscriber, payload, call

    @router.get(f"/{verb}/{{token}}", response_class=HTMLResponse)
    def show(token: str, request: Request) -> HTMLResponse:
        with session_scope(app.engine) as session:
            try:
                _, _, call = load(session, token)
            except TokenError as error:
                return pages.refused(request, error)
            return pages.page(
                request,
                "call_action",
                title=wording[0],
                message=wording[1],
                call=call,
                action=f"/{verb}/{token}",
                purpose=verb,
            )

    @router.post(f"/{verb}/{{token}}", response_class=HTMLResponse)
    def act(
        token: str, request: Request, form: CheckedForm = Depends(pages.guard.form(verb))
    ) -> HTMLResponse:
        with session_scope(app.engine) as session:
            try:
                subscriber, payload, call = load(session, token)
            except TokenError as error:
                return pages.refused(request, error)
            if form.problem:
                return pages.blocked(request, form.problem)
            if verb == "track":
                repo.track_call(session, subscriber_id=subscriber.id, call_id=call.id, now=app.clock())
            else:
                profile = repo.profile(session, profile_id=int(payload.get("p", 0)))
                if profile is None or profile.subscriber_id != subscriber.id:
                    return pages.refused(request, TokenError("this profile no longer exists"))
                repo.dismiss_call(session, profile_id=profile.id, call_id=call.id, now=app.clock())  # type: ignore[arg-type]
            title = call.title
            manage = app.links.manage(subscriber)
        return pages.page(
            request, "done", title=wording[2], message=title, link=manage, link_text="Your subscription page"
        )
