"""The control-flow errors of fetching and parsing a source, in one place.

Owns: `SourceError` and its kinds, and `NotModified`; each says who raises
it and who catches it. Raised by the polite client (`sources.fetch`) and by
every kind's parsing; caught by `Source.harvest`'s caller,
`monitor.poll.pipeline.run_source`, which records the run as failed and never
touches stored calls. Add a new error here only with its docstring.

Must not: import anything of the project.
"""

from __future__ import annotations


class SourceError(Exception):
    """A source misbehaved: the base of every error below except NotModified.

    Raised through its subclasses only. Caught by `monitor.poll.pipeline.run_source`, which
    records the run as failed with `reason` and the message and leaves stored calls alone;
    kinds also catch it around one optional request (a detail page, a later listing page,
    ft-portal's topicDetails) to turn that failure into a harvest warning.
    """

    reason = "source error"

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        return f"{self.message} ({self.url})" if self.url else self.message


class FetchError(SourceError):
    """The exchange itself failed: network error, HTTP error status, deadline or size cap.

    Raised by `sources.fetch.client.PoliteClient` (and `sources.fetch.policy` when it gives
    up after the last attempt or a too-long Retry-After), and by the eccp kind when every
    detail page failed. Caught as a SourceError (see there); `status` carries the HTTP
    status when there was one.
    """

    reason = "fetch failed"

    def __init__(self, message: str, *, url: str | None = None, status: int | None = None) -> None:
        super().__init__(message, url=url)
        self.status = status


class ParseError(SourceError):
    """The body arrived but is not what the kind expects (not JSON, no results list...).

    Raised by `FetchResult.json()` and by each kind's parsing (ft-portal's answer checks,
    the feed kind's XML reading). Caught as a SourceError (see there).
    """

    reason = "parse failed"


class LayoutChanged(ParseError):
    """The page parsed, but its markup no longer fits the configured selectors.

    Raised by the HTML kinds (`selectors`, `eccp`) and the feed kind when items are missing
    without the configured empty marker, or when more than half of them lack required
    fields. Caught as a SourceError (see there); it tells the operator to fix the TOML file.
    """

    reason = "layout changed"


class QueryIgnored(SourceError):
    """The remote API answered but evidently ignored our query (e.g. 541,009 results).

    Raised by the ft-portal kind when totalResults reaches `query_ignored_threshold`, so the
    whole portal index is never stored. Caught as a SourceError (see there).
    """

    reason = "query ignored"


class NotModified(Exception):  # noqa: N818 - a signal, not an error
    """The source answered 304 to a conditional GET: nothing to parse.

    Nothing raises or catches it today: the `selectors` and `feed` kinds see
    `FetchResult.not_modified` and return `Harvest(not_modified=True)`, which the pipeline
    records as a not-modified run. It is not a SourceError, so a kind that raised it would
    have to catch it itself; `run_source` would record it as an internal error.
    """
