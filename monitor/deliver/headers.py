"""Safe e-mail headers and the MIME message every Callwatch mail is built from.

Owns: cleaning any text from scraped pages or user input before it reaches a
header, validating addresses and Message-IDs, and building the message with
our own RFC 2047 encoding and folding of the top-level headers.

Why not leave the headers to the email package:
- On an unpatched Python (this machine runs 3.11.7; gh-121650 fixed it in later
  security releases) a value such as `=?UTF-8?Q?=0A?=Bcc: x` is decoded when set
  and written back with a raw newline: an injected header (CVE-2024-6923). Even
  an unknown charset decodes.
- Its folder drops the spaces around encoded-words when it folds a long subject
  mixing ASCII and non-ASCII words, so the subject read back differs.
- It RFC 2047-encodes any ASCII token longer than a line, so a long
  `List-Unsubscribe` URL arrives as `=?utf-8?q?=3Chttps...?=` and the
  mailbox provider shows no unsubscribe button.
So top-level headers are validated, encoded and folded here and stored with
`set_raw`; the email package only builds the MIME body parts. Always serialise
with `message_bytes()` (its policy writes those raw values untouched).

Non-ASCII text is sent as UTF-8 encoded-words (RFC 2047) for the non-ASCII
runs only. A run longer than one encoded-word gives several side by side: mail
clients join them exactly; Python's address parser (not its unstructured one)
keeps one space between them in a display name.

Addresses are ASCII only: a non-ASCII local part (`Anna.Kovač@…`) needs
SMTPUTF8 end to end, which we do not use, so it is refused with a clear
message; a non-ASCII domain is converted to its IDNA (xn--) form.

Must not: send mail, read settings or touch the database.
"""

from __future__ import annotations

import base64
import binascii
import email.policy
import email.utils
import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from types import MappingProxyType

__all__ = [
    "WIRE_POLICY",
    "build_message",
    "clean_address",
    "clean_header_value",
    "clean_mailbox",
    "message_bytes",
    "message_id_for",
]

# SMTP policy (CRLF, 7-bit) that writes raw header values as stored instead of
# refolding long lines through the header parser (which would RFC 2047-encode URLs).
WIRE_POLICY = email.policy.SMTP.clone(refold_source="none")

_LINE = 78  # RFC 5322 "SHOULD" line length; the hard limit is 998
_HARD_LINE = 998
_EW_MAX = 75  # RFC 2047: an encoded-word is at most 75 characters
_DECODE_PASSES = 4  # decoding can reveal another encoded-word; give up (and neutralise) after this
_NAME_MAX = 120  # display names
_EXTRA_MAX = 900  # other header values: refused, never truncated (a cut URL is worse than an error)

# Exactly the shape the email package decodes: `=?charset?cte?text?=` with no `?` inside the parts.
_ENCODED_WORD = re.compile(r"=\?([^?]*)\?([^?]*)\?([^?]*)\?=")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
# Unicode categories Cc (C0, DEL, C1 including U+0085), Zl (U+2028) and Zp (U+2029).
# tests/test_mail_headers.py checks this set against unicodedata for every code point.
_LINE_BREAKS_AND_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACE_RUNS = re.compile(" {2,}")

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_LOCAL_PART = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# atext without "=" and "?", so a Message-ID can never look like an encoded-word.
_MSG_ID = re.compile(r"<[A-Za-z0-9!#$%&'*+/^_`{|}~.-]+@[A-Za-z0-9.-]+>")
_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")
_KIND = re.compile(r"[A-Za-z0-9-]+")
_PHRASE_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")

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


# --- cleaning -------------------------------------------------------------------------------


def clean_header_value(value: str, *, max_length: int = 300) -> str:
    """Text from anywhere, made safe for one header line: one line, no controls, at most max_length."""
    if max_length < 1:
        raise ValueError("max_length must be at least 1")
    text = _decode_encoded_words(value)
    text = _LINE_BREAKS_AND_CONTROLS.sub(" ", text)
    text = _SURROGATES.sub("\ufffd", text)
    text = _SPACE_RUNS.sub(" ", text).strip()
    if _ENCODED_WORD.search(text):
        # Still encoded after several passes (nested, or a payload we cannot decode):
        # break the syntax so no later parser decodes it either.
        text = text.replace("=?", "= ?")
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


def _decode_encoded_words(text: str) -> str:
    for _ in range(_DECODE_PASSES):
        decoded = _decode_once(text)
        if decoded == text:
            break
        text = decoded
    return text


