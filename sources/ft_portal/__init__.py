"""Source kind `ft-portal`: the EU Funding & Tenders Portal "SEDIA" search API.

Owns the paging (formats.md §1.1: one POST per page, paging in the URL), the
choice between a full sweep and an incremental pass (`sources.ft_portal.incremental`:
an incremental pass that shows the API ignored its sort falls back to a full
sweep in the same poll, with a warning saying why), the
sanity checks on every answer (query ignored, wrong shape, empty set retried
once, fewer rows than announced),
skipping of malformed or irrelevant rows, collapsing of language/datasource
copies into one call per key across all pages, and the optional topicDetails
enrichment (formats.md §2.1, read in `sources.ft_portal.details`). The config and the request it sends are in
`sources.ft_portal.query`; the record -> RawCall mapping is in
`sources.ft_portal.records`.

Must not: normalise deadlines, sanitise HTML or derive status (that is
`monitor.normalise`), touch the database or read settings.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.model.raw import RawCall
from sources.base import STATE_KEY, Harvest, Source
from sources.errors import ParseError, QueryIgnored, SourceError
from sources.ft_portal.details import apply_topic_details, needs_details
from sources.ft_portal.incremental import (
    FallBack,
    PassState,
    change_sort,
    full_sweep_reason,
    incremental_rows,
)
from sources.ft_portal.metadata import first
from sources.ft_portal.query import FtPortalConfig, search_files, search_params
from sources.ft_portal.records import parse_instant, record_key, record_to_call

if TYPE_CHECKING:
    from sources.fetch.client import PoliteClient

logger = logging.getLogger(__name__)

SKIPPED_TYPES = {"6"}  # topic updates / news: no status, no deadline
SKIPPED_DATASOURCES = {"SEDIA_FAQ"}


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Page:
    """One checked search answer."""

    total: int
    results: list[Any]
    page_size: int | None = None


def check_page(body: Any, *, threshold: int, url: str | None = None) -> Page:
    """The answer's totalResults and results; ParseError on a wrong shape, QueryIgnored on a huge total."""
    if not isinstance(body, dict):
        raise ParseError(f"search answer is a JSON {type(body).__name__}, not an object", url=url)
    total, results = body.get("totalResults"), body.get("results")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise ParseError(f"search answer has no usable totalResults (got {total!r})", url=url)
    if not isinstance(results, list):
        raise ParseError(f"search answer has no results list (got {type(results).__name__})", url=url)
    if total >= threshold:
        # 541,009 seen when the multipart query was not applied (formats.md §1.1).
        raise QueryIgnored(
            f"totalResults {total} >= {threshold}: the search API evidently ignored the query", url=url
        )
    size = body.get("pageSize")
    return Page(total, results, size if isinstance(size, int) and not isinstance(size, bool) else None)


def select_records(results: list[Any]) -> tuple[list[dict[str, Any]], list[str], int]:
    """(usable records, warnings, malformed count); type-6 updates and FAQ docs are left out."""
    records, warnings, malformed = [], [], 0
    for index, item in enumerate(results):
        try:
            record = _validated(item)
        except ValueError as exc:
            malformed += 1
            warnings.append(f"skipped record {_describe(item, index)}: {exc}")
            continue
        metadata = record["metadata"]
        datasource = first(metadata, "DATASOURCE") or first(metadata, "datasource")
        if first(metadata, "type") not in SKIPPED_TYPES and datasource not in SKIPPED_DATASOURCES:
            records.append(record)
    return records, warnings, malformed


def _validated(item: Any) -> dict[str, Any]:
    """The record as a dict whose metadata values are all lists, with a key; else ValueError."""
    if isinstance(item, str):  # a double-encoded record
        try:
            item = json.loads(item)
        except ValueError as exc:
            raise ValueError(f"record is a string that is not valid JSON ({exc})") from exc
    if not isinstance(item, dict) or not isinstance(item.get("metadata"), dict):
        raise ValueError("record or its metadata is not a JSON object")
    bad = [
        key for key, value in item["metadata"].items() if value is not None and not isinstance(value, list)
    ]
    if bad:
        raise ValueError(f"metadata {bad[0]!r} is not a list")
    if not record_key(item):
        raise ValueError("no identifier")
    return item


def _describe(item: Any, index: int) -> str:
    if isinstance(item, dict):
        metadata = item.get("metadata") if isinstance(item.get("metadata"), dict) else {}
        name = item.get("reference") or first(metadata, "REFERENCE") or first(metadata, "identifier")
        if name:
            return str(name)
    return f"#{index + 1}"


