"""The golden loop: every shipped source, polled from its recording, gives its reviewed calls.

For each `config/sources/<id>.toml` there must be `tests/recordings/<id>/index.json` (each
request the poll sends -> recorded body file, status and content type) and
`tests/expected/<id>.json` (the reviewed output). The recording is served by the real local
HTTP server (tests/httpserver.py), the shipped config is pointed at it by replacing the
recording's `origin` (as the e2e tests replace the site), the real harvest runs through the
polite client, and each call goes through `monitor.normalise.call.normalise_call` at the
recording's fixed `now`. A shipped source without a recording fails, and so does a request
the recording does not hold. `pytest --update-golden` rewrites the expected files; review
them by eye (tests/recordings/README.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from monitor.normalise.call import normalise_call
from sources import build_source, load_source_config
from sources.base import Harvest
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from tests.httpserver import LocalHTTPServer, Reply, SeenRequest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "config" / "sources").glob("*.toml"))
RECORDINGS = ROOT / "tests" / "recordings"
EXPECTED = ROOT / "tests" / "expected"


@dataclass
class Recording:
    """One source's recorded site: where it lives, when it was polled, what each request gets."""

    folder: Path
    origin: str
    now: datetime
    requests: list[dict[str, Any]]
    missing: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, source_id: str) -> Recording:
        index = RECORDINGS / source_id / "index.json"
        if not index.is_file():
            pytest.fail(
                f"config/sources/{source_id}.toml has no recording: add tests/recordings/{source_id}/"
                f"index.json with its recorded bodies, then run `pytest --update-golden "
                f"{Path(__file__).name}` and review tests/expected/{source_id}.json "
                "(see tests/recordings/README.md)"
            )
        data = json.loads(index.read_text(encoding="utf-8"))
        now = datetime.fromisoformat(data["now"].replace("Z", "+00:00"))
        return cls(index.parent, data["origin"], now, data["requests"])

    def serve(self, server: LocalHTTPServer) -> None:
        """Route every recorded path; a request not in the index gets a 404 and is remembered."""
        for path in dict.fromkeys(entry["path"] for entry in self.requests):
            server.route(path, self._answer)

    def _answer(self, seen: SeenRequest) -> Reply:
        query = sorted(parse_qsl(seen.query, keep_blank_values=True))
        for entry in self.requests:
            wanted = sorted(parse_qsl(entry["query"], keep_blank_values=True))
            if (entry["method"], entry["path"], wanted) == (seen.method, seen.path, query):
                body = (self.folder / entry["body"]).read_bytes() if entry["body"] else b""
                return Reply(entry["status"], body, {"Content-Type": entry["content_type"]})
        self.missing.append(f"{seen.method} {seen.path}?{seen.query}")
        return Reply(404, b"not in the recording", {"Content-Type": "text/plain"})


def golden(harvest: Harvest, now: datetime) -> dict[str, Any]:
    """What a poll of the recording produced, as JSON values: the harvest's verdict and every call."""
    return {
        "complete": harvest.complete,
        "not_modified": harvest.not_modified,
        "requests": harvest.requests,
        "warnings": harvest.warnings,
        "calls": [normalise_call(raw, now=now).model_dump(mode="json") for raw in harvest.calls],
    }


def as_text(values: dict[str, Any], server_url: str, origin: str) -> str:
    """Deterministic JSON: sorted keys, and the local server's address written as the real site."""
    return json.dumps(values, indent=2, sort_keys=True, ensure_ascii=False).replace(server_url, origin) + "\n"


@pytest.mark.parametrize("config_file", SHIPPED, ids=[path.stem for path in SHIPPED])
async def test_every_shipped_source_gives_its_reviewed_calls(
    config_file: Path, http_server: LocalHTTPServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source_id = config_file.stem
    recording = Recording.load(source_id)
    recording.serve(http_server)
    local = tmp_path / config_file.name
    local.write_text(config_file.read_text(encoding="utf-8").replace(recording.origin, http_server.url))
    source = build_source(load_source_config(local))
    # Politeness and retries are tests/test_http.py's business; here they would only slow the loop.
    async with PoliteClient(HttpPolicy(min_interval=0, max_attempts=1)) as client:
        harvest = await source.harvest(client)
    assert recording.missing == [], f"add these requests to tests/recordings/{source_id}/index.json"
    actual = as_text(golden(harvest, recording.now), http_server.url, recording.origin)
    expected = EXPECTED / f"{source_id}.json"
    if request.config.getoption("--update-golden"):
        expected.write_text(actual, encoding="utf-8")
    assert expected.is_file(), f"no tests/expected/{source_id}.json: run with --update-golden and review it"
    assert json.loads(actual) == json.loads(expected.read_text(encoding="utf-8"))
