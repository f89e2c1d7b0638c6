"""Who may receive which kind of e-mail, read by planning (before claiming) and sending (before sending).

Owns the consent rule between an address's status and the kinds it may be sent.
Must not read the database or know how a message is built: it answers for a
kind and a status it is given.
"""

from __future__ import annotations

from db.models import DeliveryKind, SubscriberStatus

# The e-mail a confirmed address gets when someone signs it up again (sent only to confirmed
# addresses, like every kind but confirmations: see `subscriber_status_allows`).
MANAGE_LINK = "manage-link"
MEMBER_KINDS = frozenset({DeliveryKind.MEMBER_CONFIRMATION, DeliveryKind.COLLECTION_ISSUE})


def subscriber_status_allows(kind: str, status: str) -> bool:
    """Only a confirmation, a sign-in link or an invitation (following either proves the address)
    goes to an unconfirmed address; nothing goes to a suspended or gone one. A collection's member
    e-mails follow the membership's consent (see MEMBER_KINDS)."""
    if kind == DeliveryKind.OPERATOR:
        return True
    if kind in MEMBER_KINDS:
        # A collection's newsletter rests on the member's own consent to that collection (double
        # opt-in, one-click leave); a global unsubscribe ends every membership
        # (monitor.people.subscriptions), so only an address that bounces stops these here.
        return status in (SubscriberStatus.PENDING, SubscriberStatus.CONFIRMED, SubscriberStatus.UNSUBSCRIBED)
    if kind == DeliveryKind.SIGN_IN:
        # Asked for just now, at /sign-in: an owner who unsubscribed from e-mails still signs in.
        return status in (SubscriberStatus.PENDING, SubscriberStatus.CONFIRMED, SubscriberStatus.UNSUBSCRIBED)
    if kind in (DeliveryKind.CONFIRMATION, DeliveryKind.INVITATION):
        return status in (SubscriberStatus.PENDING, SubscriberStatus.CONFIRMED)
    return status == SubscriberStatus.CONFIRMED
