"""The word index of a catalogue snapshot: which calls' search text contains a term, without reading
every call's text.

Owns `TextIndex`, built once per snapshot from the folded search texts ("haystacks"), and the rule
that keeps search a plain substring test (`monitor.catalogue.query`): a term made only of word
characters (`\\w`) occurs in a text exactly when it occurs inside one of the text's words, so the
calls holding it are the postings of the distinct words that contain it (found by one `str.find`
pass over the joined vocabulary), with no text read at all. A term with other characters (a quoted
phrase, "covid-19") is narrowed by its longest word run the same way and then tested as a substring
on the few calls left. A run shorter than `MIN_RUN` would match most words: it is not looked up, and
such terms are tested as substrings on what the other terms left (or on every call).
Must not: fold text (it is handed folded text and folded terms), do I/O, or know about calls.
"""

from __future__ import annotations

import re
import threading
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Sequence

_RUN = re.compile(r"\w+")
MIN_RUN = 3
# Below this many candidates, testing the remaining terms as substrings is cheaper than their postings.
FEW = 64
# The candidates of recent runs are kept, within this many positions in all (about 20 MB).
_MEMO_POSITIONS = 500_000


class TextIndex:
    """Postings of the distinct folded words of `haystacks` (positions in that sequence)."""

    def __init__(self, haystacks: Sequence[str]) -> None:
        self.haystacks = haystacks
        postings: dict[str, array[int]] = {}
        for position, haystack in enumerate(haystacks):
            for word in set(_RUN.findall(haystack)):
                found = postings.get(word)
                if found is None:
                    found = postings[word] = array("i")
                found.append(position)
        self._postings = list(postings.values())
        words = list(postings)
        # One text of every word, "\n" between (never a word character): a term found at an offset
        # belongs to the word starting at or before it.
        self._vocabulary = "\n".join(words)
        starts, at = [], 0
        for word in words:
            starts.append(at)
            at += len(word) + 1
        self._starts = array("q", starts)
        self._memo: OrderedDict[str, frozenset[int]] = OrderedDict()
        self._memo_size = 0
        self._lock = threading.Lock()

    def search(self, terms: Sequence[str]) -> list[int]:
        """Positions, ascending, of the haystacks containing every term as a substring (none for no
        terms, as `Catalogue.filter` has always answered a `q` with nothing searchable)."""
        if not terms:
            return []
        looked_up = sorted((t for t in set(terms) if len(_longest_run(t)) >= MIN_RUN), key=len, reverse=True)
        found: set[int] | frozenset[int] | None = None
        tested = [t for t in dict.fromkeys(terms) if t not in looked_up]
        for term in looked_up:
            if found is not None and len(found) <= FEW:
                tested.append(term)
                continue
            holding = self._holding(_longest_run(term))
            found = holding if found is None else found & holding
            if not _only_word_characters(term):
                tested.append(term)
        positions = sorted(found) if found is not None else range(len(self.haystacks))
        if not tested:
            return list(positions)
        hay = self.haystacks
        return [p for p in positions if all(term in hay[p] for term in tested)]

    def _holding(self, run: str) -> frozenset[int]:
        """Positions of the haystacks with a word containing `run` (a run of word characters)."""
        with self._lock:
            if run in self._memo:
                self._memo.move_to_end(run)
                return self._memo[run]
        holding: set[int] = set()
        text, starts, at = self._vocabulary, self._starts, 0
        while (at := text.find(run, at)) >= 0:
            word = bisect_right(starts, at) - 1
            holding.update(self._postings[word])
            # On to the next word: this one is counted once, however often it holds the run.
            at = starts[word + 1] if word + 1 < len(starts) else len(text)
        found = frozenset(holding)
        with self._lock:
            if run not in self._memo and len(found) <= _MEMO_POSITIONS // 4:
                self._memo[run] = found
                self._memo_size += len(found)
                while self._memo_size > _MEMO_POSITIONS:
                    self._memo_size -= len(self._memo.popitem(last=False)[1])
        return found


def _longest_run(term: str) -> str:
    return max(_RUN.findall(term), key=len, default="")


def _only_word_characters(term: str) -> bool:
    return _RUN.fullmatch(term) is not None
