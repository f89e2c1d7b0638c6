"""What every people page shares: rendering with form tokens and private-page headers, the signed-link
check, the refusal pages, and the links and token signer taken from the App.

Owns the private-page headers and the order of checks on a signed link (link first, then the form's
CSRF token). Must not define routes or change subscriptions itself: routes pass the work to `acting`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from db.engine import session_scope
from monitor.app import App
from monitor.links import LinkBuilder
from monitor.people.subscriptions import subscriber_for
from monitor.plan.claim import mail_context
from monitor.render.i18n import Translator, translator
from monitor.render.templating import Environments
from monitor.tokens import Purpose, Signer, TokenError
from monitor.web.forms import choices
from monitor.web.language import page_language, remember, switcher
from monitor.web.security import CheckedForm, CsrfGuard, Limit, RateLimiter, retry_after

# Pages behind a secret link must not be cached; that they are not framed and do not leak the link
# in a Referer is monitor.web.headers' (for every page, by path).
PRIVATE_HEADERS = {"Cache-Control": "no-store"}


class Pages:
    """Shared by the people routes: templates, the mail context, CSRF guard and rate limiter."""

    def __init__(self, app: App, templates: Environments, deliver: Callable[[], Any]) -> None:
        self.app, self.templates, self.deliver = app, templates, deliver
        self.mail = mail_context(app)
        settings = app.settings
        self.guard = CsrfGuard(settings.secret(), tuple(settings.old_secrets()), settings.base_url)
        self.limiter = RateLimiter(settings.secret())

    @staticmethod
    def words(request: Request, subscriber: Any = None) -> Translator:
        """`_` of the page's language: the subscriber's on a signed page, else the visitor's."""
        return translator(page_language(request, getattr(subscriber, "language", None)))

    @property
    def links(self) -> LinkBuilder:
        return self.app.links

    @property
    def signer(self) -> Signer:
        return self.app.signer

    def page(
        self,
        request: Request,
        name: str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        subscriber: Any = None,
        subscriber_language: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """Render templates/web/<name>.html in the page's language (`subscriber`'s when the page is
        behind their signed link); its forms get `csrf(purpose)` for their hidden field."""
        spoken = subscriber_language or getattr(subscriber, "language", None)
        language = page_language(request, spoken)
        cookie = self.guard.cookie_of(request)
        fresh = cookie is None
        cookie = cookie or self.guard.new_cookie()
        used = []

        def csrf(purpose: str) -> str:
            used.append(purpose)
            return self.guard.field(cookie, purpose)

        if subscriber is not None:
            context["subscriber"] = subscriber
        template = self.templates.get(language).get_template(f"web/{name}.html")
        html = template.render(
            csrf=csrf, choices=choices(language), switcher=switcher(request, language), **context
        )
        response = HTMLResponse(html, status_code=status, headers=PRIVATE_HEADERS | (headers or {}))
        if fresh and used:
            self.guard.set_cookie(response, cookie)
        remember(request, response)
        return response

    def over_client_limit(
        self, request: Request, limit: Limit, page: str = "too_many"
    ) -> HTMLResponse | None:
        """Count this form's attempt against the client's `limit`, in its own transaction (it counts
        even when the form is sent back with an error); the 429 page with Retry-After when over it."""
        client = request.client.host if request.client else "unknown"
        with session_scope(self.app.engine) as session:
            wait = self.limiter.hit(session, limit, client, now=self.app.clock())
        if wait is None:
            return None
        minutes = max(1, round(wait.total_seconds() / 60))
        return self.page(request, page, 429, headers={"Retry-After": retry_after(wait)}, minutes=minutes)

    def refused(self, request: Request, error: TokenError) -> HTMLResponse:
        status, _ = 410 if error.expired else 400, self.words(request)
        return self.page(
            request,
            "link",
            status,
            title=_("This link cannot be used"),
            message=_(str(error)),
            expired=error.expired,
        )

    def blocked(self, request: Request, problem: str) -> HTMLResponse:
        """A form that failed the CSRF check: 403, nothing changed."""
        _ = self.words(request)
        return self.page(
            request, "blocked", 403, title=_("This form could not be accepted"), problem=_(problem)
        )

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
                subscriber, payload = subscriber_for(session, self.signer, purpose, token)
            except TokenError as error:
                return self.refused(request, error)
            if form is not None and form.problem:
                return self.blocked(request, form.problem)
            return work(session, subscriber, payload)
