"""The shape of every message we build (reliability.md X3/M13, M8): injection, RFC 2047 encoding and folding,
the digest headers, bodies, refusals and Message-IDs."""

from __future__ import annotations

import base64
import email
import email.header
import email.policy
import random
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage

import pytest

from monitor.deliver.headers import clean_header_value
from monitor.deliver.message import build_message, message_bytes, message_id_for
from tests.test_mail_headers import INJECTIONS

WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=1)))
SENDER = "Callwatch <alerts@example.org>"
LIST_HEADERS = {
    "List-Id": "Callwatch weekly digest <digest.callwatch.example.org>",
    "List-Unsubscribe": "<https://callwatch.example.org/u/abc>, <mailto:unsubscribe@example.org>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    "Auto-Submitted": "auto-generated",
    "X-Callwatch-Kind": "digest",
}
BASE_HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"]


def build(**overrides) -> EmailMessage:
    arguments = {
        "sender": SENDER,
        "to": "anna@example.eu",
        "subject": "New calls this week",
        "text": "Hello\nhttps://callwatch.example.org/u/abc\n",
        "html": "<p>Hello</p><p><a href='https://callwatch.example.org/u/abc'>unsubscribe</a></p>",
        "message_id": message_id_for("digest", "2025-W10:7", SENDER),
        "date": WHEN,
        "headers": LIST_HEADERS,
    }
    arguments.update(overrides)
    return build_message(**arguments)


def wire(message: EmailMessage) -> tuple[bytes, EmailMessage]:
    raw = message_bytes(message)
    return raw, email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def header_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def assert_no_injection(raw: bytes, parsed: EmailMessage, extra: list[str]) -> None:
    expected = BASE_HEADERS[:5] + extra + BASE_HEADERS[5:]
    # On the wire, before any parser: every line starts an expected header or continues one.
    starts = [line.split(b":", 1)[0].decode() for line in header_lines(raw) if not line.startswith(b" ")]
    assert starts == expected
    assert list(parsed.keys()) == expected and "Bcc" not in parsed and "Cc" not in parsed
    assert raw.isascii() and all(len(line) <= 998 for line in raw.split(b"\r\n"))


# --- build_message: injection ---------------------------------------------------------------


@pytest.mark.parametrize(("payload", "expected"), INJECTIONS.values(), ids=INJECTIONS.keys())
def test_injection_in_subject_adds_no_header(payload: str, expected: str) -> None:
    raw, parsed = wire(build(subject=payload))
    assert_no_injection(raw, parsed, list(LIST_HEADERS))
    assert parsed["Subject"] == expected


@pytest.mark.parametrize(("payload", "expected"), INJECTIONS.values(), ids=INJECTIONS.keys())
def test_injection_in_display_name_adds_no_header(payload: str, expected: str) -> None:
    raw, parsed = wire(build(sender=f"{payload} <alerts@example.org>", to=f'"{payload}" <anna@example.eu>'))
    assert_no_injection(raw, parsed, list(LIST_HEADERS))
    assert parsed["From"].addresses[0].display_name == expected
    assert parsed["From"].addresses[0].addr_spec == "alerts@example.org"
    assert parsed["To"].addresses[0].display_name == expected
    assert [a.addr_spec for a in parsed["To"].addresses] == ["anna@example.eu"]


@pytest.mark.parametrize(("payload", "expected"), INJECTIONS.values(), ids=INJECTIONS.keys())
def test_injection_in_list_id_adds_no_header(payload: str, expected: str) -> None:
    raw, parsed = wire(build(headers={**LIST_HEADERS, "List-Id": f"{payload} <digest.example.org>"}))
    assert_no_injection(raw, parsed, list(LIST_HEADERS))
    assert parsed["List-Id"] == f"{expected} <digest.example.org>"


def test_random_hostile_text_never_adds_a_header() -> None:
    """Seeded fuzz over the pieces of every payload above, raw and (doubly) encoded."""
    pieces = ["a", "é", "Ω", "🇪🇺", "\r", "\n", "\r\n", " ", "\t", "\x00", "\x85", "\u2028", "\udc80"]
    pieces += ["=?", "?=", "?", "=", "utf-8", "x-unknown", "q", "b", "Bcc:", " x@y", "<", ">", '"', "\\", ","]
    pieces += ["=0A", "=0D", "_"]

    def encoded(text: str) -> str:
        data = text.encode("utf-8", "surrogatepass")
        if rng.random() < 0.5:
            return f"=?utf-8?b?{base64.b64encode(data).decode()}?="
        return "=?utf-8?q?" + "".join(f"={byte:02X}" for byte in data) + "?="

    rng = random.Random(20250304)
    for _ in range(400):
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        if rng.random() < 0.5:
            value = value + encoded(value) + value
        if rng.random() < 0.2:
            value = encoded(encoded(value))
        headers = {**LIST_HEADERS, "List-Id": f"{value} <digest.example.org>"}
        raw, parsed = wire(build(subject=value, sender=f"{value} <alerts@example.org>", headers=headers))
        assert_no_injection(raw, parsed, list(LIST_HEADERS))
        assert parsed["Subject"] == clean_header_value(value), repr(value)
        assert parsed["From"].addresses[0].addr_spec == "alerts@example.org"


