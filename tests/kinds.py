"""A source kind for tests: GETs its URL and reads a JSON list of RawCall dicts.

It goes through the real polite client and the real pipeline, so a local
HTTP server can make it fail in every way a real source fails.
"""

from __future__ import annotations

from typing import Any

from monitor.model.raw import RawCall
from sources.base import Harvest, Source, SourceConfig
from sources.errors import ParseError
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
        if not isinstance(payload, list):
            raise ParseError("expected a JSON list of calls", url=self.config.url)
        calls = [RawCall.model_validate(item) for item in payload]
        return Harvest(calls=calls, validators={self.config.url: result.validators})


def scripted_config(source_id: str, url: str, **extra: Any) -> ScriptedConfig:
    return ScriptedConfig(id=source_id, name=source_id.title(), kind="scripted", url=url, **extra)
