"""The replay of recorded source responses on a real loopback HTTP server: what the golden tests
(tests/sources/test_every_source.py) poll and what `callwatch demo` polls, so the two cannot drift.

Owns reading a recording (`tests/recordings/<id>/index.json`, format in tests/recordings/README.md,
plus the optional `demo.json` beside it that the demo lays over it), matching a request to its
recorded answer (method, path and query in any order; `text=***` equals `text=%2A%2A%2A`) and
the serve-time transformation of bodies: the recording's `origin` becomes the server's own address
(so absolute links on a real saved page stay on the replay) and, when the server is given a
`today`, every date moves by the days between the recording's `now` and today
(`monitor.demo.dates`). A request the recording does not hold gets a 404 naming the real address
and is remembered in `missing`.

Owns conditional GET too: every 200 to a GET carries an `ETag` (a digest of the served body) and
a `Last-Modified` (the recording's `now`), and a request whose `If-None-Match` (or, without it,
`If-Modified-Since`) still holds gets a 304 without a body (RFC 9110 §13.1), as a Drupal site with
its page cache answers. `validators="ignore"` sends them but always answers 200, `"absent"` sends
none: the servers that ignore conditional GET. An entry with `"search": true` is a SEDIA search
answer served as a search (`monitor.demo.search`): sorted by the request's `sort` part and paged by
its URL (`pageNumber`, `pageSize`), matched on every other query parameter; `honour_sort=False`
plays an API that ignores the sort. Every request is counted in `seen` (method, target, status,
body bytes) so tests and the benchmark can see what a poll cost.

Must not know sources' kinds, configs or the database.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from monitor.demo.dates import shift_dates
from monitor.demo.search import SearchIndex

RECORDINGS = Path(__file__).resolve().parents[2] / "tests" / "recordings"
OVERLAY = "demo.json"


class RecordingError(Exception):
    """A recording that is missing or unreadable, with the file named."""


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    search: str | None = None  # the entry's body file, when it is served as a search


@dataclass(frozen=True)
class Seen:
    """One request the replay answered: what a poll cost, as the server counts it."""

    method: str
    target: str
    status: int
    bytes: int
    conditional: bool
    sent: int = 0  # request body bytes (the portal's multipart search)


_PAGING = {"pageNumber", "pageSize"}
Validators = Literal["honour", "ignore", "absent"]


def _key(method: str, path: str, query: str) -> tuple[str, str, list[tuple[str, str]]]:
    return method.upper(), path, sorted(parse_qsl(query, keep_blank_values=True))


def _search_key(method: str, path: str, query: str) -> tuple[str, str, list[tuple[str, str]]]:
    method, path, params = _key(method, path, query)
    return method, path, [pair for pair in params if pair[0] not in _PAGING]


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
        wanted, searched = _key(method, path, query), _search_key(method, path, query)
        for entry in self.requests:
            if entry.get("search"):
                if _search_key(entry["method"], entry["path"], entry["query"]) == searched:
                    return Answer(entry["status"], entry["content_type"], b"", search=entry["body"])
                continue
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

    def __init__(
        self, recording: Recording, *, today: date | None = None, port: int = 0,
        validators: Validators = "honour", honour_sort: bool = True,
        searches: dict[str, SearchIndex] | None = None,
    ) -> None:  # fmt: skip
        self.recording = recording
        self.shift_days = (today - recording.now.date()).days if today else 0
        self.missing: list[str] = []
        self.validators, self.honour_sort = validators, honour_sort
        self.seen: list[Seen] = []
        # Search entries' records by body file; given ones (the benchmark's 5,000 records) are used as is.
        self._searches: dict[str, SearchIndex] = dict(searches or {})
        self._lock = threading.Lock()
        self.last_modified = email.utils.format_datetime(recording.now, usegmt=True)
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

    def search(self, body_file: str) -> SearchIndex:
        """The records a search entry serves (built once; `put` changes what the next request gets)."""
        with self._lock:
            if body_file not in self._searches:
                answer = self.transform((self.recording.folder / body_file).read_bytes())
                self._searches[body_file] = SearchIndex.from_answer(answer, honour_sort=self.honour_sort)
            return self._searches[body_file]

    def respond(
        self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer:
        """The answer to one request, counted in `seen`."""
        headers = {key.lower(): value for key, value in (headers or {}).items()}
        answer = self._answer(method, target, headers, body)
        conditional = "if-none-match" in headers or "if-modified-since" in headers
        with self._lock:
            self.seen.append(
                Seen(method.upper(), target, answer.status, len(answer.body), conditional, len(body))
            )
        return answer

    def _answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(target)
        found = self.recording.answer(method, parts.path, parts.query)
        if found is None:
            self.missing.append(f"{method} {target}")
            real = self.recording.origin + target
            text = f"Not in the recording of {self.recording.source_id}: the real page is {real}\n"
            return Answer(404, "text/plain; charset=utf-8", text.encode())
        if found.search is not None:
            content = self.search(found.search).answer(parts.query, body, headers.get("content-type", ""))
            return Answer(found.status, found.content_type, content)
        content = self.transform(found.body)
        if method.upper() not in ("GET", "HEAD") or found.status != 200 or self.validators == "absent":
            return Answer(found.status, found.content_type, content)
        etag = '"' + hashlib.sha1(content, usedforsecurity=False).hexdigest()[:20] + '"'
        validators = {"ETag": etag, "Last-Modified": self.last_modified}
        if self.validators == "honour" and not_modified(headers, etag, self.last_modified):
            return Answer(304, found.content_type, b"", validators)
        return Answer(found.status, found.content_type, content, validators)

    def transform(self, body: bytes) -> bytes:
        """The recorded bytes with the origin made ours and the dates shifted (bytes that are not
        UTF-8 pass through unchanged)."""
        if not self.shift_days and self.recording.origin.encode() not in body:
            return body
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
        body = self.rfile.read(length) if length else b""  # the portal's search: a multipart POST
        replay = self.server.replay  # type: ignore[attr-defined]
        answer = replay.respond(self.command, self.path, dict(self.headers.items()), body)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        if answer.status != 304:  # a 304 has no body (RFC 9110 §15.4.5)
            self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if with_body and self.command != "HEAD" and answer.status != 304:
            self.wfile.write(answer.body)

    do_GET = do_POST = _answer

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._answer(with_body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the poll reports what it fetched."""


def not_modified(headers: dict[str, str], etag: str, last_modified: str) -> bool:
    """RFC 9110 §13.1.1-3 on lower-cased request headers: If-None-Match wins; If-Modified-Since only
    without it."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return email.utils.parsedate_to_datetime(last_modified) <= email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
