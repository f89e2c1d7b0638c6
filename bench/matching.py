"""Figure 3, matching: 10,000 profiles x 5,000 open calls with `monitor.match.index.Matcher` (built once, then
`rank` per profile with every match rendered, as the digest planner calls it), against the baseline
measured in the same run: the straightforward double loop of `match_call` over every pair. The double
loop over 50 M pairs would take hours, so it runs on a random sample of profiles against all calls
and is scaled linearly to 10,000 profiles; on that sample its results (matches, scores, reasons,
verdicts, order) are checked equal to the Matcher's.

Also measured, for the explanation: the pairwise loop over calls prepared once (no index), and
`rank(limit=25)` (only the matches a digest shows are rendered).

    .venv/bin/python bench/matching.py [--size full|tiny] [--runs N]
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import data  # noqa: E402
from bench.common import Figure, Result, Stats, arguments, bench_now, log, size  # noqa: E402
from monitor.match import index as matching  # noqa: E402
from monitor.match.checks import compile_criteria, run_checks  # noqa: E402
from monitor.match.criteria import Criteria  # noqa: E402
from monitor.match.index import Matcher, match_call  # noqa: E402
from monitor.match.relevance import Corpus  # noqa: E402


def matchable(calls: list[Any]) -> list[Any]:
    """Calls as the digest planner hands them to matching: attributes plus an id."""
    return [
        SimpleNamespace(id=index + 1, **call.column_values(), deadlines=call.deadlines)
        for index, call in enumerate(calls)
    ]


def criteria_of(values: dict[str, Any]) -> Criteria:
    return Criteria(
        **{key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
    )


def double_loop(calls: list[Any], criteria: Criteria, now: Any, corpus: Corpus) -> list[tuple[Any, Any]]:
    """Every pair through match_call (keyword rarity from the same corpus), sorted as rank_calls sorts."""
    pairs = ((call, match_call(call, criteria, now=now, corpus=corpus)) for call in calls)
    found = [(call, match) for call, match in pairs if match.matches]
    keys = {id(call): matching.prepare(call, now=now) for call, _ in found}
    comp = compile_criteria(criteria, corpus)
    found.sort(
        key=lambda item: matching.rank_key(
            item[1].score, keys[id(item[0])], run_checks(keys[id(item[0])], comp)
        )
    )
    return found


def prepared_loop(prepared: list[Any], criteria: Criteria, corpus: Corpus) -> list[tuple[Any, Any]]:
    """Every pair checked, calls prepared once, no index."""
    comp = compile_criteria(criteria, corpus)
    return matching.ranked(prepared, comp, corpus.document_frequency, None)


def main() -> None:
    args = arguments(__doc__.splitlines()[0], db=False, runs=3)
    n_calls, n_profiles = size(args, "calls", 5000, 300), size(args, "profiles", 10_000, 200)
    n_sample = size(args, "sample", 20, 5)
    now = bench_now()
    log(f"generating {n_calls} calls and {n_profiles} profiles")
    generated = data.call_ins(n_calls, now=now)
    calls = matchable(generated)
    criteria = [criteria_of(values) for values in data.profiles(n_profiles, generated)]
    sample = random.Random(3).sample(range(n_profiles), n_sample)
    scale = n_profiles / n_sample
    matcher_s, baseline_s, prepared_s, limited_s = [], [], [], []
    found: dict[int, list[Any]] = {}
    counts: list[int] = []
    equal = True
    for run in range(args.runs):
        log(f"run {run + 1}: Matcher, {n_profiles} profiles")
        start = time.perf_counter()
        matcher = Matcher(calls, now=now)
        found, counts = {}, []
        # Only the sample's results are kept (to compare): 10,000 profiles' worded matches, each with
        # its verdicts and reasons, would hold millions of objects, more memory than the machine has.
        for index, one in enumerate(criteria):
            ranked = matcher.rank(one)
            counts.append(len(ranked))
            if index in sample:
                found[index] = ranked
        matcher_s.append(time.perf_counter() - start)
        log(f"run {run + 1}: Matcher {matcher_s[-1]:.1f} s; double loop on {n_sample} profiles")
        start = time.perf_counter()
        corpus = Corpus([p for p in (matching.prepare(call, now=now) for call in calls) if p.live])
        expected = {index: double_loop(calls, criteria[index], now, corpus) for index in sample}
        baseline_s.append((time.perf_counter() - start) * scale)
        equal = equal and all(expected[index] == found[index] for index in sample)
        start = time.perf_counter()
        prepared = [matching.prepare(call, now=now) for call in calls]
        corpus = Corpus([p for p in prepared if p.live])
        loop = {index: prepared_loop(prepared, criteria[index], corpus) for index in sample}
        prepared_s.append((time.perf_counter() - start) * scale)
        equal = equal and all(loop[index] == found[index] for index in sample)
        start = time.perf_counter()
        matcher = Matcher(calls, now=now)
        for one in criteria:
            matcher.rank(one, limit=25)
        limited_s.append(time.perf_counter() - start)
    result = Result("matching", args)
    result.params = {
        "calls": n_calls, "profiles": n_profiles, "baseline_sample_profiles": n_sample,
        "matches_per_profile_avg": round(sum(counts) / len(counts), 1),
        "profiles_without_match": sum(1 for count in counts if not count),
        "sample_matches": [counts[index] for index in sample], "identical_results_on_sample": equal,
    }  # fmt: skip
    figure, base = Stats(matcher_s), Stats(baseline_s)
    sampled = f"{n_sample} sampled profiles × {n_calls:,} calls"
    result.add(Figure(
        f"Matching {n_profiles:,} profiles × {n_calls:,} open calls (Matcher: build + rank, all rendered)",
        figure, f"double loop of match_call over every pair ({sampled}, ×{scale:g})",
        base, base.median / figure.median, "baseline ÷ Matcher (speed-up)",
        target="≥ 5× faster than the baseline, identical results",
        met=equal and base.median >= 5 * figure.median,
        note=f"identical results on the sample: {equal}",
    ))  # fmt: skip
    loop = Stats(prepared_s)
    result.add(Figure(
        "Same, Matcher against every pair checked over calls prepared once (no index)", figure,
        f"pairwise loop, calls prepared once ({n_sample} profiles, ×{scale:g})", loop,
        loop.median / figure.median, "baseline ÷ Matcher (speed-up)",
    ))  # fmt: skip
    limited = Stats(limited_s)
    result.add(Figure(
        "Matcher with rank(limit=25): only the matches a digest shows are rendered", limited,
        "Matcher, all matches rendered", figure, figure.median / limited.median, "all rendered ÷ limit=25",
    ))  # fmt: skip
    result.emit()


if __name__ == "__main__":
    main()
