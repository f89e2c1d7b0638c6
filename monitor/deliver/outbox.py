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
from monitor.deliver.message import message_bytes, stored_headers
from monitor.deliver.transport import Outcome, SendResult, Transport

__all__ = ["OutboxTransport"]

_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9._@+-]")


class OutboxTransport(Transport):
    """Writes `<Message-ID>.eml` files atomically instead of sending; always SENT unless the disk fails."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    async def send(self, message: EmailMessage, *, recipient: str) -> SendResult:
        return await self._write(message_bytes(message), self.path_for(message), recipient)

    async def send_raw(self, data: bytes, *, recipient: str, message_id: str | None = None) -> SendResult:
        """Stored bytes as they are, named by `message_id` (else by the Message-ID they carry)."""
        if message_id is None:
            message_id = str(stored_headers(data).get("Message-ID", ""))
        return await self._write(data, self.path_for_id(message_id), recipient)

    async def _write(self, data: bytes, path: Path, recipient: str) -> SendResult:
        try:
            clean_address(recipient)
        except ValueError as exc:
            return SendResult(Outcome.PERMANENT, None, str(exc), "envelope")
        try:
            await asyncio.to_thread(_write_atomically, path, data)
        except OSError as exc:
            return SendResult(Outcome.TRANSIENT, None, f"outbox: {exc}", "outbox")
        return SendResult(Outcome.SENT, None, f"written to {path}", "outbox")

    async def close(self) -> None:
        return None

    def path_for(self, message: EmailMessage) -> Path:
        """The file a message goes to; ValueError when it has no Message-ID (a bug in the caller)."""
        return self.path_for_id(str(message.get("Message-ID", "")))

    def path_for_id(self, message_id: str) -> Path:
        """The file the message with this Message-ID goes to."""
        message_id = message_id.strip()
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
