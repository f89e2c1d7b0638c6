"""Tests of the `feed` source kind (RSS/Atom), over the real local HTTP server.

Fixtures are in tests/fixtures/feeds (all RECONSTRUCTED, see PROVENANCE.md); the
texts inside them are real wordings from /work/shared/samples. Expected values
below were read by hand from those files.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from monitor.normalise.call import normalise_call
from sources import SourceConfigError, build_source, load_source_config
from sources.base import REGISTRY, Harvest
from sources.errors import LayoutChanged, ParseError
from sources.feed import FeedConfig, FeedSource, parse_feed, prepare_feed
from sources.fetch.client import PoliteClient
from sources.fetch.policy import HttpPolicy
from tests.httpserver import LocalHTTPServer, Reply

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
DRUPAL = FIXTURES / "eccp_taxonomy_term_feed_RECONSTRUCTED.xml"
EMPTY = FIXTURES / "eccp_taxonomy_term_feed_empty_RECONSTRUCTED.xml"
ATOM = FIXTURES / "clustersubmissionplatform_eurocluster_post_atom_RECONSTRUCTED.xml"
RSS_TYPE = "application/rss+xml; charset=utf-8"
ECCP = "https://www.clustercollaboration.eu/content/"
KEYS = [f"{node} at https://www.clustercollaboration.eu" for node in (206740, 231877, 199402)]
TITLES = [
    "Euroclusters for Thriving Creative and Cultural Industries - "
    "1st Call for financial support to CCIs SMEs",
    "PowerUp NetZero: Open Call for Business Innovation and Technology Adoption Services",
    "ECCP – Call for Expression of Interest – Clusters meet Regions",
]
URLS = [
    ECCP + "euroclusters-thriving-creative-and-cultural-industries-1st-call-financial",
    # A relative <link>, resolved against the channel's xml:base.
    ECCP + "powerup-netzero-open-call-business-innovation-and-technology-adoption-services",
    ECCP + "call-expression-interest-clusters-meet-regions",
]
PATH = "/taxonomy/term/3711/feed"


def config(
    url: str = "https://www.clustercollaboration.eu/taxonomy/term/3711/feed", **keys: Any
) -> FeedConfig:
    return FeedConfig(id="eccp-feed", name="ECCP feed", url=url, **keys)


def quick_client() -> PoliteClient:
    return PoliteClient(HttpPolicy(min_interval=0, max_attempts=1))


async def harvest(
    server: LocalHTTPServer, validators: dict[str, dict[str, str]] | None = None, **keys: Any
) -> Harvest:
    async with quick_client() as client:
        return await FeedSource(config(server.url + PATH, **keys)).harvest(client, validators=validators)


def serve(server: LocalHTTPServer, body: bytes | str, content_type: str = RSS_TYPE) -> None:
    server.route(PATH, Reply(200, body=body, headers={"Content-Type": content_type}))


# --------------------------------------------------------------------------- the Drupal RSS feed


async def test_drupal_feed_with_theme_debug_comments(http_server: LocalHTTPServer) -> None:
    assert DRUPAL.read_bytes().startswith(b"<!-- THEME DEBUG -->")
    http_server.serve_file(PATH, DRUPAL, RSS_TYPE)
    result = await harvest(http_server)
    assert result.complete and not result.not_modified and result.warnings == []
    assert [call.key for call in result.calls] == KEYS
    assert [call.title for call in result.calls] == TITLES
    assert [call.url for call in result.calls] == URLS
    first, second, third = result.calls
    assert "<p><strong>DEADLINE: 16 May 2023</strong></p>" in (first.summary_html or "")
    assert "DEADLINE: 16 May 2023" in (first.deadline_text or "")
    assert "up to € 20 000 in the form of a lump-sum" in (second.deadline_text or "")
    assert "1 April 2023, at 18.00 CET" in (third.deadline_text or "")
    assert first.published_at == datetime(2023, 4, 5, 9, 12, 44, tzinfo=UTC)
    assert first.organisation == "CREATHRIV-EU"
    assert second.organisation == "Asociación Clúster PowerUp"
    assert first.extra == {"categories": ["Calls"]}
    assert third.extra == {"categories": ["News"]}
    assert third.budget_text is None  # no currency in that entry: nothing for normalisation to warn about
    assert "Small Scale Projects (5,000 € Lump Sum)" in (first.budget_text or "")
    assert result.requests == 1 and result.bytes == len(DRUPAL.read_bytes())


def test_normalised_deadline_and_budget() -> None:
    first = parse_feed(DRUPAL.read_bytes(), config(), url=config().url).calls[0]
    call = normalise_call(first, now=datetime(2023, 4, 10, tzinfo=UTC))
    # Date only -> 17:00 Brussels (CEST in May) = 15:00 UTC.
    assert [d.at for d in call.deadlines] == [datetime(2023, 5, 16, 15, 0, tzinfo=UTC)]
    assert call.next_deadline_at == datetime(2023, 5, 16, 15, 0, tzinfo=UTC)
    assert call.status == "open"
    # "5,000 € Lump Sum" is what one project gets, not the call's total (issue #13)
    assert call.budget_total is None and call.budget_currency == "EUR"
    assert call.contribution_max == Decimal("5000.00")


def test_deadline_in_title_or_both() -> None:
    body = DRUPAL.read_bytes()
    by_title = parse_feed(body, config(deadline_in="title"), url="https://x.test/feed").calls[0]
    assert by_title.deadline_text == TITLES[0]
    both = parse_feed(body, config(deadline_in="both"), url="https://x.test/feed").calls[0]
    assert (both.deadline_text or "").startswith(TITLES[0] + "\n")
    assert "DEADLINE: 16 May 2023" in (both.deadline_text or "")


# --------------------------------------------------------------------------- byte-level quirks (S10)


async def test_feed_with_utf8_bom(http_server: LocalHTTPServer) -> None:
    serve(http_server, b"\xef\xbb\xbf" + DRUPAL.read_bytes())
    result = await harvest(http_server)
    assert [call.key for call in result.calls] == KEYS
    assert result.calls[1].organisation == "Asociación Clúster PowerUp"


async def test_wrong_encoding_declaration_over_utf8(http_server: LocalHTTPServer) -> None:
    body = DRUPAL.read_bytes().replace(b'encoding="utf-8"', b'encoding="iso-8859-1"', 1)
    assert b'encoding="iso-8859-1"' in body
    serve(http_server, body, "application/rss+xml; charset=iso-8859-1")
    result = await harvest(http_server)
    assert [call.key for call in result.calls] == KEYS
    assert result.calls[1].organisation == "Asociación Clúster PowerUp"
    assert "up to € 20 000" in (result.calls[1].summary_html or "")
    assert "(5,000 € Lump Sum)" in (result.calls[0].deadline_text or "")


def test_genuine_latin1_bytes_use_the_declaration() -> None:
    body = DRUPAL.read_bytes().replace(b'encoding="utf-8"', b'encoding="iso-8859-1"', 1)
    body = (
        body.replace("💡".encode(), b"")
        .replace("€".encode(), b"EUR")
        .decode("utf-8")
        .encode("latin-1", errors="replace")
    )
    prepared = prepare_feed(body, url="https://x.test/feed")
    assert prepared.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    calls = parse_feed(body, config(), url="https://x.test/feed").calls
    assert calls[1].organisation == "Asociación Clúster PowerUp"


def test_prepare_strips_everything_before_the_declaration() -> None:
    prepared = prepare_feed(b"\xef\xbb\xbf\n  " + DRUPAL.read_bytes(), url="https://x.test/feed")
    assert prepared.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"')


# --------------------------------------------------------------------------- Atom


async def test_wordpress_atom_feed(http_server: LocalHTTPServer) -> None:
    serve(http_server, ATOM.read_bytes(), "application/atom+xml; charset=UTF-8")
    result = await harvest(http_server)
    assert [call.key for call in result.calls] == [
        "https://clustersubmissionplatform.eu/?post_type=eurocluster_post&p=1187",
        "https://clustersubmissionplatform.eu/?post_type=eurocluster_post&p=1042",
    ]
    friend, dream = result.calls
    assert friend.title == "FRIEND CCI: 1st Open Call for project proposals dedicated to SMEs"
    assert friend.url == "https://clustersubmissionplatform.eu/eurocluster_post/friend-cci-smes/"
    # <content> (full text) wins over the teaser <summary>.
    assert "Closing time: 30 September 2023 17:00 (Europe/Brussels)" in (friend.deadline_text or "")
    assert friend.published_at == datetime(2023, 7, 21, 8, 0, tzinfo=UTC)
    assert friend.organisation == "FRIEND CCI"
    assert dream.title.startswith("DREAM Eurocluster – Innovation Open Call")
    # Relative href and no xml:base: resolved against the feed URL.
    assert dream.url == http_server.url + "/eurocluster_post/dream-eurocluster-innovation-open-call/"
    assert dream.deadline_text == "🔔Deadline: 25 May 2023"


# --------------------------------------------------------------------------- not a feed / broken


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<!DOCTYPE html>\n<html><head><title>Open calls</title></head><body>…</body></html>", "text/html"),
        ('{"items": []}', "application/json"),
        ("", "application/rss+xml"),
    ],
)
async def test_not_a_feed_is_parse_error_naming_the_url(
    http_server: LocalHTTPServer, body: str, content_type: str
) -> None:
    serve(http_server, body, content_type)
    with pytest.raises(ParseError) as caught:
        await harvest(http_server)
    assert not isinstance(caught.value, LayoutChanged)
    assert http_server.url + PATH in str(caught.value)
    assert "not an RSS or Atom feed" in str(caught.value)


async def test_truncated_feed_keeps_complete_entries_with_warning(http_server: LocalHTTPServer) -> None:
    body = DRUPAL.read_bytes()
    cut = body.index(b"<item>", body.index(b"PowerUp")) + len(b"<item>\n  <title>ECCP")
    serve(http_server, body[:cut])
    result = await harvest(http_server)
    # feedparser's lenient parser recovers the two whole items; the half item has no id or link.
    assert [call.key for call in result.calls] == KEYS[:2]
    assert result.complete is False
    assert any("not well-formed" in warning for warning in result.warnings)


async def test_truncated_before_any_entry_is_parse_error(http_server: LocalHTTPServer) -> None:
    body = DRUPAL.read_bytes()
    serve(http_server, body[: body.index(b"<channel>") + 20])
    with pytest.raises(ParseError, match="not well-formed and gave no entries"):
        await harvest(http_server)


# --------------------------------------------------------------------------- filters and counts


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({"include": ["LUMP"]}, KEYS[:2]),
        ({"exclude": ["news"]}, KEYS[:2]),  # matches the "News" category
        ({"include": ["call"], "exclude": ["creative"]}, KEYS[1:]),
        ({"include": ["grant", "regions"]}, [KEYS[0], KEYS[2]]),
        ({"include": ["all"]}, []),  # words match at a word start: "call" does not contain the word "all"
    ],
)
def test_include_exclude(keys: dict[str, list[str]], expected: list[str]) -> None:
    result = parse_feed(DRUPAL.read_bytes(), config(**keys), url="https://x.test/feed")
    assert [call.key for call in result.calls] == expected
    assert result.complete


async def test_empty_feed_is_an_empty_complete_harvest(http_server: LocalHTTPServer) -> None:
    http_server.serve_file(PATH, EMPTY, RSS_TYPE)
    result = await harvest(http_server)
    assert result.calls == [] and result.complete and result.warnings == []


async def test_empty_feed_below_expect_min_items_is_layout_changed(http_server: LocalHTTPServer) -> None:
    http_server.serve_file(PATH, EMPTY, RSS_TYPE)
    with pytest.raises(LayoutChanged, match="0 entries"):
        await harvest(http_server, expect_min_items=1)


def test_max_items_makes_the_harvest_incomplete() -> None:
    result = parse_feed(DRUPAL.read_bytes(), config(max_items=2), url="https://x.test/feed")
    assert [call.key for call in result.calls] == KEYS[:2]
    assert result.complete is False and "max_items=2" in result.warnings[0]


# --------------------------------------------------------------------------- conditional GET


async def test_conditional_get_second_poll_not_modified(http_server: LocalHTTPServer) -> None:
    http_server.serve_file(PATH, DRUPAL, RSS_TYPE, etag='"v1"')
    url = http_server.url + PATH
    first = await harvest(http_server)
    assert first.validators == {url: {"etag": '"v1"'}} and len(first.calls) == 3
    second = await harvest(http_server, validators=first.validators)
    assert second.not_modified and second.calls == [] and second.requests == 1
    assert http_server.requests_to(PATH)[1].headers.get("If-None-Match") == '"v1"'


# --------------------------------------------------------------------------- config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eccp-feed.toml"
    path.write_text(text, encoding="utf-8")
    return path


BASE_TOML = 'id = "eccp-feed"\nname = "ECCP feed"\nkind = "feed"\nurl = "https://www.clustercollaboration.eu/taxonomy/term/3711/feed"\n'


def test_config_loads_and_builds(tmp_path: Path) -> None:
    loaded = load_source_config(write(tmp_path, BASE_TOML + 'include = ["call"]\ndeadline_in = "both"\n'))
    assert isinstance(loaded, FeedConfig) and loaded.include == ["call"] and loaded.deadline_in == "both"
    assert loaded.max_items == 500 and loaded.expect_min_items == 0 and loaded.exclude == []
    assert REGISTRY["feed"] is FeedSource
    assert isinstance(build_source(loaded), FeedSource)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('includes = ["call"]\n', "key 'includes': unknown key (typo?)"),
        ('deadline_in = "body"\n', "key 'deadline_in'"),
        ("max_items = 0\n", "key 'max_items'"),
        ('exclude = [" "]\n', "key 'exclude': words must not be blank"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, extra: str, message: str) -> None:
    with pytest.raises(SourceConfigError, match=re.escape(message)):
        load_source_config(write(tmp_path, BASE_TOML + extra))
