"""Subscribing, confirming, unsubscribing, tracking and dismissing, for the CLI and the web app alike.

Owns the consent rules: double opt-in (a new or returning address gets a
confirmation e-mail, at most one per address per 10 minutes, and nothing
else until it confirms), consent events stored with time and origin, and
links that act only for the subscriber and purpose they were signed for
(a revoked `token_version` or a different purpose is refused); confirming
turns the address's pending track requests into follows. The web form's
own rules are `monitor.people.signups`'.

Every function takes a session; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from db import repo
from db.models import Frequency, Subscriber, SubscriberStatus
from monitor.match.criteria import STRICT_CRITERIA, parse_strict
from monitor.normalise.countries import user_country
from monitor.normalise.vocab import ECOSYSTEMS, FUNDING_TYPES, ORG_TYPES
from monitor.people.addresses import usable_address
from monitor.people.confirmations import request_confirmation
from monitor.plan.claim import MailContext
from monitor.render.i18n import N_, offered_languages, translator
from monitor.render.phrase import Phrase, say
from monitor.tokens import Purpose, Signer, TokenError


class SubscriptionError(ValueError):
    """Bad input from a person (an address, a country, a time zone): the message says which.

    The message is an N_-marked text or a `Phrase` (a text with values); `str()` is English (CLI,
    logs), `said(language)` is what a page shows."""

    def said(self, language: str) -> str:
        message = self.args[0] if self.args else ""
        return say(message, language) if isinstance(message, Phrase) else translator(language)(str(message))


@dataclass
class ProfileInput:
    """Profile criteria as a person gives them, checked by `clean_profile`."""

    name: str = "My calls"
    keywords: list[str] | None = None  # any of these
    keywords_all: list[str] | None = None  # all of these
    exclude: list[str] | None = None
    countries: list[str] | None = None
    org_types: list[str] | None = None
    ecosystems: list[str] | None = None
    programmes: list[str] | None = None
    funding_types: list[str] | None = None
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    min_days_left: int | None = None
    strict: list[str] | None = None  # names of STRICT_CRITERIA: "only calls that state this"
    frequency: str = Frequency.WEEKLY


def clean_profile(data: ProfileInput) -> dict[str, Any]:
    """Validated profile values; SubscriptionError names the bad one."""
    countries = []
    for text in _items(data.countries):
        code = user_country(text)
        if not code:
            raise SubscriptionError(
                Phrase(N_("unknown country %(text)r: use a name or a two-letter code like PT"), text=text)
            )
        countries.append(code.upper())
    org_types = [_slug(t, ORG_TYPES, Phrase(N_("organisation type"))) for t in _items(data.org_types)]
    ecosystems = [_slug(t, ECOSYSTEMS, Phrase(N_("ecosystem"))) for t in _items(data.ecosystems)]
    funding = [t.lower() for t in _items(data.funding_types)]
    if bad := [t for t in funding if t not in FUNDING_TYPES]:
        raise SubscriptionError(
            Phrase(
                N_("unknown funding type %(text)r: one of %(choices)s"),
                text=bad[0],
                choices=", ".join(FUNDING_TYPES),
            )
        )
    if data.frequency not in {f.value for f in Frequency}:
        raise SubscriptionError(N_("frequency must be weekly, daily or off"))
    if data.budget_min is not None and data.budget_max is not None and data.budget_min > data.budget_max:
        raise SubscriptionError(N_("the budget minimum is above the maximum"))
    if data.min_days_left is not None and not 0 <= data.min_days_left <= 365:
        raise SubscriptionError(N_("minimum days left must be between 0 and 365"))
    try:
        strict = parse_strict(_items(data.strict))
    except ValueError as error:
        raise SubscriptionError(str(error)) from None
    return {
        "name": (data.name or "My calls").strip()[:80],
        "keywords": _items(data.keywords)[:50],
        "keywords_all": _items(data.keywords_all)[:50],
        "exclude": _items(data.exclude)[:50],
        "countries": countries,
        "org_types": org_types,
        "ecosystems": ecosystems,
        "programmes": _items(data.programmes)[:20],
        "funding_types": funding,
        "budget_min": data.budget_min,
        "budget_max": data.budget_max,
        "min_days_left": data.min_days_left,
        "strict": [name for name in STRICT_CRITERIA if name in strict],
        "frequency": data.frequency,
    }


def _items(values: list[str] | None) -> list[str]:
    """Comma- or newline-separated entries, trimmed, without repeats, each at most 100 characters."""
    found: list[str] = []
    for value in values or []:
        for part in value.replace("\n", ",").split(","):
            part = " ".join(part.split())[:100]
            if part and part.lower() not in (f.lower() for f in found):
                found.append(part)
    return found


# Besides slugs and labels ("university", "research organisation"), what people also type.
_ALIASES = {"start-up": "startup", "start-ups": "startup", "smes": "sme", "public": "public-body"}


def _slug(text: str, vocabulary: dict[str, str], what: Phrase) -> str:
    wanted = text.strip().lower()
    for slug, label in vocabulary.items():
        if wanted in (slug, label.lower()):
            return slug
    if wanted in _ALIASES and _ALIASES[wanted] in vocabulary:
        return _ALIASES[wanted]
    raise SubscriptionError(
        Phrase(
            N_("unknown %(what)s %(text)r: one of %(choices)s"),
            what=what,
            text=text,
            choices=", ".join(vocabulary),
        )
    )


def check_preferences(
    *,
    language: str | None = None,
    timezone: str | None = None,
    weekday: int | None = None,
    hour: int | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if language is not None:
        if language not in offered_languages():
            raise SubscriptionError(
                Phrase(N_("language must be one of %(choices)s"), choices=", ".join(offered_languages()))
            )
        values["language"] = language
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SubscriptionError(
                Phrase(N_("unknown time zone %(text)r: use a name like Europe/Lisbon"), text=timezone)
            ) from None
        values["timezone"] = timezone
    if weekday is not None:
        if not 0 <= weekday <= 6:
            raise SubscriptionError(N_("digest day must be 0 (Monday) to 6 (Sunday)"))
        values["digest_weekday"] = weekday
    if hour is not None:
        if not 0 <= hour <= 23:
            raise SubscriptionError(N_("digest hour must be 0 to 23"))
        values["digest_hour"] = hour
    return values


@dataclass
class SubscribeResult:
    subscriber: Subscriber
    created: bool
    confirmation_queued: bool
    profile_id: int


def subscribe(
    session: Session,
    mail: MailContext,
    *,
    email: str,
    profile: ProfileInput,
    now: datetime,
    origin: str,
    confirmed: bool = False,
    track_call_id: int | None = None,
    **preferences: Any,
) -> SubscribeResult:
    """Add a profile to an address (creating the subscriber; an identical profile is not added
    twice), and ask it to confirm unless it has.

    `track_call_id` rides in the confirmation link: the call is tracked when the address confirms.
    """
    try:
        address = usable_address(email)
    except ValueError as exc:
        raise SubscriptionError(
            Phrase(N_("not a usable e-mail address: %(reason)s"), reason=str(exc))
        ) from None
    values = clean_profile(profile)
    prefs = check_preferences(**preferences)
    row = repo.subscriber_by_email(session, email=address)
    created = row is None
    if row is None:
        row = repo.create_subscriber(session, email=address, now=now, **prefs)
    elif prefs:
        repo.update_subscriber(session, subscriber_id=row.id, **prefs)  # type: ignore[arg-type]
    assert row.id is not None
    # The same profile sent again (a second "Track this call" with the form as it was): kept once.
    same = [
        p
        for p in repo.profiles_of(session, subscriber_ids=[row.id]).get(row.id, [])
        if all(getattr(p, name) == value for name, value in values.items())
    ]
    added = same[0] if same else repo.add_profile(session, subscriber_id=row.id, now=now, **values)
    repo.record_consent(session, subscriber_id=row.id, event="subscribed", source=origin, now=now)
    queued = False
    if confirmed:
        if row.status != SubscriberStatus.CONFIRMED:
            repo.set_status(session, subscriber_id=row.id, status=SubscriberStatus.CONFIRMED, now=now)
            repo.record_consent(
                session,
                subscriber_id=row.id,
                event="confirmed",
                source=origin,
                now=now,
                detail="consent given elsewhere, recorded by an operator",
            )
    elif row.status != SubscriberStatus.CONFIRMED:
        if row.status != SubscriberStatus.PENDING:
            repo.set_status(session, subscriber_id=row.id, status=SubscriberStatus.PENDING, now=now)
        queued = request_confirmation(session, mail, row, now=now, track_call_id=track_call_id)
    assert added.id is not None
    return SubscribeResult(row, created, queued, added.id)


def subscriber_for(
    session: Session, signer: Signer, purpose: Purpose, token: str
) -> tuple[Subscriber, dict[str, Any]]:
    """The subscriber a token acts for; TokenError when forged, expired, revoked or for another purpose."""
    payload = signer.read(purpose, token)
    row = repo.subscriber(session, subscriber_id=int(payload.get("s", 0)))
    if row is None or int(payload.get("v", -1)) != row.token_version:
        raise TokenError(N_("this link is no longer valid"))
    return row, payload


def confirm(session: Session, subscriber: Subscriber, *, now: datetime, origin: str) -> bool:
    """Confirm (and track the calls asked for meanwhile); False when it already was."""
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return False
    assert subscriber.id is not None
    repo.set_status(session, subscriber_id=subscriber.id, status=SubscriberStatus.CONFIRMED, now=now)
    repo.record_consent(session, subscriber_id=subscriber.id, event="confirmed", source=origin, now=now)
    repo.apply_pending(session, subscriber_id=subscriber.id, now=now)
    return True


def unsubscribe(session: Session, subscriber: Subscriber, *, now: datetime, origin: str) -> bool:
    """Stop every e-mail to this address, collections' newsletters included; False when it
    already was unsubscribed (memberships joined since then end all the same)."""
    assert subscriber.id is not None
    left = repo.leave_all_collections(session, subscriber_id=subscriber.id, now=now)
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        return left > 0
    repo.set_status(session, subscriber_id=subscriber.id, status=SubscriberStatus.UNSUBSCRIBED, now=now)
    repo.record_consent(session, subscriber_id=subscriber.id, event="unsubscribed", source=origin, now=now)
    return True


def resend_confirmation(
    session: Session, mail: MailContext, subscriber: Subscriber, *, now: datetime
) -> bool:
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return False
    if subscriber.status != SubscriberStatus.PENDING:
        assert subscriber.id is not None
        repo.set_status(session, subscriber_id=subscriber.id, status=SubscriberStatus.PENDING, now=now)
    return request_confirmation(session, mail, subscriber, now=now)
