"""The outbox: with no SMTP configured (development and tests), each message becomes a file.

Owns writing `<Message-ID>.eml` atomically (0600, fsync, rename), so a re-send
overwrites instead of duplicating, and naming that file safely.

Must not: send mail, build or render messages, decide on retries, touch the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from email.message import EmailMessage
from pathlib import Path

from monitor.deliver.headers import clean_address
from monitor.deliver.message import message_bytes
from monitor.deliver.transport import Outcome, SendResult, Transport

__all__ = ["OutboxTransport"]

_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._@+-]")


class OutboxTransport(Transport):
    """Writes `<Message-ID>.eml` files atomically instead of sending; always SENT unless the disk fails."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    async def send(self, message: EmailMessage, *, recipient: str) -> SendResult:
        try:
            clean_address(recipient)
        except ValueError as exc:
            return SendResult(Outcome.PERMANENT, None, str(exc), "envelope")
        path = self.path_for(message)
        try:
            await asyncio.to_thread(_write_atomically, path, message_bytes(message))
        except OSError as exc:
            return SendResult(Outcome.TRANSIENT, None, f"outbox: {exc}", "outbox")
        return SendResult(Outcome.SENT, None, f"written to {path}", "outbox")

    async def close(self) -> None:
        return None

    def path_for(self, message: EmailMessage) -> Path:
        """The file a message goes to; ValueError when it has no Message-ID (a bug in the caller)."""
        message_id = str(message.get("Message-ID", "")).strip()
        if not message_id:
            raise ValueError("OutboxTransport needs a Message-ID to name the file")
        bare = message_id.removeprefix("<").removesuffix(">")
        name = _SAFE_FILENAME.sub("_", bare)[:150]
        if name != bare:
            # Keep two different IDs from mapping to the same file after replacing characters.
            name += "-" + hashlib.sha256(message_id.encode("utf-8")).hexdigest()[:12]
        return self.directory / f"{name}.eml"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600: mails hold addresses and unsubscribe tokens.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
