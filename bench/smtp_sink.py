"""A loopback SMTP server (tests/smtpserver.py, aiosmtpd) in its own process that only counts.

Started by bench/digests.py so the server's work and memory stay out of the measured process (as
a real provider's would). Prints its port, then answers each line on stdin with
`<messages> <bytes>` received so far; stops at end of input.

    .venv/bin/python bench/smtp_sink.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.smtpserver import LocalSMTPServer  # noqa: E402


class Counter:
    """Stands in for the handler's list of received messages: counts instead of keeping them."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    def append(self, received: object) -> None:
        self.messages += 1
        self.bytes += len(getattr(received, "data", b""))


def main() -> None:
    server = LocalSMTPServer()
    counter = Counter()
    server.handler.received = counter  # type: ignore[assignment]
    server.start()
    print(server.port, flush=True)
    try:
        for _ in sys.stdin:
            print(counter.messages, counter.bytes, flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
