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
new one. Must not render pages itself: `monitor.web.pages.Pages` does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from db import repo
from db.engine import session_scope
from monitor.people.subscriptions import confirm, resend_confirmation, subscriber_for, unsubscribe
from monitor.render.i18n import N_
from monitor.tokens import Purpose, TokenError
from monitor.web import manage, signup
from monitor.web.deps import PagesDep, form_for
from monitor.web.pages import Pages
from monitor.web.security import CheckedForm
from monitor.web.wording import NOT_SENT, WORDING, resent, what_comes

ConfirmForm, ResendForm = form_for("confirm"), form_for("resend")
TrackForm, DismissForm = form_for("track"), form_for("dismiss")

router = APIRouter(include_in_schema=False)


def _wanted_calls(session: Any, subscriber: Any, payload: dict[str, Any]) -> list[Any]:
    """The calls confirming will track: the one carried in the link, and every track request kept
    pending for the address (one per merged call, in the order asked)."""
    ids = [int(payload["c"])] if payload.get("c") else []
    ids += repo.pending_calls(session, subscriber_id=subscriber.id)
    calls: dict[int, Any] = {}
    for call_id in ids:
        call = repo.logical_call(session, call_id=call_id)
        if call is not None:
            calls.setdefault(call.id, call)
    return list(calls.values())


@router.get("/confirm/{token}", response_class=HTMLResponse)
def confirm_page(token: str, request: Request, pages: PagesDep) -> HTMLResponse:
    with session_scope(pages.app.engine) as session:
        try:
            subscriber, payload = subscriber_for(session, pages.signer, Purpose.CONFIRM, token)
        except TokenError as error:
            if error.expired and error.payload:
                _ = pages.words(request)
                return pages.page(
                    request,
                    "link",
                    410,
                    title=_("This confirmation link has expired"),
                    message=_(str(error)),
                    expired=True,
                    resend_url=f"/confirm/{token}/resend",
                )
            return pages.refused(request, error)
        return pages.page(
            request,
            "confirm",
            subscriber=subscriber,
            email=subscriber.email,
            already=subscriber.status == "confirmed",
            action=f"/confirm/{token}",
            track_titles=[call.title for call in _wanted_calls(session, subscriber, payload)],
        )


@router.post("/confirm/{token}", response_class=HTMLResponse)
def confirm_post(token: str, request: Request, pages: PagesDep, form: ConfirmForm) -> Response:
    app = pages.app

    def work(session: Any, subscriber: Any, payload: dict[str, Any]) -> Response:
        calls = _wanted_calls(session, subscriber, payload)
        confirm(session, subscriber, now=app.clock(), origin="web")
        # Already confirmed: this click is the owner's consent to what the page listed.
        repo.apply_pending(session, subscriber_id=subscriber.id, now=app.clock())
        # The call the link carries (a link mailed before track requests were kept has no pending row).
        carried = repo.logical_call(session, call_id=int(payload["c"])) if payload.get("c") else None
        if carried is not None:
            repo.track_call(session, subscriber_id=subscriber.id, call_id=carried.id, now=app.clock())
        _ = pages.words(request, subscriber)
        return pages.page(
            request,
            "done",
            subscriber=subscriber,
            title=_("Subscription confirmed"),
            message=_("%(email)s will receive Callwatch e-mails. Welcome!", email=subscriber.email),
            tracking=[call.title for call in calls],
            next_steps=what_comes(pages.mail.policy, session, subscriber, _, now=pages.app.clock()),
            link=pages.links.manage(subscriber),
            link_text=_("Review your profile and preferences"),
        )

    return pages.acting(request, Purpose.CONFIRM, token, work, form)


