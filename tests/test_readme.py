"""README examples are checked: the source example must load as a valid config,
and the two set-up commands named at the top must be the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from sources import load_source_config

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def test_toml_source_example_is_a_valid_config(tmp_path: Path) -> None:
    [example] = re.findall(r"```toml\n(.*?)```", README, re.S)
    source_id = re.search(r'^id = "([^"]+)"', example, re.M).group(1)
    path = tmp_path / f"{source_id}.toml"
    path.write_text(example)
    config = load_source_config(path)
    assert (config.id, config.kind, config.interval_seconds) == ("cluster-xyz", "selectors", 12 * 3600)


def test_readme_starts_with_the_two_commands_ci_uses_then_the_demo() -> None:
    top = README.split("## What Callwatch does")[0]
    commands = re.findall(r"^    (python3 bootstrap\.py \w+)$", top, re.M)
    assert commands == ["python3 bootstrap.py run", "python3 bootstrap.py test", "python3 bootstrap.py demo"]
    assert "python3 bootstrap.py test" in (ROOT / ".ci" / "run").read_text()
