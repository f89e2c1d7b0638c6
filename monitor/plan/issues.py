"""A collection's newsletter issue: the calls added since the last issue, with their notes, one
e-mail per confirmed member, claimed through the same idempotent queue as digests.

Owns: what an issue carries (accepted calls no earlier issue carried, in the collection's order),
its number (the one after the last; an owner's double click or two editors at once make one
issue, because the number is taken by the insert that records it), and each member's e-mail: in
the member's language and time zone, with an "I'm interested" link per call and a one-click
unsubscribe (RFC 8058) that leaves this collection only. Members are read a page at a time. The
collection's chat channels get one copy of each issue (calls, deadlines, notes, the public page).
Must not: decide who may send an issue (the web route checks the editor), or send: the claimed
rows go out through monitor.deliver.sender with its rate limits, retries and suspension rules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from db import repo
from db.models import (
    ChatKind,
    ChatStatus,
    Collection,
    CollectionIssue,
    CollectionMember,
    DeliveryKind,
    Subscriber,
)
from monitor.plan.chat import claim_chat_copies
from monitor.plan.claim import MailContext, OwnList, claim, short_subject
from monitor.render.cards import CallCard, Links, call_card, zone
from monitor.render.chat import card_items, render_chat
from monitor.render.email import Rendered
from monitor.render.i18n import translator

PAGE = 500  # members read and claimed per query


@dataclass(frozen=True)
class IssueItem:
    card: CallCard
    note: str
    interest_url: str


@dataclass(frozen=True)
class IssueOutcome:
    issue: CollectionIssue | None
    recipients: int
    reason: str = ""  # why nothing was sent: "nothing new", "already sent"


def send_issue(
    session: Session,
    mail: MailContext,
    collection: Collection,
    *,
    by: int | None,
    now: datetime,
    expected_number: int | None = None,
) -> IssueOutcome:
    """Record the next issue and claim its e-mails. `expected_number` is the number the owner's
    page showed: when another issue went out meanwhile, nothing is sent twice."""
    assert collection.id is not None
    number = repo.next_issue_number(session, collection_id=collection.id)
    if expected_number is not None and expected_number != number:
        return IssueOutcome(None, 0, "already sent")
    entries = [
        (item, call)
        for item in repo.unsent_items(session, collection_id=collection.id)
        if (call := repo.logical_call(session, call_id=item.call_id)) is not None
    ]
    if not entries:
        return IssueOutcome(None, 0, "nothing new")
    subject = issue_subject(collection, number, len(entries), collection.language)
    issue = repo.record_issue(
        session,
        collection_id=collection.id,
        number=number,
        call_ids=[item.call_id for item, _ in entries],
        by=by,
        now=now,
        subject=subject,
    )
    if issue is None:
        return IssueOutcome(None, 0, "already sent")
    sent, after, cards = 0, 0, CardCache()
    while page := repo.issue_recipients(session, collection_id=collection.id, after_id=after, limit=PAGE):
        for member, subscriber in page:
            sent += _claim_one(session, mail, collection, issue, member, subscriber, entries, cards, now=now)
        after = int(page[-1][0].id or 0)
    assert issue.id is not None
    repo.count_recipients(session, issue_id=issue.id, recipients=sent)
    _copy_to_chat(session, mail, collection, issue, entries, cards, now=now)
    return IssueOutcome(issue, sent)


def _copy_to_chat(
    session: Session, mail: MailContext, collection: Collection, issue: CollectionIssue,
    entries: list[tuple[Any, Any]], cards: CardCache, *, now: datetime,
) -> int:  # fmt: skip
    """The issue in the collection's chat channels: its title, each call with its deadline and note,
    and the collection's public page; in the collection's language, Brussels time."""
    targets = [
        target for target in repo.chat_targets_of(session, collection_id=collection.id)
        if target.status == ChatStatus.ACTIVE and ChatKind.ISSUE in target.kinds
    ]  # fmt: skip
    if not targets:
        return 0
    language = collection.language
    worded = cards.get_cards(mail, entries, language, "Europe/Brussels", now)
    items = [
        replace(chat, deadline=" · ".join(part for part in (chat.deadline, item.note) if part) or None)
        for chat, (item, _call) in zip(card_items(worded, language=language), entries, strict=True)
    ]
    message = render_chat(
        title=issue.subject,
        items=items,
        link=f"{mail.links.base_url}/c/{collection.public_key}",
        language=language,
    )
    return claim_chat_copies(
        session, targets=targets, source_kind=ChatKind.ISSUE, period_key=f"{collection.id}:{issue.number}",
        title=message.title, body=message.body, now=now, give_up=timedelta(days=7),
    )  # fmt: skip


def issue_subject(collection: Collection, number: int, count: int, language: str) -> str:
    words = translator(language)
    values = {"name": collection.name, "number": number}
    return short_subject(
        words.plural(
            "%(name)s, issue %(number)d: %(num)d call",
            "%(name)s, issue %(number)d: %(num)d calls",
            count,
            **values,
        )
    )


def _claim_one(
    session: Session,
    mail: MailContext,
    collection: Collection,
    issue: CollectionIssue,
    member: CollectionMember,
    subscriber: Subscriber,
    entries: list[tuple[Any, Any]],
    cards: CardCache,
    *,
    now: datetime,
) -> bool:
    assert member.id is not None and issue.id is not None
    rendered = render_issue(mail, collection, issue, member, subscriber, entries, cards, now=now)
    own_list = OwnList(
        name=collection.name,
        list_key=f"c{collection.id}.collections",
        unsubscribe_url=mail.links.member_leave(subscriber, member.id),
    )
    return claim(
        session,
        mail,
        subscriber=subscriber,
        to=subscriber.email,
        kind=DeliveryKind.COLLECTION_ISSUE,
        period_key=f"{repo.issue_period_prefix(int(collection.id or 0))}{issue.number}",
        rendered=rendered,
        now=now,
        # An issue is news for a week; after that the next one will do.
        give_up=timedelta(days=7),
        own_list=own_list,
        call_ids=list(issue.call_ids),
    )


class CardCache(dict[tuple[str, str], list[CallCard]]):
    """An issue's call cards by (language, time zone): worded once for all the members who share them."""

    def get_cards(self, mail: MailContext, entries: list[tuple[Any, Any]], language: str, timezone: str,
                  now: datetime) -> list[CallCard]:  # fmt: skip
        if (language, timezone) not in self:
            self[language, timezone] = [
                call_card(call, tz=zone(timezone), now=now, language=language,
                          links=Links(call_page=mail.links.call(call.id), source=call.url))
                for _item, call in entries
            ]  # fmt: skip
        return self[language, timezone]


def render_issue(
    mail: MailContext,
    collection: Collection,
    issue: CollectionIssue,
    member: CollectionMember,
    subscriber: Subscriber,
    entries: list[tuple[Any, Any]],
    cards: CardCache,
    *,
    now: datetime,
) -> Rendered:
    """One member's e-mail of an issue: the shared cards, with this member's links."""
    language = member.language or collection.language
    assert member.id is not None and issue.id is not None
    worded = cards.get_cards(mail, entries, language, subscriber.timezone, now)
    items = [
        IssueItem(card=card, note=item.note,
                  interest_url=mail.links.interest(subscriber, member.id, item.call_id, issue.id))
        for card, (item, _call) in zip(worded, entries, strict=True)
    ]  # fmt: skip
    subject = issue_subject(collection, issue.number, len(items), language)
    return mail.renderer.render(
        "collection_issue",
        language=language,
        subject=subject,
        preheader=collection.description[:140] or subject,
        heading=subject,
        description=collection.description,
        collection_name=collection.name,
        items=items,
        email=subscriber.email,
        leave_url=mail.links.member_leave(subscriber, member.id),
        unsubscribe_url=mail.links.unsubscribe(subscriber),
        manage_url=mail.links.manage(subscriber),
    )
