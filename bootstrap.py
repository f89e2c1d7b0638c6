#!/usr/bin/env python3
"""Set up and start Callwatch, test it, or see it work offline: the README's three commands.

    python3 bootstrap.py run    # venv + install + migrate + start web and scheduler
    python3 bootstrap.py test   # venv + install (test tools, semantic extra) + the whole test suite
    python3 bootstrap.py demo   # venv + install + `callwatch demo`: recorded sources, ./var/demo

Needs nothing but Python 3.11+ and access to the package registry. The
virtual environment lives in ./.venv and is reinstalled only when
pyproject.toml changes. Extra arguments go to `callwatch run`, pytest or
`callwatch demo`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_environment(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Callwatch needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".callwatch-installed"
    installed = stamp.read_text().split() if stamp.exists() else []
    if wanted in installed:
        return
    print(f"installing Callwatch{extras} into {VENV}", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}{extras}"], check=True, cwd=ROOT)
    stamp.write_text(" ".join([*installed, wanted]))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "demo"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command in ("run", "demo"):
        ensure_environment("")
        return subprocess.call([str(BIN / "callwatch"), command, *rest])
    # The tests cover the optional semantic extra too (about 100 MB, ~15 s to install).
    ensure_environment("[test,semantic]")
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
