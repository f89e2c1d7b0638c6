"""`callwatch translations update|check`: the gettext catalogues kept in step with the code.

Owns extraction (Babel reads `babel.cfg`: Python in monitor/ and sources/, Jinja2 templates in
templates/), the template `templates/locale/callwatch.pot`, merging it into every language's
`.po` (new texts arrive empty, changed ones fuzzy: both count as missing until a translator
fills them in), and the report of what each language lacks. Must not translate anything itself
or decide which languages are offered (`monitor.render.i18n` does: every catalogue present).
"""

from __future__ import annotations

from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from monitor.render.i18n import DOMAIN, LOCALE_DIR, catalogue_path, offered_languages

ROOT = LOCALE_DIR.parents[1]
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
# Beyond gettext's own names: `N_` marks a text translated later, `translate(language, text)`
# and `_.plural(singular, plural, n)` are monitor.render's.
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "translate": (2,), "plural": (1, 2)}
WIDTH = 100


def extract(root: Path = ROOT) -> Catalog:
    """Every text marked for translation in the code and templates under `root`."""
    with (root / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    catalog = Catalog(project="Callwatch", domain=DOMAIN, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def message_ids(catalog: Catalog) -> set[str]:
    return {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}


def untranslated(catalog: Catalog) -> list[str]:
    """Texts of `catalog` without a usable translation: empty, partly empty (a plural form) or fuzzy."""
    lacking = []
    for message in catalog:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(forms):
            lacking.append(message.id if isinstance(message.id, str) else message.id[0])
    return sorted(lacking)


def read_catalogue(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as handle:
        write_po(handle, catalog, width=WIDTH, no_location=True, sort_output=True, omit_header=False)


@click.group("translations")
def translations() -> None:
    """Keep templates/locale/ in step with the texts in the code and templates."""


@translations.command("update")
def update() -> None:
    """Extract every text into callwatch.pot and merge it into each language's .po."""
    template = extract()
    _write(TEMPLATE, template)
    for language in offered_languages()[1:]:
        catalog = read_catalogue(language)
        catalog.update(template, no_fuzzy_matching=False)
        _write(catalogue_path(language), catalog)
        click.echo(f"{language}: {len(untranslated(catalog))} texts to translate")


@translations.command("check")
def check() -> None:
    """Exit 1 when a language lacks a text or the template is behind the code."""
    current = message_ids(extract())
    failed = False
    with TEMPLATE.open("rb") as handle:
        if message_ids(read_po(handle)) != current:
            click.echo("callwatch.pot is behind the code: run `callwatch translations update`")
            failed = True
    for language in offered_languages()[1:]:
        catalog = read_catalogue(language)
        lacking = sorted(set(untranslated(catalog)) | (current - message_ids(catalog)))
        errors = [f"{message.id!r}: {error}" for message, found in catalog.check() for error in found]
        for line in [*(f"missing: {text!r}" for text in lacking), *errors]:
            click.echo(f"{language}: {line}")
        failed = failed or bool(lacking or errors)
    raise SystemExit(1 if failed else 0)


COMMANDS = [translations]
