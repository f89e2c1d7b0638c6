"""Inviting a co-editor to a collection by e-mail.

Owns what an invitation does: the address is found or created (a new one is pending until its
owner signs in), recorded as an editor not yet accepted (`repo.add_editor`), and mailed a sign-in
link whose next page is the collection. That link is bound to no browser (the invitee's browser
never asked for one): opened anywhere, it offers to send a fresh link for that browser, and the
invitation is taken up when the invitee first signs in (`monitor.people.signin.sign_in`).
Must not: decide who may invite (the web checks that the inviter edits the collection), or send.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from db import repo
from db.models import Collection, DeliveryKind, Subscriber
from monitor.people.addresses import usable_address
from monitor.people.signin import (
    INVITATION_LIFETIME,
    MAY_SIGN_IN,
    digest,
    make_link,
    new_secret,
    subscriber_to_sign_in,
)
from monitor.plan.claim import MailContext, claim, common_context
from monitor.render.email import translate


def invite(
    session: Session, mail: MailContext, *, collection: Collection, inviter: Subscriber, email: str,
    now: datetime,
) -> bool:  # fmt: skip
    """Invite `email` to edit `collection`; False when it already edits it (nothing is sent).
    ValueError (its message says why) for an address that cannot be used."""
    address = usable_address(email)
    assert collection.id is not None
    invitee = subscriber_to_sign_in(session, email=address, now=now, language=collection.language)
    assert invitee.id is not None
    if not repo.add_editor(
        session, collection_id=collection.id, subscriber_id=invitee.id, by=inviter.id, now=now
    ):
        return False
    if invitee.status not in MAY_SIGN_IN:
        return True  # recorded; they take it up whenever they sign in
    nonce, _ = make_link(
        session, invitee, browser=new_secret(), next_path=f"/collections/{collection.id}", now=now,
        lifetime=INVITATION_LIFETIME,
    )  # fmt: skip
    lang = invitee.language
    rendered = mail.renderer.render(
        "invitation", language=lang, preheader=collection.name,
        subject=translate(lang, "An invitation to edit a collection on Callwatch"),
        inviter=inviter.email, collection_name=collection.name,
        sign_in_url=f"{mail.links.base_url}/sign-in/{nonce}", **common_context(mail, invitee),
    )  # fmt: skip
    claim(
        session, mail, subscriber=invitee, to=invitee.email, kind=DeliveryKind.INVITATION,
        period_key=f"invitation:{collection.id}:{digest(nonce)[:24]}", rendered=rendered, now=now,
        give_up=INVITATION_LIFETIME,
    )  # fmt: skip
    return True
