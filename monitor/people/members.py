"""Members of a collection's newsletter: joining (double opt-in), confirming, leaving, and "I'm interested".

Owns: the consent rules of a membership. Anyone may ask to join with an address; nothing but the
confirmation goes to it until the link in that e-mail is followed (3 days, bound to the member and
the address's `token_version`); confirmation e-mails are paced like a subscription's; a confirmed
member asking again changes nothing (a stranger cannot alter their choices); leaving is one click
and touches this collection only. The answer to a join request is the same whatever the address's
state, so the form tells no one who is a member.
Must not: render pages (monitor.web.members does) or send (the claimed rows are sent by
monitor.deliver.sender); a link's authenticity is checked by monitor.tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from db import repo
from db.models import Collection, CollectionMember, DeliveryKind, MemberStatus, Subscriber
from monitor.plan.claim import MailContext, claim, common_context
from monitor.render.email import translate
from monitor.tokens import Purpose, Signer, TokenError


@dataclass(frozen=True)
class MemberLink:
    """What an authentic member link stands for: the member, their address, and the collection."""

    member: CollectionMember
    subscriber: Subscriber
    collection: Collection
    call_id: int | None = None  # an interest link's call
    issue_id: int | None = None


def join(
    session: Session, mail: MailContext, collection: Collection, *, email: str, language: str, now: datetime
) -> str:
    """Ask to join: "confirmation" (an e-mail was claimed), "member" (already confirmed: nothing
    changes) or "nothing" (one went out less than the interval ago). The page says the same."""
    assert collection.id is not None
    subscriber = repo.subscriber_by_email(session, email=email)
    if subscriber is None:
        subscriber = repo.create_subscriber(session, email=email, now=now, language=language)
    assert subscriber.id is not None
    existing = repo.membership(session, collection_id=collection.id, subscriber_id=subscriber.id)
    if existing is not None and existing.status == MemberStatus.CONFIRMED:
        return "member"
    member = repo.join_collection(
        session, collection_id=collection.id, subscriber_id=subscriber.id, now=now, language=language
    )
    interval = timedelta(minutes=mail.policy.confirmation_interval_minutes)
    if member.confirmation_sent_at is not None and now - member.confirmation_sent_at < interval:
        return "nothing"
    assert member.id is not None
    rendered = mail.renderer.render(
        "member_confirmation",
        language=language,
        subject=translate(language, "Please confirm: %(name)s", name=collection.name),
        preheader=translate(language, "Confirm and subscribe"),
        collection_name=collection.name,
        confirm_url=mail.links.join_confirm(subscriber, member.id),
        **common_context(mail, subscriber),
    )
    claimed = claim(
        session,
        mail,
        subscriber=subscriber,
        to=subscriber.email,
        kind=DeliveryKind.MEMBER_CONFIRMATION,
        period_key=f"join:{collection.id}:{member.id}:{now:%Y-%m-%dT%H:%M:%S}",
        rendered=rendered,
        now=now,
        give_up=timedelta(days=3),
    )
    if claimed:
        repo.note_member_confirmation_sent(session, member_id=member.id, now=now)
    return "confirmation" if claimed else "nothing"


def read_link(session: Session, signer: Signer, purpose: Purpose, token: str) -> MemberLink:
    """The member a join, leave or interest link stands for; TokenError for a forged, expired or
    revoked link, or one whose member or collection is gone."""
    payload = signer.read(purpose, token)
    member = repo.member(session, member_id=_int(payload, "m"))
    subscriber = repo.subscriber(session, subscriber_id=_int(payload, "s"))
    if member is None or subscriber is None or member.subscriber_id != subscriber.id:
        raise TokenError("this link is no longer valid")
    if subscriber.token_version != _int(payload, "v"):
        raise TokenError("this link is no longer valid")
    collection = repo.get_collection(session, collection_id=member.collection_id)
    if collection is None:
        raise TokenError("this collection no longer exists")
    call_id = _int(payload, "c") if "c" in payload else None
    issue_id = _int(payload, "i") if "i" in payload else None
    return MemberLink(member, subscriber, collection, call_id, issue_id)


def confirm(
    session: Session, link: MemberLink, *, now: datetime, visible: bool, display_name: str, organisation: str
) -> bool:
    """Confirm the membership with the member's choices; False when it was already confirmed (the
    choices are still saved: the link is in the inbox's owner's hands) or was left."""
    member = link.member
    assert member.id is not None
    was = member.status
    if was == MemberStatus.LEFT:
        return False
    member.visible, member.display_name, member.organisation = visible, display_name[:120], organisation[:200]
    session.add(member)
    repo.confirm_member(session, member_id=member.id, now=now)
    assert link.subscriber.id is not None
    repo.record_consent(
        session,
        subscriber_id=link.subscriber.id,
        event="joined-collection",
        source=f"collection:{member.collection_id}",
        now=now,
    )
    return was == MemberStatus.PENDING


def leave(session: Session, link: MemberLink, *, now: datetime, origin: str) -> bool:
    assert link.member.id is not None and link.subscriber.id is not None
    left = repo.leave_collection(session, member_id=link.member.id, now=now)
    if left:
        repo.record_consent(
            session,
            subscriber_id=link.subscriber.id,
            event="left-collection",
            source=f"collection:{link.member.collection_id}:{origin}",
            now=now,
        )
    return left


def interested(session: Session, link: MemberLink, *, now: datetime) -> bool:
    """Record the member's interest in the link's call; False when it was recorded before. A member
    who left can still say it for an issue they received: the issue is theirs."""
    assert link.member.id is not None and link.call_id is not None
    return repo.record_interest(
        session, member_id=link.member.id, call_id=link.call_id, issue_id=link.issue_id, now=now
    )


def _int(payload: dict[str, object], key: str) -> int:
    value = payload.get(key)
    if not isinstance(value, int):
        raise TokenError("this link is not valid")
    return value
