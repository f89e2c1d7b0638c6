"""Passwordless sign-in: the e-mailed link and the web session it opens.

Owns the rules of a sign-in link: a random nonce, e-mailed once and stored only as its SHA-256;
15 minutes to live; used once; bound to the browser that asked for it (the SHA-256 of that
browser's random `callwatch_browser` cookie is stored with it). Following a link proves the
address: a pending address without a profile becomes confirmed (one with a profile, signed up
for digests, stays pending until its own confirmation link is used: signing in is not consent to
digests), and the invitations waiting for it are taken up.
A session is a random key in an HttpOnly cookie, stored as its SHA-256, 30 days long; signing
out revokes that one session. Also owns which `next` paths a link may carry (local paths only).
An unknown address gets a pending Subscriber row and a link, exactly as a known one does: what a
page may reveal is the web's business, and this module gives it nothing to reveal.
Must not: read requests or set cookies (monitor.web.signin does), or send (the claimed rows are
sent by monitor.deliver.sender). Every function takes a session; the caller commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from db import repo
from db.models import DeliveryKind, Subscriber, SubscriberStatus
from monitor.people.subscriptions import confirm
from monitor.plan.claim import MailContext, claim, common_context
from monitor.render.email import translate
from monitor.render.i18n import N_

LINK_LIFETIME = timedelta(minutes=15)
INVITATION_LIFETIME = timedelta(days=7)
SESSION_LIFETIME = timedelta(days=30)
KEEP_EXPIRED = timedelta(days=1)  # expired links and sessions are deleted after this
DEFAULT_NEXT = "/collections"
# Only a path of this site: "/x", never "//host" (a scheme-relative URL) or "/\host" (which
# browsers read as "//host"), no scheme, no control characters.
_LOCAL_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$")
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
# Addresses that may be sent a link: following it proves the address. An unsubscribed address
# asked for this one link just now (unsubscribing stops Callwatch's e-mails, not an owner's access
# to their collections); a suspended one bounces, so nothing is sent to it (monitor.deliver.policy).
MAY_SIGN_IN = (SubscriberStatus.PENDING, SubscriberStatus.CONFIRMED, SubscriberStatus.UNSUBSCRIBED)


class SignInError(Exception):
    """A link that cannot sign anyone in; the message (N_-marked) says why, `other_browser` when
    only the browser is wrong (the page then offers a new link for this one)."""

    def __init__(self, message: str, *, other_browser: bool = False) -> None:
        super().__init__(message)
        self.other_browser = other_browser


@dataclass(frozen=True)
class SignedIn:
    subscriber: Subscriber
    session_key: str  # the cookie's value; only its hash is stored
    next_path: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def well_formed(secret: str | None) -> bool:
    return bool(secret) and bool(_SECRET_SHAPE.match(secret or ""))


def local_path(text: str | None, default: str = DEFAULT_NEXT) -> str:
    """`text` when it is a path on this site (at most 300 characters), else `default`."""
    if text and len(text) <= 300 and _LOCAL_PATH.match(text):
        return text
    return default


def subscriber_to_sign_in(session: Session, *, email: str, now: datetime, language: str) -> Subscriber:
    """The address's subscriber; a new address gets a pending row (the link will confirm it)."""
    row = repo.subscriber_by_email(session, email=email)
    if row is None:
        row = repo.create_subscriber(session, email=email, now=now, language=language)
    return row


def make_link(
    session: Session,
    subscriber: Subscriber,
    *,
    browser: str,
    next_path: str,
    now: datetime,
    lifetime: timedelta = LINK_LIFETIME,
) -> tuple[str, datetime]:
    """A new link's nonce (only its hash is stored) and when it expires."""
    assert subscriber.id is not None
    nonce = new_secret()
    expires = now + lifetime
    repo.add_sign_in_link(
        session, subscriber_id=subscriber.id, nonce_hash=digest(nonce), browser_hash=digest(browser),
        next_path=local_path(next_path), now=now, expires_at=expires,
    )  # fmt: skip
    return nonce, expires


