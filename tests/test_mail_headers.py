"""Header safety (reliability.md X3/M13, CVE-2024-6923): cleaning header text and checking addresses."""

from __future__ import annotations

import base64
import email
import email.policy
import sys
import unicodedata
from email.message import EmailMessage

import pytest

from monitor.deliver.headers import clean_address, clean_header_value, clean_mailbox

# Each payload tries to smuggle a Bcc header; `expected` is what the cleaned value reads.
INJECTIONS = {
    "crlf": ("Call for proposals\r\nBcc: evil@x.example", "Call for proposals Bcc: evil@x.example"),
    "lf": ("Call\nBcc: evil@x.example", "Call Bcc: evil@x.example"),
    "cr": ("Call\rBcc: evil@x.example", "Call Bcc: evil@x.example"),
    "q-encoded-lf": ("=?UTF-8?Q?=0A?=Bcc: x", "Bcc: x"),
    "q-encoded-crlf-mid": ("Call =?utf-8?q?=0D=0ABcc:_evil@x.example?= now", "Call Bcc: evil@x.example now"),
    "b-encoded": (
        "=?UTF-8?B?" + base64.b64encode(b"x\r\nBcc: evil@x").decode() + "?=",
        "x Bcc: evil@x",
    ),
    "unknown-charset": ("=?x-unknown?Q?=0A?=Bcc: x", "Bcc: x"),
    "nested-encoding": ("=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0A=3F=3D?=Bcc: y", "Bcc: y"),
    "u2028": ("Call\u2028Bcc: evil@x.example", "Call Bcc: evil@x.example"),
    "u2029": ("Call\u2029Bcc: evil@x.example", "Call Bcc: evil@x.example"),
    "nel": ("Call\x85Bcc: evil@x.example", "Call Bcc: evil@x.example"),
    "nul": ("Call\x00Bcc: evil@x.example", "Call Bcc: evil@x.example"),
}


# --- the CVE is real here -------------------------------------------------------------------


def test_the_payload_is_real_on_this_python() -> None:
    """Negative control: the email package alone injects (3.11.7) or refuses (patched Pythons)."""
    naive = EmailMessage()
    naive["Subject"] = "=?UTF-8?Q?=0A?=Bcc: x"
    try:
        raw = naive.as_bytes(policy=email.policy.SMTP)
    except email.errors.HeaderWriteError:  # type: ignore[attr-defined]  # patched Pythons
        return
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] == "x", f"expected the CVE-2024-6923 injection on {sys.version}"


# --- clean_header_value ---------------------------------------------------------------------


@pytest.mark.parametrize(("payload", "expected"), INJECTIONS.values(), ids=INJECTIONS.keys())
def test_clean_header_value_removes_every_line_break(payload: str, expected: str) -> None:
    assert clean_header_value(payload) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  many   spaces\there  ", "many spaces here"),
        ("=?utf-8?q?caf?= =?utf-8?q?=C3=A9?= ok", "café ok"),  # adjacent encoded-words join
        ("=?utf-8?b?w6k=?=", "é"),
        ("Appel à projets : Ελλάδα", "Appel à projets : Ελλάδα"),  # the NBSP before ":" stays
        ("broken =?utf-8?q?a?b?= text", "broken =?utf-8?q?a?b?= text"),  # not an encoded-word: kept
        ("=?utf-8?q?=C3=A9=E9?=", "é\ufffd"),  # invalid UTF-8 is replaced, not fatal
        ("lone \udc80 surrogate", "lone \ufffd surrogate"),
    ],
)
def test_clean_header_value_decodes_and_normalises(value: str, expected: str) -> None:
    assert clean_header_value(value) == expected


def test_clean_header_value_neutralises_what_it_cannot_decode() -> None:
    # Five levels of nesting: more than we decode, so the leftover must not look encoded.
    value = "=?utf-8?q?=0A?=Bcc: x"
    for _ in range(5):
        value = "=?utf-8?b?" + base64.b64encode(value.encode()).decode() + "?="
    cleaned = clean_header_value(value)
    assert "=?" not in cleaned
    # ...and the email package's own decoding of it (what a vulnerable re-sender does) has no newline.
    assert "\n" not in str(email.headerregistry.HeaderRegistry()("Subject", cleaned))


def test_clean_header_value_truncates_on_a_character_boundary() -> None:
    assert clean_header_value("Ελλάδα " * 100, max_length=20) == "Ελλάδα Ελλάδα Ελλάδ…"
    assert len(clean_header_value("x" * 1000)) == 300
    assert clean_header_value("short", max_length=5) == "short"


def test_the_control_character_set_matches_unicode() -> None:
    breaking = {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in ("Cc", "Zl", "Zp")
    }
    assert {ch for ch in breaking if clean_header_value(f"a{ch}b") != "a b"} == set()
    assert clean_header_value("a\u200bb\u00a0c") == "a\u200bb\u00a0c"  # format chars and NBSP are not breaks


# --- addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("a@b.c\r\nBcc: x@y", "line break"),
        ("a@b.c\n", "line break"),
        ("a@b.c, x@y", "second address"),
        ("a@b.c;x@y", "second address"),
        ("<a@b.c>", "angle brackets"),
        ("a@b.c>", "angle brackets"),
        ("a b@c.d", "whitespace"),
        ("a@b.c x@y.z", "whitespace"),
        ("ab.c", "exactly one '@'"),
        ("a@b@c.d", "exactly one '@'"),
        ("Anna.Kovač@example.eu", "SMTPUTF8"),
        ("x" * 65 + "@example.org", "64"),
        ("a@" + "b" * 250 + ".org", "domain"),
        (".anna@example.org", "local part"),
        ("an..na@example.org", "local part"),
        ('"anna"@example.org', "local part"),
        ("=?utf-8?q?=0A?=@example.org", "local part"),
        ("anna@-example.org", "domain"),
        ("anna@example..org", "domain"),
        ("anna@[127.0.0.1]", "domain"),
        ("anna@", "domain"),
    ],
)
def test_clean_address_refuses(address: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        clean_address(address)
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("  Anna.Kovac+calls@Example.EU ", "Anna.Kovac+calls@example.eu"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("callwatch@localhost", "callwatch@localhost"),
        ("anna@bücher.example", "anna@xn--bcher-kva.example"),
    ],
)
def test_clean_address_accepts(address: str, expected: str) -> None:
    assert clean_address(address) == expected


def test_clean_mailbox() -> None:
    assert str(clean_mailbox("Callwatch <alerts@Example.org>")) == "Callwatch <alerts@example.org>"
    assert clean_mailbox('"Anna \\"K\\"" <a@example.eu>').display_name == 'Anna "K"'
    assert clean_mailbox("<a@example.eu>").display_name == ""
    with pytest.raises(ValueError):
        clean_mailbox("Anna <a@example.eu, b@example.eu>")
