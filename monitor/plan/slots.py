"""When e-mails are due: digest slots and reminder stages, in the subscriber's time zone.

Owns the period keys that make sends idempotent ("digest:2026-W47" for a
weekly digest, "digest:2026-11-21" for a daily one, "reminder:<call>:<deadline>:<days>")
and the catch-up rule after downtime: only the latest slot is ever
considered, it is sent when at most `catch_up` late, and skipped (with an
operator alert; the next digest covers the gap) when later. So an outage
never produces one e-mail per missed period. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.model.call import DeadlineIn


@dataclass(frozen=True)
class Slot:
    period_key: str
    scheduled_at: datetime  # aware, UTC

    def lateness(self, now: datetime) -> timedelta:
        return now - self.scheduled_at


def _at_local(day: datetime, hour: int, tz: ZoneInfo) -> datetime:
    # Built from the local calendar date so a DST change never shifts the hour.
    return datetime.combine(day.date(), time(hour), tzinfo=tz)


def digest_slot(now: datetime, *, tz: ZoneInfo, weekday: int, hour: int, daily: bool) -> Slot:
    """The latest scheduled digest at or before `now` (weekday 0 = Monday)."""
    local = now.astimezone(tz)
    if daily:
        candidate = _at_local(local, hour, tz)
        if candidate > local:
            candidate = _at_local(local - timedelta(days=1), hour, tz)
        key = f"digest:{candidate.date().isoformat()}"
    else:
        back = (local.weekday() - weekday) % 7
        candidate = _at_local(local - timedelta(days=back), hour, tz)
        if candidate > local:
            candidate = _at_local(local - timedelta(days=back + 7), hour, tz)
        year, week, _ = candidate.isocalendar()
        key = f"digest:{year}-W{week:02d}"
    return Slot(key, candidate.astimezone(ZoneInfo("UTC")))


def next_digest_slot(now: datetime, *, tz: ZoneInfo, weekday: int, hour: int, daily: bool) -> Slot:
    """The first scheduled digest after `now` (what the manage page announces)."""
    step = timedelta(days=1 if daily else 7)
    later = digest_slot(now + step, tz=tz, weekday=weekday, hour=hour, daily=daily)
    if later.scheduled_at <= now:  # a DST change made this period an hour longer
        later = digest_slot(now + step + timedelta(hours=2), tz=tz, weekday=weekday, hour=hour, daily=daily)
    return later


@dataclass(frozen=True)
class ReminderDue:
    deadline: DeadlineIn
    days_before: int
    slot: Slot


def reminder_due(
    deadlines: Sequence[DeadlineIn],
    *,
    call_id: int,
    now: datetime,
    tz: ZoneInfo,
    offsets: Sequence[int],
    hour: int,
    catch_up: timedelta,
) -> list[ReminderDue]:
    """The reminders due now for one tracked call: at most one per deadline stage.

    For each upcoming stage, the current reminder is the one with the fewest
    days left whose time has come (30, 14, 7, 1 days before, at `hour` in the
    subscriber's zone); earlier ones are superseded, and one more than
    `catch_up` late is not sent.
    """
    due = []
    for deadline in deadlines:
        if deadline.closed or deadline.at <= now:
            continue
        local_deadline = deadline.at.astimezone(tz)
        passed = [
            (days, _at_local(local_deadline - timedelta(days=days), hour, tz))
            for days in sorted(set(offsets))
            if _at_local(local_deadline - timedelta(days=days), hour, tz) <= now
        ]
        if not passed:
            continue
        days, at = passed[0]  # the fewest days left
        if now - at > catch_up:
            continue
        key = f"reminder:{call_id}:{deadline.at.isoformat()}:{days}"
        due.append(ReminderDue(deadline, days, Slot(key, at.astimezone(ZoneInfo("UTC")))))
    return due
