"""Source health: when a failing source is worth telling the operator about, and what to say.

Owns the alert rule (once per failure streak, when it reaches the source's
`alert_after_failures`; once per streak of incomplete polls, at `alert_after_incomplete`) and the
wording used in logs, operator e-mails and the digest's "could not be checked" note.

Must not: touch the database or send anything (pure: `db.repo.source_health` gives the Health).
"""

from __future__ import annotations

import re

from monitor.model.source import Health
from monitor.render.words import day, when_short

# Warnings that name a page the poll could not read (ECCP detail pages, pagination, selectors pages).
_UNREAD = re.compile(r"not read|not fetched|failed|skipped", re.I)


def alert_due(failures: int, threshold: int) -> bool:
    """True on the run that makes the streak reach the threshold: one alert per streak, not per run."""
    return failures == threshold


def failing_source_alert(health: Health) -> str:
    since = (
        f"last success {when_short(health.last_success_at)} Brussels"
        if health.last_success_at
        else "never succeeded"
    )
    error = (health.last_error or "no error recorded").splitlines()[0][:300]
    return (
        f"ALERT source {health.source_id} ({health.name}) failed "
        f"{health.consecutive_failures} times in a row "
        f"({since}): {error}. Stored calls are unchanged; check the page and config/sources/"
        f"{health.source_id}.toml."
    )


def incomplete_source_alert(health: Health, warnings: list[str]) -> str:
    """The alert for polls that keep missing pages: which pages failed, from the last run's warnings."""
    pages = [w for w in warnings if _UNREAD.search(w)] or warnings
    shown = "; ".join(line[:200] for line in pages[:3]) or "no page named"
    more = f" (and {len(pages) - 3} more)" if len(pages) > 3 else ""
    return (
        f"ALERT source {health.source_id} ({health.name}) was incomplete "
        f"{health.consecutive_incomplete} polls in a row: {shown}{more}. Calls it could not read keep their "
        f"stored values and nothing is unlisted while polls are incomplete; check those pages and "
        f"config/sources/{health.source_id}.toml."
    )


def could_not_check(health: Health) -> str:
    """The note shown to subscribers when a source they rely on is failing."""
    if health.last_success_at is None:
        return f"{health.name} could not be checked yet."
    return f"{health.name} could not be checked since {day(health.last_success_at)}."
