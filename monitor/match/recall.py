"""The semantic recall channel: calls about a profile's subject that share none of its words.

Owns `semantic_matches`: for a profile with "any of" keywords (and no "all of" ones, which ask for
the words themselves), the calls the lexical channel did not match whose centred cosine with the
keywords (`monitor.match.semantic`) reaches the threshold, that pass every other criterion, best
cosine first, at most `SEMANTIC_LIMIT`. They score 0, so they rank after every call where a
keyword was found, and their keyword verdict says why they are there.

Measured on the labelled benchmark (bench/relevance.py): F1 0.76 -> 0.79, nDCG@10 0.71 -> 0.79,
label-2 calls missed 20 -> 13 (Italian and Spanish users' keywords on English calls, among others).

Must not: embed anything itself (the index comes in), do I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from monitor.match.checks import Check, Compiled, passes, run_checks
from monitor.match.criteria import ELIGIBLE
from monitor.match.prepare import Prepared

# At the threshold, about 0.08 % of unrelated pairs pass: on 5,000 calls, about 4 wrong candidates
# a profile. The cap keeps what the channel adds to a handful a digest reader can judge at a glance.
SEMANTIC_LIMIT = 5


def semantic_matches(
    prepared: Sequence[Prepared], comp: Compiled, index: Any, matched: set[int]
) -> list[tuple[Prepared, tuple[Check, ...], float]]:
    """(call, checks, cosine) for the calls only the semantic channel finds; `matched` holds the
    positions in `prepared` (= the index's calls) already matched by their words."""
    if index is None or not comp.keywords or comp.keywords_all:
        return []
    from monitor.match.semantic import profile_text

    near = index.similar(profile_text(term.text for term in comp.keywords))
    without_words = replace(comp, keywords=(), keywords_all=(), terms=())
    found: list[tuple[Prepared, tuple[Check, ...], float]] = []
    for position in sorted(near, key=lambda i: (-near[i], i)):
        prep = prepared[position]
        if position in matched or not prep.live:
            continue
        checks = run_checks(prep, without_words, until_failure=True)
        if passes(checks):
            related = Check("keywords", ELIGIBLE, (), similarity=round(near[position], 3))
            found.append((prep, (checks[0], related, *checks[1:]), near[position]))
            if len(found) == SEMANTIC_LIMIT:
                break
    return found
