"""Every regular expression in the normalise tables, checked alone (issue #13).

Two organisation-type rules were once joined from fragments so that the joined expression gained an
empty alternative: any "research ..." became a research organisation and any "national ..." a public
body, and matching then answered "not open to SMEs" for calls that are. These tests refuse any rule
(every pattern reachable from the modules' tables) that can match the empty string or has an empty
alternative, and pin that the rules read alone give nothing for the wordings that used to leak.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest

from monitor.normalise import countries, country_groups, programmes, vocab

MODULES = (vocab, countries, country_groups, programmes)


def _patterns(value: Any, seen: set[int]) -> Iterator[re.Pattern[str]]:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, re.Pattern):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _patterns(item, seen)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for item in value:
            yield from _patterns(item, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _patterns(getattr(value, item.name), seen)


def all_patterns() -> list[tuple[str, re.Pattern[str]]]:
    seen: set[int] = set()
    found = []
    for module in MODULES:
        for name, value in vars(module).items():
            found += [(f"{module.__name__}.{name}", pattern) for pattern in _patterns(value, seen)]
    return found


_GROUP_OPENING = re.compile(r"\((?:\?(?:[:=!>]|<[=!]|P<\w+>|<\w+>|[aiLmsux-]+:))?")


def empty_alternatives(pattern: str) -> list[int]:
    """Offsets in `pattern` where an alternative is empty ("a|", "(?:x||y)", "(|b)").

    Read from the source text: re's parser factors common prefixes ("(?:eu|european)" parses as
    "eu" + ("" | "ropean")), so its tree shows empty branches nobody wrote.
    """
    found: list[int] = []
    empty = True  # nothing yet in the current alternative
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i, empty = i + 2, False
            continue
        if char == "[":
            end = i + 1 + (pattern[i + 1 : i + 2] == "^")
            end = pattern.index("]", end + 1)
            i, empty = end + 1, False
            continue
        if char == "(":
            i, empty = _GROUP_OPENING.match(pattern, i).end(), True  # type: ignore[union-attr]
            continue
        if char in "|)" and empty:
            found.append(i)
        empty = char in "|"
        i += 1
    return found + ([len(pattern)] if empty and pattern.rstrip().endswith("|") else [])


PATTERNS = all_patterns()


def test_the_tables_are_found() -> None:
    names = {name.rsplit(".", 1)[1] for name, _ in PATTERNS}
    assert {"ORG_RULES", "ECOSYSTEM_RULES", "INTERREG", "LABEL_RULES", "_GROUPS", "_EXCLUSION"} <= names
    assert len(PATTERNS) > 400


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[f"{n}:{p.pattern[:40]}" for n, p in PATTERNS])
def test_no_rule_has_an_empty_alternative(name: str, pattern: re.Pattern[str]) -> None:
    assert empty_alternatives(pattern.pattern) == [], (name, pattern.pattern)
    assert pattern.search("") is None, (name, pattern.pattern)
    assert pattern.search(" ") is None, (name, pattern.pattern)


def test_the_checker_finds_the_old_joined_rule() -> None:
    # The research rule as it was joined before issue #13: fragment 1 ended inside a group.
    joined = "|".join(
        (r"\bresearch\s(?:organi[sz]ations?|centers?", r"|bod(?:y|ies)|entit(?:y|ies))\b", r"\brtos?\b")
    )
    assert empty_alternatives(joined) == [joined.index("||") + 1]
    assert empty_alternatives("a|") == [2] and empty_alternatives("(|a)") == [1]
    assert empty_alternatives("(?:x|)y") == [5] and empty_alternatives("|a") == [0]
    assert empty_alternatives(r"\bfarm(?:s|ers?|ing)?\b|[|(]\|") == []
    assert empty_alternatives(r"(?<!non-)\b(?:eu|european union)\b") == []
    # The public-body rule as it was joined had no empty branch but two leaky ones: each fragment
    # alone did not compile, which _compile_one now refuses.
    assert re.search(r"\bnational\s(?:public\s)?|(?:authority)\b", "national contact point")


def test_a_rule_that_does_not_compile_alone_is_refused() -> None:
    with pytest.raises(ValueError, match="does not compile alone"):
        vocab._compile_one("research", r"\bresearch\s(?:organisations?|centres?")


def test_every_org_rule_alone_leaves_ordinary_words_alone() -> None:
    # Words every call text uses; none of them names an organisation type.
    ordinary = (
        "Research and Innovation Actions (RIA). The national contact point and the granting authority "
        "will assess the regional dimension of the local impact. Cluster 5 - Climate, Energy and Mobility."
    )
    folded = vocab.fold(ordinary)
    hits = [(rule.slug, cue.pattern) for rule in vocab.ORG_RULES for cue in rule.cues if cue.search(folded)]
    assert hits == []
    assert vocab.extract_org_types(ordinary) == []


def test_guards_cancel_only_inside_their_phrase() -> None:
    assert vocab.extract_ecosystems("offshore wind farms") == ["renewable-energy"]
    assert vocab.extract_ecosystems("offshore wind farms and dairy farms") == [
        "agri-food",
        "renewable-energy",
    ]
    assert vocab.extract_ecosystems("mobility for students") == []
    assert vocab.extract_ecosystems("mobility for students and urban mobility") == [
        "mobility-transport-automotive"
    ]


@pytest.mark.parametrize("programme", country_groups.INTERREG, ids=[p.name for p in country_groups.INTERREG])
def test_every_interreg_row_reads_its_own_name(programme: country_groups.Interreg) -> None:
    name = programme.name if programme.group else "Interreg Brandenburg-Poland"
    found = countries.extract_countries(name)
    assert programme.countries <= set(found.codes), (name, found.codes)
    assert found.groups == ([programme.name] if programme.group else [])
    assert all(len(code) == 2 and code.isupper() for code in programme.countries)


def test_interreg_names_need_the_word_interreg() -> None:
    # "North Sea", "Danube", "Central Europe" are also plain geography.
    assert countries.extract_countries("offshore wind in the North Sea and the Danube delta").codes == []
    assert countries.extract_countries("SMEs in Central Europe").groups == []
