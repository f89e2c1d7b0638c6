"""The control-flow errors of fetching and parsing a source, in one place.

Each says who raises it and who catches it. Raised by the polite client
(`sources.fetch`) and by every kind's parsing; caught by `Source.harvest`'s
caller, `monitor.poll.pipeline.run_source`, which records the run as failed
and never touches stored calls. Add a new error here only with its docstring.

Must not: import anything of the project.
"""

from __future__ import annotations


class SourceError(Exception):
    """A source misbehaved. The run fails; stored calls are never touched."""

    reason = "source error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        return f"{self.message} ({self.url})" if self.url else self.message


class FetchError(SourceError):
    """Network failure, HTTP error status, overall deadline or size cap hit."""

    reason = "fetch failed"

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class ParseError(SourceError):
    """The body is not what this source kind expects (not JSON, missing keys...)."""

    reason = "parse failed"


class LayoutChanged(ParseError):
    """Selectors matched nothing or required fields came out empty: the site changed."""

    reason = "layout changed"


class QueryIgnored(SourceError):
    """The remote API answered, but evidently ignored our query (e.g. 541,009 results)."""

    reason = "query ignored"


class NotModified(Exception):  # noqa: N818 - a signal, not an error
    """The source answered 304 to a conditional GET: nothing to parse."""
