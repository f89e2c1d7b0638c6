"""A source kind for tests: GETs its URL and reads a JSON list of RawCall dicts.

It goes through the real polite client and the real pipeline, so a local
HTTP server can make it fail in every way a real source fails.
"""

from __future__ import annotations

from typing import Any

from monitor.model.raw import RawCall
from sources.base import Harvest, Source, SourceConfig
from sources.errors import FetchError, ParseError
from sources.fetch.client import PoliteClient


class ScriptedConfig(SourceConfig):
    """No keys beyond the common ones."""


class ScriptedSource(Source, kind="scripted"):
    config_model = ScriptedConfig

    async def gather(self, client: PoliteClient, *, validators: dict[str, dict[str, str]]) -> Harvest:
        result = await client.get(self.config.url, validators=validators.get(self.config.url))
        if result.not_modified:
            return Harvest(not_modified=True)
        payload: Any = result.json()
        if isinstance(payload, dict) and "pages" in payload:
            return await _with_pages(client, payload, validators={self.config.url: result.validators})
        if not isinstance(payload, list):
            raise ParseError("expected a JSON list of calls", url=self.config.url)
        calls = [RawCall.model_validate(item) for item in payload]
        return Harvest(calls=calls, validators={self.config.url: result.validators})


async def _with_pages(client: PoliteClient, payload: dict[str, Any], **harvest: Any) -> Harvest:
    """`{"calls": [...], "pages": [url, ...]}`: pages the poll must read too (as ECCP's detail pages);
    one that fails makes the harvest incomplete, with a warning naming it, as the real kinds do."""
    warnings = []
    for url in payload["pages"]:
        try:
            await client.get(url)
        except FetchError as exc:
            warnings.append(f"detail page {url} not read, call skipped: {exc}")
    calls = [RawCall.model_validate(item) for item in payload["calls"]]
    return Harvest(calls=calls, complete=not warnings, warnings=warnings, **harvest)


def scripted_config(source_id: str, url: str, **extra: Any) -> ScriptedConfig:
    return ScriptedConfig(id=source_id, name=source_id.title(), kind="scripted", url=url, **extra)
