"""Sign-in links and web sessions: their rows, by hash only.

Owns every read and write of `signinlink` and `websession`: a link is found by the hash of its
nonce and used at most once (the single UPDATE that marks it used is the check, so two clicks
racing cannot both sign in); a session is found by the hash of its cookie while neither expired
nor revoked, and revoked alone (signing out in one browser leaves the others signed in).
Must not: make or hash secrets, decide lifetimes or who may sign in (`monitor.people.signin`
does), or commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from db.models import SignInLink, WebSession


def add_sign_in_link(
    session: Session,
    *,
    subscriber_id: int,
    nonce_hash: str,
    browser_hash: str,
    next_path: str,
    now: datetime,
    expires_at: datetime,
) -> SignInLink:
    row = SignInLink(
        subscriber_id=subscriber_id, nonce_hash=nonce_hash, browser_hash=browser_hash,
        next_path=next_path, created_at=now, expires_at=expires_at,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def sign_in_link(session: Session, *, nonce_hash: str) -> SignInLink | None:
    return session.exec(select(SignInLink).where(SignInLink.nonce_hash == nonce_hash)).first()


def use_sign_in_link(session: Session, *, link_id: int, now: datetime) -> bool:
    """Mark the link used; False when it already was (another request used it first)."""
    statement = (
        update(SignInLink)
        .where(col(SignInLink.id) == link_id, col(SignInLink.used_at).is_(None))
        .values(used_at=now)
    )
    used = session.exec(statement).rowcount == 1  # type: ignore[call-overload]
    session.expire_all()
    return bool(used)


def add_web_session(
    session: Session, *, subscriber_id: int, key_hash: str, now: datetime, expires_at: datetime
) -> WebSession:
    row = WebSession(
        subscriber_id=subscriber_id, key_hash=key_hash, created_at=now, last_seen_at=now,
        expires_at=expires_at,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def live_web_session(session: Session, *, key_hash: str, now: datetime) -> WebSession | None:
    """The session with this key hash, unless it expired or was revoked."""
    query = select(WebSession).where(
        WebSession.key_hash == key_hash,
        col(WebSession.revoked_at).is_(None),
        col(WebSession.expires_at) > now,
    )
    return session.exec(query).first()


def revoke_web_session(session: Session, *, key_hash: str, now: datetime) -> bool:
    """Revoke this one session; False when there was no live one."""
    statement = (
        update(WebSession)
        .where(col(WebSession.key_hash) == key_hash, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    return bool(session.exec(statement).rowcount)  # type: ignore[call-overload]


def prune_sign_in(session: Session, *, before: datetime) -> None:
    """Forget links and sessions that expired before `before` (nothing can use them any more)."""
    for table in (SignInLink, WebSession):
        session.exec(delete(table).where(col(table.expires_at) < before))  # type: ignore[call-overload]
