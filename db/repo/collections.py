"""Collections: their rows, co-editors and items (accepted calls with notes and order, dismissed ones).

Owns: every read and write of `collection`, `collectioneditor` and `collectionitem`; who may edit a
collection (its owner and its co-editors); the order of items (`position`, dense from 1 after every
move); and the collection's `version`, bumped in the same transaction as every change to what it
publishes, so a feed's cache key can never outlive the change.
Must not: sanitise or render notes (they are stored as typed, every renderer escapes them), decide
which calls match a saved filter (`monitor.catalogue` does), or commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.models import Collection, CollectionEditor, CollectionItem, ItemState, Subscriber


def new_public_key() -> str:
    return secrets.token_urlsafe(18)


def create_collection(
    session: Session, *, owner_id: int, name: str, now: datetime, description: str = "", language: str = "en"
) -> Collection:
    row = Collection(
        owner_id=owner_id, name=name, description=description, language=language,
        public_key=new_public_key(), created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def get_collection(session: Session, *, collection_id: int) -> Collection | None:
    return session.get(Collection, collection_id)


def collection_by_public_key(session: Session, *, public_key: str) -> Collection | None:
    return session.exec(select(Collection).where(Collection.public_key == public_key)).first()


def collections_of(session: Session, *, subscriber_id: int) -> list[Collection]:
    """The collections a person owns or co-edits, most recently changed first."""
    edited = select(CollectionEditor.collection_id).where(CollectionEditor.subscriber_id == subscriber_id)
    query = (
        select(Collection)
        .where((col(Collection.owner_id) == subscriber_id) | col(Collection.id).in_(edited))
        .order_by(col(Collection.updated_at).desc(), col(Collection.id).desc())
    )
    return list(session.exec(query))


def curators() -> Any:
    """A subquery of the addresses that own a collection or accepted to co-edit one."""
    editors = select(CollectionEditor.subscriber_id).where(col(CollectionEditor.accepted_at).is_not(None))
    return select(Collection.owner_id).union(editors)


def may_edit_collection(session: Session, *, collection_id: int, subscriber_id: int) -> bool:
    row = session.get(Collection, collection_id)
    if row is None:
        return False
    if row.owner_id == subscriber_id:
        return True
    editor = select(CollectionEditor.id).where(
        CollectionEditor.collection_id == collection_id, CollectionEditor.subscriber_id == subscriber_id
    )
    return session.exec(editor).first() is not None


def touch_collection(session: Session, *, collection_id: int, now: datetime) -> None:
    """Record a change to what the collection publishes (feeds' caches key on `version`)."""
    row = session.get(Collection, collection_id)
    if row is not None:
        row.version += 1
        row.updated_at = now
        session.add(row)
        session.flush()


def update_collection(session: Session, *, collection_id: int, now: datetime, **values: str | None) -> None:
    """Change name, description, language or the saved filter (`filter_query`)."""
    allowed = {"name", "description", "language", "filter_query"}
    unknown = set(values) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")
    row = session.get(Collection, collection_id)
    if row is None:
        return
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    touch_collection(session, collection_id=collection_id, now=now)


def republish_collection(session: Session, *, collection_id: int, now: datetime) -> str:
    """A new public key: every address published before stops answering."""
    row = session.get(Collection, collection_id)
    assert row is not None
    row.public_key = new_public_key()
    session.add(row)
    touch_collection(session, collection_id=collection_id, now=now)
    return row.public_key


def delete_collection(session: Session, *, collection_id: int) -> None:
    row = session.get(Collection, collection_id)
    if row is not None:
        session.delete(row)
        session.flush()


def _item(session: Session, collection_id: int, call_id: int) -> CollectionItem | None:
    query = select(CollectionItem).where(
        CollectionItem.collection_id == collection_id, CollectionItem.call_id == call_id
    )
    return session.exec(query).first()


def _last_position(session: Session, collection_id: int) -> int:
    query = select(func.max(CollectionItem.position)).where(
        CollectionItem.collection_id == collection_id, CollectionItem.state == ItemState.ACCEPTED
    )
    return int(session.exec(query).one() or 0)


def add_to_collection(
    session: Session, *, collection_id: int, call_id: int, by: int | None, now: datetime, note: str = ""
) -> bool:
    """Put a call at the end of the collection (a dismissed one comes back: the editor chose it).

    False when it was already in; its note is then kept unless a new one is given.
    """
    row = _item(session, collection_id, call_id)
    if row is not None and row.state == ItemState.ACCEPTED:
        if note:
            set_item_note(session, collection_id=collection_id, call_id=call_id, note=note, now=now)
        return False
    position = _last_position(session, collection_id) + 1
    if row is None:
        row = CollectionItem(
            collection_id=collection_id, call_id=call_id, note=note, position=position, added_by=by,
            added_at=now, updated_at=now,
        )  # fmt: skip
    else:
        row.state, row.position, row.added_by, row.added_at, row.updated_at = (
            ItemState.ACCEPTED, position, by, now, now,
        )  # fmt: skip
        row.note = note or row.note
    session.add(row)
    touch_collection(session, collection_id=collection_id, now=now)
    return True


def dismiss_from_collection(
    session: Session, *, collection_id: int, call_id: int, by: int | None, now: datetime
) -> None:
    """Keep a call out of the review queue for good (and out of the collection if it was in)."""
    row = _item(session, collection_id, call_id)
    was_in = row is not None and row.state == ItemState.ACCEPTED
    if row is None:
        row = CollectionItem(
            collection_id=collection_id, call_id=call_id, state=ItemState.DISMISSED, added_by=by,
            added_at=now, updated_at=now,
        )  # fmt: skip
    row.state, row.position, row.updated_at = ItemState.DISMISSED, 0, now
    session.add(row)
    session.flush()
    if was_in:
        _renumber(session, collection_id)
        touch_collection(session, collection_id=collection_id, now=now)


def set_item_note(session: Session, *, collection_id: int, call_id: int, note: str, now: datetime) -> bool:
    row = _item(session, collection_id, call_id)
    if row is None or row.state != ItemState.ACCEPTED:
        return False
    row.note, row.updated_at = note, now
    session.add(row)
    touch_collection(session, collection_id=collection_id, now=now)
    return True


def move_item(session: Session, *, collection_id: int, call_id: int, to_position: int, now: datetime) -> bool:
    """Move an accepted call to `to_position` (1 = first; clamped to the list); the others close up."""
    items = collection_items(session, collection_id=collection_id)
    moving = next((item for item in items if item.call_id == call_id), None)
    if moving is None:
        return False
    items.remove(moving)
    items.insert(max(0, min(to_position - 1, len(items))), moving)
    _number(session, items)
    touch_collection(session, collection_id=collection_id, now=now)
    return True


def _renumber(session: Session, collection_id: int) -> None:
    _number(session, collection_items(session, collection_id=collection_id))


def _number(session: Session, items: list[CollectionItem]) -> None:
    """Positions 1, 2, 3… in the order given; only rows whose place changed are written."""
    for index, item in enumerate(items, start=1):
        if item.position != index:
            item.position = index
            session.add(item)
    session.flush()


def collection_items(session: Session, *, collection_id: int) -> list[CollectionItem]:
    """The collection's calls in the editors' order."""
    query = (
        select(CollectionItem)
        .where(CollectionItem.collection_id == collection_id, CollectionItem.state == ItemState.ACCEPTED)
        .order_by(col(CollectionItem.position), col(CollectionItem.id))
    )
    return list(session.exec(query))


def decided_call_ids(session: Session, *, collection_id: int) -> set[int]:
    """Calls accepted or dismissed: the ones the review queue must not offer again."""
    query = select(CollectionItem.call_id).where(CollectionItem.collection_id == collection_id)
    return set(session.exec(query))


def add_editor(
    session: Session, *, collection_id: int, subscriber_id: int, by: int | None, now: datetime
) -> bool:
    """Invite a co-editor; False when they already edit it (or own it)."""
    row = session.get(Collection, collection_id)
    if row is None or row.owner_id == subscriber_id:
        return False
    if may_edit_collection(session, collection_id=collection_id, subscriber_id=subscriber_id):
        return False
    session.add(
        CollectionEditor(
            collection_id=collection_id, subscriber_id=subscriber_id, invited_by=by, invited_at=now
        )
    )
    session.flush()
    return True


def accept_invitations(session: Session, *, subscriber_id: int, now: datetime) -> None:
    """The invited person signed in: their invitations are taken up."""
    query = select(CollectionEditor).where(
        CollectionEditor.subscriber_id == subscriber_id, col(CollectionEditor.accepted_at).is_(None)
    )
    for row in session.exec(query):
        row.accepted_at = now
        session.add(row)
    session.flush()


def remove_editor(session: Session, *, collection_id: int, subscriber_id: int) -> None:
    query = select(CollectionEditor).where(
        CollectionEditor.collection_id == collection_id, CollectionEditor.subscriber_id == subscriber_id
    )
    for row in session.exec(query):
        session.delete(row)
    session.flush()


def editors_of(session: Session, *, collection_id: int) -> list[tuple[CollectionEditor, str]]:
    """Co-editors with their addresses, in the order they were invited."""
    query = (
        select(CollectionEditor, Subscriber.email)
        .join(Subscriber, col(Subscriber.id) == CollectionEditor.subscriber_id)
        .where(CollectionEditor.collection_id == collection_id)
        .order_by(col(CollectionEditor.id))
    )
    return [(row, email) for row, email in session.exec(query)]


def item_counts(session: Session, *, collection_ids: Sequence[int]) -> dict[int, int]:
    """How many calls each collection holds (accepted items), for lists of collections."""
    if not collection_ids:
        return {}
    query = (
        select(CollectionItem.collection_id, func.count())
        .where(
            col(CollectionItem.collection_id).in_(collection_ids), CollectionItem.state == ItemState.ACCEPTED
        )
        .group_by(col(CollectionItem.collection_id))
    )
    return {collection_id: int(count) for collection_id, count in session.exec(query)}
