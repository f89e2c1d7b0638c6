"""Pages for a collection's members: join its newsletter (/c/{key}/join), and the pages behind the
links its e-mails carry: confirm joining, leave (RFC 8058 one-click), "I'm interested".

Owns what those pages reveal and when they act. Joining answers "check your inbox" whatever the
address's state, and is rate-limited per client and per address like the sign-up form. Every GET
shows a page with a button and changes nothing (mail scanners follow links); the POST acts and
carries a CSRF token, except the one-click leave, which mail clients post without cookies (the
signed, purpose-bound link is the authority). A forged, expired or revoked link gets a 4xx page.
Must not: decide consent rules (monitor.people.members does) or render outside `Pages`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.background import BackgroundTask

from db import repo
from db.engine import session_scope
from monitor.people import members
from monitor.people.addresses import usable_address
from monitor.render.i18n import N_, offered_languages
from monitor.tokens import Purpose, TokenError
from monitor.web.deps import PagesDep, form_for
from monitor.web.pages import Pages
from monitor.web.security import PER_ADDRESS, PER_CLIENT, CheckedForm

JoinForm, ConfirmForm, InterestForm = form_for("join"), form_for("member-confirm"), form_for("interest")

router = APIRouter(include_in_schema=False)


def _collection(session: Any, key: str) -> Any:
    return repo.collection_by_public_key(session, public_key=key) if len(key) <= 40 else None


@router.get("/c/{key}/join", response_class=HTMLResponse)
def join_page(key: str, request: Request, pages: PagesDep) -> HTMLResponse:
    with session_scope(pages.app.engine) as session:
        collection = _collection(session, key)
        if collection is None:
            return _missing(pages, request)
        language = pages.words(request).language
        return pages.page(
            request, "member_join", collection=collection, values={"email": "", "language": language}
        )


@router.post("/c/{key}/join", response_class=HTMLResponse)
def join_post(key: str, request: Request, pages: PagesDep, form: JoinForm) -> Response:
    if form.problem:
        return pages.blocked(request, form.problem)
    if (too_many := pages.over_client_limit(request, PER_CLIENT)) is not None:
        return too_many
    now = pages.app.clock()
    _ = pages.words(request)
    language = form.get("language") or _.language
    with session_scope(pages.app.engine) as session:
        collection = _collection(session, key)
        if collection is None:
            return _missing(pages, request)
        values = {"email": form.get("email").strip(), "language": language}
        try:
            address = usable_address(values["email"])
        except ValueError:
            error = _("Please enter a valid e-mail address.")
            return pages.page(request, "member_join", 422, collection=collection, values=values, error=error)
        if language not in offered_languages():
            language = collection.language
        # Over the per-address limit: the same answer and no e-mail (no enumeration).
        if pages.limiter.hit(session, PER_ADDRESS, address.lower(), now=now) is None:
            members.join(session, pages.mail, collection, email=address, language=language, now=now)
        name = collection.name
    response = pages.page(request, "member_inbox", email=address, collection_name=name)
    response.background = BackgroundTask(pages.deliver)
    return response


@router.get("/member/confirm/{token}", response_class=HTMLResponse)
def confirm_page(token: str, request: Request, pages: PagesDep) -> HTMLResponse:
    def show(session: Any, link: members.MemberLink) -> HTMLResponse:
        return pages.page(
            request,
            "member_confirm",
            subscriber_language=link.member.language,
            member=link.member,
            collection=link.collection,
            email=link.subscriber.email,
            action=f"/member/confirm/{token}",
        )

    return _with_link(pages, request, Purpose.JOIN, token, show)


@router.post("/member/confirm/{token}", response_class=HTMLResponse)
def confirm_post(token: str, request: Request, pages: PagesDep, form: ConfirmForm) -> HTMLResponse:
    def act(session: Any, link: members.MemberLink) -> HTMLResponse:
        visible = form.get("visible") == "yes"
        members.confirm(
            session,
            link,
            now=pages.app.clock(),
            visible=visible,
            display_name=form.get("display_name").strip(),
            organisation=form.get("organisation").strip(),
        )
        _ = pages.words(request, link.member)
        if link.member.status != "confirmed":
            message = _("You left this newsletter. To receive it again, join it from its page.")
        else:
            message = _(
                '%(email)s will receive the issues of "%(name)s".',
                email=link.subscriber.email,
                name=link.collection.name,
            )
        return _done(pages, request, link, _("Subscription confirmed"), message)

    return _with_link(pages, request, Purpose.JOIN, token, act, form)


@router.get("/member/leave/{token}", response_class=HTMLResponse)
def leave_page(token: str, request: Request, pages: PagesDep) -> HTMLResponse:
    def show(session: Any, link: members.MemberLink) -> HTMLResponse:
        return pages.page(
            request,
            "member_leave",
            subscriber_language=link.member.language,
            collection=link.collection,
            email=link.subscriber.email,
            already=link.member.status == "left",
            action=f"/member/leave/{token}",
        )

    return _with_link(pages, request, Purpose.MEMBER, token, show)


@router.post("/member/leave/{token}", response_class=HTMLResponse)
def leave_post(token: str, request: Request, pages: PagesDep) -> HTMLResponse:
    # RFC 8058: posted by mail clients with List-Unsubscribe=One-Click and no cookies; no CSRF token.
    def act(session: Any, link: members.MemberLink) -> HTMLResponse:
        members.leave(session, link, now=pages.app.clock(), origin="one-click")
        _ = pages.words(request, link.member)
        message = _(
            '%(email)s will receive no more issues of "%(name)s". Other Callwatch e-mails are not changed.',
            email=link.subscriber.email,
            name=link.collection.name,
        )
        return _done(pages, request, link, _("You left this newsletter"), message)

    return _with_link(pages, request, Purpose.MEMBER, token, act)


@router.get("/member/interest/{token}", response_class=HTMLResponse)
def interest_page(token: str, request: Request, pages: PagesDep) -> HTMLResponse:
    def show(session: Any, link: members.MemberLink) -> HTMLResponse:
        call = repo.logical_call(session, call_id=int(link.call_id or 0))
        if call is None:
            return pages.refused(request, TokenError(N_("this call is no longer stored")))
        return pages.page(
            request,
            "member_interest",
            subscriber_language=link.member.language,
            collection=link.collection,
            call=call,
            member=link.member,
            action=f"/member/interest/{token}",
        )

    return _with_link(pages, request, Purpose.INTEREST, token, show)


@router.post("/member/interest/{token}", response_class=HTMLResponse)
def interest_post(token: str, request: Request, pages: PagesDep, form: InterestForm) -> HTMLResponse:
    def act(session: Any, link: members.MemberLink) -> HTMLResponse:
        call = repo.logical_call(session, call_id=int(link.call_id or 0))
        if call is None:
            return pages.refused(request, TokenError(N_("this call is no longer stored")))
        members.interested(session, link, now=pages.app.clock())
        _ = pages.words(request, link.member)
        message = _(
            'The editors of "%(name)s" know you are interested in: %(title)s',
            name=link.collection.name,
            title=call.title,
        )
        return _done(
            pages,
            request,
            link,
            _("Thank you"),
            message,
            link=f"/calls/{call.id}",
            link_text=_("Call details"),
        )

    return _with_link(pages, request, Purpose.INTEREST, token, act, form)


def _done(
    pages: Pages, request: Request, member: members.MemberLink, title: str, message: str, **where: str
) -> HTMLResponse:
    """The page after an action, in the member's language; it leads back to the collection's page."""
    where = {"link": f"/c/{member.collection.public_key}", "link_text": member.collection.name} | where
    return pages.page(
        request, "done", subscriber_language=member.member.language, title=title, message=message, **where
    )


def _with_link(
    pages: Pages, request: Request, purpose: Purpose, token: str, work: Any, form: CheckedForm | None = None
) -> HTMLResponse:
    """Run `work(session, link)` for an authentic member link (and a form that passed its CSRF
    check, when given); the refusal page otherwise. The link is checked first."""
    with session_scope(pages.app.engine) as session:
        try:
            link = members.read_link(session, pages.signer, purpose, token)
        except TokenError as error:
            return pages.refused(request, error)
        if form is not None and form.problem:
            return pages.blocked(request, form.problem)
        return work(session, link)


def _missing(pages: Pages, request: Request) -> HTMLResponse:
    _ = pages.words(request)
    return pages.page(
        request,
        "link",
        404,
        title=_("This collection does not exist"),
        message=_("Its address may have changed: ask its editors for the new one."),
        expired=False,
    )
