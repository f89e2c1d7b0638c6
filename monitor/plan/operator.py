"""Operator e-mails: a failing source (once per failure streak), a source whose polls keep missing
pages (once per streak of incomplete polls) and digests skipped as too late.

Owns when the operator (CALLWATCH_OPERATOR_EMAIL) is told; nothing is
planned without that address. Operator mail is always in English and has no
unsubscribe link. Must not send.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from db import repo
from db.engine import session_scope
from db.models import DeliveryKind
from monitor.model.source import Health
from monitor.plan.chat import copy_operator_alert
from monitor.plan.claim import MailContext, claim
from monitor.plan.report import PlanReport
from monitor.poll.health import failing_source_alert, incomplete_source_alert
from monitor.render.email import Rendered

SKIPPED_PREFIX = "skipped-digests:"


def plan_operator_alerts(engine: Engine, mail: MailContext, *, now: datetime) -> PlanReport:
    """E-mail the operator once per failure streak of each failing source."""
    report = PlanReport()
    to = mail.operator_email
    if not to:
        return report
    with session_scope(engine) as session:
        for health in repo.failing_sources(session):
            report.claimed += _claim_failing(session, mail, health, to=to, now=now)
        for health in repo.incomplete_sources(session):
            report.claimed += _claim_incomplete(session, mail, health, to=to, now=now)
        report.claimed += _claim_skipped(session, mail, to=to, now=now)
    return report


def _claim_failing(session: Session, mail: MailContext, health: Health, *, to: str, now: datetime) -> bool:
    since = health.last_success_at.isoformat() if health.last_success_at else "never"
    period = f"source:{health.source_id}:{since}"
    if repo.period_claimed(session, subscriber_id=None, kind=DeliveryKind.OPERATOR, period_key=period):
        return False
    heading = f"Callwatch: source {health.source_id} is failing"
    rendered = _render(mail, heading, [failing_source_alert(health)])
    return _claim(session, mail, to=to, period_key=period, rendered=rendered, now=now)


def _claim_incomplete(session: Session, mail: MailContext, health: Health, *, to: str, now: datetime) -> bool:
    """Once per streak of incomplete polls (named by the last run that read every page)."""
    period = f"incomplete:{health.source_id}:{repo.streak_start(session, source_id=health.source_id)}"
    if repo.period_claimed(session, subscriber_id=None, kind=DeliveryKind.OPERATOR, period_key=period):
        return False
    runs = repo.recent_runs(session, source_id=health.source_id, limit=1)
    warnings = list(runs[0].warnings) if runs else []
    heading = f"Callwatch: source {health.source_id} keeps missing pages"
    rendered = _render(mail, heading, [incomplete_source_alert(health, warnings)])
    return _claim(session, mail, to=to, period_key=period, rendered=rendered, now=now)


def _claim_skipped(session: Session, mail: MailContext, *, to: str, now: datetime) -> bool:
    """One e-mail for every digest skipped as too late since the last such e-mail."""
    after = repo.last_operator_watermark(session, prefix=SKIPPED_PREFIX)
    skipped = repo.skipped_digests(session, after_id=after)
    if not skipped:
        return False
    newest = max(int(row.id or 0) for row in skipped)
    periods = sorted({row.period_key for row in skipped})
    heading = f"Callwatch: {len(skipped)} digest(s) skipped as too late"
    lines = [
        f"{len(skipped)} digest(s) for {', '.join(periods)} were due more than "
        f"{mail.policy.catch_up_hours} h before the worker could send them (was it down?).",
        "They were not sent late; each subscriber's next digest covers the whole gap.",
    ]
    rendered = _render(mail, heading, lines)
    period = f"{SKIPPED_PREFIX}{newest}"
    return _claim(session, mail, to=to, period_key=period, rendered=rendered, now=now, watermark=newest)


def _render(mail: MailContext, heading: str, lines: list[str]) -> Rendered:
    return mail.renderer.render(
        "operator",
        language="en",
        subject=heading,
        html=False,
        heading=heading,
        lines=lines,
        sources_url=mail.links.sources(),
    )


def _claim(
    session: Session,
    mail: MailContext,
    *,
    to: str,
    period_key: str,
    rendered: Rendered,
    now: datetime,
    **values: int,
) -> bool:
    claimed = claim(
        session,
        mail,
        subscriber=None,
        to=to,
        kind=DeliveryKind.OPERATOR,
        period_key=period_key,
        rendered=rendered,
        now=now,
        give_up=timedelta(hours=mail.policy.other_give_up_hours),
        **values,
    )
    if claimed:
        copy_operator_alert(
            session, mail.chat, period_key=period_key, title=rendered.subject, text=rendered.text, now=now
        )
    return claimed
