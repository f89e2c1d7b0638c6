"""Chat copies: one delivery row of kind CHAT per chat target, claimed beside the e-mail it copies.

Owns how a digest, reminder, change alert, collection issue or operator alert becomes chat copies:
each active target of the subscriber (or collection, or the operator) that wants that kind gets
its own row on the same queue (retries, give-up, leases), keyed `<kind>:<period>:t<target id>`,
so a copy is claimed once per target however often planning runs. Rows without a subscriber
(collections', the operator's) are checked before they are claimed, as operator e-mail is, since
a NULL subscriber never collides in the unique key. Other planners (collection issues) call
`claim_chat_copies` with their own targets.

Must not: send, or read URLs in the clear (only the operator's, from the settings, to seal them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from db import repo
from db.models import ChatKind, ChatTarget, DeliveryKind, Subscriber
from monitor.chatseal import Sealer, SealError
from monitor.chaturls import check_url
from monitor.render.cards import CallCard, Digest
from monitor.render.chat import ChatMessage, card_items, render_chat

PERIOD_KEY_MAX = 120  # delivery.period_key's length


@dataclass(frozen=True)
class ChatSetup:
    """What planning needs to copy messages to chat: the sealer and the operator's URLs."""

    sealer: Sealer
    operator_urls: tuple[str, ...] = ()


def chat_setup(settings: Any) -> ChatSetup | None:
    """None without a secret key (nothing could be unsealed): planning then copies nothing to chat."""
    if settings.secret_key is None:
        return None
    return ChatSetup(
        sealer=Sealer(settings.secret(), settings.old_secrets()),
        operator_urls=tuple(settings.operator_chat()),
    )


def claim_chat_copies(
    session: Session,
    *,
    targets: Sequence[ChatTarget],
    source_kind: str,
    period_key: str,
    title: str,
    body: str,
    now: datetime,
    link: str | None = None,
    give_up: timedelta = timedelta(hours=24),
    subscriber_id: int | None = None,
) -> int:
    """Claim one chat copy per target (`subscriber_id`: whose the targets are, if a subscriber's);
    the number newly claimed."""
    text = f"{body}\n{link}" if link and link not in body else body
    message = ChatMessage(title=title, body=text).encode()
    claimed = 0
    for target in targets:
        key = chat_period_key(source_kind, period_key, target.id)
        if subscriber_id is None and repo.period_claimed(
            session, subscriber_id=None, kind=DeliveryKind.CHAT, period_key=key
        ):
            continue
        row = repo.claim_period(
            session, subscriber_id=subscriber_id, kind=DeliveryKind.CHAT, period_key=key, now=now,
            to_address=target.masked, subject=title, message=message, give_up_at=now + give_up,
            chat_target_id=target.id,
        )  # fmt: skip
        claimed += row is not None
    return claimed


def chat_period_key(source_kind: str, period_key: str, target_id: int | None) -> str:
    """`<kind>:<period>:t<id>`, the period hashed when the whole would not fit delivery.period_key."""
    key = f"{source_kind}:{period_key}:t{target_id}"
    if len(key) <= PERIOD_KEY_MAX:
        return key
    return f"{source_kind[:20]}:{hashlib.sha256(period_key.encode()).hexdigest()[:40]}:t{target_id}"


def digest_cards(digest: Digest) -> list[CallCard]:
    """The calls a digest lists, in its order: new, changed, closing soon."""
    return [*digest.new, *(c.card for c in digest.changed), *digest.closing]


def copy_to_chat(
    session: Session,
    setup: ChatSetup | None,
    subscriber: Subscriber,
    *,
    kind: str,
    period_key: str,
    title: str,
    cards: Sequence[CallCard],
    link: str | None,
    now: datetime,
    give_up: timedelta,
) -> int:
    """Copy a subscriber's e-mail of `kind` (its title and calls) to their targets that want it."""
    if setup is None or subscriber.id is None:
        return 0
    targets = repo.active_chat_targets(session, subscriber_ids=[subscriber.id], kind=kind).get(subscriber.id)
    if not targets:
        return 0
    language = subscriber.language
    rendered = render_chat(
        title=title, items=card_items(cards, language=language), link=link, language=language
    )
    return claim_chat_copies(
        session, targets=targets, source_kind=kind, period_key=period_key, title=rendered.title,
        body=rendered.body, now=now, give_up=give_up, subscriber_id=subscriber.id,
    )  # fmt: skip


def copy_operator_alert(
    session: Session, setup: ChatSetup | None, *, period_key: str, title: str, text: str, now: datetime
) -> int:
    """Copy an operator alert to CALLWATCH_OPERATOR_CHAT_URLS (their rows kept in step here)."""
    if setup is None or not setup.operator_urls:
        return 0
    wanted = {}
    for url in setup.operator_urls:
        checked = check_url(url)
        current, *older = setup.sealer.fingerprints(url)
        wanted[current] = (setup.sealer.seal(url), checked.masked, tuple(older))
    targets = repo.sync_operator_chat_targets(session, wanted=wanted, now=now)
    return claim_chat_copies(
        session, targets=targets, source_kind=ChatKind.OPERATOR, period_key=period_key, title=title,
        body=text.strip(), now=now,
    )  # fmt: skip


def reseal_targets(session: Session, setup: ChatSetup | None) -> int:
    """Move every target sealed under an old secret onto the current one (housekeeping), so an old
    key can leave CALLWATCH_OLD_SECRET_KEYS without losing a target; the number moved. A target no
    key opens is left as it is (its copies fail, saying so, until its owner adds it again)."""
    if setup is None:
        return 0
    moved = 0
    for row in repo.all_chat_targets(session):
        if row.id is None or setup.sealer.is_current(row.sealed_url):
            continue
        try:
            sealed = setup.sealer.reseal(row.sealed_url)
        except SealError:
            continue
        url = setup.sealer.unseal(sealed)
        repo.reseal_chat_target(
            session, target_id=row.id, sealed_url=sealed, fingerprint=setup.sealer.fingerprint(url)
        )
        moved += 1
    return moved
