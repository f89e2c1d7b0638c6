"""One chat message through apprise, off the event loop, with its HTTP status and no URL in any log.

Owns the call into apprise and what it tells us:
- the plugin is built for the one URL (memory-only storage, redirects off: a webhook host that
  passed the SSRF guard cannot bounce the request to a private one) and run in a thread with a
  timeout, since apprise is synchronous;
- apprise returns only a bool, but every supported plugin logs a failed HTTP answer as
  "...error=<status>." at WARNING: a handler on apprise's logger, for the sending thread only,
  reads the status from it (None: no answer, a connection error or a timeout);
- while a URL is being sent, its secret parts are registered with the log scrubber
  (`monitor.chatlog`), which also replaces anything URL-shaped in apprise's and urllib3's records.

Must not: touch the database or decide on retries (`monitor.deliver.chat` does).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from monitor.chatlog import SCRUB, install_scrubber, secret_parts

_STATUS = re.compile(r"error=(\d{3})\b")


@dataclass(frozen=True)
class ChatAnswer:
    ok: bool
    status: int | None  # the HTTP status of a failed answer, when the service gave one
    detail: str  # masked: never the URL


class _Capture(logging.Handler):
    """Collects apprise's messages logged by one thread."""

    def __init__(self, thread: int) -> None:
        super().__init__(logging.DEBUG)
        self.thread, self.lines = thread, []  # type: ignore[var-annotated]

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append((record.levelno, record.getMessage()))


def _notify(url: str, title: str, body: str) -> ChatAnswer:
    # The secrets stay registered until this thread is done, even after a timeout gave up on it.
    parts = secret_parts(url)
    SCRUB.add(parts)
    try:
        return _notify_plugin(url, title, body)
    finally:
        SCRUB.drop(parts)


def _notify_plugin(url: str, title: str, body: str) -> ChatAnswer:
    import apprise  # loaded on first send: ~150 plugins

    logger = logging.getLogger("apprise")
    capture = _Capture(threading.get_ident())
    raised = logger.level == logging.NOTSET or logger.level > logging.WARNING
    before = logger.level
    if raised:
        logger.setLevel(logging.WARNING)  # the status line must be emitted whatever the app's level
    logger.addHandler(capture)
    try:
        asset = apprise.AppriseAsset(storage_mode="memory")
        plugin: Any = apprise.Apprise.instantiate(url, asset=asset, suppress_exceptions=True)
        if plugin is None:
            return ChatAnswer(False, None, "apprise no longer recognises this URL")
        if hasattr(plugin, "redirects"):
            plugin.redirects = False
        ok = bool(plugin.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
    except Exception as exc:  # noqa: BLE001 - a plugin's bug is this message's failure, not the run's
        return ChatAnswer(False, None, SCRUB.clean(f"{type(exc).__name__}: {exc}"))
    finally:
        logger.removeHandler(capture)
        if raised:
            logger.setLevel(before)
    if ok:
        return ChatAnswer(True, None, "sent")
    statuses = [int(m.group(1)) for _, line in capture.lines for m in _STATUS.finditer(line)]
    # apprise's own summary (WARNING and up), not a DEBUG echo of what the server answered.
    said = [line for level, line in capture.lines if level >= logging.WARNING]
    detail = SCRUB.clean(said[-1]) if said else "the service did not accept the message"
    return ChatAnswer(False, statuses[-1] if statuses else None, detail[:300])


async def notify(url: str, *, title: str, body: str, timeout: float) -> ChatAnswer:
    """Send one message to one apprise URL in a thread; a timeout is an answer without a status."""
    install_scrubber()
    try:
        return await asyncio.wait_for(asyncio.to_thread(_notify, url, title, body), timeout)
    except TimeoutError:
        return ChatAnswer(False, None, f"no answer within {timeout:g} s")
