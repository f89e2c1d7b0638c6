"""Data at realistic scale, generated from the real recorded samples.

Every generated record or page is a copy of a recorded one (tests/fixtures, see their
PROVENANCE.md) with its identifiers, titles and dates varied and its structure kept:
- F&T portal search records: the 16 complete records of tests/fixtures/ft_portal (the 10 records of
  the real unfiltered page, the real CL5/MISS items, the real AarhusAI pair, the two reconstructed
  cascade records), cycled; identifier (everywhere it occurs, so the budget overview still names
  the topic), title, start and deadline dates (same time-of-day quirk as the original) and status
  vary; language is set to English;
- normalised calls (`call_ins`): those records parsed and normalised by the real code once, then
  copied with a new key, identifier, title and deadlines (normalising 20,000 large records would
  take minutes of set-up);
- ECCP listing and detail pages from the reconstructed pages of tests/fixtures/eccp (node id, slug,
  title and years vary; 12 cards per listing page, a trailing empty page as on the real site);
- subscribers' profiles, drawn from the words the generated calls contain.

Pure: no I/O but reading the fixtures.
"""

from __future__ import annotations

import functools
import html
import json
import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.common import BRUSSELS, ROOT

FT = ROOT / "tests" / "fixtures" / "ft_portal"
ECCP = ROOT / "tests" / "fixtures" / "eccp"
EURO_ACCESS = ROOT / "tests" / "fixtures" / "euro_access"
ECCP_HOST = "https://www.clustercollaboration.eu"
OPEN, FORTHCOMING = "31094502", "31094501"
_WORD = re.compile(r"[A-Za-z][a-z]{3,}")
_DATE_WORDS = re.compile(
    r"\b(\d{1,2})(\s+)(January|February|March|April|May|June|July|August|September|October|November|"
    r"December)(\s+)(20\d\d)\b"
)


# --------------------------------------------------------------------------- F&T portal


@functools.cache
def ft_templates() -> tuple[str, ...]:
    """The complete recorded search records, as JSON texts."""
    records: list[Any] = []
    for name in (
        "sedia_search_response_full_page_10results_apiv2.132_closed_bg.json",
        "sedia_search_response_excerpt_2026_new-style_records_AarhusAI.json",
        "sedia_cascade_type8_SMP-COSME-2024-CLUSTER-01_RECONSTRUCTED.json",
    ):
        records += json.loads((FT / name).read_text())["results"]
    for name in (
        "sedia_search_result_item_HORIZON-CL5-2024-D2-01-03.json",
        "sedia_search_result_item_HORIZON-MISS-2023-CLIMA-01-01_full.json",
    ):
        records.append(json.loads((FT / name).read_text()))
    return tuple(json.dumps(record, ensure_ascii=False) for record in records)


@functools.cache
def ft_envelope() -> dict[str, Any]:
    """The top level of a real search answer (AarhusAI excerpt), without its results."""
    body = json.loads((FT / "sedia_search_response_excerpt_2026_new-style_records_AarhusAI.json").read_text())
    return {key: value for key, value in body.items() if key != "results"}


@functools.cache
def vocabulary() -> tuple[str, ...]:
    """Domain words of the recorded titles, keywords and call texts (for varied titles)."""
    words: Counter[str] = Counter()
    for text in ft_templates():
        metadata = json.loads(text)["metadata"]
        for key in ("title", "keywords", "callTitle", "typesOfAction", "destinationDescription"):
            for value in metadata.get(key) or []:
                words.update(word.lower() for word in _WORD.findall(str(value)))
    for path in sorted(ECCP.glob("detail_*.html")):
        title = re.search(r"<title>(.*?)\s*\|", path.read_text())
        if title:
            words.update(word.lower() for word in _WORD.findall(html.unescape(title.group(1))))
    return tuple(sorted(word for word in words if word not in {"with", "from", "that", "this", "their"}))


def varied_title(rng: random.Random, base: str) -> str:
    words = rng.sample(vocabulary(), rng.randint(2, 4))
    return f"{base}: {' '.join(words).capitalize()}"


def _with_date(original: str, day: datetime) -> str:
    """`day`'s calendar date with the original value's time of day and offset kept."""
    rest = original[10:] if len(original) > 10 else "T00:00:00.000+0000"
    return f"{day:%Y-%m-%d}{rest}"


def call_dates(rng: random.Random, now: datetime, stages: int) -> tuple[bool, datetime, list[datetime]]:
    """(forthcoming?, opening, deadlines): one in five forthcoming; every deadline after `now`."""
    forthcoming = rng.random() < 0.2
    opens = (
        now + timedelta(days=rng.randint(2, 40)) if forthcoming else now - timedelta(days=rng.randint(1, 120))
    )
    first = max(opens, now) + timedelta(days=rng.randint(3, 300))
    deadlines = [first]
    for _ in range(stages - 1):
        deadlines.append(deadlines[-1] + timedelta(days=rng.randint(60, 160)))
    return forthcoming, opens, deadlines


