"""The sign-up form: GET /subscribe shows it (with `?track={call_id}`, also the call that will be
tracked once the address is confirmed); POST /subscribe checks it and answers "Check your inbox".

Owns what that answer may reveal about an address: nothing. A new, pending or
confirmed address, and one over its per-address limit, get the very same page;
what happens behind it is `monitor.people.signups.sign_up`'s business, and the
e-mail it queues is sent after the answer has gone (so its timing does not tell
either). So the page says what will happen in every case at once, in words that fit
each: a call to track is kept whatever the e-mail pacing, and is tracked when the link
(new or already sent) is used. Opened from "Track this call", the form proposes no
digest (only reminders and changes), which the person may change. Only a client
over its own limit is told so (429 with Retry-After): that says something about the
client, not about any address.

Client addresses come from `request.client`: behind a reverse proxy, uvicorn
must be told to trust its X-Forwarded-For (`callwatch serve` passes
proxy_headers; set FORWARDED_ALLOW_IPS to the proxy's address), else every
visitor counts as the proxy. Must not change a subscription itself: `sign_up` does.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.background import BackgroundTask

from db import repo
from db.engine import session_scope
from monitor.people.signups import check_sign_up, keep_track_request, sign_up
from monitor.people.subscriptions import SubscriptionError
from monitor.web.deps import PagesDep, form_for
from monitor.web.forms import blank, preferences, profile_input, typed
from monitor.web.pages import Pages
from monitor.web.security import PER_ADDRESS, PER_CLIENT

logger = logging.getLogger(__name__)
SubscribeForm = form_for("subscribe")

router = APIRouter(include_in_schema=False)


def _form_page(
    pages: Pages, request: Request, values: dict[str, Any], call: Any, *, status: int = 200, error: str = ""
) -> HTMLResponse:
    return pages.page(request, "subscribe", status, values=values, call=call, error=error)


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(request: Request, pages: PagesDep, track: str = "") -> HTMLResponse:
    with session_scope(pages.app.engine) as session:
        call = _call(session, track)
        values = blank() | {"track": str(call.id) if call is not None else ""}
        values["language"] = pages.words(request).language  # e-mails in the page's language
        if call is not None:  # came to track a call: no digest unless the person asks for one
            values["frequency"] = "off"
        return _form_page(pages, request, values, call)


@router.post("/subscribe", response_class=HTMLResponse)
def subscribe_post(request: Request, pages: PagesDep, form: SubscribeForm) -> Response:
    if form.problem:
        return pages.blocked(request, form.problem)
    if (too_many := pages.over_client_limit(request, PER_CLIENT)) is not None:
        return too_many
    app = pages.app
    now = app.clock()
    values = typed(form)
    with session_scope(app.engine) as session:
        call = _call(session, values["track"])
        try:
            profile, prefs = profile_input(values), preferences(values)
            address = check_sign_up(values["email"], profile, prefs)
        except SubscriptionError as error:
            # N_-marked texts or Phrases where raised (forms, people.subscriptions).
            problem = error.said(pages.words(request).language)
            return _form_page(pages, request, values, call, status=422, error=problem)
        # Over the per-address limit: the same answer, no profile saved and no e-mail (no
        # enumeration), but a call to track is still kept (the page says both).
        call_id = call.id if call is not None else None
        if pages.limiter.hit(session, PER_ADDRESS, address.lower(), now=now) is not None:
            keep_track_request(session, email=address, call_id=call_id, now=now)
        else:
            outcome = sign_up(
                session,
                pages.mail,
                email=address,
                profile=profile,
                preferences=prefs,
                now=now,
                track_call_id=call_id,
            )
            logger.info("web sign-up: %s", outcome)
        title = call.title if call is not None else None
    minutes = pages.mail.policy.confirmation_interval_minutes
    response = pages.page(
        request, "inbox", email=address, track_title=title, limit=PER_ADDRESS.count, interval=minutes
    )
    response.background = BackgroundTask(pages.deliver)
    return response


def _call(session: Any, text: str) -> Any:
    """The call named by a `track` value, or None when it is not a stored call's id."""
    text = text.strip()
    if not text.isdigit() or len(text) > 12:
        return None
    return repo.logical_call(session, call_id=int(text))
