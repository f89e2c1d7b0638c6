"""What an editor types into a collection stays text in every published format: the page, RSS, Atom,
iCalendar (RFC 5545 escaping, folded lines), CSV and the newsletter snippet. Each HTML body is parsed
with an HTML parser, as a browser or a mail client would, and must hold no live tag or handler.
"""

from __future__ import annotations

import csv
import io

from bs4 import BeautifulSoup
from icalendar import Calendar
from lxml import etree

from tests.mailworld import MailWorld
from tests.test_collection_publish import get, parsed, publish

NAME = "<script>alert(1)</script> Club; A,B ]]>"
DESCRIPTION = "<img src=x onerror=alert(1)>\r\nSecond line ]]>"
NOTE = "<script>alert(1)</script> <img src=x onerror=alert(1)> ]]> a;b,c\r\nsecond line"
TYPED = NOTE.replace("\r\n", "\n")  # what every format shows: line breaks as LF


def live(html: str) -> list[str]:
    """Tags and attributes that would run or load something once `html` is parsed."""
    soup = BeautifulSoup(html, "html.parser")
    found = [tag.name for tag in soup.find_all(["script", "img", "iframe", "object", "style"])]
    found += [
        f"{tag.name} {name}" for tag in soup.find_all(True) for name in tag.attrs if name.startswith("on")
    ]
    return found


def nasty(world: MailWorld) -> str:
    box = publish(world, {"H1": NOTE, "S2": "=1+1"}, name=NAME, description=DESCRIPTION)
    return f"/c/{box['key']}"


def test_the_page_and_the_snippet_show_the_typed_text_and_run_nothing(world: MailWorld) -> None:
    base = nasty(world)
    page = get(world, base).text
    assert live(page) == []
    soup = BeautifulSoup(page, "html.parser")
    assert soup.h1.get_text() == NAME and soup.title.get_text().startswith(NAME)
    notes = [p.get_text() for p in soup.select("p.note")]
    assert f"Editor's note: {TYPED.replace(chr(10), '')}" in notes  # the line break is a <br>
    assert "<img src=x onerror=alert(1)>" in soup.select_one("p.lead").get_text()
    snippet = get(world, f"{base}/snippet.html").text
    assert live(snippet) == []
    # The copy box holds the snippet as text: parsed, the page has no tag from it.
    assert soup.find("textarea").get_text() == snippet
    fragment = BeautifulSoup(snippet, "html.parser")
    assert NAME in fragment.get_text() and TYPED.split("\n")[0] in fragment.get_text()
    assert "]]>" in fragment.get_text()


def test_rss_and_atom_carry_the_typed_text_escaped(world: MailWorld) -> None:
    base = nasty(world)
    for name, path in (("rss", "channel/item/description"), ("atom", "{*}entry/{*}summary")):
        response = get(world, f"{base}/feed.{name}")
        document = etree.fromstring(response.content)  # well-formed despite "]]>" and markup
        assert b"<script" not in response.content and b"<img" not in response.content
        bodies = [node.text for node in document.iterfind(path)]
        assert len(bodies) == 2
        note_html = next(body for body in bodies if "alert" in body)
        assert live(note_html) == []
        first = BeautifulSoup(note_html, "html.parser").p
        assert first.get_text() == f"Editor's note: {TYPED.replace(chr(10), '')}"
        assert first.find("br") is not None  # the editor's line break, as markup made here
        feed = parsed(response)
        assert feed.feed.title == NAME
        if name == "rss":  # as text in the XML (feedparser would sanitise it as HTML)
            assert document.findtext("channel/description") == " ".join(DESCRIPTION.split())


def test_the_calendar_escapes_text_and_folds_its_lines(world: MailWorld) -> None:
    base = nasty(world)
    raw = get(world, f"{base}/calendar.ics").content
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines), max(lines, key=len)
    unfolded = raw.replace(b"\r\n ", b"")
    escaped = "<script>alert(1)</script> <img src=x onerror=alert(1)> ]]> a\\;b\\,c\\nsecond line"
    assert f"DESCRIPTION:Editor's note: {escaped}\\n\\n".encode() in unfolded
    assert b"X-WR-CALNAME:<script>alert(1)</script> Club\\; A\\,B ]]>\r\n" in unfolded
    assert b"\r\n\r\n" not in raw and b"second line\r\n" not in unfolded  # the CRLF did not end a line
    descriptions = [str(e["DESCRIPTION"]) for e in Calendar.from_ical(raw).walk("VEVENT")]
    assert any(d.startswith(f"Editor's note: {TYPED}\n\n") for d in descriptions)


def test_csv_keeps_the_typed_text_in_one_cell(world: MailWorld) -> None:
    base = nasty(world)
    response = get(world, f"{base}/calls.csv?columns=title,note")
    found = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert found == [
        ["title", "note"],
        ["Hydrogen valleys for SMEs", TYPED],
        ["Hydrogen storage, two stages", "'=1+1"],
    ]