@router.post("/confirm/{token}/resend", response_class=HTMLResponse)
def confirm_resend(token: str, request: Request, pages: PagesDep, form: ResendForm) -> HTMLResponse:
    app = pages.app
    # Only an authentic token (expired or not) may ask for a new link, for its own address.
    try:
        payload = pages.signer.read(Purpose.CONFIRM, token)
    except TokenError as error:
        if not (error.expired and error.payload):
            return pages.refused(request, error)
        payload = error.payload
    if form.problem:
        return pages.blocked(request, form.problem)
    with session_scope(app.engine) as session:
        subscriber = repo.subscriber(session, subscriber_id=int(payload.get("s", 0)))
        if subscriber is None or int(payload.get("v", -1)) != subscriber.token_version:
            return pages.refused(request, TokenError(N_("this link is no longer valid")))
        queued = resend_confirmation(session, pages.mail, subscriber, now=app.clock())
        _ = pages.words(request, subscriber)
        message = resent(pages.mail.policy, subscriber, queued, _, now=pages.app.clock())
        language = _.language
    if queued:
        pages.deliver()
    return pages.page(
        request, "done", title=_("Check your inbox"), message=message, subscriber_language=language
    )


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str, request: Request, pages: PagesDep) -> Response:
    return pages.acting(
        request,
        Purpose.UNSUBSCRIBE,
        token,
        lambda _, subscriber, __: pages.page(
            request,
            "unsubscribe",
            subscriber=subscriber,
            email=subscriber.email,
            already=subscriber.status == "unsubscribed",
            action=f"/unsubscribe/{token}",
            manage_url=pages.links.manage(subscriber),
        ),
    )


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_post(token: str, request: Request, pages: PagesDep) -> Response:
    # RFC 8058: the POST carries only List-Unsubscribe=One-Click and no cookies, so no CSRF
    # token: the signed, purpose-bound link is the authority (the page's button posts here too).
    def work(session: Any, subscriber: Any, _: dict[str, Any]) -> Response:
        unsubscribe(session, subscriber, now=pages.app.clock(), origin="one-click")
        _ = pages.words(request, subscriber)
        message = _("%(email)s will receive no more e-mails from Callwatch.", email=subscriber.email)
        return pages.page(
            request, "done", subscriber=subscriber, title=_("Unsubscribed"), message=message, resubscribe=True
        )

    return pages.acting(request, Purpose.UNSUBSCRIBE, token, work)


# --------------------------------------------------------------------------- track / not relevant


@router.get("/track/{token}", response_class=HTMLResponse)
def track_page(token: str, request: Request, pages: PagesDep) -> HTMLResponse:
    """Shows the call and a button; the POST tracks it."""
    return _show_call(pages, request, token, Purpose.TRACK, "track")


@router.post("/track/{token}", response_class=HTMLResponse)
def track_post(token: str, request: Request, pages: PagesDep, form: TrackForm) -> HTMLResponse:
    return _act_on_call(pages, request, token, form, Purpose.TRACK, "track")


@router.get("/dismiss/{token}", response_class=HTMLResponse)
def dismiss_page(token: str, request: Request, pages: PagesDep) -> HTMLResponse:
    """Shows the call and a button; the POST hides it from the profile."""
    return _show_call(pages, request, token, Purpose.DISMISS, "dismiss")


@router.post("/dismiss/{token}", response_class=HTMLResponse)
def dismiss_post(token: str, request: Request, pages: PagesDep, form: DismissForm) -> HTMLResponse:
    return _act_on_call(pages, request, token, form, Purpose.DISMISS, "dismiss")


def _load(pages: Pages, session: Any, purpose: Purpose, token: str) -> tuple[Any, dict[str, Any], Any]:
    subscriber, payload = subscriber_for(session, pages.signer, purpose, token)
    call = repo.logical_call(session, call_id=int(payload.get("c", 0)))
    if call is None:
        raise TokenError(N_("this call is no longer stored"))
    return subscriber, payload, call


def _show_call(pages: Pages, request: Request, token: str, purpose: Purpose, verb: str) -> HTMLResponse:
    with session_scope(pages.app.engine) as session:
        try:
            subscriber, _payload, call = _load(pages, session, purpose, token)
        except TokenError as error:
            return pages.refused(request, error)
        _ = pages.words(request, subscriber)
        title, message, button, _done = WORDING[verb]
        return pages.page(
            request, "call_action", subscriber=subscriber, title=_(title), message=_(message),
            button=_(button), call=call, action=f"/{verb}/{token}", purpose=verb,
        )  # fmt: skip


def _act_on_call(
    pages: Pages, request: Request, token: str, form: CheckedForm, purpose: Purpose, verb: str
) -> HTMLResponse:
    now = pages.app.clock
    with session_scope(pages.app.engine) as session:
        try:
            subscriber, payload, call = _load(pages, session, purpose, token)
        except TokenError as error:
            return pages.refused(request, error)
        if form.problem:
            return pages.blocked(request, form.problem)
        if verb == "track":
            repo.track_call(session, subscriber_id=subscriber.id, call_id=call.id, now=now())
        else:
            profile = repo.profile(session, profile_id=int(payload.get("p", 0)))
            if profile is None or profile.subscriber_id != subscriber.id:
                return pages.refused(request, TokenError(N_("this profile no longer exists")))
            repo.dismiss_call(session, profile_id=profile.id, call_id=call.id, now=now())  # type: ignore[arg-type]
        _ = pages.words(request, subscriber)
        title = call.title
        if verb == "track" and subscriber.status != "confirmed":
            note = NOT_SENT.get(subscriber.status, NOT_SENT["pending"])
            title += " (" + _(note, email=subscriber.email) + ")"
        link = pages.links.manage(subscriber)
        language = _.language
    return pages.page(
        request, "done", title=_(WORDING[verb][3]), message=title, link=link,
        link_text=_("Your subscription page"), subscriber_language=language,
    )  # fmt: skip


router.include_router(signup.router)
router.include_router(manage.router)
