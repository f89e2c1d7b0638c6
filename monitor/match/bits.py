"""Sets of small non-negative ints (positions of prepared calls, of words in a field) as the bits of
one Python int: a member costs a bit instead of a set entry, and & and | run over machine words.

Owns `bits_of`, `positions_of` and `union`. Must not: know what the positions stand for.
"""

from __future__ import annotations

from collections.abc import Iterable


def bits_of(positions: Iterable[int]) -> int:
    """The bit set (an int) with the bits at `positions` set."""
    marks = bytearray()
    for at in positions:
        byte = at >> 3
        if byte >= len(marks):
            marks.extend(bytes(byte - len(marks) + 1))
        marks[byte] |= 1 << (at & 7)
    return int.from_bytes(marks, "little")


_BYTE_BITS = tuple(tuple(k for k in range(8) if value >> k & 1) for value in range(256))


def positions_of(bits: int) -> list[int]:
    """The positions of the set bits, ascending."""
    found: list[int] = []
    for at, byte in enumerate(bits.to_bytes((bits.bit_length() + 7) // 8, "little")):
        if byte:
            base = at << 3
            found.extend(base + k for k in _BYTE_BITS[byte])
    return found


def union(sets: Iterable[int]) -> int:
    """The union of bit sets (0 for none)."""
    found = 0
    for bits in sets:
        found |= bits
    return found