def collapse(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per call key, in first-seen order; the best copy wins (see `_rank`)."""
    best: dict[str, dict[str, Any]] = {}
    for record in records:
        key = record_key(record) or ""
        if key not in best or _rank(record) > _rank(best[key]):
            best[key] = record
    return list(best.values())


def _rank(record: dict[str, Any]) -> tuple[bool, bool, bool, bool, float]:
    """English, DATASOURCE SEDIA (not the legacy SEDIA_PRD_CENTRICITY), has status and text, newest."""
    metadata = record["metadata"]
    language = record.get("language") or first(metadata, "language")
    datasource = first(metadata, "DATASOURCE") or first(metadata, "datasource")
    described = first(metadata, "descriptionByte") or first(metadata, "description")
    queued = parse_instant(first(metadata, "esDA_QueueDate"))
    return (
        language == "en",
        datasource == "SEDIA",
        bool(first(metadata, "status")),
        bool(described),
        (queued.timestamp() if queued else -math.inf),
    )


def map_records(records: list[dict[str, Any]], warnings: list[str]) -> list[RawCall]:
    """record_to_call over collapsed records; a record that still fails is skipped with a warning."""
    calls = []
    for index, record in enumerate(records):
        try:
            calls.append(record_to_call(record))
        except ValueError as exc:  # pydantic's ValidationError included
            warnings.append(f"skipped record {_describe(record, index)}: {exc}")
    return calls


def parse_results(results: list[Any]) -> tuple[list[RawCall], list[str]]:
    """Rows of one or more answers -> calls, collapsed per key; with warnings. Pure."""
    records, warnings, _ = select_records(results)
    return map_records(collapse(records), warnings), warnings


# --------------------------------------------------------------------------- the source


class FtPortalSource(Source, kind="ft-portal"):
    """EU Funding & Tenders Portal topics, prospects and cascade calls via the SEDIA search API."""

    config_model = FtPortalConfig
    config: FtPortalConfig
    # When the last full sweep ran is our time, not the portal's (its dates only order records).
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))

    async def gather(self, client: PoliteClient, *, validators: dict[str, dict[str, Any]]) -> Harvest:
        """An incremental pass when one will do, else (or when it can't be trusted) every page;
        then collapse copies across pages and map records to calls."""
        harvest = Harvest()
        state, now = PassState.load(validators.get(STATE_KEY)), self.clock()
        reason = full_sweep_reason(state, self.config, now)
        rows = None
        if reason is None:
            try:
                rows, state = await self._changed(client, state, harvest.warnings)
                harvest.incremental = True
            except FallBack as exc:
                reason = f"incremental pass abandoned, full sweep instead: {exc}"
                logger.warning("F&T portal %s: %s", self.id, reason)
                harvest.warnings.append(reason)
        if rows is None:
            logger.info("F&T portal %s: full sweep (%s)", self.id, reason)
            rows, harvest.complete, total = await self._collect(client, harvest.warnings)
            field = self.config.change_field
            state = state.after_full(rows, total=total, complete=harvest.complete, now=now, field=field)
        if self.config.incremental:
            harvest.validators[STATE_KEY] = state.dump()
        records = collapse(rows)
        if len(records) < len(rows):
            harvest.warnings.append(f"collapsed {len(rows)} rows into {len(records)} calls")
        harvest.calls = map_records(records, harvest.warnings)
        if self.config.enrich_details:
            harvest.calls = [await self._enrich(client, call, harvest.warnings) for call in harvest.calls]
        return harvest

    async def _changed(
        self, client: PoliteClient, state: PassState, warnings: list[str]
    ) -> tuple[list[dict[str, Any]], PassState]:
        """Usable records of the pages down to the mark (FallBack when the answer can't be trusted)."""
        sort, size = change_sort(self.config), self.config.incremental_page_size
        raw, total, newest = await incremental_rows(
            lambda number: self._page(client, number, sort=sort, size=size), self.config, state
        )
        records, problems, _ = select_records(raw)
        warnings.extend(problems)
        return records, state.after_incremental(total=total, newest=newest)

    async def _collect(
        self, client: PoliteClient, warnings: list[str]
    ) -> tuple[list[dict[str, Any]], bool, int]:
        """Usable records of every announced page (page 1 asked twice if empty), completeness, total."""
        page = await self._page(client, 1)
        if page.total == 0 and not page.results:
            # SEDIA intermittently answers an empty set (1 of 4 weekly runs, 2026-06-22).
            logger.info("F&T portal: empty answer for page 1; asking once more")
            page = await self._page(client, 1)
        # A server that clamps pageSize says so in the answer; count pages by what it serves.
        size = page.page_size if page.page_size and page.page_size < self.config.page_size else None
        total, wanted = page.total, math.ceil(page.total / (size or self.config.page_size))
        records: list[dict[str, Any]] = []
        received = 0
        for number in range(1, min(wanted, self.config.max_pages) + 1):
            if number > 1:
                page = await self._page(client, number)
            if not page.results:
                break
            found, problems, malformed = select_records(page.results)
            if malformed == len(page.results):
                raise ParseError(f"page {number}: none of its {malformed} records is readable")
            received += len(page.results)
            records.extend(found)
            warnings.extend(problems)
        return records, self._complete(total, received, wanted, warnings), total

    async def _page(
        self, client: PoliteClient, number: int, *, sort: Any = None, size: int | None = None
    ) -> Page:
        config = self.config
        result = await client.post(
            config.url, params=search_params(config, number, size=size), files=search_files(config, sort=sort)
        )
        return check_page(result.json(), threshold=config.query_ignored_threshold, url=result.url)

    def _complete(self, total: int, received: int, wanted: int, warnings: list[str]) -> bool:
        """False (with a warning) when we saw fewer rows than the API announced."""
        if wanted > self.config.max_pages:
            warnings.append(
                f"stopped at max_pages={self.config.max_pages} of {wanted} pages: "
                f"received {received} of {total} announced rows"
            )
            return False
        if received < total:
            warnings.append(f"received {received} rows but the API announced {total}")
            return False
        return True

    async def _enrich(self, client: PoliteClient, call: RawCall, warnings: list[str]) -> RawCall:
        """One topicDetails GET; any failure is a harvest warning, never a failed poll."""
        if not needs_details(call):
            return call
        url = self.config.details_url.format(identifier=(call.identifier or "").lower())
        try:
            result = await client.get(url)
            return apply_topic_details(call, result.json())
        except SourceError as exc:
            warnings.append(f"topic details for {call.identifier} not used: {exc}")
            return call


__all__ = [
    "FtPortalSource",
    "apply_topic_details",
    "check_page",
    "collapse",
    "needs_details",
    "parse_results",
]
