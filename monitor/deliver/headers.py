"""Safe header values: any text from scraped pages or user input, made fit for one header line.

Owns: cleaning text before it reaches a header (one line, no controls, no
surrogates, bounded length), decoding any RFC 2047 encoded-words it carries
(and neutralising those it cannot decode), and checking addresses and domains.

Encoded-words are decoded, not passed through: on an unpatched Python (this
machine runs 3.11.7; gh-121650 fixed it in later security releases) a value
such as `=?UTF-8?Q?=0A?=Bcc: x` is decoded by the email package when set and
written back with a raw newline: an injected header (CVE-2024-6923). Even an
unknown charset decodes.

Addresses are ASCII only: a non-ASCII local part (`Anna.Kovač@…`) needs
SMTPUTF8 end to end, which we do not use, so it is refused with a clear
message; a non-ASCII domain is converted to its IDNA (xn--) form.

Must not: encode or fold headers (monitor.deliver.folding), build messages
(monitor.deliver.message), send mail, read settings or touch the database.
"""

from __future__ import annotations

import base64
import binascii
import re
from email.headerregistry import Address

__all__ = [
    "ENCODED_WORD",
    "LINE_BREAKS_AND_CONTROLS",
    "clean_address",
    "clean_domain",
    "clean_header_value",
    "clean_mailbox",
]

_DECODE_PASSES = 4  # decoding can reveal another encoded-word; give up (and neutralise) after this
_NAME_MAX = 120  # display names

# Exactly the shape the email package decodes: `=?charset?cte?text?=` with no `?` inside the parts.
ENCODED_WORD = re.compile(r"=\?([^?]*)\?([^?]*)\?([^?]*)\?=")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
# Unicode categories Cc (C0, DEL, C1 including U+0085), Zl (U+2028) and Zp (U+2029).
# tests/test_mail_headers.py checks this set against unicodedata for every code point.
LINE_BREAKS_AND_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACE_RUNS = re.compile(" {2,}")

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_LOCAL_PART = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def clean_header_value(value: str, *, max_length: int = 300) -> str:
    """Text from anywhere, made safe for one header line: one line, no controls, at most max_length."""
    if max_length < 1:
        raise ValueError("max_length must be at least 1")
    text = _decode_encoded_words(value)
    text = LINE_BREAKS_AND_CONTROLS.sub(" ", text)
    text = _SURROGATES.sub("\ufffd", text)
    text = _SPACE_RUNS.sub(" ", text).strip()
    if ENCODED_WORD.search(text):
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
    for match in ENCODED_WORD.finditer(text):
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
    if LINE_BREAKS_AND_CONTROLS.search(address):
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
    domain = clean_domain(domain, address)
    result = f"{local}@{domain}"
    if len(result) > 254:
        raise ValueError(f"invalid e-mail address {address!r}: longer than 254 characters")
    return result


def clean_domain(domain: str, original: str) -> str:
    """A domain in lower-case ASCII (IDNA for non-ASCII), or ValueError naming `original`."""
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
