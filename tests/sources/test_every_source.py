"""The golden loop: every shipped source, polled from its recording, gives its reviewed calls.

For each `config/sources/<id>.toml` there must be `tests/recordings/<id>/index.json` (each
request the poll sends -> recorded body file, status and content type) and
`tests/expected/<id>.json` (the reviewed output). The recording is served by the replay server
`callwatch demo` uses (monitor/demo/replay.py, a real loopback socket; here without date shifting),
the shipped config is pointed at it by replacing the recording's `origin` (as the e2e tests replace
the site), the real harvest runs through the
polite client, and each call goes through `monitor.normalise.call.normalise_call` at the
recording's fixed `now`. A shipped source without a recording fails, and so does a request
the recording does not hold. `pytest --update-golden` rewrites the expected files; review
them by eye (tests/recordings/README.md).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.demo.replay import Recording, ReplayServer
from monitor.normalise.call import normalise_call
from sources import build_source, load_source_config
from sources.base import Harvest
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "config" / "sources").glob("*.toml"))
RECORDINGS = ROOT / "tests" / "recordings"
EXPECTED = ROOT / "tests" / "expected"


def load_recording(source_id: str) -> Recording:
    if not (RECORDINGS / source_id / "index.json").is_file():
        pytest.fail(
            f"config/sources/{source_id}.toml has no recording: add tests/recordings/{source_id}/"
            f"index.json with its recorded bodies, then run `pytest --update-golden "
            f"{Path(__file__).name}` and review tests/expected/{source_id}.json "
            "(see tests/recordings/README.md)"
        )
    return Recording.load(source_id, root=RECORDINGS)


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
    config_file: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source_id = config_file.stem
    recording = load_recording(source_id)
    with ReplayServer(recording) as replay:  # no `today`: dates as recorded
        local = tmp_path / config_file.name
        local.write_text(config_file.read_text(encoding="utf-8").replace(recording.origin, replay.url))
        source = build_source(load_source_config(local))
        # Politeness and retries are tests/test_http.py's business; here they would only slow the loop.
        async with PoliteClient(HttpPolicy(min_interval=0, max_attempts=1)) as client:
            harvest = await source.harvest(client)
    assert replay.missing == [], f"add these requests to tests/recordings/{source_id}/index.json"
    actual = as_text(golden(harvest, recording.now), replay.url, recording.origin)
    expected = EXPECTED / f"{source_id}.json"
    if request.config.getoption("--update-golden"):
        expected.write_text(actual, encoding="utf-8")
    assert expected.is_file(), f"no tests/expected/{source_id}.json: run with --update-golden and review it"
    assert json.loads(actual) == json.loads(expected.read_text(encoding="utf-8"))