def test_markup_in_the_subject_stays_plain_text() -> None:
    subject = "<img src=x onerror=alert(1)> & \"quotes\" 'too'"
    raw, parsed = wire(build(subject=subject))
    assert parsed["Subject"] == subject
    assert b"Subject: <img src=x onerror=alert(1)> & \"quotes\" 'too'\r\n" in raw


def test_an_address_smuggled_through_the_display_name_stays_in_the_name() -> None:
    raw, parsed = wire(build(to="Eve <eve@x.example>, Anna <anna@example.eu>"))
    assert [a.addr_spec for a in parsed["To"].addresses] == ["anna@example.eu"]
    assert parsed["To"].addresses[0].display_name == "Eve <eve@x.example>, Anna"


# --- build_message: encoding and folding ----------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Appel à projets – Ελλάδα",
        "Appel à projets – Ελλάδα: " + "Horizon Europe cluster call " * 8 + "Ελλάδα",
        "Ελλάδα " * 40,
        "x" * 290,  # one long word: cannot fold, must still be a legal line
        "Horizon-Europe-" * 19 + "Ελλάδα",
        "emoji 🇪🇺 and combining e\u0301 " * 5,
    ],
    ids=["short-non-ascii", "long-mixed", "long-greek", "long-word", "long-word-non-ascii", "emoji"],
)
def test_subjects_round_trip_and_fold(subject: str) -> None:
    raw, parsed = wire(build(subject=subject))
    expected = clean_header_value(subject)
    assert parsed["Subject"] == expected
    assert raw.isascii()
    lines = header_lines(raw)
    assert all(len(line) <= 998 for line in lines)
    subject_lines = lines[lines.index(next(x for x in lines if x.startswith(b"Subject:"))) :][:12]
    if expected.isascii() and " " not in expected:
        assert subject_lines[0] == b"Subject: " + expected.encode()
    else:
        assert all(len(line) <= 78 for line in lines if not line.startswith(b"List-Unsubscribe:"))
    for word in (w for line in lines for w in line.split() if w.startswith(b"=?")):
        assert len(word) <= 75  # RFC 2047


def test_display_names_with_specials_and_non_ascii_round_trip() -> None:
    sender = 'Callwatch – Ελλάδα, "EU" calls <alerts@example.org>'
    _, parsed = wire(build(sender=sender, to="Anna Kovač <anna@example.eu>"))
    assert parsed["From"].addresses[0].display_name == 'Callwatch – Ελλάδα, "EU" calls'
    assert parsed["To"].addresses[0].display_name == "Anna Kovač"
    assert parsed["To"].addresses[0].addr_spec == "anna@example.eu"


@pytest.mark.parametrize(
    "name",
    [
        'Callwatch – Ελλάδα, "EU" calls and a very long display name indeed that folds twice',
        "Dr. Anna-Maria O'Brien (Callwatch)",
        "Anna Kovač",
    ],
)
def test_long_display_names_round_trip(name: str) -> None:
    raw, parsed = wire(build(sender=f"{name} <alerts@example.org>"))
    assert parsed["From"].addresses[0].display_name == name
    assert all(len(line) <= 78 for line in header_lines(raw) if not line.startswith(b"List-Unsub"))


def test_a_long_non_ascii_display_name_decodes_per_rfc_2047() -> None:
    """A non-ASCII run longer than one encoded-word (75 chars) needs several, side by side.

    RFC 2047 §6.2 decoders (mail clients, the legacy email.header API) drop the folding
    space between them: exact. Python's address parser keeps it: equal up to doubled spaces.
    """
    name = "Συμβουλευτική Υπηρεσία Ευρωπαϊκών Προγραμμάτων Περιφέρειας"
    raw, parsed = wire(build(sender=f"{name} <alerts@example.org>"))
    folded = raw.split(b"From: ", 1)[1].split(b"\r\nTo: ", 1)[0].decode().replace("\r\n", "")
    assert folded.count("=?utf-8?") > 1
    assert str(email.header.make_header(email.header.decode_header(folded))) == f"{name} <alerts@example.org>"
    assert " ".join(parsed["From"].addresses[0].display_name.split()) == name


