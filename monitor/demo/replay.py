"""The replay of recorded source responses on a real loopback HTTP server: what the golden tests
(tests/sources/test_every_source.py) poll and what `callwatch demo` polls, so the two cannot drift.

Owns reading a recording (`tests/recordings/<id>/index.json`, format in tests/recordings/README.md,
plus the optional `demo.json` beside it that the demo lays over it), matching a request to its
recorded answer (method, path and query in any order; `text=***` equals `text=%2A%2A%2A`) and
the serve-time transformation of bodies: the recording's `origin` becomes the server's own address
(so absolute links on a real saved page stay on the replay) and, when the server is given a
`today`, every date moves by the days between the recording's `now` and today
(`monitor.demo.dates`). A request the recording does not hold gets a 404 naming the real address
and is remembered in `missing`. Must not know sources' kinds, configs or the database.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from monitor.demo.dates import shift_dates

RECORDINGS = Path(__file__).resolve().parents[2] / "tests" / "recordings"
OVERLAY = "demo.json"


class RecordingError(Exception):
    """A recording that is missing or unreadable, with the file named."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def _key(method: str, path: str, query: str) -> tuple[str, str, list[tuple[str, str]]]:
    return method.upper(), path, sorted(parse_qsl(query, keep_blank_values=True))


def _entry_key(entry: dict[str, Any]) -> str:
    return repr(_key(entry["method"], entry["path"], entry["query"]))


@dataclass
class Recording:
    """One source's recorded site: where it lives, when it was recorded, what each request gets."""

    source_id: str
    folder: Path
    origin: str
    now: datetime
    about: str
    requests: list[dict[str, Any]]
    overlays: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, source_id: str, *, root: Path = RECORDINGS, overlay: bool = False) -> Recording:
        """`root/<source_id>/index.json`; with `overlay`, `demo.json`'s requests replace or join its
        own and its `now` (when given) is the recording's."""
        folder = root / source_id
        data = _read(folder / "index.json")
        recording = cls(source_id, folder, data["origin"], _instant(data["now"]), data.get("about", ""),
                        list(data["requests"]))  # fmt: skip
        if overlay and (folder / OVERLAY).is_file():
            recording._lay_over(_read(folder / OVERLAY))
        return recording

    def _lay_over(self, extra: dict[str, Any]) -> None:
        added = {_entry_key(entry): entry for entry in extra["requests"]}
        kept = [entry for entry in self.requests if _entry_key(entry) not in added]
        self.requests = [*kept, *added.values()]
        self.now = _instant(extra["now"]) if "now" in extra else self.now
        self.overlays.append(extra.get("about", OVERLAY))

    def provenance(self) -> str:
        """How real the bodies are, from their file names (tests/recordings/README.md: `_DERIVED` is
        real data re-arranged, `_RECONSTRUCTED` written by hand, any other name a real saved page)."""
        names = [Path(entry["body"]).name for entry in self.requests if entry["body"]]
        counts = {
            "reconstructed by hand": sum("_RECONSTRUCTED" in name for name in names),
            "real data re-arranged": sum("_DERIVED" in name for name in names),
        }
        counts = {"real": len(names) - sum(counts.values()), **counts}
        return f"{len(names)} recorded answer{'' if len(names) == 1 else 's'}: " + ", ".join(
            f"{n} {what}" for what, n in counts.items() if n
        )

    def answer(self, method: str, path: str, query: str) -> Answer | None:
        """The recorded answer to this request, its body as recorded; None if it was not recorded."""
        wanted = _key(method, path, query)
        for entry in self.requests:
            if _key(entry["method"], entry["path"], entry["query"]) == wanted:
                body = (self.folder / entry["body"]).read_bytes() if entry["body"] else b""
                return Answer(entry["status"], entry["content_type"], body)
        return None


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError) as exc:
        raise RecordingError(f"{path}: {exc}") from None


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class ReplayServer:
    """A recording served on 127.0.0.1 (a real socket, any free port), in a background thread."""

    def __init__(self, recording: Recording, *, today: date | None = None, port: int = 0) -> None:
        self.recording = recording
        self.shift_days = (today - recording.now.date()).days if today else 0
        self.missing: list[str] = []
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.replay = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True, name=f"replay {recording.source_id}")  # fmt: skip

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def respond(self, method: str, target: str) -> Answer:
        parts = urlsplit(target)
        found = self.recording.answer(method, parts.path, parts.query)
        if found is None:
            self.missing.append(f"{method} {target}")
            real = self.recording.origin + target
            text = f"Not in the recording of {self.recording.source_id}: the real page is {real}\n"
            return Answer(404, "text/plain; charset=utf-8", text.encode())
        return Answer(found.status, found.content_type, self.transform(found.body))

    def transform(self, body: bytes) -> bytes:
        """The recorded bytes with the origin made ours and the dates shifted (bytes that are not
        UTF-8 pass through unchanged)."""
        text = body.decode("utf-8", errors="surrogateescape").replace(self.recording.origin, self.url)
        return shift_dates(text, self.shift_days).encode("utf-8", errors="surrogateescape")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up on a kept-alive connection (the poll's client closing) is normal."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CallwatchReplay/1"

    def _answer(self, with_body: bool = True) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)  # the portal's search is a POST; its query is in the URL
        answer = self.server.replay.respond(self.command, self.path)  # type: ignore[attr-defined]
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if with_body and self.command != "HEAD":
            self.wfile.write(answer.body)

    do_GET = do_POST = _answer

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the poll reports what it fetched."""
