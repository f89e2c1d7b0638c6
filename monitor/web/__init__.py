"""The web process: pages, feeds and the JSON API (built out in the web issue).

`create_app(app)` builds the ASGI application from an already-built
`monitor.app.App`; it never starts a scheduler (that is the worker's job,
or `callwatch run`'s, which runs both in one process).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import text

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.sender import deliver
from monitor.templating import make_environment
from monitor.web.people import people_routes


def create_app(app: App) -> FastAPI:
    web = FastAPI(title="Callwatch", version="0.1.0")
    templates = make_environment()
    web.include_router(people_routes(app, templates, deliver=lambda: asyncio.run(deliver(app))))

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

    @web.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        with session_scope(app.engine) as session:
            rows = repo.search_calls(session, status="open", limit=100)
            sources = repo.list_sources(session)
        page = templates.get_template("web/index.html").render(calls=rows, sources=sources, now=app.clock())
        return HTMLResponse(page)

    @web.get("/sources", response_class=HTMLResponse)
    def sources_page() -> HTMLResponse:
        with session_scope(app.engine) as session:
            sources = repo.list_sources(session)
        return HTMLResponse(
            templates.get_template("web/sources.html").render(sources=sources, now=app.clock())
        )

    return web


__all__: list[Any] = ["create_app"]
