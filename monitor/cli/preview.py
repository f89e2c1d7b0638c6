"""`callwatch preview EMAIL`: what the next digest would hold for a subscriber, and why.

Owns what the command prints: every match, best first, with its score, reasons and each
criterion's verdict, marked as in the next digest ("new": never listed for a profile it matches,
as the shown-log says), new but beyond the per-section limit, or not new (a digest listed it
already); then the followed calls with changes not yet told and those closing soon. Text by
default, `--json` for machines. An unknown address or profile is one line on stderr and exit 2,
as everywhere in the CLI.
Must not decide anything itself: the contents are the digest planner's (`monitor.plan.digests`
loads the pool, `monitor.plan.digest_content` applies the rules: the shown-log, the last
digest's window for changes, calls marked "not relevant", limits), the next digest's time its
schedule's.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from db import repo
from db.engine import session_scope
from db.models import DeliveryKind
from monitor.app import App
from monitor.cli.common import fail, out, validate_now, with_app
from monitor.clock import fixed_clock
from monitor.match.criteria import Match
from monitor.match.semantic import shared_embedder
from monitor.plan.claim import mail_context
from monitor.plan.digest_content import Contents, digest_contents
from monitor.plan.digests import load_pool, next_digest_at, with_digest
from monitor.render.cards import zone, zone_name
from monitor.render.words import brussels, stated_words, weekday_time


@click.command()
@click.argument("email")
@click.option(
    "--profile", "profile_id", type=int, help="Only this profile (its id, see `subscriber export`)."
)
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@with_app(migrate=True)
def preview(app: App, email: str, profile_id: int | None, now_text: str | None, as_json: bool) -> None:
    """Show what the next digest for EMAIL would hold: every match ranked, with its reasons."""
    if now_text:
        app.clock = fixed_clock(validate_now(now_text))
    now, policy = app.clock(), mail_context(app).policy
    with session_scope(app.engine) as session:
        subscriber = repo.subscriber_by_email(session, email=email.strip())
        if subscriber is None or subscriber.id is None:
            fail(f"no subscriber {email}")
        profiles = repo.profiles_of(session, subscriber_ids=[subscriber.id]).get(subscriber.id, [])
        if profile_id is not None:
            profiles = [p for p in profiles if p.id == profile_id]
            if not profiles:
                fail(f"{email} has no profile {profile_id} (see `callwatch subscriber export {email}`)")
        wanted = profiles if profile_id is not None else with_digest(profiles)
        covered = repo.last_covered(session, kind=DeliveryKind.DIGEST, subscriber_ids=[subscriber.id])
        semantic = shared_embedder() if app.settings.semantic else None
        pool = load_pool(session, wanted, [subscriber.id], covered=covered, now=now, semantic=semantic)
        since = covered.get(subscriber.id)
        contents = digest_contents(policy, pool, subscriber, wanted, since=since, now=now)
        report = {
            "email": subscriber.email,
            "status": subscriber.status,
            "now": now.isoformat(),
            "next_digest": _iso(next_digest_at(session, policy, subscriber, profiles, now=now)),
            "since": _iso(since),
            "first": contents.first,
            "profiles": [{"id": p.id, "name": p.name, "frequency": p.frequency} for p in wanted],
            **_sections(contents, pool.by_id),
        }
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        out().print(text(report, timezone=subscriber.timezone), highlight=False, markup=False)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _sections(contents: Contents, calls: dict[int, Any]) -> dict[str, Any]:
    new, fresh = set(contents.new), set(contents.fresh)
    matches = []
    for rank, call_id in enumerate(contents.ranked, start=1):
        match, profile_id = contents.matched[call_id]
        place = "new" if call_id in new else "new, over the limit" if call_id in fresh else "not new"
        matches.append(_match(rank, calls[call_id], match, profile_id, place))
    return {
        "limit": contents.limit,
        "matches": matches,
        "changed": [
            {"call_id": cid, "title": calls[cid].title, "changes": lines} for cid, lines in contents.changed
        ],
        "closing": [
            {"call_id": cid, "title": calls[cid].title, "next_deadline": _iso(calls[cid].next_deadline_at)}
            for cid in contents.closing
        ],
    }


def _match(rank: int, call: Any, match: Match, profile_id: int, place: str) -> dict[str, Any]:
    return {
        "rank": rank,
        "call_id": call.id,
        "title": call.title,
        "score": match.score,
        "profile_id": profile_id,
        "in_digest": place,
        "reasons": list(match.reasons),
        "not_stated": list(match.not_stated),
        "verdicts": [
            {"criterion": v.criterion, "outcome": v.outcome, "detail": v.detail, "evidence": v.evidence}
            for v in match.verdicts
        ],
    }


def text(report: dict[str, Any], *, timezone: str) -> str:
    """The report for a person at a terminal."""
    lines = [*_head(report, zone(timezone)), ""]
    found = report["matches"]
    lines.append(f"Matches now, best first ({len(found)}):" if found else "No call matches now.")
    for m in found:
        score, title = f"score {m['score']:g}", m["title"]
        lines.append(f"{m['rank']:>3}. [{m['in_digest']}] call {m['call_id']} · {score} · {title}")
        lines.append(f"     profile {m['profile_id']}; why: {' · '.join(m['reasons'])}")
        lines += [f"     {v['criterion']}: {v['outcome']} — {v['detail']}" for v in m["verdicts"]]
        if silent := stated_words(m["not_stated"]):
            lines.append(f"     not stated: {silent}")
    for row in report["changed"]:
        lines.append(f"Changed: call {row['call_id']} · {row['title']}: {'; '.join(row['changes'])}")
    for row in report["closing"]:
        at = brussels(datetime.fromisoformat(row["next_deadline"]))
        lines.append(f"Closing soon: call {row['call_id']} · {row['title']}: next deadline {at}")
    return "\n".join(lines)


def _head(report: dict[str, Any], tz: Any) -> list[str]:
    due, since = report["next_digest"], report["since"]
    when = f"{weekday_time(datetime.fromisoformat(due), tz)} ({zone_name(tz)})" if due else "none"
    first = " (first digest: the open calls that fit)" if report["first"] else ""
    told = f"after {brussels(datetime.fromisoformat(since))}" if since else "of the last 7 days"
    names = ", ".join(f'{p["id"]} "{p["name"]}" ({p["frequency"]})' for p in report["profiles"])
    return [
        f"{report['email']} ({report['status']}) · next digest {when}",
        f"Profiles: {names or 'none'}. New: matches never listed in a digest{first},"
        f" {report['limit']} a section at most. Changes: those not yet told, {told}.",
    ]


COMMANDS = (preview,)
