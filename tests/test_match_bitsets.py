"""The matcher's bit sets (an int per indexed word or bucket) hold exactly the positions put in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from monitor.match.bits import bits_of, positions_of, union
from monitor.match.text import split_field


@given(st.lists(st.integers(min_value=0, max_value=20_000), max_size=300))
def test_positions_come_back_sorted_and_once(positions: list[int]) -> None:
    bits = bits_of(positions)
    assert positions_of(bits) == sorted(set(positions))
    assert bits.bit_count() == len(set(positions))


@given(
    st.lists(st.integers(min_value=0, max_value=5_000), max_size=100),
    st.lists(st.integers(min_value=0, max_value=5_000), max_size=100),
)
def test_and_or_are_intersection_and_union(left: list[int], right: list[int]) -> None:
    a, b = bits_of(left), bits_of(right)
    assert positions_of(a & b) == sorted(set(left) & set(right))
    assert positions_of(a | b) == sorted(set(left) | set(right))
    assert union([a, b]) == a | b and union([]) == 0


def test_a_field_knows_which_words_are_in_capitals() -> None:
    field = split_field("title", "AI for SMEs and ai mercati", "en")
    assert [i for i in range(len(field)) if field.in_capitals(i)] == [0, 2]
