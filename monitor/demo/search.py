"""The portal's search API as the replay serves it: recorded records, sorted and paged per request.

Owns answering one SEDIA search POST (formats.md §1.1) from a set of records: the `sort` part of the
multipart body (an object or a list of `{"field", "order"}`; a field is read from the record's
`metadata` list, first value, else from the record itself; dates compare as instants; a record
without the field comes last in either order, as Elasticsearch's default `missing: _last`; no sort
or `relevance` keeps the recorded order) and paging by the URL's `pageNumber` (1-based) and
`pageSize` (default 10, at most 100, as the API clamps it). The `query` and `languages` parts are
not applied: the records ARE the answer to the query the recording was made for. With
`honour_sort=False` the sort part is ignored (the recorded order), which is how a test plays an API
that silently drops a parameter. Records can be replaced, added or removed while serving (`put`,
`remove`), so a test can change a call on the replay.

Must not: know sources' kinds or configs, read files or touch the network (the replay does).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10


def multipart_parts(body: bytes, content_type: str) -> dict[str, bytes]:
    """The named parts of a multipart/form-data body ({} for anything else)."""
    if not content_type.lower().startswith("multipart/"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            parts[name] = part.get_payload(decode=True) or b""
    return parts


def sort_spec(raw: bytes | None) -> list[tuple[str, bool]]:
    """[(field, descending)] from a `sort` part; [] when absent, unreadable or `relevance`."""
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return []
    items = value if isinstance(value, list) else [value]
    spec = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("field"), str) and item["field"] != "relevance":
            spec.append((item["field"], str(item.get("order", "ASC")).upper() == "DESC"))
    return spec


def _value(record: dict[str, Any], field: str) -> Any:
    metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    found = metadata.get(field, record.get(field))
    if isinstance(found, list):
        found = found[0] if found else None
    if isinstance(found, str):
        try:
            return datetime.strptime(found, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
        except ValueError:
            return found
    return found


def sorted_records(records: list[dict[str, Any]], spec: list[tuple[str, bool]]) -> list[int]:
    """Indexes of `records` in the order `spec` asks for (stable; missing values last)."""
    order = list(range(len(records)))
    for field, descending in reversed(spec):
        values = [_value(record, field) for record in records]
        present = [i for i in order if values[i] is not None]
        missing = [i for i in order if values[i] is None]
        present.sort(key=lambda i: values[i], reverse=descending)
        order = present + missing
    return order


class SearchIndex:
    """A recorded search answer's records, served sorted and paged like the live API.

    Each record is kept as its serialised bytes (a page is then a join, not a dump of 100 records of
    50 kB each) beside the short values a sort can use, so 5,000 records cost their size once.
    """

    def __init__(
        self, envelope: dict[str, Any], records: list[dict[str, Any]], *, honour_sort: bool = True
    ) -> None:
        self.envelope = {key: value for key, value in envelope.items() if key != "results"}
        self.honour_sort = honour_sort
        self._lock = threading.Lock()
        self._texts = [_text(record) for record in records]
        self._keys = [_sortable(record) for record in records]

    @classmethod
    def from_answer(cls, answer: bytes, *, honour_sort: bool = True) -> SearchIndex:
        body = json.loads(answer)
        return cls(body, list(body["results"]), honour_sort=honour_sort)

    def __len__(self) -> int:
        return len(self._texts)

    def put(self, record: dict[str, Any]) -> None:
        """Replace the record with the same `reference` (or add it at the end)."""
        with self._lock:
            for index, old in enumerate(self._keys):
                if old.get("reference") == record.get("reference"):
                    self._texts[index], self._keys[index] = _text(record), _sortable(record)
                    return
            self._texts.append(_text(record))
            self._keys.append(_sortable(record))

    def remove(self, reference: str) -> None:
        """Take the record with this `reference` out of the answer (a call the portal no longer lists)."""
        with self._lock:
            kept = [i for i, keys in enumerate(self._keys) if keys.get("reference") != reference]
            self._texts = [self._texts[i] for i in kept]
            self._keys = [self._keys[i] for i in kept]

    def answer(self, query: str, body: bytes, content_type: str) -> bytes:
        """The JSON answer to one search request (URL query, multipart body)."""
        params = parse_qs(query)
        size = _number(params, "pageSize", DEFAULT_PAGE_SIZE)
        size = min(max(size, 1), MAX_PAGE_SIZE)
        number = max(_number(params, "pageNumber", 1), 1)
        spec = sort_spec(multipart_parts(body, content_type).get("sort")) if self.honour_sort else []
        with self._lock:
            order = sorted_records(self._keys, spec)
            chosen = [self._texts[i] for i in order[(number - 1) * size : number * size]]
            total = len(self._texts)
        head = json.dumps(
            {**self.envelope, "totalResults": total, "pageNumber": number, "pageSize": size, "results": None},
            ensure_ascii=False,
        ).encode()
        assert head.endswith(b"null}")
        return head[: -len(b"null}")] + b"[" + b",".join(chosen) + b"]}"


def _text(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


def _sortable(record: dict[str, Any]) -> dict[str, Any]:
    """The record's reference and short first values (ids, codes, dates): what a sort may read."""
    metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    short = {}
    for key, value in metadata.items():
        head = value[0] if isinstance(value, list) and value else value
        if not isinstance(head, str) or len(head) <= 64:
            short[key] = [head] if isinstance(value, list) and value else value
    scalars = {
        key: value
        for key, value in record.items()
        if isinstance(value, str | int | float) and len(str(value)) <= 64
    }
    return {**scalars, "metadata": short}


def _number(params: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return int(params[name][0])
    except (KeyError, IndexError, ValueError):
        return default
