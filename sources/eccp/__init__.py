"""Source kind `eccp`: open calls listed by the European Cluster Collaboration Platform (formats.md §3).

Owns: walking the Drupal search listing page by page (`page=0`, `page=1`, ...
until a page has no cards, has no next link, or repeats one, at most
`max_pages`), one request per listed call up to `max_details`, and what
failures mean for the poll: a listing page that fails fails it, a detail page
that fails or cannot be read makes it incomplete, all detail pages failing is
`FetchError`, more than half unreadable is `LayoutChanged`. Detail pages are
fetched with conditional GET: a page answered 304 is not parsed again, its call
is the one stored with its validators (`sources.eccp.cache`); a server that
ignores the validators simply answers 200 and the page is parsed as before.
Listing pages are always fetched in full (they are how new calls are found).
Reading the pages is in `sources.eccp.listing` and `sources.eccp.detail`, the
config model in `sources.eccp.config`.

Must not: read dates, money or countries out of the body prose (that is
`monitor.normalise`), touch the database or read settings. Drupal's
theme-debug comments are dropped by `sources.html.parse_page` before anything
is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from monitor.model.raw import RawCall
from sources.base import Harvest, Source
from sources.eccp.cache import conditional, parse_key, remember, reusable_call
from sources.eccp.config import EccpConfig
from sources.eccp.detail import parse_detail
from sources.eccp.listing import ListingPage, check_count, check_listing, parse_listing
from sources.errors import FetchError, LayoutChanged, SourceError

if TYPE_CHECKING:
    from sources.fetch.client import PoliteClient


class EccpSource(Source, kind="eccp"):
    """The ECCP open-calls search: listing pages, then every call's node page."""

    config_model = EccpConfig
    config: EccpConfig

    async def gather(self, client: PoliteClient, *, validators: dict[str, dict[str, Any]]) -> Harvest:
        """Every listing page, then one detail page per call link (conditional GET when stored)."""
        harvest = Harvest()
        urls = await self._walk(client, harvest)
        if harvest.complete:
            # Pages no longer listed: their stored calls are dropped (an empty entry removes it).
            listed = set(urls)
            harvest.validators = {
                url: {} for url in validators if url.startswith("http") and url not in listed
            }
        limit = self.config.max_details
        if len(urls) > limit:
            harvest.warnings.append(
                f"{len(urls)} calls listed but max_details={limit}: {len(urls) - limit} not fetched"
            )
            harvest.complete = False
            urls = urls[:limit]
        await self._details(client, urls, harvest, validators)
        return harvest

    async def _walk(self, client: PoliteClient, harvest: Harvest) -> list[str]:
        """Call links of every listing page; a listing page that fails fails the poll."""
        config, url = self.config, self.config.url
        fetched: set[str] = set()
        urls: dict[str, None] = {}
        first: ListingPage | None = None
        for _ in range(config.max_pages):
            result = await client.get(url)
            fetched.update((url, result.url))
            page = parse_listing(
                result.content, config, result.url, content_type=result.headers.get("Content-Type")
            )
            check_listing(page, config, result.url)
            first = first or page
            urls.update(dict.fromkeys(page.detail_urls))
            # A page without cards after the last one is how the listing ends (formats.md §3).
            if not page.cards or page.next_url is None or page.next_url in fetched:
                break
            url = page.next_url
        else:
            harvest.warnings.append(f"stopped at max_pages={config.max_pages}; next page {url} not fetched")
            harvest.complete = False
        assert first is not None
        check_count(first, len(urls), config, config.url)
        return list(urls)

    async def _details(
        self, client: PoliteClient, urls: list[str], harvest: Harvest, stored: dict[str, dict[str, Any]]
    ) -> None:
        """One RawCall per detail page; failures and unreadable pages make the harvest incomplete."""
        failed: list[str] = []
        skipped = 0
        calls: dict[str, RawCall] = {}
        key = parse_key(self.config)
        for url in urls:
            entry = stored.get(url)
            kept = reusable_call(entry, key)
            try:
                result = await client.get(url, validators=conditional(entry or {}) if kept else None)
            except SourceError as exc:
                failed.append(str(exc))
                harvest.warnings.append(f"detail page {url} not read, call skipped: {exc}")
                continue
            if result.not_modified and kept is not None:
                call, notes = kept, []  # unchanged page: the call parsed when it last changed
            else:
                call, notes = parse_detail(
                    result.content, self.config, result.url, content_type=result.headers.get("Content-Type")
                )
            harvest.warnings.extend(notes)
            if call is not None:
                harvest.validators[url] = remember(
                    result.validators, call, key, entry if result.not_modified else None
                )
            if call is None:
                skipped += 1
            elif call.key in calls:
                harvest.warnings.append(
                    f"{url} is node {call.key} again ({calls[call.key].url}); kept the first"
                )
            else:
                calls[call.key] = call
        if urls and len(failed) == len(urls):
            raise FetchError(f"all {len(urls)} detail pages failed, e.g. {failed[0]}", url=self.config.url)
        read = len(urls) - len(failed)
        if skipped > read / 2:
            raise LayoutChanged(
                f"{skipped} of {read} detail pages have no node id or no title "
                f"({self.config.detail.node[0].selector!r}, ...); did the detail page layout change?"
            )
        harvest.calls = list(calls.values())
        harvest.complete = harvest.complete and not failed and not skipped
