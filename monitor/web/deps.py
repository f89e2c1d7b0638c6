"""The route modules' dependencies, read from `request.app.state` (set once by `create_app`).

Owns the names routes declare in their signatures (`AppDep`, `CatalogueDep`, `TemplatesDep`,
`PagesDep`, `FeedCacheDep`) and the CSRF-checked form of a purpose (`form_for`).
Must not build anything: what lives in the state is `monitor.web.create_app`'s business.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from jinja2 import Environment

from monitor.app import App
from monitor.catalogue.cache import CatalogueCache
from monitor.web.feed_cache import FeedCache
from monitor.web.language import page_language
from monitor.web.pages import Pages
from monitor.web.security import CheckedForm


def get_app(request: Request) -> App:
    return request.app.state.app  # type: ignore[no-any-return]


def get_catalogue(request: Request) -> CatalogueCache:
    return request.app.state.catalogue  # type: ignore[no-any-return]


def get_templates(request: Request) -> Environment:
    """The environment of the page's language (a public page: the visitor's)."""
    return request.app.state.templates.get(page_language(request))  # type: ignore[no-any-return]


def get_pages(request: Request) -> Pages:
    return request.app.state.pages  # type: ignore[no-any-return]


def get_feed_cache(request: Request) -> FeedCache:
    return request.app.state.feed_cache  # type: ignore[no-any-return]


AppDep = Annotated[App, Depends(get_app)]
CatalogueDep = Annotated[CatalogueCache, Depends(get_catalogue)]
TemplatesDep = Annotated[Environment, Depends(get_templates)]
PagesDep = Annotated[Pages, Depends(get_pages)]
FeedCacheDep = Annotated[FeedCache, Depends(get_feed_cache)]


def checked_form(purpose: str) -> Callable[[Request], Awaitable[CheckedForm]]:
    """A dependency: the POSTed form, checked for `purpose` (the route refuses it if it failed)."""

    async def checked(request: Request) -> CheckedForm:
        return get_pages(request).guard.check(request, await request.form(), purpose)

    return checked


def form_for(purpose: str) -> Any:
    """The annotation of a route's CSRF-checked form parameter for `purpose`."""
    return Annotated[CheckedForm, Depends(checked_form(purpose))]
