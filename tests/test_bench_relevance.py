"""The relevance benchmark's labelled set is well-formed, and its metrics compute known values.

bench/relevance/ holds the calls, the profiles and the hand-made labels; bench/relevance.py measures
Callwatch and the BM25 baselines on them. These checks keep the set usable as it grows: enough calls and
profiles, keywords in several languages, labels that name real calls and profiles, at least three fully
relevant calls per profile, and metric functions that give the values worked out by hand below.
"""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from bench import relevance
from monitor.match.criteria import Criteria


@pytest.fixture(scope="module")
def calls() -> list[dict]:
    return relevance.load_calls()


@pytest.fixture(scope="module")
def profiles() -> dict[str, dict]:
    return relevance.load_profiles()


def test_the_set_has_enough_calls_with_the_fields_matching_reads(calls: list[dict]) -> None:
    assert len(calls) >= 150
    assert len({call["id"] for call in calls}) == len(calls)
    wanted = {
        "id",
        "title",
        "summary_text",
        "keywords",
        "programme",
        "countries",
        "org_types",
        "deadlines",
        "provenance",
    }
    assert all(wanted <= call.keys() for call in calls)
    real = [call for call in calls if call["provenance"] != "written"]
    assert len(real) >= 150, "most calls come from the recorded samples"
    for call in calls:
        assert call["status"] == "open"
        assert all(datetime.fromisoformat(d["at"]) > relevance.NOW for d in call["deadlines"][-1:])


def test_profiles_are_typed_in_at_least_four_languages(profiles: dict[str, dict]) -> None:
    assert len(profiles) >= 12
    assert len({profile["language"] for profile in profiles.values()}) >= 4
    for profile_id, profile in profiles.items():
        assert profile["need"] and profile["keywords"], profile_id
        relevance.criteria_of(profile)  # every field is a Criteria field
    assert set(profiles["cyber-sme"]) - {"need", "language", "who"} <= set(Criteria.__dataclass_fields__)


def test_labels_name_real_calls_and_profiles_and_each_profile_has_three_fully_relevant(
    calls: list[dict], profiles: dict[str, dict]
) -> None:
    labels = relevance.load_labels()
    ids = {call["id"] for call in calls}
    assert set(labels) == set(profiles)
    for profile_id, graded in labels.items():
        assert set(graded) <= ids, f"{profile_id}: {sorted(set(graded) - ids)}"
        assert set(graded.values()) <= {1, 2}
        assert sum(1 for grade in graded.values() if grade == 2) >= 3, profile_id


def test_calls_become_objects_matching_can_read(calls: list[dict]) -> None:
    call = relevance.call_object(next(c for c in calls if c["id"] == "eccp:233015"))
    assert call.deadlines[0].at.tzinfo is not None and call.next_deadline_at > relevance.NOW
    assert call.contribution_max == 45000


def test_metrics_on_a_hand_worked_example() -> None:
    labels = {"a": 2, "b": 1, "c": 2, "d": 2}
    returned = ["a", "x", "b", "c"]  # 3 of 4 correct (label >= 1), 2 of 3 label-2 calls found
    assert relevance.precision(returned, labels) == 0.75
    assert relevance.recall(returned, labels) == pytest.approx(2 / 3)
    assert relevance.f1(0.75, 2 / 3) == pytest.approx(2 * 0.75 * (2 / 3) / (0.75 + 2 / 3))
    assert relevance.missed(returned, labels) == ["d"]
    dcg = 2 / math.log2(2) + 0 + 1 / math.log2(4) + 2 / math.log2(5)
    ideal = 2 / math.log2(2) + 2 / math.log2(3) + 2 / math.log2(4) + 1 / math.log2(5)
    assert relevance.ndcg(returned, labels) == pytest.approx(dcg / ideal)
    assert relevance.ndcg(["a", "c", "d", "b"], labels) == pytest.approx(1.0)
    assert relevance.precision([], labels) == 0.0 and relevance.f1(0.0, 0.0) == 0.0


def test_tokens_split_on_non_word_characters_and_keep_accents() -> None:
    assert relevance.tokens("Pompy ciepła – R&D/AI") == ["pompy", "ciepła", "r", "d", "ai"]


def test_the_stemmed_baseline_finds_an_inflected_word_the_plain_one_misses() -> None:
    docs = [
        {"id": "one", "title": "Batteries for mobility", "language": "en"},
        {"id": "two", "title": "Open call for clusters", "language": "en"},
        {"id": "three", "title": "Voucher scheme", "language": "en"},
    ]
    assert relevance.Bm25Index(docs, stem=False).search("battery", "en") == []
    assert relevance.Bm25Index(docs, stem=True).search("battery", "en") == ["one"]
