"""Shared pytest fixtures: database per test, frozen clock, HTTP and SMTP servers.

Fixture modules live beside this file and are registered here, so each
stays small: `tests.dbfixtures` (fresh database per test, SQLite or
PostgreSQL, and the frozen clock), `tests.httpserver` (real local HTTP
server and in-process replay), `tests.smtpserver` (real local SMTP server).
`--update-golden` makes `tests/sources/test_every_source.py` rewrite
`tests/expected/<source-id>.json` instead of comparing with it.
"""

import pytest

import tests.kinds  # noqa: F401 - registers the "scripted" test source kind

pytest_plugins = [
    "tests.dbfixtures",
    "tests.httpserver",
    "tests.smtpserver",
    "tests.mailworld",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/expected/<source-id>.json from the recordings (review the diff, then commit)",
    )
