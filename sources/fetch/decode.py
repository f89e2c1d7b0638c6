"""Bytes to text: which encoding a fetched body is in, by the HTTP, HTML and XML rules.

Owns: the order of evidence (a byte order mark, then the Content-Type charset, then the page's
own declaration: HTML `<meta charset>` in the first 1024 bytes as the WHATWG prescan reads it,
the XML declaration's `encoding`; JSON is UTF-8 by RFC 8259 and never re-read, so its bad bytes
stay U+FFFD), the WHATWG rule that the Latin-1 labels mean windows-1252, checking a declared
charset against the bytes, and asking charset-normalizer only when the declared charset does not
decode. Each correction comes back as
a note naming the URL, for the harvest's warnings.

Must not: parse markup beyond the declaration, fetch, or touch the database.
"""

from __future__ import annotations

import codecs
import email.message
import re
from dataclasses import dataclass
from typing import Literal

import charset_normalizer

Kind = Literal["html", "xml", "json", "text"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# A multi-byte UTF-8 sequence: legacy single-byte text almost never forms one by chance, which is
# why valid UTF-8 with such sequences is read as UTF-8 whatever the label says.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
# The legacy code pages of the EU languages, most common mislabel first (WHATWG's default):
# the detector is only asked among these, and a tie goes to the earlier one.
_CANDIDATES = ("cp1252", "cp1250", "cp1257", "cp1253", "cp1251", "cp1254")
# WHATWG Encoding: these labels are windows-1252 (bytes 0x80-0x9F are its letters and dashes).
_LATIN1 = frozenset({"latin_1", "ascii", "iso8859_1"})


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the Python codec used
    note: str | None = None  # what was corrected, for the harvest's warnings


def decode_body(content: bytes, content_type: str | None, *, kind: Kind = "text", url: str = "") -> Decoded:
    """The body as text, and a note when the declared charset was not the bytes' encoding."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return Decoded(content[len(bom) :].decode(name, errors="replace"), name)
    label = "utf-8" if kind == "json" else header_charset(content_type) or _own_declaration(content, kind)
    declared = _codec(label) if label else None
    where = f" at {url}" if url else ""
    if label and declared is None:
        note = f"unknown charset {label!r} declared{where}; "
        found = _decode_undeclared(content)
        return Decoded(found.text, found.encoding, note + f"read as {found.encoding}")
    if kind == "json":
        # RFC 8259 §8.1: JSON is UTF-8. A stray byte in an ASCII body would otherwise send the
        # whole answer to the detector, which reads it as some plausible but different text.
        return _json_utf8(content, where)
    if declared in (None, "utf-8"):
        return _as_utf8(content, declared=label, where=where)
    if _UTF8_MULTIBYTE.search(content) and _valid_utf8(content):
        return Decoded(content.decode("utf-8"), "utf-8", f"declared {label} but the bytes{where} are UTF-8")
    try:
        return Decoded(_decode_legacy(content, declared), declared)
    except UnicodeDecodeError:
        found = _detect(content)
        text = found or content.decode(declared, errors="replace")
        encoding = found and _detected_name(content, found) or declared
        return Decoded(text, encoding, f"body{where} is not valid {label}; read as {encoding}")


def header_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, as written."""
    if not content_type:
        return None
    message = email.message.Message()
    message["Content-Type"] = content_type
    return message.get_content_charset() or None


def _own_declaration(content: bytes, kind: Kind) -> str | None:
    """The page's own declaration: `<meta charset>` (HTML) or `<?xml encoding?>` (XML)."""
    pattern = _META_CHARSET if kind == "html" else _XML_ENCODING if kind == "xml" else None
    found = pattern.search(content[:1024]) if pattern else None
    return found.group(1).decode("ascii").lower() if found else None


def _codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "cp1252" if name.replace("-", "_") in _LATIN1 else name


def _as_utf8(content: bytes, *, declared: str | None, where: str) -> Decoded:
    """Declared (or assumed) UTF-8: kept when valid; else the legacy code page the bytes are in."""
    try:
        return Decoded(content.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    said = f"declared {declared}" if declared else "no charset declared"
    if _UTF8_MULTIBYTE.search(content):
        # Mostly UTF-8 with a few bad bytes: any legacy reading would garble the good parts,
        # so only the bad bytes become U+FFFD and the fields holding them are not trusted.
        return Decoded(content.decode("utf-8", errors="replace"), "utf-8", f"invalid UTF-8{where} ({said})")
    found = _detect(content)
    if found is None:
        return Decoded(_decode_legacy(content, "cp1252"), "cp1252", f"{said}{where}; read as cp1252")
    encoding = _detected_name(content, found)
    return Decoded(found, encoding, f"{said} but the bytes{where} are not UTF-8; read as {encoding}")


def _json_utf8(content: bytes, where: str) -> Decoded:
    try:
        return Decoded(content.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        text = content.decode("utf-8", errors="replace")
        return Decoded(
            text, "utf-8", f"invalid UTF-8 in JSON{where}: {text.count(chr(0xFFFD))} byte(s) replaced"
        )


def _decode_undeclared(content: bytes) -> Decoded:
    try:
        return Decoded(content.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        found = _detect(content)
        if found is None:
            return Decoded(_decode_legacy(content, "cp1252"), "cp1252")
        return Decoded(found, _detected_name(content, found))


def _detect(content: bytes) -> str | None:
    """charset-normalizer's reading among the EU code pages: least chaos, then most coherence."""
    matches = list(charset_normalizer.from_bytes(content, cp_isolation=list(_CANDIDATES)))
    if not matches:
        return None

    def rank(match: charset_normalizer.CharsetMatch) -> tuple[float, float, int]:
        order = _CANDIDATES.index(match.encoding) if match.encoding in _CANDIDATES else len(_CANDIDATES)
        return (round(match.chaos, 3), -round(match.coherence, 3), order)

    return str(min(matches, key=rank))


def _detected_name(content: bytes, text: str) -> str:
    """cp1252 when it reads the same (charset-normalizer merges identical readings)."""
    try:
        return "cp1252" if content.decode("cp1252") == text else _which(content, text)
    except UnicodeDecodeError:
        return _which(content, text)


def _which(content: bytes, text: str) -> str:
    for name in _CANDIDATES:
        try:
            if content.decode(name) == text:
                return name
        except UnicodeDecodeError:
            continue
    return "detected"


def _decode_legacy(content: bytes, codec: str) -> str:
    """Strict, except that windows-1252's five unassigned bytes are C1 controls (as WHATWG maps them)."""
    if codec != "cp1252":
        return content.decode(codec)
    return content.decode("cp1252", errors="callwatch-c1")


def _c1(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


def _valid_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


codecs.register_error("callwatch-c1", _c1)
