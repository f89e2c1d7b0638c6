"""Keeping chat URLs out of logs: a filter on apprise's and urllib3's loggers.

Owns the scrubbing: every record those loggers emit has anything URL-shaped replaced by its
scheme and "…", and the secret parts of the URLs being sent right now (registered by the sender,
`secret_parts`) replaced by "…", before any handler sees it. apprise logs a webhook's whole URL
at DEBUG when it loads it and again when it posts, and urllib3 the request path; neither may
reach a log file. Installed on first use of apprise (`install_scrubber`), idempotently.

Must not: log anything itself, or keep a secret after its send is done.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import unquote, urlsplit

_URLISH = re.compile(r"\b([a-z][a-z0-9+.-]{1,15})://\S+", re.IGNORECASE)
_SCRUBBED_LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3")
_MIN_SECRET = 5


class _Secrets(logging.Filter):
    """Replaces the secrets of URLs being sent (and anything URL-shaped) in log records."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.secrets: dict[str, int] = {}

    def add(self, parts: list[str]) -> None:
        with self.lock:
            for part in parts:
                self.secrets[part] = self.secrets.get(part, 0) + 1

    def drop(self, parts: list[str]) -> None:
        with self.lock:
            for part in parts:
                self.secrets[part] -= 1
                if not self.secrets[part]:
                    del self.secrets[part]

    def clean(self, text: str) -> str:
        text = _URLISH.sub(lambda m: f"{m.group(1)}://…", text)
        with self.lock:
            secrets = sorted(self.secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, "…")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.clean(record.getMessage()), None
        record.exc_info, record.exc_text = None, None
        return True


SCRUB = _Secrets()


def install_scrubber() -> None:
    """Put the scrubber on apprise's and urllib3's loggers (once)."""
    for name in _SCRUBBED_LOGGERS:
        logger = logging.getLogger(name)
        if SCRUB not in logger.filters:
            logger.addFilter(SCRUB)


def secret_parts(url: str) -> list[str]:
    """The pieces of a URL that must never be logged: itself, its path, credentials, path segments."""
    parts = urlsplit(url)
    found = {url, url.partition("://")[2], parts.path, parts.query}
    found |= {unquote(p) for p in (parts.username, parts.password) if p}
    found |= {segment for segment in re.split(r"[/?&=#@:]", url.partition("://")[2])}
    return [part for part in found if len(part) >= _MIN_SECRET]