def test_long_unsubscribe_url_is_not_encoded() -> None:
    """The email package would RFC 2047-encode it; mailbox providers would then show no unsubscribe."""
    url = "https://callwatch.example.org/unsubscribe/" + "Ab1-_" * 30
    headers = {**LIST_HEADERS, "List-Unsubscribe": f"<{url}>, <mailto:unsubscribe@example.org>"}
    raw, parsed = wire(build(headers=headers))
    assert f"List-Unsubscribe: <{url}>,\r\n <mailto:unsubscribe@example.org>\r\n".encode() in raw
    assert parsed["List-Unsubscribe"] == headers["List-Unsubscribe"]


def test_every_digest_header_is_present() -> None:
    """M8: List-Unsubscribe (one https URI), One-Click, List-Id, Message-ID, Date, both parts link it."""
    raw, parsed = wire(build())
    assert list(parsed.keys()) == BASE_HEADERS[:5] + list(LIST_HEADERS) + BASE_HEADERS[5:]
    assert parsed["List-Unsubscribe"].count("<https:") == 1
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == LIST_HEADERS["List-Id"]
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Message-ID"] == message_id_for("digest", "2025-W10:7", "example.org")
    assert parsed["Date"].datetime == WHEN
    assert parsed["MIME-Version"] == "1.0"
    assert parsed.get_content_type() == "multipart/alternative"
    plain, html = parsed.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    for part in (plain, html):
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content_charset() == "utf-8"
        assert "MIME-Version" not in part
        assert "https://callwatch.example.org/u/abc" in part.get_content()


def test_bodies_are_7bit_with_short_lines() -> None:
    text = "Résumé " * 400 + "\n.\nFrom here\n" + "x" * 3000
    raw, parsed = wire(build(text=text, html="<p>" + "é" * 3000 + "</p>"))
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    plain, html = parsed.iter_parts()
    # The parser keeps the wire's CRLF inside decoded quoted-printable text.
    assert plain.get_content().replace("\r\n", "\n") == text + "\n"
    assert html.get_content().replace("\r\n", "\n") == "<p>" + "é" * 3000 + "</p>\n"


def test_text_only_message() -> None:
    _, parsed = wire(build(html=None, headers={}))
    assert parsed.get_content_type() == "text/plain"
    assert list(parsed.keys()) == BASE_HEADERS[:5] + [
        "Content-Type",
        "Content-Transfer-Encoding",
        "MIME-Version",
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"message_id": "no-brackets@example.org"}, "message_id"),
        ({"message_id": "<no-at-sign>"}, "message_id"),
        ({"message_id": "<a@b>\r\nBcc: x"}, "message_id"),
        ({"message_id": "<=?utf-8?q?=0A?=@example.org>"}, "message_id"),
        ({"date": datetime(2025, 1, 1)}, "timezone-aware"),
        ({"headers": {"Bcc": "evil@x.example"}}, "not allowed"),
        ({"headers": {"Content-Type": "text/html"}}, "not allowed"),
        ({"headers": {"X-Bad: y\r\nBcc": "z"}}, "header name"),
        ({"headers": {"X-Kind": "a", "x-kind": "b"}}, "twice"),
        ({"headers": {"List-Unsubscribe": "<https://exämple.org/u>"}}, "ASCII"),
        ({"headers": {"X-Long": "y" * 901}}, "longer than"),
        ({"to": "a@b.example, evil@x.example"}, "second address"),
        ({"sender": "Callwatch <alerts@example.org\r\nBcc: x>"}, "line break"),
    ],
)
def test_build_message_refuses_bad_input(overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(**overrides)


# --- Message-IDs and the Date header --------------------------------------------------------


def test_message_id_for_is_deterministic_and_per_key() -> None:
    first = message_id_for("digest", "2025-W10:7", "example.org")
    assert first == message_id_for("digest", "2025-W10:7", "Callwatch <alerts@Example.org>")
    assert first.startswith("<digest.") and first.endswith("@example.org>")
    assert len(first.split("@")[0]) == len("<digest.") + 24
    assert first != message_id_for("digest", "2025-W10:8", "example.org")
    assert first != message_id_for("confirm", "2025-W10:7", "example.org")
    with pytest.raises(ValueError):
        message_id_for("digest kind", "k", "example.org")
    with pytest.raises(ValueError):
        message_id_for("digest", "k", "example.org>\r\nBcc: x")


def test_naive_datetime_in_date_header_is_refused_but_any_zone_is_kept() -> None:
    _, parsed = wire(build(date=datetime(2025, 3, 4, 8, 30, tzinfo=UTC)))
    assert parsed["Date"] == "Tue, 04 Mar 2025 08:30:00 +0000"
