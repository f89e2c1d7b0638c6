"""The language a call is written in, when its record does not say.

Owns `detect_language`: py3langid (a naive Bayes model over byte n-grams, shipped inside the
package; no download) restricted to the languages calls for European SMEs are written in, so a
short English title is not read as Latin or Malay. A text too short to tell, or one the model is
not confident about, gives None: the caller keeps what the record said, or nothing.

Must not: stem or fold words (that is `monitor.match.stems`), do I/O beyond loading the model once.
"""

from __future__ import annotations

import functools
from typing import Any

# The 24 official EU languages that py3langid knows, and those of the neighbours calls are open to.
CALL_LANGUAGES = (
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv",
    "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv", "uk", "no", "is", "sq", "mk", "sr", "tr", "ca",
)  # fmt: skip
# Below this many letters a guess is a coin toss ("PEM electrolysers" is read as Latin).
MIN_LETTERS = 25
MIN_CONFIDENCE = 0.9


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages([code for code in CALL_LANGUAGES if code in identifier.nb_classes])
    return identifier


def detect_language(text: str | None) -> str | None:
    """The ISO 639-1 code of the language `text` is written in, or None when it cannot tell."""
    if not text or sum(ch.isalpha() for ch in text[:2000]) < MIN_LETTERS:
        return None
    code, confidence = _identifier().classify(text[:2000])
    return str(code) if confidence >= MIN_CONFIDENCE else None
