"""CLI commands for people and e-mail: subscribe, track, unsubscribe, digest, reminders, alerts, send,
and a subscriber's data export and erasure.

Each sending command plans what is due (monitor.plan.notify) and then sends
everything due (monitor.deliver.sender), so a run also retries earlier transient
failures. `--now` replays time for tests and for catching up by hand. Owns what
these commands print and their exit statuses; must not decide consent or what is
due itself (monitor.people.subscriptions and monitor.plan do).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.cli.common import EXIT_FAILED, fail, out, validate_now, with_app
from monitor.cli.criteria import check_address, check_programmes, stored_programmes
from monitor.clock import fixed_clock
from monitor.deliver.sender import SendReport
from monitor.deliver.sender import deliver as send_pending
from monitor.deliver.transport import SmtpConfigError
from monitor.people.subscriptions import ProfileInput, SubscriptionError, subscribe
from monitor.people.subscriptions import unsubscribe as unsubscribe_subscriber
from monitor.plan.alerts import plan_alerts
from monitor.plan.claim import MailContext, mail_context
from monitor.plan.digests import plan_digests
from monitor.plan.operator import plan_operator_alerts
from monitor.plan.reminders import plan_reminders
from monitor.plan.report import PlanReport

EXIT_RETRY = 3  # digest/reminders/alerts/send; 1 (EXIT_FAILED): failed, expired or circuit breaker
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _clock(app: App, now_text: str | None) -> datetime:
    if now_text:
        app.clock = fixed_clock(validate_now(now_text))
    return app.clock()


def _money(value: str | None, name: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value.replace(",", "").replace("_", ""))
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount in euros", param_hint=name) from None


def deliver(app: App) -> SendReport:
    """Send every due e-mail now (SMTP, or .eml files in the outbox)."""
    try:
        return asyncio.run(send_pending(app))
    except SmtpConfigError as exc:
        fail(f"SMTP configuration: {exc}")
        raise  # unreachable: fail() exits


def _print_send(report: SendReport) -> None:
    out().print(
        f"sent {report.sent}, retry later {report.retry}, failed {report.failed}, expired {report.expired}, "
        f"skipped {report.skipped}" + (" — stopped by the circuit breaker" if report.tripped else ""),
        highlight=False,
    )


def _finish(plan: PlanReport | None, report: SendReport, what: str) -> None:
    if plan is not None:
        out().print(
            f"{what}: {plan.claimed} to send, {plan.already} already done this period, {plan.empty} empty "
            f"(not sent), {plan.late} too late (skipped)",
            highlight=False,
        )
    _print_send(report)
    if report.failed or report.tripped or report.expired:
        sys.exit(EXIT_FAILED)
    if report.retry:  # nothing is lost, but nothing arrived either: cron must notice
        fail(f"{report.retry} message(s) left for retry (exit status {EXIT_RETRY})", EXIT_RETRY)


# --------------------------------------------------------------------------- people


@click.command("subscribe")
@click.argument("email")
@click.option(
    "--keywords", "-k", multiple=True, help="Words or phrases to look for (repeat or comma-separate)."
)
@click.option("--exclude", "-x", multiple=True, help="Words that rule a call out.")
@click.option("--country", "countries", multiple=True, help="Eligible country: name or code (PT, Portugal).")
@click.option(
    "--org-type",
    "org_types",
    multiple=True,
    help="sme, startup, research, university, cluster, public-body, ngo, large-enterprise.",
)
@click.option(
    "--ecosystem", "ecosystems", multiple=True, help="Industrial ecosystem, e.g. agri-food, digital."
)
@click.option("--programme", "programmes", multiple=True, help="Programme, e.g. 'Horizon Europe', SMP, LIFE.")
@click.option("--funding-type", "funding_types", multiple=True, help="grant, cascade, tender ...")
@click.option("--budget-min", help="Smallest grant worth your time, in euros.")
@click.option("--budget-max", help="Largest grant you can handle, in euros.")
@click.option("--min-days-left", type=click.IntRange(0, 365), help="Skip calls closing sooner than this.")
@click.option(
    "--frequency", type=click.Choice(["weekly", "daily", "off"]), default="weekly", show_default=True
)
@click.option("--name", "profile_name", default="My calls", show_default=True, help="Name of this profile.")
@click.option("--language", help="E-mail language: en (default) or a translated one (fr).")
@click.option("--timezone", help="IANA time zone for deadlines and the digest hour, e.g. Europe/Lisbon.")
@click.option("--digest-day", type=click.Choice(WEEKDAYS), help="Day of the weekly digest (default monday).")
@click.option("--digest-hour", type=click.IntRange(0, 23), help="Local hour of the digest (default 8).")
@click.option(
    "--confirmed", is_flag=True, help="The person consented elsewhere: skip the confirmation e-mail."
)
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant.")
@with_app(migrate=True)
def subscribe_command(app: App, email: str, **options: Any) -> None:
    """Add a subscriber (or another profile for one) and send the confirmation e-mail."""
    now = _clock(app, options.pop("now_text"))
    email = check_address(email)
    profile = ProfileInput(
        name=options["profile_name"],
        keywords=list(options["keywords"]),
        exclude=list(options["exclude"]),
        countries=list(options["countries"]),
        org_types=list(options["org_types"]),
        ecosystems=list(options["ecosystems"]),
        programmes=check_programmes(options["programmes"], stored_programmes(app))
        if options["programmes"]
        else [],
        funding_types=list(options["funding_types"]),
        budget_min=_money(options["budget_min"], "--budget-min"),
        budget_max=_money(options["budget_max"], "--budget-max"),
        min_days_left=options["min_days_left"],
        frequency=options["frequency"],
    )
    day = options["digest_day"]
    mail = mail_context(app)
    try:
        with session_scope(app.engine) as session:
            result = subscribe(
                session,
                mail,
                email=email,
                profile=profile,
                now=now,
                origin="cli",
                confirmed=options["confirmed"],
                language=options["language"],
                timezone=options["timezone"],
                weekday=WEEKDAYS.index(day) if day else None,
                hour=options["digest_hour"],
            )
            status, address = result.subscriber.status, result.subscriber.email
    except SubscriptionError as exc:
        fail(str(exc))
    what = "new subscriber" if result.created else "existing subscriber"
    out().print(f"{address}: {what}, profile {result.profile_id} added, status {status}", highlight=False)
    if result.confirmation_queued:
        _print_send(deliver(app))
    elif status != "confirmed":
        out().print(
            "confirmation e-mail not sent again: one went out less than 10 minutes ago", highlight=False
        )


def _subscriber_or_fail(session: Any, email: str) -> Any:
    row = repo.subscriber_by_email(session, email=email.strip())
    if row is None:
        fail(f"no subscriber {email}")
    return row


@click.command()
@click.argument("email")
@click.argument("call_id", type=int)
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant.")
@with_app(migrate=True)
def track(app: App, email: str, call_id: int, now_text: str | None) -> None:
    """Follow a call: deadline reminders and change alerts for EMAIL."""
    now = _clock(app, now_text)
    with session_scope(app.engine) as session:
        subscriber = _subscriber_or_fail(session, email)
        call = repo.logical_call(session, call_id=call_id)
        if call is None:
            fail(f"no call {call_id} (see `callwatch calls`)")
        added = repo.track_call(session, subscriber_id=subscriber.id, call_id=call.id, now=now)
        title = call.title
    out().print(
        f"{email} {'now tracks' if added else 'already tracked'} call {call.id}: {title}", highlight=False
    )


@click.command()
@click.argument("email")
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant.")
@with_app(migrate=True)
def unsubscribe(app: App, email: str, now_text: str | None) -> None:
    """Stop every e-mail to EMAIL (for requests that reach the operator by mail)."""
    now = _clock(app, now_text)
    with session_scope(app.engine) as session:
        changed = unsubscribe_subscriber(
            session, _subscriber_or_fail(session, email), now=now, origin="operator"
        )
    out().print(f"{email}: {'unsubscribed' if changed else 'was already unsubscribed'}", highlight=False)


@click.group()
def subscriber() -> None:
    """A subscriber's data: export it, or erase it."""