def send_sign_in_link(
    session: Session, mail: MailContext, *, email: str, browser: str, next_path: str, now: datetime,
    language: str = "en",
) -> bool:  # fmt: skip
    """Mail a sign-in link for `browser` to `email` (found or created); False when the address may
    not be sent one (unsubscribed or suspended). The caller's answer must not depend on it."""
    repo.prune_sign_in(session, before=now - KEEP_EXPIRED)
    subscriber = subscriber_to_sign_in(session, email=email, now=now, language=language)
    if subscriber.status not in MAY_SIGN_IN:
        return False
    nonce, _ = make_link(session, subscriber, browser=browser, next_path=next_path, now=now)
    lang = subscriber.language
    rendered = mail.renderer.render(
        "sign_in", language=lang, subject=translate(lang, "Your Callwatch sign-in link"),
        preheader=translate(lang, "Sign in to Callwatch"),
        sign_in_url=f"{mail.links.base_url}/sign-in/{nonce}",
        minutes=int(LINK_LIFETIME.total_seconds() // 60), **common_context(mail, subscriber),
    )  # fmt: skip
    return claim(
        session, mail, subscriber=subscriber, to=subscriber.email, kind=DeliveryKind.SIGN_IN,
        period_key=f"sign-in:{digest(nonce)[:32]}", rendered=rendered, now=now, give_up=LINK_LIFETIME,
    )  # fmt: skip


def check_link(session: Session, *, nonce: str, browser: str | None, now: datetime) -> Any:
    """The stored link for `nonce` if it may sign in from this browser now; else SignInError."""
    link = repo.sign_in_link(session, nonce_hash=digest(nonce)) if well_formed(nonce) else None
    if link is None:
        raise SignInError(N_("this sign-in link is not known (it may have been cut when it was copied)"))
    if link.used_at is not None:
        raise SignInError(N_("this sign-in link has been used already; each link works once"))
    if link.expires_at <= now:
        raise SignInError(N_("this sign-in link has expired; links work for 15 minutes"))
    if not well_formed(browser) or not secrets.compare_digest(digest(browser or ""), link.browser_hash):
        raise SignInError(N_("this sign-in link was asked for in another browser"), other_browser=True)
    return link


def sign_in(session: Session, *, nonce: str, browser: str | None, now: datetime) -> SignedIn:
    """Use the link once: confirm the address, take up its invitations, open a session."""
    link = check_link(session, nonce=nonce, browser=browser, now=now)
    if not repo.use_sign_in_link(session, link_id=link.id, now=now):
        raise SignInError(N_("this sign-in link has been used already; each link works once"))
    subscriber = repo.subscriber(session, subscriber_id=link.subscriber_id)
    if subscriber is None or subscriber.status not in MAY_SIGN_IN:
        raise SignInError(N_("this address can no longer sign in"))
    # Following the link proves the address, not consent to digests: an address someone signed up
    # for digests stays pending (its own confirmation link decides); one with no profile is confirmed.
    # An unsubscribed address stays unsubscribed: signing in must not restart its e-mails.
    profiles = repo.profiles_of(session, subscriber_ids=[link.subscriber_id]).get(link.subscriber_id)
    if subscriber.status == SubscriberStatus.PENDING and not profiles:
        confirm(session, subscriber, now=now, origin="sign-in")
    repo.accept_invitations(session, subscriber_id=link.subscriber_id, now=now)
    key = new_secret()
    repo.add_web_session(
        session, subscriber_id=link.subscriber_id, key_hash=digest(key), now=now,
        expires_at=now + SESSION_LIFETIME,
    )  # fmt: skip
    return SignedIn(subscriber, key, link.next_path)


def link_owner(session: Session, *, nonce: str, now: datetime) -> tuple[Subscriber, str] | None:
    """For a link opened in another browser: its address and next path, if it is still unused and
    unexpired (only then may it ask for a new link to the same address)."""
    link = repo.sign_in_link(session, nonce_hash=digest(nonce)) if well_formed(nonce) else None
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    subscriber = repo.subscriber(session, subscriber_id=link.subscriber_id)
    return (subscriber, link.next_path) if subscriber is not None else None


def account_for(session: Session, *, key: str | None, now: datetime) -> Subscriber | None:
    """The signed-in subscriber of a session cookie, or None."""
    if not well_formed(key):
        return None
    row = repo.live_web_session(session, key_hash=digest(key or ""), now=now)
    if row is None:
        return None
    subscriber = repo.subscriber(session, subscriber_id=row.subscriber_id)
    return subscriber if subscriber is not None and subscriber.status in MAY_SIGN_IN else None


def sign_out(session: Session, *, key: str | None, now: datetime) -> bool:
    return well_formed(key) and repo.revoke_web_session(session, key_hash=digest(key or ""), now=now)
