"""Search through the word index (monitor.catalogue.textindex) finds exactly what the plain substring scan
it replaced finds: property tests with hypothesis over random texts and queries, and over the hand-made
merged calls of tests/test_catalogue.py through `Catalogue.filter`; plus the clock-mark memory of
statuses and deadline order (monitor.catalogue.moments) giving the answers of `monitor.model.view`."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.catalogue.moments import Moments
from monitor.catalogue.query import CallQuery, search_terms
from monitor.catalogue.snapshot import Catalogue, _deadline_key
from monitor.catalogue.textindex import TextIndex
from monitor.model.view import status_at
from tests.test_catalogue import CALLS, NOW

# Few letters, so words share pieces; word characters of every kind (accented, digit, underscore)
# and separators, including the field break of the snapshot's search text.
ALPHABET = "abcdeéß1_ -'\"\x1f"
texts = st.text(alphabet=ALPHABET, max_size=40)


def scan(haystacks: list[str], terms: list[str]) -> list[int]:
    """What `Catalogue.filter` did before the index: every term a substring, in entry order."""
    return [i for i, hay in enumerate(haystacks) if terms and all(term in hay for term in terms)]


@settings(max_examples=400, deadline=None)
@given(st.lists(texts, max_size=12), st.lists(st.lists(texts, max_size=4), min_size=1, max_size=6))
def test_index_search_is_the_substring_scan(haystacks: list[str], queries: list[list[str]]) -> None:
    index = TextIndex(haystacks)  # one index, several queries: its remembered runs are reused
    for terms in queries:
        assert index.search(terms) == scan(haystacks, terms), terms


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET + "ABGHRNYOZ2", max_size=30))
def test_index_search_over_random_text_is_the_scan_of_the_same_terms(query: str) -> None:
    haystacks = ["abc abcd bcde", "a-b-c ab_cd", "\x1fcde\x1fabc", "éeß 11 1_1", "", "dé'dé"]
    terms = search_terms(query)
    assert TextIndex(haystacks).search(terms) == scan(haystacks, terms)


def catalogue() -> Catalogue:
    return Catalogue.build(CALLS, version="v", sources=[], now=NOW)


# Words and pieces of the fixture calls' texts, so that queries find something.
PIECES = ["hydrogen", "ydro", "green", "pilot", "horizon-cl5", "cl5", "2027", "eur", "smart", "cluster",
          "digital", "innov", "e", "ai", "ion", " ", '"', "-", "é", "x"]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=6).map("".join), st.sampled_from(["deadline", "new"]))
def test_catalogue_search_is_the_substring_scan_over_fixture_calls(query: str, sort: str) -> None:
    snapshot = catalogue()
    terms = search_terms(query)
    expected = [
        e.call.id for e in snapshot.entries if not query or (terms and all(t in e.haystack for t in terms))
    ]
    found = snapshot.filter(CallQuery(q=query, status=(), sort=sort), now=NOW)
    assert sorted(e.call.id for e in found) == sorted(expected)


def test_a_query_finds_calls_through_the_index() -> None:
    snapshot = catalogue()
    found = snapshot.filter(CallQuery(q="hydrogen", status=()), now=NOW)
    assert found and all("hydrogen" in e.haystack for e in found)
    assert snapshot.filter(CallQuery(q='"', status=()), now=NOW) == []  # nothing searchable: nothing


def test_statuses_and_order_remembered_per_clock_mark_are_those_at_now() -> None:
    snapshot = catalogue()
    moments = Moments(e.call for e in snapshot.entries)
    # Every instant of the fixture, just before, at and just after it: each a clock mark of its own.
    instants = sorted({d.at for e in snapshot.entries for d in e.call.deadlines})
    moments_at = [NOW, *(at + step for at in instants for step in (-timedelta(seconds=1), timedelta(0),
                                                                   timedelta(seconds=1)))]  # fmt: skip
    for now in moments_at + moments_at[::-1]:
        assert moments.statuses(snapshot.entries, now) == [status_at(e.call, now) for e in snapshot.entries]
        key = moments.order_key(_deadline_key, now)
        assert [key(e) for e in snapshot.entries] == [_deadline_key(e, now) for e in snapshot.entries]