def _decode_once(text: str) -> str:
    parts: list[str] = []
    run: list[tuple[str, bytes]] = []  # adjacent encoded-words, joined before decoding
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        word = _encoded_word_bytes(match)
        if word is None:
            _flush(parts, run)
            parts.append(gap + match.group())
        else:
            # RFC 2047 §6.2: whitespace between two encoded-words is not displayed.
            if not run or gap.strip():
                _flush(parts, run)
                parts.append(gap)
            run.append(word)
        position = match.end()
    _flush(parts, run)
    parts.append(text[position:])
    return "".join(parts)


def _encoded_word_bytes(match: re.Match[str]) -> tuple[str, bytes] | None:
    charset, cte, payload = match.groups()
    try:
        raw = payload.encode("ascii")
    except UnicodeEncodeError:
        return None
    cte = cte.lower()
    if cte == "q":
        data = _Q_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), raw.replace(b"_", b" "))
    elif cte == "b":
        compact = b"".join(raw.split())
        try:
            data = base64.b64decode(compact + b"=" * (-len(compact) % 4))
        except (binascii.Error, ValueError):
            return None
    else:
        return None
    return charset.split("*", 1)[0].strip().lower(), data


def _flush(parts: list[str], run: list[tuple[str, bytes]]) -> None:
    # Words in the same charset are joined first: a multi-byte character may be split across two.
    while run:
        charset, data = run.pop(0)
        while run and run[0][0] == charset:
            data += run.pop(0)[1]
        try:
            parts.append(data.decode(charset, errors="replace"))
        except LookupError:
            # Unknown charset: the email package still decodes these (as ASCII), so must we.
            parts.append(data.decode("latin-1"))


def clean_address(address: str) -> str:
    """A single bare addr-spec for To/From/the envelope, or ValueError saying what is wrong."""
    if _LINE_BREAKS_AND_CONTROLS.search(address):
        raise ValueError(f"invalid e-mail address {address!r}: contains a line break or control character")
    value = address.strip()
    for character, why in ((",", "a second address"), (";", "a second address"), ("<", "angle brackets")):
        if character in value:
            raise ValueError(f"invalid e-mail address {address!r}: {character!r} ({why}) is not allowed")
    if ">" in value:
        raise ValueError(f"invalid e-mail address {address!r}: '>' (angle brackets) is not allowed")
    if any(character.isspace() for character in value):
        raise ValueError(f"invalid e-mail address {address!r}: contains whitespace")
    if value.count("@") != 1:
        raise ValueError(f"invalid e-mail address {address!r}: needs exactly one '@'")
    local, domain = value.split("@")
    if not local.isascii():
        raise ValueError(
            f"invalid e-mail address {address!r}: non-ASCII local part needs SMTPUTF8, "
            "which Callwatch does not use; ask for an ASCII address"
        )
    if len(local) > 64:
        raise ValueError(f"invalid e-mail address {address!r}: local part longer than 64 characters")
    if not _LOCAL_PART.fullmatch(local) or "=?" in local:
        raise ValueError(
            f"invalid e-mail address {address!r}: local part may only hold letters, digits, "
            "dots (not first, last or doubled) and !#$%&'*+/=?^_`{|}~-"
        )
    domain = _clean_domain(domain, address)
    result = f"{local}@{domain}"
    if len(result) > 254:
        raise ValueError(f"invalid e-mail address {address!r}: longer than 254 characters")
    return result


def _clean_domain(domain: str, original: str) -> str:
    domain = domain.lower()
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"invalid e-mail address {original!r}: bad international domain") from None
    labels = domain.split(".")
    if len(domain) > 253 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise ValueError(
            f"invalid e-mail address {original!r}: domain must be dot-separated labels of "
            "letters, digits and inner hyphens"
        )
    return domain


def clean_mailbox(value: str) -> Address:
    """`Name <addr>` or a bare `addr`, as an Address with a cleaned display name and a clean address."""
    text = value.strip()
    if text.endswith(">") and "<" in text:
        name, _, addr = text[:-1].rpartition("<")
        name = name.strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = re.sub(r"\\(.)", r"\1", name[1:-1])
        return Address(
            display_name=clean_header_value(name, max_length=_NAME_MAX), addr_spec=clean_address(addr)
        )
    return Address(addr_spec=clean_address(text))


def message_id_for(kind: str, key: str, domain: str) -> str:
    """Deterministic `<kind.sha256(key)[:24]@domain>`: a re-send carries the same Message-ID.

    `domain` may also be the sender address (`Callwatch <alerts@example.org>`); its domain is used.
    """
    if not _KIND.fullmatch(kind):
        raise ValueError(f"message kind must be letters, digits and hyphens, got {kind!r}")
    domain = domain.strip().rpartition("@")[2].rstrip(">").strip()
    domain = _clean_domain(domain, domain)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
    return f"<{kind}.{digest}@{domain}>"


