"""The web process: pages, feeds and the JSON API.

`create_app(app)` builds the ASGI application from an already-built
`monitor.app.App`; it never starts a scheduler (that is the worker's job,
or `callwatch run`'s, which runs both in one process). Routes live in one
module per audience: `calls` (browse, detail, API, CSV, source health),
`feeds` (RSS, Atom, iCalendar), `people` (sign-up, signed links, manage page).
All of them read calls through one `CatalogueCache` (monitor.catalogue).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.catalogue.cache import CatalogueCache
from monitor.deliver.sender import deliver
from monitor.render.templating import make_environment
from monitor.web.calls import calls_routes
from monitor.web.feeds import feed_routes
from monitor.web.people import people_routes


def create_app(app: App) -> FastAPI:
    web = FastAPI(title="Callwatch", version="0.1.0")
    templates = make_environment()
    catalogue = CatalogueCache(app.engine, app.clock)
    web.state.catalogue = catalogue
    web.include_router(people_routes(app, templates, deliver=lambda: asyncio.run(deliver(app))))
    web.include_router(calls_routes(app, templates, catalogue))
    web.include_router(feed_routes(app, catalogue))

    @web.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        """Liveness and database reachability, plus any source that is failing."""
        try:
            with session_scope(app.engine) as session:
                session.exec(text("SELECT 1"))  # type: ignore[call-overload]
                failing = [
                    s.id
                    for s in repo.list_sources(session)
                    if s.consecutive_failures >= s.alert_after_failures
                ]
        except Exception as exc:  # noqa: BLE001 - a health check reports, it doesn't raise
            return JSONResponse({"status": "error", "database": repr(exc)}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "failing_sources": failing})

    return web


__all__: list[Any] = ["create_app"]
