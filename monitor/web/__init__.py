"""The web process: pages, feeds and the JSON API.

`create_app(app)` builds the ASGI application from an already-built `monitor.app.App`: it puts
what routes share in `state` (read through `monitor.web.deps`) and includes each module's router.
Must not start a scheduler (that is the worker's job, or `callwatch run`'s, which runs both in one
process). Routes live in one module per audience: `calls` (browse, detail, source health), `api`
(JSON API, CSV), `feeds` (RSS, Atom, iCalendar), `people` (sign-up, signed links, manage page).
All of them read calls through one `CatalogueCache` (monitor.catalogue.snapshot). Every response
gets its security headers from `monitor.web.headers` (also the home of /static), every error body
its shape from `monitor.web.errors`.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.catalogue.cache import CatalogueCache
from monitor.deliver.sender import deliver
from monitor.render.templating import Environments
from monitor.web import (
    api,
    calls,
    chat_targets,
    collection_chat,
    collections,
    errors,
    feeds,
    issues,
    members,
    people,
    published,
    signin,
)
from monitor.web.deps import AppDep
from monitor.web.feed_cache import FeedCache
from monitor.web.headers import STATIC, STATIC_URL, SecurityHeaders, asset
from monitor.web.pages import Pages


def create_app(app: App) -> FastAPI:
    # /docs and /redoc with their assets served from the package: the CDN is unreachable offline.
    web = FastAPIOffline(title="Callwatch", version="0.1.0", default_response_class=errors.SafeJSONResponse)
    templates = Environments()
    pages = Pages(app, templates, deliver=lambda: asyncio.run(deliver(app)))
    web.state.app, web.state.templates, web.state.pages = app, templates, pages
    web.state.catalogue = CatalogueCache(app.engine, app.clock)
    web.state.feed_cache = FeedCache()
    routers = (people, calls, api, feeds, chat_targets, signin, collections, collection_chat, issues, members,
               published)  # fmt: skip
    for router in (module.router for module in routers):
        web.include_router(router)
    web.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    web.mount(STATIC_URL, StaticFiles(directory=STATIC), name="static")
    templates.globals["asset"] = asset
    errors.install(web)
    # Added first, so it runs inside AnswerHead: a HEAD is hashed and headed as the GET it stands for.
    web.add_middleware(SecurityHeaders)
    web.add_middleware(AnswerHead)
    return web


class AnswerHead:
    """HEAD wherever GET is answered (uptime monitors and link checkers send HEAD): the request is
    routed as the GET it stands for, and its response goes out with the GET's headers and no body.
    An ASGI wrapper rather than a HEAD on each route, so no route can forget it; every GET route is
    safe (confirming, tracking and unsubscribing are POSTs), so answering HEAD changes nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def healthz(app: AppDep) -> JSONResponse:
    """Liveness and database reachability, plus the sources that are failing (at their alert
    threshold), whose last run failed, or that never answered. `status` stays "ok" while the
    process and database are: a portal being down is not this process being down."""
    try:
        with session_scope(app.engine) as session:
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            known = repo.list_sources(session)
    except Exception as exc:  # noqa: BLE001 - a health check reports, it doesn't raise
        return JSONResponse({"status": "error", "database": repr(exc)}, status_code=503)
    enabled = [s for s in known if s.enabled]
    return JSONResponse(
        {
            "status": "ok",
            "database": "ok",
            "failing_sources": [s.id for s in known if s.consecutive_failures >= s.alert_after_failures],
            "last_run_failed_sources": [s.id for s in enabled if s.consecutive_failures > 0],
            "never_succeeded_sources": [s.id for s in enabled if s.last_success_at is None],
        }
    )


__all__ = ["create_app"]
