"""Run every benchmark of issue #7, each in its own process, and write BENCHMARKS.md.

    .venv/bin/python bench/run_all.py          # full sizes, SQLite and PostgreSQL; writes BENCHMARKS.md
    .venv/bin/python bench/run_all.py --size tiny --out /tmp/bench.md   # a quick check of the scripts
    .venv/bin/python bench/run_all.py --only ingest matching --runs 3
    .venv/bin/python bench/run_all.py --from-json bench/last_run.json   # rewrite BENCHMARKS.md only

Full sizes take about an hour and a half on a 2-core machine (see the README, "Benchmarks") and must run on a
quiet machine: the load average is recorded next to the figures. BENCHMARKS.md is written only by a
complete full run (or --from-json) unless --out names a file; a complete full run also saves its results
in bench/last_run.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULT_PREFIX, ROOT, log, machine  # noqa: E402

# (script, databases it runs on)
PLAN: list[tuple[str, tuple[str | None, ...]]] = [
    ("ingest", ("sqlite", "postgres")),
    ("html_parse", (None,)),
    ("matching", (None,)),
    ("digests", ("sqlite",)),
    ("feeds_search", ("sqlite", "postgres")),
    ("network", (None,)),
]
LAST_RUN = ROOT / "bench" / "last_run.json"
TITLES = {
    "ingest": "1. Ingest: F&T records parsed, normalised and upserted",
    "html_parse": "2. HTML sources: ECCP listing and detail pages",
    "matching": "3. Matching: profiles × open calls",
    "digests": "4. Digests: built and sent over SMTP",
    "feeds_search": "5. Feeds and search over HTTP",
    "network": "6. A poll's network cost",
}


def run_script(name: str, db: str | None, size: str, runs: int | None) -> dict[str, Any]:
    command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), "--size", size]
    command += ["--db", db] if db else []
    command += ["--runs", str(runs)] if runs else []
    log(f"running {' '.join(command[1:])}")
    start = time.monotonic()
    # The script's progress goes to our stderr as it happens; its result line comes on stdout.
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, cwd=ROOT)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{name} ({db}) failed with {done.returncode} (its output is above)")
    found = json.loads(lines[-1].removeprefix(RESULT_PREFIX))
    found["wall_s"] = round(time.monotonic() - start, 1)
    found["command"] = " ".join(["bench/" + name + ".py", *command[2:]])
    return found


# --------------------------------------------------------------------------- formatting


def amount(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "bytes":
        for scale, label in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
            if value >= scale:
                return f"{value / scale:.3g} {label}"
        return f"{value:.0f} B"
    if unit == "s" and value < 1:
        return f"{value * 1000:.0f} ms"
    digits = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{digits} {unit}"


def spread(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "–"
    if stats["runs"] == 1:
        return "1 run"
    low, high = amount(stats["min"], stats["unit"]), amount(stats["max"], stats["unit"])
    return f"{low} – {high} ({stats['runs']} runs)"


def verdict(figure: dict[str, Any]) -> str:
    if figure["met"] is None:
        return "–"
    return "met" if figure["met"] else "**missed**"


def table(result: dict[str, Any]) -> list[str]:
    lines = [
        "| figure | median | spread | floor / baseline | floor median (spread) | ratio | target | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for figure in result["figures"]:
        stats, floor = figure["stats"], figure["floor"]
        ratio = f"{figure['ratio']:.3g}× ({figure['ratio_means']})" if figure["ratio"] is not None else "–"
        name = figure["name"] + (f" — {figure['note']}" if figure.get("note") else "")
        lines.append(
            f"| {name} | {amount(stats['median'], stats['unit']) if stats else '–'} | {spread(stats)} | "
            f"{figure['floor_name'] or '–'} | {amount(floor['median'], floor['unit']) if floor else '–'} "
            f"({spread(floor)}) | {ratio} | {figure['target'] or '–'} | {verdict(figure)} |"
        )
    return lines


def details(result: dict[str, Any]) -> list[str]:
    lines = [""]
    params = dict(result["params"])
    polls = params.pop("polls", None)
    if polls:
        lines += [
            "| source | calls | full poll: requests | full poll: bytes received | re-poll: requests "
            "| of which conditional | re-poll: bytes received | re-poll ÷ full (bytes) "
            "| a poll at 1 request/s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in polls:
            full, again = row["full"], row["again"]
            lines.append(
                f"| {row['source']} | {full['calls']:,} | {full['requests']} | "
                f"{amount(full['bytes'], 'bytes')} | {again['requests']} | {again['conditional']} | "
                f"{amount(again['bytes'], 'bytes')} | {again['bytes'] / max(full['bytes'], 1):.2g} | "
                f"≥ {full['requests']} s |"
            )
        lines.append("")
    if params:
        lines.append("Parameters: " + "; ".join(f"{key} = {value}" for key, value in params.items()) + ".")
    for figure in result["figures"]:
        stages = figure["extra"].get("stages_one_run_s")
        if stages:
            total = sum(value for key, value in stages.items() if "inside" not in key)
            parts = ", ".join(f"{key} {value:.2f} s ({value / total:.0%})" for key, value in stages.items())
            lines.append(f"Where one ingest's time goes (stages run one by one): {parts}.")
        extra = figure["extra"].get("bs4 + html.parser")
        if extra:
            lines.append(f"{figure['name']}: bs4 + html.parser {amount(extra['median'], extra['unit'])}.")
    lines += [f"Note: {note}" for note in result["notes"]]
    lines.append(
        f"Command: `{result['command']}` ({result['wall_s']} s wall; load average at start "
        f"{', '.join(f'{x:.2f}' for x in result['load_at_start'])}; "
        f"peak RSS of the script {result['peak_rss_mb']} MB)."
    )
    return lines


def markdown(results: list[dict[str, Any]], facts: dict[str, Any], command: str, started: datetime) -> str:
    out = [
        "# Benchmarks",
        "",
        f"Measured on {started:%Y-%m-%d} ({started:%H:%M} UTC) with `{command}`. How to run them and "
        "what each figure means: the docstring of each script in `bench/` (one script per figure).",
        "",
        f"Machine: {facts['cpu']}, {facts['cores']} cores, {facts['ram_gib']} GiB RAM, {facts['os']}; "
        f"Python {facts['python']}, SQLite {facts['sqlite']}, "
        f"PostgreSQL {facts['postgresql'] or 'not reachable'} "
        f"(local, default settings). Load average (1, 5, 15 min) when the run started: "
        f"{', '.join(str(x) for x in facts['load_average'])}; when it ended: "
        f"{', '.join(str(x) for x in facts.get('load_average_at_end', []))}."
        + (f" {facts['load_note']}" if facts.get("load_note") else ""),
        "",
        "Every figure is the median of several runs with its spread (min – max), next to its floor or "
        "baseline measured in the same run, and their ratio. Data are generated from the recorded samples "
        "(bench/data.py): identifiers, titles and dates vary, the structure is the recorded one.",
    ]
    for name, title in TITLES.items():
        mine = [result for result in results if result["benchmark"] == name]
        if not mine:
            continue
        out += ["", f"## {title}", ""]
        for result in mine:
            if len(mine) > 1:
                out += [f"### {result['db']}", ""]
            if "failed" in result:
                out += [f"Not measured: {result['failed']}", ""]
                continue
            # The network figure reads best as its own table of requests and bytes (in `details`).
            out += (table(result) if "polls" not in result["params"] else []) + details(result) + [""]
        if EXPLAIN.get(name):
            out += [EXPLAIN[name], ""]
    out += relevance_section()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).rstrip() + "\n"


RELEVANCE = ROOT / "bench" / "relevance" / "RESULTS.md"


def relevance_section() -> list[str]:
    """Quality, not time: the averaged table of the last `bench/relevance.py` run (its RESULTS.md)."""
    if not RELEVANCE.exists():
        return []
    lines = RELEVANCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| system"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return [
        "", "## 7. Relevance: labelled calls × profiles", "",
        "Measured by `bench/relevance.py` (about a minute, most of it the semantic extra embedding the "
        "calls; it runs at every full run and on its own) over the labelled set in `bench/relevance/` "
        "(calls, profiles, the judging rule in RULES.md); macro averages over profiles, precision "
        f"counting label 1 or 2 as right, recall counting label 2. Set: {lines[2].strip()}.",
        "", *lines[start:end], "",
        "Per profile, and the fully relevant calls each system missed: bench/relevance/RESULTS.md. "
        "Target (issue #14): Callwatch above every baseline on both F1 and nDCG@10.",
    ]  # fmt: skip


EXPLAIN: dict[str, str] = {}
_EXPLAIN_FILE = ROOT / "bench" / "explanations.md"
if _EXPLAIN_FILE.exists():
    _section = None
    for _line in _EXPLAIN_FILE.read_text().splitlines():
        if _line.startswith("## "):
            _section = _line[3:].strip()
            EXPLAIN[_section] = ""
        elif _section:
            EXPLAIN[_section] += _line + "\n"
    EXPLAIN = {key: value.strip() for key, value in EXPLAIN.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("full", "tiny"), default="full")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default: each script's own)")
    parser.add_argument("--only", nargs="*", choices=[name for name, _ in PLAN], help="these benchmarks only")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where to write (default BENCHMARKS.md after a complete full run)",
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="also save every result (and the machine) here"
    )
    parser.add_argument(
        "--from-json", type=Path, default=None, help="only rewrite the file from a saved --json"
    )
    args = parser.parse_args()
    complete = args.size == "full" and not args.only and not args.no_postgres
    # Only a complete full run replaces BENCHMARKS.md by default; a partial one prints unless --out says.
    out = args.out or (ROOT / "BENCHMARKS.md" if complete or args.from_json else None)
    if args.json is None and complete:
        args.json = LAST_RUN  # BENCHMARKS.md can be rewritten from it (new explanations) without a rerun
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        started = datetime.fromisoformat(saved["started"])
        assert out is not None
        out.write_text(markdown(saved["results"], saved["machine"], saved["command"], started))
        return
    started = datetime.now(UTC)
    facts = machine()
    log(f"machine: {facts}")
    if os.getloadavg()[0] > 1.5:
        log("warning: load average above 1.5; figures will be distorted by other work on this machine")
    results: list[dict[str, Any]] = []
    command = " ".join(["bench/run_all.py", *sys.argv[1:]])
    if not args.only and args.size == "full":  # relevance is quality, measured in seconds
        subprocess.run([sys.executable, str(ROOT / "bench" / "relevance.py")], check=False)
    for name, databases in PLAN:
        if args.only and name not in args.only:
            continue
        for db in databases:
            if db == "postgres" and (args.no_postgres or not facts["postgresql"]):
                continue
            try:
                results.append(run_script(name, db, args.size, args.runs))
            except RuntimeError as exc:  # the other figures are still worth having
                log(str(exc))
                results.append({"benchmark": name, "db": db, "failed": str(exc)})
            facts["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
            if args.json:  # after every script, so an interrupted run keeps what it measured
                saved = {
                    "results": results,
                    "machine": facts,
                    "command": command,
                    "started": started.isoformat(),
                }
                args.json.write_text(json.dumps(saved, indent=1, default=str))
    text = markdown(results, facts, command, started)
    if out is not None:
        out.write_text(text)
        log(f"wrote {out}")
    else:
        print(text)


if __name__ == "__main__":
    main()