def _five_pm(day: datetime) -> datetime:
    """17:00 Brussels on `day`'s Brussels date, in UTC (the portal's usual cut-off)."""
    local = day.astimezone(BRUSSELS)
    return datetime(local.year, local.month, local.day, 17, 0, tzinfo=BRUSSELS).astimezone(UTC)


def ft_records(count: int, *, now: datetime, seed: int = 7) -> list[dict[str, Any]]:
    """`count` distinct open or forthcoming search records, cycling over the recorded ones."""
    rng = random.Random(seed)
    templates = ft_templates()
    out = []
    for index in range(count):
        text = templates[index % len(templates)]
        metadata = json.loads(text)["metadata"]
        old = metadata["identifier"][0]
        new = f"{old}-{index:05d}"
        record = json.loads(text.replace(old, new))
        metadata = record["metadata"]
        record["language"] = "en"
        if "language" in metadata:
            metadata["language"] = ["en"]
        title = varied_title(rng, metadata["title"][0])
        metadata["title"] = [title]
        record["summary"] = record["content"] = title
        forthcoming, opens, deadlines = call_dates(rng, now, max(1, len(metadata.get("deadlineDate") or [])))
        template_deadline = (metadata.get("deadlineDate") or ["2024-01-01T17:00:00.000+0100"])[0]
        metadata["deadlineDate"] = [
            _with_date(template_deadline, at.astimezone(BRUSSELS)) for at in deadlines
        ]
        metadata["startDate"] = [
            _with_date((metadata.get("startDate") or [""])[0], opens.astimezone(BRUSSELS))
        ]
        metadata["status"] = [FORTHCOMING if forthcoming else OPEN]
        if metadata.get("type") == ["8"]:
            call_id = str(300_000 + index)
            metadata["callccm2Id"] = [call_id]
            record["reference"] = f"{call_id}COMPETITIVE_CALLen"
        else:
            record["reference"] = f"{index}{record.get('reference', '')}"
        out.append(record)
    return out


def ft_pages(records: list[dict[str, Any]], *, page_size: int = 100) -> list[bytes]:
    """Search answers of `page_size` records, as the API serves them (UTF-8 JSON)."""
    pages = []
    for start in range(0, len(records), page_size):
        body = {
            **ft_envelope(), "totalResults": len(records), "pageNumber": start // page_size + 1,
            "pageSize": page_size, "results": records[start : start + page_size],
        }  # fmt: skip
        pages.append(json.dumps(body, ensure_ascii=False).encode())
    return pages


# --------------------------------------------------------------------------- normalised calls


@functools.cache
def _base_calls(now: datetime) -> tuple[Any, ...]:
    from monitor.normalise.call import normalise_call
    from sources.ft_portal import parse_results

    raw, _ = parse_results(ft_records(len(ft_templates()), now=now, seed=1))
    return tuple(normalise_call(call, now=now) for call in raw)


def call_ins(count: int, *, now: datetime, seed: int = 11) -> list[Any]:
    """`count` normalised open or forthcoming calls (db.schemas.CallIn), keys "bench-<n>"."""
    from monitor.model.call import DeadlineIn

    rng = random.Random(seed)
    bases = _base_calls(now)
    calls = []
    for index in range(count):
        base = bases[index % len(bases)]
        forthcoming, opens, days = call_dates(rng, now, max(1, len(base.deadlines)))
        ats = [_five_pm(day) for day in days]
        stages = base.deadlines or [DeadlineIn(at=ats[0], date_only=True)]
        deadlines = [
            DeadlineIn(at=at, label=stage.label, text=f"{at.astimezone(BRUSSELS):%Y-%m-%d}",
                       date_only=stage.date_only)
            for at, stage in zip(ats, stages, strict=False)
        ]  # fmt: skip
        identifier = f"{base.identifier}-{index:05d}" if base.identifier else None
        calls.append(
            base.model_copy(
                update={
                    "key": f"bench-{index}",
                    "identifier": identifier,
                    "title": varied_title(rng, base.title),
                    "url": f"https://calls.example.eu/bench-{index}",
                    "deadlines": deadlines,
                    "next_deadline_at": ats[0],
                    "final_deadline_at": ats[-1],
                    "opens_at": opens,
                    "status": "forthcoming" if forthcoming else "open",
                }  # fmt: skip
            )
        )
    return calls


# --------------------------------------------------------------------------- ECCP pages


_CARD = re.compile(
    r"<!-- THEME DEBUG -->\s*<!-- THEME HOOK: 'eccp_search_result_item' -->.*?"
    r"<!-- END CUSTOM TEMPLATE OUTPUT from '[^']*eccp-search-result-item\.html\.twig' -->\s*",
    re.S,
)


@functools.cache
def _eccp_details() -> tuple[tuple[str, str, str, str], ...]:
    """(page, node id, slug, title) of every reconstructed detail page."""
    found = []
    for path in sorted(ECCP.glob("detail_*_RECONSTRUCTED.html")):
        page = path.read_text()
        node = re.search(r'data-history-node-id="(\d+)"', page)
        slug = re.search(r'<article[^>]*about="/content/([^"]+)"', page)
        title = re.search(r"<title>(.*?) \| European Cluster Collaboration Platform", page)
        assert node and slug and title, path
        found.append((page, node.group(1), slug.group(1), title.group(1)))
    return tuple(found)


