"""The web sign-up form's rules, after its fields are checked: what a sign-up does to an address,
and that a request to track a call is never lost.

Owns: the rule that the form never changes a confirmed address (anyone can type any address; that
address is mailed its manage link instead), and track requests: every "Track this call" sign-up is
kept as a pending follow (`db.repo.request_track`) before any e-mail is asked for, so a request
whose e-mail the per-address pacing holds back (one confirmation per 10 minutes) still counts.
A pending follow becomes a follow when the address confirms (`subscriptions.confirm`), or, for a
confirmed address, when its owner clicks "Track" in the e-mail or on the manage page; until then
nothing is mailed about it. Must not reveal anything about the address to the form's page, or
send (the claimed rows are sent by monitor.deliver.sender). Every function takes a session; the
caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from db import repo
from db.models import SubscriberStatus
from monitor.people.addresses import usable_address
from monitor.people.confirmations import send_manage_link
from monitor.people.subscriptions import (
    ProfileInput,
    SubscriptionError,
    check_preferences,
    clean_profile,
    subscribe,
)
from monitor.plan.claim import MailContext
from monitor.render.i18n import N_
from monitor.render.phrase import Phrase


def check_sign_up(email: str, profile: ProfileInput, preferences: dict[str, Any]) -> str:
    """The cleaned address, once everything a sign-up form sent is valid; SubscriptionError names
    the first bad value. The answer never depends on whether the address is known."""
    try:
        address = usable_address(email)
    except ValueError as exc:
        raise SubscriptionError(
            Phrase(N_("not a usable e-mail address: %(reason)s"), reason=str(exc))
        ) from None
    clean_profile(profile)
    check_preferences(**preferences)
    return address


def sign_up(
    session: Session,
    mail: MailContext,
    *,
    email: str,
    profile: ProfileInput,
    preferences: dict[str, Any],
    now: datetime,
    track_call_id: int | None = None,
) -> str:
    """The web form's sign-up, after `check_sign_up`: what was done, for logs and tests ("confirmation",
    "manage-link" or "nothing", and "+track" when a call to track was kept); the page must show the
    same either way. A new, pending or unsubscribed address gets the profile and a confirmation
    e-mail unless one went out less than 10 minutes ago. A confirmed address is not changed at all:
    it is only mailed its manage link (with a link to track the call), at the same pace. Either way
    the call to track is kept pending first, so the e-mail already in the inbox honours it too.
    """
    row = repo.subscriber_by_email(session, email=email)
    if row is not None and row.status == SubscriberStatus.CONFIRMED:
        kept = keep_track_request(session, email=email, call_id=track_call_id, now=now)
        sent = send_manage_link(session, mail, row, now=now, track_call_id=track_call_id)
        return ("manage-link" if sent else "nothing") + ("+track" if kept else "")
    result = subscribe(
        session,
        mail,
        email=email,
        profile=profile,
        now=now,
        origin="web",
        track_call_id=track_call_id,
        **preferences,
    )
    kept = keep_track_request(session, email=email, call_id=track_call_id, now=now)
    return ("confirmation" if result.confirmation_queued else "nothing") + ("+track" if kept else "")


def keep_track_request(session: Session, *, email: str, call_id: int | None, now: datetime) -> bool:
    """Keep a request to track a call for a known address, pending its owner's consent; also called
    over the form's per-address limit, where the profile is not saved but the wish still is (it is
    one row per call, and sends nothing). False when there is nothing new to keep."""
    row = repo.subscriber_by_email(session, email=email)
    if row is None or row.id is None or call_id is None:
        return False
    if call_id in repo.tracked_calls(session, subscriber_ids=[row.id]).get(row.id, {}):
        return False
    return repo.request_track(session, subscriber_id=row.id, call_id=call_id, now=now)
