"""Source kinds and the loader of `config/sources/*.toml`.

Owns: the list of kind modules (each imported explicitly below, no directory
scanning, so the registry is plain to read), loading and validating each
source file against its kind's config model (unknown kinds and keys are
refused with the file name and key), and building a `Source` from a config.

Must not: fetch, parse pages or touch the database; what a kind does is in
its own module.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from sources.base import REGISTRY, Source, SourceConfig


def register_kinds() -> None:
    """Import every kind module once; each registers itself on import."""
    from sources import (
        eccp,  # noqa: F401 - kind "eccp"
        feed,  # noqa: F401 - kind "feed"
        ft_portal,  # noqa: F401 - kind "ft-portal"
        selectors,  # noqa: F401 - kind "selectors"
    )


class SourceConfigError(Exception):
    """A source file is missing, unreadable or invalid; the message names file and key."""


def load_source_configs(config_dir: Path) -> list[SourceConfig]:
    """Every `<config_dir>/sources/*.toml`, validated, sorted by id."""
    register_kinds()
    folder = config_dir / "sources"
    if not folder.is_dir():
        raise SourceConfigError(f"{folder}: no such folder (set CALLWATCH_CONFIG_DIR)")
    configs = [load_source_config(path) for path in sorted(folder.glob("*.toml"))]
    return configs


def load_source_config(path: Path) -> SourceConfig:
    register_kinds()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceConfigError(f"{path}: cannot read TOML: {exc}") from None
    kind = data.get("kind")
    if kind not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise SourceConfigError(f"{path}: key 'kind': unknown kind {kind!r} (known kinds: {known})")
    try:
        config = REGISTRY[kind].config_model.model_validate(data)
    except ValidationError as exc:
        raise SourceConfigError(_describe(path, exc)) from None
    if config.id != path.stem:
        raise SourceConfigError(f"{path}: key 'id': {config.id!r} must equal the file name {path.stem!r}")
    return config


def _describe(path: Path, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "(file)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key (typo?)"
        lines.append(f"{path}: key '{key}': {message}")
    return "\n".join(lines)


def build_source(config: SourceConfig) -> Source:
    """The Source object of a validated config."""
    return REGISTRY[config.kind](config)


__all__ = ["SourceConfigError", "build_source", "load_source_config", "load_source_configs", "REGISTRY"]
