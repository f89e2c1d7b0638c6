"""Column helpers shared by the table modules: UTC instants, JSON lists and dicts, money, foreign keys.

Owns: how a kind of column is declared, so every table stores it the same way.
Must not: declare tables or hold behaviour.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, Numeric
from sqlmodel import Field

from db.types import JSONDict, JSONList, UTCDateTime


def utc_field(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def list_field() -> Any:
    return Field(default_factory=list, sa_type=JSONList)


def dict_field() -> Any:
    return Field(default_factory=dict, sa_type=JSONDict)


def money_field() -> Any:
    return Field(default=None, sa_type=Numeric(18, 2))


def fk_field(target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Any:
    return Field(
        default=None if nullable else ...,
        sa_column=Column(Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True),
    )
