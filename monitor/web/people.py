"""Pages behind the signed links in e-mails: confirm, unsubscribe (RFC 8058 one-click), manage,
track a call, mark a call not relevant.

Owns the rule that a GET never changes anything (mail scanners and link
prefetchers follow every link): each GET shows a page with a button, and
the POST does the work. The one-click unsubscribe POST (`List-Unsubscribe=One-Click`,
form-encoded or multipart, no cookies) answers 200 with a page, never a
redirect. A forged, tampered, revoked or wrong-purpose token gets a 4xx page
and changes nothing; an authentic but expired confirmation link says so and
offers a new one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.notify import Notifier
from monitor.subscriptions import confirm, resend_confirmation, subscriber_for, unsubscribe
from monitor.tokens import Purpose, TokenError


def people_routes(app: App, templates: Environment, *, deliver: Callable[[], Any]) -> APIRouter:
    """Routes for signed links; `deliver()` sends what was queued (a confirmation asked for again)."""
    router = APIRouter(include_in_schema=False)
    notifier = Notifier(app)

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(f"web/{name}.html").render(**context), status_code=status)

    def refused(error: TokenError) -> HTMLResponse:
        status = 410 if error.expired else 400
        return page(
            "link", status, title="This link cannot be used", message=str(error), expired=error.expired
        )

    def acting(purpose: Purpose, token: str, work: Callable[[Any, Any, dict[str, Any]], Any]) -> Any:
        """Run `work(session, subscriber, payload)` for an authentic token, else the refusal page."""
        with session_scope(app.engine) as session:
            try:
                subscriber, payload = subscriber_for(session, notifier, purpose, token)
            except TokenError as error:
                return refused(error)
            return work(session, subscriber, payload)

    @router.get("/confirm/{token}", response_class=HTMLResponse)
    def confirm_page(token: str) -> HTMLResponse:
        with session_scope(app.engine) as session:
            try:
                subscriber, _ = subscriber_for(session, notifier, Purpose.CONFIRM, token)
            except TokenError as error:
                if error.expired and error.payload:
                    return page(
                        "link",
                        410,
                        title="This confirmation link has expired",
                        message=str(error),
                        expired=True,
                        resend_url=f"/confirm/{token}/resend",
                    )
                return refused(error)
            email, status = subscriber.email, subscriber.status
        return page("confirm", email=email, already=status == "confirmed", action=f"/confirm/{token}")

    @router.post("/confirm/{token}", response_class=HTMLResponse)
    def confirm_post(token: str) -> HTMLResponse:
        def work(session: Any, subscriber: Any, _: dict[str, Any]) -> HTMLResponse:
            confirm(session, subscriber, now=app.clock(), origin="web")
            return page(
                "done",
                title="Subscription confirmed",
                message=f"{subscriber.email} will receive Callwatch e-mails. Welcome!",
                link=notifier.links.manage(subscriber),
                link_text="Review your profile",
            )

        return acting(Purpose.CONFIRM, token, work)  # type: ignore[no-any-return]

    @router.post("/confirm/{token}/resend", response_class=HTMLResponse)
    def confirm_resend(token: str) -> HTMLResponse:
        # Only an authentic token (expired or not) may ask for a new link, for its own address.
        try:
            payload = notifier.signer.read(Purpose.CONFIRM, token)
        except TokenError as error:
            if not (error.expired and error.payload):
                return refused(error)
            payload = error.payload
        with session_scope(app.engine) as session:
            subscriber = repo.subscriber(session, subscriber_id=int(payload.get("s", 0)))
            if subscriber is None or int(payload.get("v", -1)) != subscriber.token_version:
                return refused(TokenError("this link is no longer valid"))
            queued = resend_confirmation(session, notifier, subscriber, now=app.clock())
        if queued:
            deliver()
        return page(
            "done",
            title="Check your inbox",
            message="If this address still needs confirming, a new link is on its way.",
        )

    @router.get("/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_page(token: str) -> HTMLResponse:
        return acting(  # type: ignore[no-any-return]
            Purpose.UNSUBSCRIBE,
            token,
            lambda _, subscriber, __: page(
                "unsubscribe",
                email=subscriber.email,
                already=subscriber.status == "unsubscribed",
                action=f"/unsubscribe/{token}",
            ),
        )

    @router.post("/unsubscribe/{token}", response_class=HTMLResponse)
    def unsubscribe_post(token: str) -> HTMLResponse:
        # RFC 8058: the POST carries only List-Unsubscribe=One-Click; the token is the authority.
        def work(session: Any, subscriber: Any, _: dict[str, Any]) -> HTMLResponse:
            unsubscribe(session, subscriber, now=app.clock(), origin="one-click")
            message = f"{subscriber.email} will receive no more e-mails from Callwatch."
            return page("done", title="Unsubscribed", message=message)

        return acting(Purpose.UNSUBSCRIBE, token, work)  # type: ignore[no-any-return]

    @router.get("/manage/{token}", response_class=HTMLResponse)
    def manage_page(token: str) -> HTMLResponse:
        def work(session: Any, subscriber: Any, _: dict[str, Any]) -> HTMLResponse:
            profiles = repo.profiles_of(session, subscriber_ids=[subscriber.id]).get(subscriber.id, [])
            tracked = repo.tracked_calls(session, subscriber_ids=[subscriber.id]).get(subscriber.id, {})
            calls = repo.logical_calls(session, primary_ids=list(tracked))
            return page(
                "manage",
                subscriber=subscriber,
                profiles=profiles,
                tracked=calls,
                unsubscribe_url=notifier.links.unsubscribe(subscriber),
                export_url=f"/manage/{token}/export",
            )

        return acting(Purpose.MANAGE, token, work)  # type: ignore[no-any-return]

    @router.get("/manage/{token}/export")
    def export(token: str) -> Any:
        def work(session: Any, subscriber: Any, _: dict[str, Any]) -> JSONResponse:
            data = repo.export_subscriber(session, subscriber_id=subscriber.id)
            disposition = 'attachment; filename="callwatch-data.json"'
            return JSONResponse(data, headers={"Content-Disposition": disposition})

        return acting(Purpose.MANAGE, token, work)

    @router.post("/manage/{token}/delete", response_class=HTMLResponse)
    def erase(token: str) -> HTMLResponse:
        def work(session: Any, subscriber: Any, _: dict[str, Any]) -> HTMLResponse:
            repo.delete_subscriber(session, subscriber_id=subscriber.id)
            return page(
                "done", title="Your data is erased", message="Callwatch keeps nothing about you any more."
            )

        return acting(Purpose.MANAGE, token, work)  # type: ignore[no-any-return]

    for purpose, verb in ((Purpose.TRACK, "track"), (Purpose.DISMISS, "dismiss")):
        _call_action(router, app, notifier, page, refused, purpose, verb)
    return router


def _call_action(
    router: APIRouter,
    app: App,
    notifier: Notifier,
    page: Callable[..., HTMLResponse],
    refused: Callable[[TokenError], HTMLResponse],
    purpose: Purpose,
    verb: str,
) -> None:
    """GET /track/{token} or /dismiss/{token} shows the call and a button; POST does it."""
    wording = {
        "track": ("Track this call?", "You will get deadline reminders and change alerts.", "Tracked"),
        "dismiss": ("Not relevant?", "This call will not be shown again for this profile.", "Hidden"),
    }[verb]

    def load(session: Any, token: str) -> tuple[Any, dict[str, Any], Any]:
        subscriber, payload = subscriber_for(session, notifier, purpose, token)
        call = repo.logical_call(session, call_id=int(payload.get("c", 0)))
        if call is None:
            raise TokenError("this call is no longer stored")
        return subscriber, payload, call

    @router.get(f"/{verb}/{{token}}", response_class=HTMLResponse)
    def show(token: str) -> HTMLResponse:
        with session_scope(app.engine) as session:
            try:
                _, _, call = load(session, token)
            except TokenError as error:
                return refused(error)
            return page(
                "call_action", title=wording[0], message=wording[1], call=call, action=f"/{verb}/{token}"
            )

    @router.post(f"/{verb}/{{token}}", response_class=HTMLResponse)
    def act(token: str, request: Request) -> HTMLResponse:
        with session_scope(app.engine) as session:
            try:
                subscriber, payload, call = load(session, token)
            except TokenError as error:
                return refused(error)
            if verb == "track":
                repo.track_call(session, subscriber_id=subscriber.id, call_id=call.id, now=app.clock())
            else:
                profile = repo.profile(session, profile_id=int(payload.get("p", 0)))
                if profile is None or profile.subscriber_id != subscriber.id:
                    return refused(TokenError("this profile no longer exists"))
                repo.dismiss_call(session, profile_id=profile.id, call_id=call.id, now=app.clock())  # type: ignore[arg-type]
            title = call.title
        return page("done", title=wording[2], message=title)
