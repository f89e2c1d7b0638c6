"""RSS 2.0 and Atom documents of calls (feedgen). Pure: calls and metadata in, bytes out.

Owns what a feed item says about a call and how it is identified: GUID and Atom id = a tag URI
on the stable CALLWATCH_ICS_DOMAIN (`entries.entry_id`: not a permalink, and never the site's host,
which may change), title, the call's page on this site (`call_page(id)`) as the link (the source's own
URL is in the text: feedgen 1.0 drops the `rel` of extra Atom entry links, and two "alternate"
links would make the entry invalid), the programme as category, and an HTML summary: deadlines in
Brussels time, programme, budget, the source's summary (sanitised again here, whoever stored it)
and both links, and "Not stated: ecosystem, countries" (the asked criteria the call is silent on,
given by the caller in `notes`); a call whose deadline could not be read says "deadline unknown —
see call page" with the source's words (it stays in feeds; calendars, which need a date, leave it
out); `remarks` (a collection's notes) come first, escaped. Atom
carries `published` = first seen and `updated` = last change; RSS has only `pubDate`, which is the
last change, so that a reader sorting by date shows updated calls where the feed puts them.
Labels and dates are in `FeedMeta.language` (English unless a collection's feed says otherwise);
the call's own texts stay as written.
Documents are deterministic (no "now" inside): the same calls and metadata give the same bytes,
which is what lets the web layer use strong ETags and cache rendered bodies.
Must not: read a clock, the database or settings; word a fact itself (`monitor.render.words`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from feedgen.feed import FeedGenerator

from monitor.model.call import DeadlineIn
from monitor.normalise.html import sanitise_html
from monitor.render.cards import funder
from monitor.render.entries import (
    CallPage,
    FeedMeta,
    Notes,
    Remarks,
    clean,
    entry_id,
    first_seen,
    last_change,
    one_line,
    stage_line,
    stages,
)
from monitor.render.i18n import Translator, translator
from monitor.render.words import NOT_STATED, budget_text, opening, unknown_deadline


def rss(
    calls: Sequence[Any],
    meta: FeedMeta,
    *,
    call_page: CallPage,
    notes: Notes | None = None,
    remarks: Remarks | None = None,
) -> bytes:
    """An RSS 2.0 document of `calls`, in the given order; `notes`, `remarks`: see entries."""
    feed = _feed(calls, meta, call_page, notes or {}, remarks or {}, dated_by_change=True)
    return feed.rss_str(pretty=True)  # type: ignore[no-any-return]


def atom(
    calls: Sequence[Any],
    meta: FeedMeta,
    *,
    call_page: CallPage,
    notes: Notes | None = None,
    remarks: Remarks | None = None,
) -> bytes:
    """An Atom document of `calls`, in the given order; `notes`, `remarks`: see entries."""
    feed = _feed(calls, meta, call_page, notes or {}, remarks or {}, dated_by_change=False)
    return feed.atom_str(pretty=True)  # type: ignore[no-any-return]


def _feed(
    calls: Sequence[Any],
    meta: FeedMeta,
    call_page: CallPage,
    notes: Notes,
    remarks: Remarks,
    *,
    dated_by_change: bool,
) -> FeedGenerator:
    feed = FeedGenerator()
    feed.id(clean(meta.feed_id or meta.self_url))
    feed.title(one_line(meta.title))
    feed.description(one_line(meta.description))
    feed.author(name="Callwatch")
    # RSS takes its channel link from the last "alternate" link given.
    feed.link(href=clean(meta.self_url), rel="self")
    feed.link(href=clean(meta.page_url), rel="alternate")
    feed.language(meta.language)
    feed.generator("Callwatch")
    feed.updated(meta.updated)
    feed.lastBuildDate(meta.updated)
    feed.ttl(60)
    for call in calls:
        entry = feed.add_entry(order="append")
        entry.id(entry_id(call.id, meta.uid_domain, meta.scope))
        entry.guid(entry_id(call.id, meta.uid_domain, meta.scope), permalink=False)
        page, silent, remark = call_page(call.id), notes.get(call.id), remarks.get(call.id)
        _item(entry, call, page, silent, dated_by_change, remark, meta.language)
    return feed


def _item(
    entry: Any, call: Any, page: str, silent: str | None, dated_by_change: bool, remark: str | None = None,
    language: str = "en",
) -> None:  # fmt: skip
    entry.title(one_line(call.title) or f"Call {call.id}")
    entry.link(href=clean(page), rel="alternate")
    entry.summary(clean(item_html(call, page, silent, remark, language)), type="html")
    if call.programme:
        entry.category(term=one_line(call.programme))
    # feedgen writes `published` as RSS pubDate: RSS gets the last change, Atom the first sighting.
    entry.published(last_change(call) if dated_by_change else first_seen(call))
    entry.updated(last_change(call))


def item_html(
    call: Any, page: str, silent: str | None = None, remark: str | None = None, language: str = "en"
) -> str:
    """The HTML body of a feed item in `language`; every value from a source is escaped or sanitised.
    `silent`: the criteria of the feed's filter or profile the call does not state ("ecosystem,
    countries"), worded already; `remark`: plain text shown first (a collection's note), escaped, its
    line breaks kept."""
    _ = translator(language)
    parts = [f"<p>{_esc(remark).replace(chr(10), '<br>')}</p>"] if remark and remark.strip() else []
    unknown = unknown_deadline(call)
    if unknown is not None:
        line, label = unknown.line(_(unknown.phrase)), _.label(_("Deadline"))
        parts += [f'<p><strong>{_esc(label)}</strong> <a href="{_esc(page)}">{_esc(line)}</a></p>']
    else:
        parts += [_deadlines_html(call.deadlines, _)]
    facts = [
        (_("Opens"), opening(call.opens_at, language=language) if getattr(call, "opens_at", None) else None),
        (_("Programme"), funder(call)),
        (_("Identifier"), call.identifier),
        (_("Budget"), budget_text(call, language=language)),
        (_(NOT_STATED), silent),
    ]
    parts += [
        f"<p><strong>{_esc(_.label(name))}</strong> {_esc(value)}</p>" for name, value in facts if value
    ]
    summary = sanitise_html(call.summary_html) if call.summary_html else None
    if summary:
        parts.append(f"<div>{summary}</div>")
    elif call.summary_text:
        parts += [f"<p>{_esc(p)}</p>" for p in clean(call.summary_text).split("\n\n") if p.strip()]
    details = _esc(_("Details on Callwatch"))
    links = [f'<a href="{_esc(page)}">{details}</a>']
    if call.url and call.url.startswith(("http://", "https://")):
        source = _esc(_("Call page at the source"))
        links.append(f'<a href="{_esc(call.url)}" rel="nofollow noopener">{source}</a>')
    parts.append(f"<p>{' · '.join(links)}</p>")
    return "\n".join(parts)


def _deadlines_html(deadlines: Sequence[DeadlineIn], _: Translator) -> str:
    found = stages(deadlines)
    one, many, unstated = _esc(_.label(_("Deadline"))), _esc(_.label(_("Deadlines"))), _esc(_("not stated"))
    if not found:
        return f"<p><strong>{one}</strong> {unstated}</p>"
    lines = [stage_line(stage, _.language) for stage in found]
    if len(lines) == 1:
        return f"<p><strong>{one}</strong> {_esc(lines[0])}</p>"
    items = "".join(f"<li>{_esc(line)}</li>" for line in lines)
    return f"<p><strong>{many}</strong></p><ul>{items}</ul>"


def _esc(text: str) -> str:
    return html.escape(clean(text), quote=True)