# --- encoding and folding -------------------------------------------------------------------


def _q_encode(data: bytes) -> str:
    return "".join("_" if byte == 0x20 else chr(byte) if byte in _Q_SAFE else f"={byte:02X}" for byte in data)


def _encoded_word(text: str, use_b: bool) -> str:
    data = text.encode("utf-8")
    if use_b:
        return f"=?utf-8?b?{base64.b64encode(data).decode('ascii')}?="
    return f"=?utf-8?q?{_q_encode(data)}?="


def _encoded_words(text: str, first_room: int) -> list[str]:
    """`text` as UTF-8 encoded-words of at most 75 characters, split between characters.

    Decoders ignore the whitespace between adjacent encoded-words, so every space
    of the text travels inside them and the text reads back exactly.
    """
    data = text.encode("utf-8")
    use_b = len(base64.b64encode(data)) < len(_q_encode(data))
    words: list[str] = []
    chunk = ""
    room = min(_EW_MAX, max(first_room, 16))
    for character in text:
        if chunk and len(_encoded_word(chunk + character, use_b)) > room:
            words.append(_encoded_word(chunk, use_b))
            chunk, room = "", _EW_MAX
        chunk += character
    if chunk:
        words.append(_encoded_word(chunk, use_b))
    return words


def _unstructured_tokens(text: str, first_room: int, plain: Callable[[str], str] = str) -> list[str]:
    """Space-separated tokens; runs of words with non-ASCII become encoded-words, the rest stays plain.

    A run is maximal, so two encoded runs are always separated by a plain word and
    the spaces around the run survive decoding (the email package's folder loses them).
    Only a run longer than one encoded-word gives adjacent encoded-words.
    """
    tokens: list[str] = []
    run: list[str] = []
    for word in text.split(" "):
        if word.isascii():
            if run:
                tokens.extend(_encoded_words(" ".join(run), first_room if not tokens else _EW_MAX))
                run = []
            tokens.append(plain(word))
        else:
            run.append(word)
    if run:
        tokens.extend(_encoded_words(" ".join(run), first_room if not tokens else _EW_MAX))
    return tokens


def _quoted_if_special(word: str) -> str:
    if _PHRASE_SPECIALS.search(word) or _ENCODED_WORD.search(word):
        return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


def _fold(name: str, tokens: list[str]) -> str:
    """Join tokens with single spaces; a space becomes a line break where the line would pass 78.

    Folding only at existing spaces means unfolding gives back exactly the joined text.
    """
    lines: list[str] = []
    current = ""
    room = _LINE - len(name) - 2
    for index, token in enumerate(tokens):
        if index == 0:
            current = token
        elif len(current) + 1 + len(token) <= room:
            current += " " + token
        else:
            lines.append(current)
            current, room = " " + token, _LINE
    lines.append(current)
    return "\n".join(lines)


def _set_header(message: EmailMessage, name: str, value: str) -> None:
    """Store a pre-folded value; the last line of defence checks what we are about to write."""
    lines = value.split("\n")
    if (
        not value.isascii()
        or _LINE_BREAKS_AND_CONTROLS.search(value.replace("\n", ""))
        or any(not line.startswith(" ") or not line.strip() for line in lines[1:])
        or len(name) + 2 + len(lines[0]) > _HARD_LINE
        or any(len(line) > _HARD_LINE for line in lines[1:])
    ):
        raise ValueError(f"refusing to write header {name!r}: unsafe folded value {value!r}")
    message.set_raw(name, value)


def _unstructured(name: str, text: str) -> str:
    return _fold(name, _unstructured_tokens(text, _LINE - len(name) - 2))


def _mailbox(name: str, address: Address) -> str:
    display = address.display_name
    if not display:
        phrase = []
    elif display.isascii():
        phrase = [_quoted_if_special(display)]
    else:
        # Encoded runs as in unstructured text: Python's address parser (unlike mail clients)
        # keeps the space between two adjacent encoded-words of a display name.
        phrase = _unstructured_tokens(display, _LINE - len(name) - 2, _quoted_if_special)
    return _fold(name, [*phrase, f"<{address.addr_spec}>"] if phrase else [address.addr_spec])


# --- the message ----------------------------------------------------------------------------

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


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
    _set_header(message, "From", _mailbox("From", clean_mailbox(sender)))
    _set_header(message, "To", _mailbox("To", clean_mailbox(to)))
    _set_header(message, "Subject", _unstructured("Subject", clean_header_value(subject)))
    _set_header(message, "Date", email.utils.format_datetime(date))
    _set_header(message, "Message-ID", message_id)
    for name, value in extra:
        _set_header(message, name, _unstructured(name, value))

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
