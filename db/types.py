"""Column types shared by the tables: aware-UTC datetimes and JSON lists.

SQLite keeps no time zone, so every datetime is stored as naive UTC and
handed back aware; a naive datetime given to the database is a bug and is
refused here rather than silently taken as local time.
Must not: know any table; the tables in `db.models` use these types.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, naive UTC on disk."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given to the database; use aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONList(TypeDecorator[list[Any]]):
    """A JSON array; None reads back as an empty list."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: list[Any] | None, dialect: Dialect) -> list[Any]:
        return list(value or [])

    def process_result_value(self, value: list[Any] | None, dialect: Dialect) -> list[Any]:
        return list(value or [])


class JSONDict(TypeDecorator[dict[str, Any]]):
    """A JSON object; None reads back as an empty dict."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any]:
        return dict(value or {})

    def process_result_value(self, value: dict[str, Any] | None, dialect: Dialect) -> dict[str, Any]:
        return dict(value or {})
