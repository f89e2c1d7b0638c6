"""`callwatch samples DIR`: sample e-mails for review. It writes a confirmation, a digest, a reminder
and a change alert, each as .html and .txt, into DIR, in English or `--language xx`; with
`--languages en,fr`, one folder per language (DIR/en/, DIR/fr/: how docs/emails/ is kept).

They are produced by the real path (subscribe, plan, send to the outbox) on a throw-away SQLite
database with a handful of realistic calls, so they show exactly what subscribers receive.
Re-run it after changing a template or a translation. Owns the sample world (calls, subscriber,
times). Must not touch the operator's settings or database: everything lives in a temporary folder.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from pathlib import Path

import click

from db import repo
from db.engine import session_scope
from db.models import Source
from monitor.app import App, build_app
from monitor.clock import fixed_clock
from monitor.deliver.sender import deliver
from monitor.model.call import CallIn, DeadlineIn
from monitor.people.subscriptions import ProfileInput, subscribe
from monitor.plan.alerts import plan_alerts
from monitor.plan.claim import mail_context
from monitor.plan.digests import plan_digests
from monitor.plan.reminders import plan_reminders
from monitor.render.i18n import offered_languages
from monitor.settings import load_settings

SEEDED = datetime(2026, 11, 20, 9, tzinfo=UTC)
DIGEST_AT = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)


def _call(key: str, title: str, deadlines: list[tuple[str | None, datetime]], **values: object) -> CallIn:
    stages = [DeadlineIn(at=at, label=label) for label, at in deadlines]
    return CallIn(
        key=key,
        title=title,
        url=f"https://ec.europa.eu/info/funding-tenders/opportunities/portal/{key}",
        status="open",
        deadlines=stages,
        next_deadline_at=min(d.at for d in stages),
        final_deadline_at=max(d.at for d in stages),
        **values,  # type: ignore[arg-type]
    )


def sample_calls() -> list[CallIn]:
    at = lambda text: datetime.fromisoformat(text)  # noqa: E731 - local shorthand
    return [
        _call(
            "HORIZON-CL5-2027-D3-01-05",
            "Renewable hydrogen electrolysers for industrial clusters",
            [("Stage 1", at("2027-01-12T16:00:00+00:00")), ("Stage 2", at("2027-05-20T15:00:00+00:00"))],
            programme="Horizon Europe",
            identifier="HORIZON-CL5-2027-D3-01-05",
            funding_type="grant",
            summary_text="Demonstrate megawatt-scale electrolysers coupled to renewables in industrial "
            "clusters, with SMEs in the supply chain.",
            countries=["PT", "ES", "FR", "DE"],
            country_groups=["EU"],
            org_types=["sme", "research"],
            budget_total=Decimal(24_000_000),
            budget_currency="EUR",
            contribution_max=Decimal(8_000_000),
        ),
        _call(
            "14812",
            "GreenH2 Valleys – 2nd Open Call for SME pilots",
            [(None, at("2026-12-03T16:00:00+00:00"))],
            programme="Single Market Programme",
            organisation="GreenH2 Valleys Eurocluster",
            funding_type="cascade",
            summary_text="Lump sums of up to EUR 60,000 for SMEs piloting hydrogen technologies.",
            countries=["PT", "ES", "IT"],
            org_types=["sme"],
            budget_total=Decimal(600_000),
            budget_currency="EUR",
            contribution_max=Decimal(60_000),
        ),
        _call(
            "DIGITAL-2027-SME-02",
            "AI testing facilities for electrolyser manufacturers",
            [(None, at("2027-02-25T16:00:00+00:00"))],
            programme="Digital Europe",
            summary_text="Access vouchers for SMEs testing AI-based control of electrolysers.",
            countries=["PT"],
            org_types=["sme"],
            budget_total=Decimal(3_500_000),
            budget_currency="EUR",
        ),
    ]


def _sample_app(tmp: Path) -> App:
    """An app on a fresh SQLite database under `tmp`, with no sources and no sending pace."""
    config = tmp / "config"
    (config / "sources").mkdir(parents=True)
    (config / "callwatch.toml").write_text("[mail]\nrate_per_second = 0\n")
    settings = load_settings(
        var_dir=tmp / "var",
        config_dir=config,
        base_url="https://callwatch.example.org",
        mail_from="Callwatch <alerts@callwatch.example.org>",
        secret_key="samples-" + "x" * 40,
    )
    return build_app(settings, migrate=True, clock=fixed_clock(SEEDED))


def _seed(app: App, language: str) -> None:
    """The sample calls, and Ana subscribing to them in `language` (her confirmation e-mail is queued)."""
    with session_scope(app.engine) as session:
        session.add(
            Source(
                id="ft-portal",
                name="EU Funding & Tenders Portal",
                kind="ft-portal",
                url="https://ec.europa.eu/",
                created_at=SEEDED,
            )
        )
        session.flush()
        repo.store_calls(
            session, source_id="ft-portal", run_id=None, calls=sample_calls(), complete=False, now=SEEDED
        )
        profile = ProfileInput(keywords=["hydrogen", "electrolyser*"], countries=["PT"], org_types=["sme"])
        subscribe(
            session,
            mail_context(app),
            email="ana.ferreira@example.pt",
            profile=profile,
            now=SEEDED,
            origin="samples",
            timezone="Europe/Lisbon",
            language=language,
        )


def _confirm(app: App) -> int:
    """Ana confirms; her subscriber id."""
    with session_scope(app.engine) as session:
        anna = repo.subscriber_by_email(session, email="ana.ferreira@example.pt")
        assert anna is not None and anna.id is not None
        repo.set_status(session, subscriber_id=anna.id, status="confirmed", now=SEEDED)  # type: ignore[arg-type]
        return anna.id


def _track_and_move(app: App, subscriber_id: int) -> None:
    """Ana tracks the Horizon call, whose first stage then moves a week later."""
    with session_scope(app.engine) as session:
        first = repo.search_calls(session, status="open", text="HORIZON-CL5-2027-D3-01-05")[0]
        repo.track_call(session, subscriber_id=subscriber_id, call_id=first.id, now=DIGEST_AT)
        moved = sample_calls()[0].model_copy()
        stage1, stage2 = moved.deadlines
        moved.deadlines = [stage1.model_copy(update={"at": stage1.at + timedelta(days=7)}), stage2]
        repo.store_calls(
            session,
            source_id="ft-portal",
            run_id=None,
            calls=[moved],
            complete=False,
            now=DIGEST_AT + timedelta(hours=1),
        )


async def write_samples(out: Path, language: str = "en") -> list[Path]:
    """Confirmation, digest, reminder and alert in `language`, each sent to the outbox, then written
    to `out`."""
    with tempfile.TemporaryDirectory() as tmp:
        app = _sample_app(Path(tmp))
        _seed(app, language)
        await deliver(app)
        subscriber_id = _confirm(app)
        app.clock = fixed_clock(DIGEST_AT)
        plan_digests(app.engine, mail_context(app), now=DIGEST_AT)
        await deliver(app)
        _track_and_move(app, subscriber_id)
        later = datetime(2026, 12, 20, 8, 30, tzinfo=UTC)
        app.clock = fixed_clock(later)
        plan_reminders(app.engine, mail_context(app), now=later)
        plan_alerts(app.engine, mail_context(app), now=later)
        await deliver(app)
        return _extract(Path(tmp) / "var" / "outbox", out)


def _extract(outbox: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for eml in sorted(outbox.glob("*.eml")):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        kind = str(message["X-Callwatch-Kind"])
        for subtype, suffix in (("plain", "txt"), ("html", "html")):
            part = message.get_body(preferencelist=(subtype,))  # type: ignore[attr-defined]
            if part is not None:
                path = out / f"{kind}.{suffix}"
                header = f"Subject: {message['Subject']}\n\n" if suffix == "txt" else ""
                path.write_text(header + part.get_content(), encoding="utf-8")
                written.append(path)
    return written


def _languages(text: str | None) -> list[str]:
    """'en,fr' as a list of offered languages; an unknown one is a usage error."""
    wanted = [code.strip() for code in (text or "").split(",") if code.strip()]
    unknown = [code for code in wanted if code not in offered_languages()]
    if unknown:
        offered = ", ".join(offered_languages())
        raise click.BadParameter(f"{', '.join(unknown)} (offered: {offered})", param_hint="language")
    return wanted


@click.command("samples")
@click.argument("out", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--language", "language", default="en", show_default=True, help="Write the e-mails in this language."
)
@click.option("--languages", "languages", help="Several languages, each into DIR/<language>/: en,fr.")
def samples_command(out: Path, language: str, languages: str | None) -> None:
    """Write sample e-mails (confirmation, digest, reminder, change alert) as .html and .txt into DIR."""
    if len(_languages(language)) != 1:
        raise click.BadParameter("one language; --languages takes several", param_hint="--language")
    folders = [(out / code, code) for code in _languages(languages)] or [(out, language)]
    for folder, code in folders:
        for path in asyncio.run(write_samples(folder, code)):
            click.echo(str(path))


COMMANDS = (samples_command,)
