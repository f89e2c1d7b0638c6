"""A pattern's needle is in every text it matches: the prefilter never hides a match (issue #18)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.normalise import needles
from monitor.normalise.country_groups import _GROUPS, INTERREG
from monitor.normalise.eligibility import CUES, GUARDS
from monitor.normalise.html import html_to_text
from monitor.normalise.vocab import ECOSYSTEM_RULES, ORG_RULES, fold
from tests.test_html_text_lxml import corpus

PATTERNS = [p for rule in ORG_RULES + ECOSYSTEM_RULES for p in rule.cues + rule.guards]
PATTERNS += [cue.pattern for cue in CUES] + list(GUARDS)
PATTERNS += [pattern for _g, _m, pattern in _GROUPS] + [programme.pattern for programme in INTERREG]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bsmes?\b", "sme"), (r"\bsmall\s(?:and|&)\smedium\b", "medium"), (r"a|bcdef", None),
        (r"(?:xyz)?abc", "abc"), (r"(?:wxyz){0,3}ab", None), (r"(?:wxyz)+ab", "wxyz"), (r"(?i)abcd", None),
        (r"(?P<who>.{1,60}?)\svorbehalten\b", "vorbehalten"), (r"(?=abcd)x", None), (r"ab", None),
    ],
)  # fmt: skip
def test_needle(pattern: str, expected: str | None) -> None:
    assert needles.needle(re.compile(pattern)) == expected


def test_most_vocabulary_patterns_have_a_needle() -> None:
    assert sum(needles.needle(p) is not None for p in PATTERNS) > 0.8 * len(PATTERNS)


def test_same_matches_on_every_fixture_text() -> None:
    texts = [fold(text) for html in corpus() if (text := html_to_text(html))]
    for pattern in PATTERNS:
        for text in texts:
            got = [m.span() for m in needles.finditer(pattern, text)]
            assert got == [m.span() for m in pattern.finditer(text)], pattern.pattern
            assert (needles.search(pattern, text) is None) == (pattern.search(text) is None)


_WORDS = st.sampled_from(
    ["sme", "smes", "pme", "only", "nur", "vorbehalten", "eu", "member states", "interreg"]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(_WORDS, st.text(alphabet="abcdemnorstu ,.", max_size=6)), max_size=25).map(" ".join)
)
def test_same_matches_on_generated_text(text: str) -> None:
    for pattern in PATTERNS:
        assert [m.span() for m in needles.finditer(pattern, text)] == [
            m.span() for m in pattern.finditer(text)
        ]
