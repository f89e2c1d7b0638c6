"""Text you can trust (issue 16): mislabelled or broken bytes never replace a good stored text.

Each test polls a real local HTTP server twice through `run_source` and the database: a good
answer first, then the same records with bad bytes (windows-1252 declared UTF-8, UTF-8 declared
ISO-8859-1, invalid UTF-8 in portal JSON, a double-encoded title, a feed declared UTF-8 over
windows-1252 bytes), asserting the stored titles and deadlines before and after and the warning.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from db.engine import session_scope
from db.models import Call, CallChange, Deadline
from monitor.normalise.text_quality import text_problem
from monitor.poll.pipeline import RunReport, run_source
from sources import build_source, load_source_config
from sources.fetch.client import FetchResult
from sources.fetch.decode import decode_body
from sources.fetch.policy import HttpPolicy
from tests import test_eccp as eccp
from tests import test_ft_portal_e2e as portal
from tests.httpserver import LocalHTTPServer, Reply, SeenRequest

NOW = datetime(2026, 11, 21, 9, tzinfo=UTC)
NODE = "207511"  # PowerUp NetZero: cut-off 1 "31 March 2025, 17:00 CEST – CLOSED"
TITLE = "PowerUp NetZero – 2ª Open Call für Clúster"


async def poll(tmp_path: Path, name: str, config: str, engine: Engine) -> RunReport:
    path = tmp_path / f"{name}.toml"
    path.write_text(config, encoding="utf-8")
    source = build_source(load_source_config(path))
    from sources.fetch.client import PoliteClient

    async with PoliteClient(HttpPolicy(min_interval=0, max_attempts=1)) as client:
        return await run_source(source, client=client, engine=engine, clock=lambda: NOW, strict=True)


def stored(engine: Engine, source_id: str) -> dict[str, Call]:
    with session_scope(engine) as session:
        rows = session.exec(select(Call).where(Call.source_id == source_id)).all()
        for row in rows:
            session.expunge(row)
    return {row.key: row for row in rows}


def closed_flags(engine: Engine, key: str) -> list[bool]:
    with session_scope(engine) as session:
        call = session.exec(select(Call).where(Call.key == key)).one()
        query = select(Deadline).where(Deadline.call_id == call.id).order_by(Deadline.position)
        return [row.closed for row in session.exec(query)]


def changes(engine: Engine, key: str) -> list[str]:
    with session_scope(engine) as session:
        call = session.exec(select(Call).where(Call.key == key)).one()
        return [row.field for row in session.exec(select(CallChange).where(CallChange.call_id == call.id))]


# --------------------------------------------------------------------------- ECCP pages


def eccp_page(encoding: str, *, title: str = TITLE) -> bytes:
    page = eccp.read(eccp.detail_file(NODE)).decode("utf-8")
    # The page's emoji has no windows-1252 byte: a character reference, as such a site would send.
    return page.replace("PowerUp NetZero - 2nd Open Call", title).encode(encoding, "xmlcharrefreplace")


def serve_eccp(server: LocalHTTPServer, body: bytes, content_type: str) -> None:
    eccp.serve_site(server)
    server.route(f"/content/{eccp.SLUGS[NODE]}", Reply(200, body, {"Content-Type": content_type}))


def eccp_config(server: LocalHTTPServer) -> str:
    return eccp.CONFIG_FILE.read_text().replace(eccp.SITE, server.url)


async def test_windows_1252_page_declared_utf8_keeps_the_stored_title_and_warns(
    http_server: LocalHTTPServer, engine: Engine, tmp_path: Path
) -> None:
    serve_eccp(http_server, eccp_page("utf-8"), "text/html; charset=UTF-8")
    first = await poll(tmp_path, "eccp", eccp_config(http_server), engine)
    assert (first.status, first.new, first.warnings) == ("ok", 14, [])
    assert stored(engine, "eccp")[NODE].title == TITLE
    assert closed_flags(engine, NODE) == [True, False]

    serve_eccp(http_server, eccp_page("cp1252"), "text/html; charset=UTF-8")
    second = await poll(tmp_path, "eccp", eccp_config(http_server), engine)
    assert (second.status, second.new, second.changed, second.unchanged) == ("ok", 0, 0, 14)
    page = f"{http_server.url}/content/{eccp.SLUGS[NODE]}"
    assert second.warnings == [f"declared utf-8 but the bytes at {page} are not UTF-8; read as cp1252"]
    assert stored(engine, "eccp")[NODE].title == TITLE
    assert closed_flags(engine, NODE) == [True, False]
    assert changes(engine, NODE) == []


async def test_utf8_page_labelled_iso_8859_1_keeps_its_closed_mark(
    http_server: LocalHTTPServer, engine: Engine, tmp_path: Path
) -> None:
    body = eccp_page("utf-8").replace(b'<meta charset="utf-8" />', b'<meta charset="iso-8859-1" />')
    serve_eccp(http_server, body, "text/html; charset=ISO-8859-1")
    report = await poll(tmp_path, "eccp", eccp_config(http_server), engine)
    assert (report.status, report.new) == ("ok", 14)
    page = f"{http_server.url}/content/{eccp.SLUGS[NODE]}"
    assert report.warnings == [f"declared iso-8859-1 but the bytes at {page} are UTF-8"]
    assert stored(engine, "eccp")[NODE].title == TITLE
    # "Cut-off 1: 31 March 2025, 17:00 CEST – CLOSED": read as Latin-1 the dash became "â€“".
    assert closed_flags(engine, NODE) == [True, False]


async def test_double_encoded_title_keeps_the_stored_one_and_names_the_record(
    http_server: LocalHTTPServer, engine: Engine, tmp_path: Path
) -> None:
    serve_eccp(http_server, eccp_page("utf-8"), "text/html; charset=UTF-8")
    await poll(tmp_path, "eccp", eccp_config(http_server), engine)
    garbled = TITLE.encode("utf-8").decode("cp1252")  # the site's own database holds mojibake
    assert garbled == "PowerUp NetZero â€“ 2Âª Open Call fÃ¼r ClÃºster"
    serve_eccp(http_server, eccp_page("utf-8", title=garbled), "text/html; charset=UTF-8")
    report = await poll(tmp_path, "eccp", eccp_config(http_server), engine)
    assert (report.changed, report.unchanged) == (0, 14)
    assert report.warnings == [
        "eccp '207511': title has mojibake 'â€“' (UTF-8 read as windows-1252); kept the stored title"
    ]
    assert stored(engine, "eccp")[NODE].title == TITLE


async def test_new_call_with_damaged_title_is_stored_as_given_with_a_warning(
    http_server: LocalHTTPServer, engine: Engine, tmp_path: Path
) -> None:
    garbled = "PowerUp NetZero Ã– 2nd Open Call"
    serve_eccp(http_server, eccp_page("utf-8", title=garbled), "text/html; charset=UTF-8")
    report = await poll(tmp_path, "eccp", eccp_config(http_server), engine)
    assert report.new == 14
    assert report.warnings == [
        "eccp '207511': title has mojibake 'Ã–' (UTF-8 read as windows-1252); stored as the source gave it"
    ]
    assert stored(engine, "eccp")[NODE].title == garbled


# --------------------------------------------------------------------------- portal JSON


CL5 = "HORIZON-CL5-2024-D2-01-03"


def serve_portal(server: LocalHTTPServer, *, corrupt: bool) -> None:
    rows = portal._rows()
    pages = {}
    for number, body in portal._pages(rows).items():
        text = json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
        if corrupt:  # one byte of a title is not UTF-8 while the rest of the body is
            text = text.replace(b"Development of technical", b"Development of t\xe9chn\xadcal")
        pages[number] = text

    def answer(request: SeenRequest) -> Reply:
        number = int(portal.parse_qs(request.query)["pageNumber"][0])
        return Reply(200, pages.get(number, b'{"totalResults": 0, "results": []}'), portal_type())

    server.route(portal.SEARCH, answer, method="POST")


def portal_type() -> dict[str, str]:
    return {"Content-Type": "application/json; charset=utf-8"}


def portal_config(server: LocalHTTPServer) -> str:
    shipped = (Path(portal.__file__).parents[1] / "config" / "sources" / "ft-portal.toml").read_text()
    return shipped.replace("https://api.tech.ec.europa.eu", server.url).replace(
        "page_size = 100", f"page_size = {portal.PAGE_SIZE}"
    )


async def test_invalid_utf8_in_a_portal_title_keeps_the_stored_title(
    http_server: LocalHTTPServer, engine: Engine, tmp_path: Path
) -> None:
    serve_portal(http_server, corrupt=False)
    first = await poll(tmp_path, "ft-portal", portal_config(http_server), engine)
    assert (first.status, first.new) == ("ok", 17)
    title = stored(engine, "ft-portal")[CL5].title
    assert title.startswith("Development of technical and business solutions to optimise")

    serve_portal(http_server, corrupt=True)
    second = await poll(tmp_path, "ft-portal", portal_config(http_server), engine)
    assert changes(engine, CL5) == []
    assert (second.status, second.new, second.changed, second.unchanged) == ("ok", 0, 0, 17)
    assert f"ft-portal {CL5!r}: title has 2 replacement character(s) (U+FFFD); kept the stored title" in (
        second.warnings
    )
    assert stored(engine, "ft-portal")[CL5].title == title
    assert changes(engine, CL5) == []


# --------------------------------------------------------------------------- feeds


FEED = Path(__file__).parent / "fixtures" / "feeds" / "eccp_taxonomy_term_feed_RECONSTRUCTED.xml"
FEED_KEY = "https://www.clustercollaboration.eu/node/207511"


def feed_config(server: LocalHTTPServer) -> str:
    return f'id = "eccp-feed"\nname = "ECCP feed"\nkind = "feed"\nurl = "{server.url}/feed"\n'


async def test_feed_declared_utf8_over_windows_1252_bytes(
    http_server: LocalHTTPServer, engine: Engine, tmp_path: Path
) -> None:
    xml = FEED.read_text(encoding="utf-8")
    assert 'encoding="utf-8"' in xml and "Asociación Clúster PowerUp" in xml
    http_server.route("/feed", Reply(200, xml.encode("utf-8"), {"Content-Type": "application/rss+xml"}))
    first = await poll(tmp_path, "eccp-feed", feed_config(http_server), engine)
    before = {key: (row.title, row.organisation) for key, row in stored(engine, "eccp-feed").items()}
    assert first.new == 3 and ("Asociación Clúster PowerUp" in {org for _, org in before.values()})

    body = xml.encode("cp1252", "xmlcharrefreplace")  # still declared utf-8 in the XML declaration
    http_server.route("/feed", Reply(200, body, {"Content-Type": "application/rss+xml; charset=utf-8"}))
    second = await poll(tmp_path, "eccp-feed", feed_config(http_server), engine)
    assert second.warnings == [
        f"declared utf-8 but the bytes at {http_server.url}/feed are not UTF-8; read as cp1252"
    ]
    after = {key: (row.title, row.organisation) for key, row in stored(engine, "eccp-feed").items()}
    assert after == before


# --------------------------------------------------------------------------- the rules alone


@pytest.mark.parametrize(
    ("body", "content_type", "kind", "text", "encoding"),
    [
        # WHATWG: a BOM outranks the header.
        (b"\xef\xbb\xbfcaf\xc3\xa9", "text/html; charset=windows-1252", "html", "café", "utf-8"),
        # No header charset: the page's own <meta> (first 1024 bytes).
        (b'<meta charset="windows-1250"><p>P\xf8\xedjem', "text/html", "html", "<p>Příjem", "cp1250"),
        # XML declaration when the header has none.
        (b'<?xml version="1.0" encoding="latin9"?><a>\xa4</a>', "text/xml", "xml", "<a>€</a>", "iso8859-15"),
        # ISO-8859-1 means windows-1252: 0x96 is an en dash, not a C1 control.
        (b"31 May \x96 CLOSED", "text/html; charset=ISO-8859-1", "html", "31 May – CLOSED", "cp1252"),
        # JSON is UTF-8 whatever the label says (RFC 8259 §8.1).
        ('{"t": "é"}'.encode(), "application/json; charset=ISO-8859-1", "json", '{"t": "é"}', "utf-8"),
    ],
)  # fmt: skip
def test_decoding_rules(body: bytes, content_type: str, kind: str, text: str, encoding: str) -> None:
    decoded = decode_body(body, content_type, kind=kind)  # type: ignore[arg-type]
    assert decoded.text.endswith(text) and decoded.encoding == encoding


def test_czech_windows_1250_declared_utf8_is_read_as_1250() -> None:
    body = "Výzva k předkládání návrhů – uzávěrka 12. března".encode("cp1250")
    decoded = FetchResult("http://x/", 200, portal_headers("text/html; charset=utf-8"), body, 1).decoded(
        "html"
    )
    assert (decoded.text, decoded.encoding) == ("Výzva k předkládání návrhů – uzávěrka 12. března", "cp1250")


def portal_headers(content_type: str):
    import httpx

    return httpx.Headers({"Content-Type": content_type})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Appel à projets — énergie, clôture", None),
        ("SÃO PAULO", None),  # Portuguese capitals: Ã then a letter, not a UTF-8 sequence
        ("Πρόσκληση υποβολής προτάσεων", None),
        ("Příjem žádostí – uzávěrka", None),
        ("Ã©nergie", "mojibake 'Ã©' (UTF-8 read as windows-1252)"),
        ("Îµ", "mojibake 'Îµ' (UTF-8 read as windows-1252)"),  # Greek ε
        ("up to Â£5000", "mojibake 'Â£' (UTF-8 read as windows-1252)"),
        ("caf\ufffd \ufffd", "2 replacement character(s) (U+FFFD)"),
    ],
)
def test_text_problems(text: str, problem: str | None) -> None:
    assert text_problem(text) == problem