def _shift_years(page: str, now: datetime) -> str:
    years = [int(match.group(5)) for match in _DATE_WORDS.finditer(page)]
    shift = max(0, now.year + 1 - min(years)) if years else 0
    return _DATE_WORDS.sub(lambda m: f"{m[1]}{m[2]}{m[3]}{m[4]}{int(m[5]) + shift}", page)


def eccp_site(calls: int, *, now: datetime, seed: int = 5) -> dict[str, bytes]:
    """An ECCP listing of `calls` calls: {absolute URL: body} for listing and node pages."""
    rng = random.Random(seed)
    listing = (ECCP / "listing_page0_RECONSTRUCTED.html").read_text()
    cards = list(_CARD.finditer(listing))
    head, tail, card = listing[: cards[0].start()], listing[cards[-1].end() :], cards[0].group(0)
    card_slug = re.search(r'href="/content/([^"]+)"', card)
    card_title = re.search(r'hreflang="en">(.*?)</a>', card)
    assert card_slug and card_title
    site: dict[str, bytes] = {}
    entries = []
    for index in range(calls):
        page, node, slug, title = _eccp_details()[index % len(_eccp_details())]
        new_title = html.escape(varied_title(rng, html.unescape(title)), quote=False)
        new_slug = f"{slug}-{index}"
        body = page.replace(title, new_title).replace(f"/content/{slug}", f"/content/{new_slug}")
        body = body.replace(f'data-history-node-id="{node}"', f'data-history-node-id="{400_000 + index}"')
        site[f"{ECCP_HOST}/content/{new_slug}"] = _shift_years(body, now).encode()
        entries.append((new_slug, new_title))
    pages = [entries[start : start + 12] for start in range(0, len(entries), 12)]
    for number, chunk in enumerate(pages):
        html_cards = "".join(
            card.replace(card_slug.group(1), slug).replace(card_title.group(1), title)
            for slug, title in chunk
        )
        page = head + html_cards + tail.replace("page=1", f"page={number + 1}")
        site[eccp_listing_url(number)] = page.encode()
    trailing = (ECCP / "listing_page2_empty-trailing_RECONSTRUCTED.html").read_bytes()
    site[eccp_listing_url(len(pages))] = trailing
    return site


def eccp_listing_url(number: int) -> str:
    return f"{ECCP_HOST}/search-results?type=eccp_calls&page={number}"


# --------------------------------------------------------------------------- profiles


def keyword_pool(calls: list[Any]) -> list[tuple[str, int]]:
    """Words of the calls' titles, keywords and summaries found in 0.2% to 3% of the calls (a topic
    word such as "hydrogen" rather than "project"), with their counts."""
    counts: Counter[str] = Counter()
    for call in calls:
        text = " ".join([call.title, *(call.keywords or []), call.summary_text or ""])
        counts.update({word.lower() for word in _WORD.findall(text) if len(word) >= 5})
    low, high = max(2, 0.002 * len(calls)), max(5, 0.03 * len(calls))
    return sorted((word, n) for word, n in counts.items() if low <= n <= high)


def profile_values(rng: random.Random, pool: list[tuple[str, int]], *, broad: bool = False) -> dict[str, Any]:
    """One subscriber's profile as the sign-up form would store it; `broad`: keywords, country and
    organisation type only (every such profile matches some calls)."""
    from monitor.normalise.countries import EU27

    words = [word for word, _ in pool]
    keywords = []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        word = rng.choice(words)
        keywords.append(word[: max(5, len(word) - 3)] + "*" if rng.random() < 0.2 else word)
    values: dict[str, Any] = {
        "keywords": keywords,
        "countries": rng.sample(sorted(EU27), rng.choice([0, 1, 1, 1, 2])),
        "org_types": rng.choice([["sme"], ["sme"], ["sme", "startup"], ["research"], []]),
        "min_days_left": rng.choice([None, None, 7, 14]),
    }
    if not broad:
        values.update(
            exclude=rng.sample(["consultancy", "training", "ports"], rng.choice([0, 0, 0, 1])),
            programmes=rng.choice([[], [], [], ["HORIZON"], ["SMP"], ["Digital Europe"]]),
            funding_types=rng.choice([[], [], ["grant"], ["cascade"]]),
            budget_min=rng.choice([None, None, None, Decimal("50000")]),
            budget_max=rng.choice([None, None, None, Decimal("5000000")]),
        )
    return values


def profiles(count: int, calls: list[Any], *, seed: int = 13, broad: bool = False) -> list[dict[str, Any]]:
    """`count` profiles whose keywords are topic words of `calls` (see `keyword_pool`)."""
    rng = random.Random(seed)
    pool = keyword_pool(calls)
    return [profile_values(rng, pool, broad=broad) for _ in range(count)]
