"""The MIME message every Callwatch mail is built from, and its bytes on the wire.

Owns: building the message (text/plain, optionally with text/html as
multipart/alternative, UTF-8 quoted-printable), the top-level headers and
which extra headers are allowed, deterministic Message-IDs, and WIRE_POLICY.

Top-level headers are cleaned (monitor.deliver.headers), encoded and folded
(monitor.deliver.folding) by us and stored with `set_raw`; the email package
only builds the MIME body parts. Always serialise with `message_bytes()`: its
policy writes those raw values untouched.

Must not: send mail, read settings or touch the database.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage, MIMEPart
from types import MappingProxyType

from monitor.deliver.folding import check_folded, fold_mailbox, fold_unstructured
from monitor.deliver.headers import clean_domain, clean_header_value, clean_mailbox

__all__ = ["WIRE_POLICY", "build_message", "message_bytes", "message_id_for", "stored_headers"]

# SMTP policy (CRLF, 7-bit) that writes raw header values as stored instead of
# refolding long lines through the header parser (which would RFC 2047-encode URLs).
WIRE_POLICY = email.policy.SMTP.clone(refold_source="none")

_EXTRA_MAX = 900  # other header values: refused, never truncated (a cut URL is worse than an error)

# atext without "=" and "?", so a Message-ID can never look like an encoded-word.
_MSG_ID = re.compile(r"<[A-Za-z0-9!#$%&'*+/^_`{|}~.-]+@[A-Za-z0-9.-]+>")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")
_KIND = re.compile(r"[A-Za-z0-9-]+")

# Set by build_message itself, or able to change who receives the mail or how it parses.
_RESERVED_HEADERS = frozenset(
    {
        "from",
        "to",
        "cc",
        "bcc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "sender",
        "reply-to",
        "return-path",
        "received",
    }
)
_RESERVED_PREFIXES = ("content-", "resent-")

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def message_id_for(kind: str, key: str, domain: str) -> str:
    """Deterministic `<kind.sha256(key)[:24]@domain>`: a re-send carries the same Message-ID.

    `domain` may also be the sender address (`Callwatch <alerts@example.org>`); its domain is used.
    """
    if not _KIND.fullmatch(kind):
        raise ValueError(f"message kind must be letters, digits and hyphens, got {kind!r}")
    domain = domain.strip().rpartition("@")[2].rstrip(">").strip()
    domain = clean_domain(domain, domain)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return f"<{kind}.{digest}@{domain}>"


def _set_header(message: EmailMessage, name: str, value: str) -> None:
    """Store a pre-folded value, once check_folded has passed it."""
    check_folded(name, value)
    message.set_raw(name, value)


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None,
    message_id: str,
    date: datetime,
    headers: Mapping[str, str] = _NO_HEADERS,
) -> EmailMessage:
    """A 7-bit clean message: text/plain (+ text/html as multipart/alternative), UTF-8 quoted-printable.

    `sender` and `to` are `Name <addr>` or a bare address; `subject` is cleaned
    (and cut to 300 characters); `headers` adds e.g. List-Id, List-Unsubscribe,
    List-Unsubscribe-Post, Auto-Submitted, X-Callwatch-Kind, each name a plain
    token and each value cleaned, never truncated (ValueError when too long).
    """
    if not _MSG_ID.fullmatch(message_id) or len(message_id) > 250:
        raise ValueError(f"message_id must look like <left@domain.example>, got {message_id!r}")
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("date must be timezone-aware")
    extra = _extra_headers(headers)

    message = EmailMessage(policy=WIRE_POLICY)
    _set_header(message, "From", fold_mailbox("From", clean_mailbox(sender)))
    _set_header(message, "To", fold_mailbox("To", clean_mailbox(to)))
    _set_header(message, "Subject", fold_unstructured("Subject", clean_header_value(subject)))
    _set_header(message, "Date", email.utils.format_datetime(date))
    _set_header(message, "Message-ID", message_id)
    for name, value in extra:
        _set_header(message, name, fold_unstructured(name, value))

    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if html is not None:
        message.make_alternative()
        # A MIMEPart, unlike add_alternative's EmailMessage, gets no stray MIME-Version header.
        part = MIMEPart(policy=WIRE_POLICY)
        part.set_content(html, subtype="html", charset="utf-8", cte="quoted-printable")
        message.attach(part)
    return message


def _extra_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    result = []
    for name, value in headers.items():
        lower = name.lower()
        if not _HEADER_NAME.fullmatch(name) or len(name) > 70:
            raise ValueError(f"header name must be letters, digits and hyphens, got {name!r}")
        if lower in _RESERVED_HEADERS or lower.startswith(_RESERVED_PREFIXES):
            raise ValueError(f"header {name!r} is set by build_message or not allowed as an extra header")
        if lower in seen:
            raise ValueError(f"header {name!r} given twice")
        seen.add(lower)
        cleaned = clean_header_value(value, max_length=_EXTRA_MAX + 1)
        if len(cleaned) > _EXTRA_MAX:
            raise ValueError(f"header {name!r} is longer than {_EXTRA_MAX} characters")
        # RFC 2369 list headers and Auto-Submitted are structured: encoded-words would break them.
        if (lower.startswith("list-") and lower != "list-id" or lower == "auto-submitted") and (
            not cleaned.isascii()
        ):
            raise ValueError(f"header {name!r} must be ASCII (percent-encode URLs)")
        result.append((name, cleaned))
    return result


def message_bytes(message: EmailMessage) -> bytes:
    """The message as sent on the wire or written to the outbox: CRLF, 7-bit, raw headers untouched."""
    return message.as_bytes(policy=WIRE_POLICY)


def stored_headers(data: bytes) -> EmailMessage:
    """The top-level headers of stored message bytes (the body is not parsed): what a transport
    sending the bytes as they are reads its envelope sender and the outbox its file name from."""
    head = data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    parser = email.parser.BytesHeaderParser(policy=WIRE_POLICY)
    return parser.parsebytes(head)  # type: ignore[return-value]
