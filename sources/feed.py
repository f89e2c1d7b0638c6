"""Source kind `feed`: RSS 2.0 / RSS 1.0 / Atom feeds (Drupal taxonomy feeds, WordPress feeds).

Owns: the config model, fetching the feed with conditional GET, repairing
the bytes before parsing (anything before `<?xml`/`<rss`/`<feed` such as
Drupal Twig theme-debug comments or a BOM; the encoding is chosen by
`sources.fetch.decode`), refusing bodies that are not feeds (`ParseError`),
keeping entries of a recoverable broken feed with a warning, the
include/exclude word filter and turning each entry into a `RawCall`.
Parsing itself is `feedparser`; the pure functions `prepare_feed` and
`parse_feed` take bytes so tests can feed them recorded bodies.

Must not: parse dates, money or countries out of prose (`monitor.normalise`
does, from the `*_text` fields), touch the database or read settings.
"""

from __future__ import annotations

import codecs
import html
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin

import feedparser
from bs4 import BeautifulSoup
from pydantic import Field, field_validator

from monitor.model.raw import RawCall
from sources.base import Harvest, Source, SourceConfig
from sources.errors import LayoutChanged, ParseError
from sources.fetch.decode import decode_body

if TYPE_CHECKING:
    from sources.fetch.client import PoliteClient

# Whatever may precede the root element: whitespace, comments, processing instructions, a doctype.
_PROLOG_ITEM = re.compile(rb"\s+|<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>", re.S | re.I)
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF)[\s>/]")
_XML_DECL = re.compile(rb"<\?xml\b.*?\?>", re.S)
_TEXT_DECL_ENCODING = re.compile(r"""^(<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])[A-Za-z0-9._-]+\2""")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_MONEY_HINT = re.compile(r"€|\bEUR\b|\beuros?\b|\bCHF\b|£|\$", re.I)
# feedparser's bozo exceptions that only say "the charset/media type was not what was declared".
_HARMLESS_BOZO = ("CharacterEncodingOverride", "CharacterEncodingUnknown", "NonXMLContentType")


class FeedConfig(SourceConfig):
    """Keys of a `kind = "feed"` source file.

    - `url`: the RSS or Atom feed (e.g. a Drupal `/taxonomy/term/<tid>/feed`,
      a WordPress `/feed/` or `/<post_type>/feed/`).
    - `deadline_in`: which entry text is searched for deadline wording:
      `"summary"` (default), `"title"` or `"both"`.
    - `include`: optional list of words; when given, an entry is kept only if
      its title, summary or categories contain one of them.
    - `exclude`: optional list of words; an entry containing any is dropped.
      Words match case-insensitively at the start of a word ("call" matches
      "Call", "calls", "call-for-proposals" but not "recall").
    - `max_items`: at most this many entries are read (default 500); more
      makes the harvest incomplete with a warning.
    - `expect_min_items`: fewer entries (before filtering) than this is
      `LayoutChanged` (default 0: an empty feed is a valid, complete answer).
    """

    kind: Literal["feed"] = "feed"
    deadline_in: Literal["summary", "title", "both"] = "summary"
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    max_items: int = Field(default=500, ge=1)
    expect_min_items: int = Field(default=0, ge=0)

    @field_validator("include", "exclude")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        words = [word.strip() for word in value]
        if any(not word for word in words):
            raise ValueError("words must not be blank")
        return words


class FeedSource(Source, kind="feed"):
    """One RSS/Atom feed; each entry becomes a call."""

    config_model = FeedConfig
    config: FeedConfig

    async def gather(self, client: PoliteClient, *, validators: dict[str, dict[str, str]]) -> Harvest:
        """Conditional GET of the feed, then `parse_feed`."""
        url = self.config.url
        result = await client.get(url, validators=validators.get(url))
        if result.not_modified:
            harvest = Harvest(not_modified=True)
        else:
            content_type = result.headers.get("Content-Type")
            harvest = parse_feed(result.content, self.config, url=result.url, content_type=content_type)
            if result.validators:
                harvest.validators = {url: result.validators}
        return harvest


# --------------------------------------------------------------------------- bytes -> feed


def prepare_feed(
    content: bytes, *, url: str, content_type: str | None = None, notes: list[str] | None = None
) -> bytes:
    """The feed as UTF-8 bytes starting at `<?xml` or the root, declared as UTF-8.

    Drops a BOM and anything before the XML declaration/root (Drupal theme-debug
    comments), then decodes by the HTTP and XML rules (`sources.fetch.decode`): a
    charset in Content-Type, else the declaration; valid UTF-8 stays UTF-8 whatever is
    declared, and windows-1252 bytes declared UTF-8 are read as what they are (a note
    in `notes` says so). ParseError when the first element is not `rss`, `feed` or `rdf:RDF`.
    """
    text_encoding = None
    for bom, name in _BOMS:
        if content.startswith(bom):
            content, text_encoding = content[len(bom) :], name
            break
    if text_encoding and text_encoding != "utf-8":
        content = content.decode(text_encoding, errors="replace").encode("utf-8")
    start, decl_at = 0, None
    while match := _PROLOG_ITEM.match(content, start):
        if match.group().startswith(b"<?xml") and decl_at is None:
            decl_at = match.start()
        start = match.end()
    if not _ROOT.match(content, start):
        raise ParseError(
            f"not an RSS or Atom feed at {url}: it starts with {_preview(content[start:])}", url=url
        )
    body = content[decl_at if decl_at is not None else start :]
    if text_encoding:  # a BOM outranks every label; the bytes are UTF-8 by now
        text = body.decode("utf-8", errors="replace")
    else:
        decoded = decode_body(body, content_type, kind="xml", url=url)
        text = decoded.text
        if decoded.note and notes is not None:
            notes.append(decoded.note)
    if _XML_DECL.match(body):  # the text is now UTF-8 whatever the declaration said
        text = _TEXT_DECL_ENCODING.sub(r'\1"utf-8"', text, count=1)
    return text.encode("utf-8")