@subscriber.command("export")
@click.argument("email")
@with_app(migrate=True)
def subscriber_export(app: App, email: str) -> None:
    """Print everything stored about EMAIL as JSON."""
    with session_scope(app.engine) as session:
        data = repo.export_subscriber(session, subscriber_id=_subscriber_or_fail(session, email).id)
    click.echo(json.dumps(data, indent=2, default=str))


@subscriber.command("delete")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_app(migrate=True)
def subscriber_delete(app: App, email: str, yes: bool) -> None:
    """Erase EMAIL, its profiles, consent history and tracked calls."""
    if not yes:
        click.confirm(f"Erase everything stored about {email}?", abort=True)
    with session_scope(app.engine) as session:
        repo.delete_subscriber(session, subscriber_id=_subscriber_or_fail(session, email).id)
    out().print(f"{email}: erased", highlight=False)


# --------------------------------------------------------------------------- sending


def _plan_and_send(
    app: App, now_text: str | None, plan: Callable[[MailContext, datetime], PlanReport], what: str
) -> None:
    now = _clock(app, now_text)
    report = plan(mail_context(app), now)
    _finish(report, deliver(app), what)


@click.command()
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant.")
@click.option("--email", "emails", multiple=True, help="Only these subscribers.")
@with_app(migrate=True)
def digest(app: App, now_text: str | None, emails: tuple[str, ...]) -> None:
    """Send the digests due now (each subscriber's day and hour, in their time zone)."""
    _plan_and_send(
        app, now_text, lambda mail, now: plan_digests(app.engine, mail, now=now, only=emails), "digests"
    )


@click.command()
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant.")
@with_app(migrate=True)
def reminders(app: App, now_text: str | None) -> None:
    """Send the deadline reminders due now for tracked calls."""
    _plan_and_send(app, now_text, lambda mail, now: plan_reminders(app.engine, mail, now=now), "reminders")


@click.command()
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant.")
@with_app(migrate=True)
def alerts(app: App, now_text: str | None) -> None:
    """Send change alerts for tracked calls (and source-health alerts to CALLWATCH_OPERATOR_EMAIL)."""

    def plan(mail: MailContext, now: datetime) -> PlanReport:
        report = plan_alerts(app.engine, mail, now=now)
        report.claimed += plan_operator_alerts(app.engine, mail, now=now).claimed
        return report

    _plan_and_send(app, now_text, plan, "alerts")


@click.command()
@click.option("--now", "now_text", help="Pretend it is this ISO 8601 instant.")
@with_app(migrate=True)
def send(app: App, now_text: str | None) -> None:
    """Send e-mails already due (retries of earlier transient failures)."""
    _clock(app, now_text)
    _finish(None, deliver(app), "send")


COMMANDS = (subscribe_command, track, unsubscribe, subscriber, digest, reminders, alerts, send)
