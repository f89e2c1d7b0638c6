"""`fold` and `fold_chars` through a cached translation table give what the character walk gave.

The walking versions (before issue #18) are kept here as the reference; random unicode, the
characters the table special-cases and combining sequences must fold the same.
"""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.normalise.vocab import _ONE_TO_ONE, _TRANSLATE, fold, fold_chars


def walking_fold(text: str) -> str:
    """`fold` as it was: NFKD of the whole text, combining marks dropped, case folded."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLATE))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _walking_fold_char(ch: str) -> str:
    if ch in _ONE_TO_ONE:
        return _ONE_TO_ONE[ch].lower()
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
    if len(base) == 1:
        return base
    lowered = ch.lower()
    return lowered if len(lowered) == 1 else ch


def walking_fold_chars(text: str) -> str:
    return "".join(_walking_fold_char(ch) for ch in text)


_SPECIAL = "".join(_ONE_TO_ONE) + "æÆœŒßẞİıΣσςǰ\u0301\u0327\u0308\u00a0\u2009\u3000\ufb01①Ⅻ한글ﬀ\ufffd \t\n"
_TEXTS = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from(_SPECIAL + "aeIoUzZ"), max_size=40),
    st.text(alphabet=st.characters(categories=("Mn", "Ll", "Lu", "Zs", "Pd", "Pf")), max_size=40),
)


@settings(max_examples=1500, deadline=None)
@given(_TEXTS)
def test_fold_same_as_walking(text: str) -> None:
    assert fold(text) == walking_fold(text)


@settings(max_examples=1500, deadline=None)
@given(_TEXTS)
def test_fold_chars_same_as_walking_and_same_length(text: str) -> None:
    folded = fold_chars(text)
    assert folded == walking_fold_chars(text)
    assert len(folded) == len(text)


def test_every_basic_plane_character_folds_alone_as_in_text() -> None:
    # One character at a time over the whole BMP (surrogates aside), inside a word so the whitespace
    # rule is exercised too.
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        text = f"Ab{chr(code)}É"
        assert fold(text) == walking_fold(text), hex(code)
        assert fold_chars(text) == walking_fold_chars(text), hex(code)


def test_real_conditions_text() -> None:
    text = "Les PME établies dans l’Union – «Ærø», Łódź, İstanbul: ≥ 50 % ＡＢＣ\u00a0ﬁnance STRASSE Straße"
    assert fold(text) == walking_fold(text)
    assert fold(text).startswith("les pme etablies dans l'union - «aero», lodz, istanbul")