def _preview(content: bytes) -> str:
    text = content[:60].decode("utf-8", errors="replace").strip()
    return repr(text) if text else "nothing (empty body)"


def parse_feed(content: bytes, config: FeedConfig, *, url: str, content_type: str | None = None) -> Harvest:
    """One Harvest from a feed body; `url` is where it came from (base of relative links)."""
    harvest = Harvest()
    prepared = prepare_feed(content, url=url, content_type=content_type, notes=harvest.warnings)
    parsed = feedparser.parse(
        prepared,
        response_headers={"content-type": "application/xml; charset=utf-8", "content-location": url},
    )
    entries = list(parsed.entries)
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        name = type(problem).__name__
        if name not in _HARMLESS_BOZO:
            if not entries:
                raise ParseError(f"feed at {url} is not well-formed and gave no entries: {problem}", url=url)
            harvest.complete = False
            harvest.warnings.append(
                f"feed at {url} is not well-formed ({problem}); kept what could be read "
                f"({len(entries)} entries), harvest marked incomplete"
            )
    if len(entries) < config.expect_min_items:
        raise LayoutChanged(
            f"feed at {url} has {len(entries)} entries (expected at least {config.expect_min_items}); "
            "did the feed change?",
            url=url,
        )
    if len(entries) > config.max_items:
        harvest.warnings.append(
            f"feed at {url} has {len(entries)} entries; only the first max_items={config.max_items} read"
        )
        harvest.complete = False
        entries = entries[: config.max_items]
    seen: set[str] = set()
    for index, entry in enumerate(entries, 1):
        call = entry_to_call(entry, config, base_url=url, warnings=harvest.warnings, index=index)
        if call is None or not _wanted(call, config):
            continue
        if call.key in seen:
            harvest.warnings.append(f"duplicate entry {call.key!r} in feed; kept the first")
            continue
        seen.add(call.key)
        harvest.calls.append(call)
    return harvest


# --------------------------------------------------------------------------- entry -> RawCall


def entry_to_call(
    entry: Any, config: FeedConfig, *, base_url: str, warnings: list[str], index: int = 0
) -> RawCall | None:
    """One feed entry as a RawCall; None (with a warning) when it has no title or no id/link."""
    title = _collapse(html.unescape(_plain(entry.get("title") or "")))
    link = entry.get("link") or ""
    url = urljoin(base_url, link.strip()) if link.strip() else None
    key = (entry.get("id") or "").strip() or url
    if not title or not key:
        missing = "title" if not title else "id and link"
        warnings.append(f"skipped feed entry {index} ({key or title or 'no id'}): no {missing}")
        return None
    if len(key) > 300:
        warnings.append(f"entry key longer than 300 characters shortened: {key[:80]}...")
        key = key[:300]
    summary_html = _summary_html(entry)
    summary_text = _plain(summary_html) if summary_html else ""
    categories = [term for tag in entry.get("tags") or [] if (term := (tag.get("term") or "").strip())]
    full_text = "\n".join(filter(None, [title, summary_text]))
    deadline_text = {"summary": summary_text, "title": title, "both": full_text}[config.deadline_in]
    author = _collapse(entry.get("author") or "")
    return RawCall(
        key=key,
        title=title,
        url=url,
        summary_html=summary_html or None,
        published_at=_instant(entry.get("published_parsed") or entry.get("updated_parsed")),
        deadline_text=deadline_text or None,
        budget_text=full_text if _MONEY_HINT.search(full_text) else None,
        countries_text=full_text or None,
        # Title and summary are prose, not a list of who may apply: types found are only mentioned.
        org_types_text=full_text or None,
        organisation=author or None,
        extra={"categories": categories} if categories else {},
    )


def _wanted(call: RawCall, config: FeedConfig) -> bool:
    """The include/exclude word filter over title, summary and categories."""
    if not config.include and not config.exclude:
        return True
    text = " ".join([call.title, _plain(call.summary_html or ""), *call.extra.get("categories", [])])

    def has(word: str) -> bool:
        return re.search(r"(?<!\w)" + re.escape(word), text, re.I) is not None

    if config.include and not any(has(word) for word in config.include):
        return False
    return not any(has(word) for word in config.exclude)


def _summary_html(entry: Any) -> str:
    """`content:encoded` / Atom content when present (the full text), else the description/summary."""
    for content in entry.get("content") or []:
        if (value := (content.get("value") or "").strip()) and len(value) >= len(entry.get("summary") or ""):
            return value
    return (entry.get("summary") or "").strip()


def _plain(fragment: str) -> str:
    """Plain text of an HTML fragment, one line per block, whitespace collapsed within lines."""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    text = BeautifulSoup(fragment, "html.parser").get_text("\n")
    lines = (_collapse(line) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _instant(parsed: Any) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime."""
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None
