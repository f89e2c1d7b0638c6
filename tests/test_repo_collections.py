"""Collections in the database: who may edit, the order after moves, dismissed calls stay decided,
and every change to what is published bumps the version the feeds' caches key on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from db import repo
from db.engine import session_scope
from db.models import ItemState, Source
from monitor.model.call import CallIn, DeadlineIn

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    """Two people and four stored calls."""
    with session_scope(engine) as session:
        session.add(Source(id="s", name="S", kind="ft-portal", url="https://s.test/", created_at=NOW))
        session.flush()
        calls = [
            CallIn(key=f"K{n}", title=f"Call {n}", status="open",
                   deadlines=[DeadlineIn(at=NOW + timedelta(days=30 + n))])
            for n in range(4)
        ]  # fmt: skip
        repo.store_calls(session, source_id="s", run_id=None, calls=calls, complete=False, now=NOW)
        ids = {view.primary.title: view.id for view in repo.search_calls(session)}
        owner = repo.create_subscriber(session, email="owner@cluster.test", now=NOW).id
        other = repo.create_subscriber(session, email="other@cluster.test", now=NOW).id
    return {"owner": owner, "other": other, **{f"c{n}": ids[f"Call {n}"] for n in range(4)}}


def _order(engine: Engine, collection_id: int) -> list[tuple[int, int, str]]:
    with session_scope(engine) as session:
        items = repo.collection_items(session, collection_id=collection_id)
        return [(item.call_id, item.position, item.note) for item in items]


def test_items_keep_the_editors_order_and_close_up_after_a_move(
    engine: Engine, world: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        box = repo.create_collection(session, owner_id=world["owner"], name="Agri-food SMEs", now=NOW)
        for n in range(4):
            assert repo.add_to_collection(
                session,
                collection_id=box.id,
                call_id=world[f"c{n}"],
                by=world["owner"],
                now=NOW,
                note=f"n{n}",
            )
        assert not repo.add_to_collection(
            session, collection_id=box.id, call_id=world["c0"], by=world["owner"], now=NOW
        )
        assert repo.move_item(session, collection_id=box.id, call_id=world["c3"], to_position=1, now=NOW)
        assert repo.move_item(session, collection_id=box.id, call_id=world["c0"], to_position=99, now=NOW)
        box_id = box.id
    c = world
    assert _order(engine, box_id) == [
        (c["c3"], 1, "n3"),
        (c["c1"], 2, "n1"),
        (c["c2"], 3, "n2"),
        (c["c0"], 4, "n0"),
    ]


def test_a_dismissed_call_stays_decided_and_leaves_no_gap(engine: Engine, world: dict[str, int]) -> None:
    with session_scope(engine) as session:
        box = repo.create_collection(session, owner_id=world["owner"], name="Box", now=NOW)
        for n in range(3):
            repo.add_to_collection(session, collection_id=box.id, call_id=world[f"c{n}"], by=None, now=NOW)
        repo.dismiss_from_collection(session, collection_id=box.id, call_id=world["c0"], by=None, now=NOW)
        repo.dismiss_from_collection(session, collection_id=box.id, call_id=world["c3"], by=None, now=NOW)
        decided = repo.decided_call_ids(session, collection_id=box.id)
        counts = repo.item_counts(session, collection_ids=[box.id])
        box_id = box.id
    assert decided == {world["c0"], world["c1"], world["c2"], world["c3"]}
    assert counts == {box_id: 2}
    assert [(call, position) for call, position, _ in _order(engine, box_id)] == [
        (world["c1"], 1),
        (world["c2"], 2),
    ]
    # An editor who adds a dismissed call on purpose gets it back, at the end.
    with session_scope(engine) as session:
        assert repo.add_to_collection(session, collection_id=box_id, call_id=world["c0"], by=None, now=NOW)
    assert [call for call, _, _ in _order(engine, box_id)] == [world["c1"], world["c2"], world["c0"]]


def test_only_the_owner_and_invited_co_editors_may_edit(engine: Engine, world: dict[str, int]) -> None:
    with session_scope(engine) as session:
        box = repo.create_collection(session, owner_id=world["owner"], name="Box", now=NOW)
        assert not repo.may_edit_collection(session, collection_id=box.id, subscriber_id=world["other"])
        assert repo.add_editor(
            session, collection_id=box.id, subscriber_id=world["other"], by=world["owner"], now=NOW
        )
        assert not repo.add_editor(
            session, collection_id=box.id, subscriber_id=world["other"], by=world["owner"], now=NOW
        )
        assert not repo.add_editor(
            session, collection_id=box.id, subscriber_id=world["owner"], by=world["owner"], now=NOW
        )
        assert repo.may_edit_collection(session, collection_id=box.id, subscriber_id=world["other"])
        assert [c.id for c in repo.collections_of(session, subscriber_id=world["other"])] == [box.id]
        assert [email for _, email in repo.editors_of(session, collection_id=box.id)] == [
            "other@cluster.test"
        ]
        repo.remove_editor(session, collection_id=box.id, subscriber_id=world["other"])
        assert not repo.may_edit_collection(session, collection_id=box.id, subscriber_id=world["other"])
        assert repo.collections_of(session, subscriber_id=world["other"]) == []


def test_every_published_change_bumps_the_version(engine: Engine, world: dict[str, int]) -> None:
    with session_scope(engine) as session:
        box = repo.create_collection(session, owner_id=world["owner"], name="Box", now=NOW)
        box_id, versions = box.id, [box.version]

    def step(change) -> None:
        with session_scope(engine) as session:
            change(session)
            versions.append(repo.get_collection(session, collection_id=box_id).version)

    later = NOW + timedelta(hours=1)
    step(lambda s: repo.add_to_collection(s, collection_id=box_id, call_id=world["c0"], by=None, now=later))
    step(lambda s: repo.add_to_collection(s, collection_id=box_id, call_id=world["c1"], by=None, now=later))
    step(lambda s: repo.set_item_note(s, collection_id=box_id, call_id=world["c0"], note="why", now=later))
    step(lambda s: repo.move_item(s, collection_id=box_id, call_id=world["c1"], to_position=1, now=later))
    step(lambda s: repo.update_collection(s, collection_id=box_id, now=later, name="Renamed"))
    step(
        lambda s: repo.dismiss_from_collection(
            s, collection_id=box_id, call_id=world["c0"], by=None, now=later
        )
    )
    old_key = None
    with session_scope(engine) as session:
        old_key = repo.get_collection(session, collection_id=box_id).public_key
        new_key = repo.republish_collection(session, collection_id=box_id, now=later)
        assert repo.collection_by_public_key(session, public_key=old_key) is None
        assert repo.collection_by_public_key(session, public_key=new_key).id == box_id
        versions.append(repo.get_collection(session, collection_id=box_id).version)
    assert versions == sorted(set(versions)) and len(versions) == 8, versions
    with session_scope(engine) as session:
        states = {i.call_id: i.state for i in repo.collection_items(session, collection_id=box_id)}
    assert states == {world["c1"]: ItemState.ACCEPTED}


def test_erasing_the_owner_erases_their_collections(engine: Engine, world: dict[str, int]) -> None:
    with session_scope(engine) as session:
        box = repo.create_collection(session, owner_id=world["owner"], name="Box", now=NOW)
        repo.add_to_collection(session, collection_id=box.id, call_id=world["c0"], by=world["owner"], now=NOW)
        repo.add_editor(
            session, collection_id=box.id, subscriber_id=world["other"], by=world["owner"], now=NOW
        )
        box_id = box.id
    with session_scope(engine) as session:
        repo.delete_subscriber(session, subscriber_id=world["owner"])
    with session_scope(engine) as session:
        assert repo.get_collection(session, collection_id=box_id) is None
        assert repo.collections_of(session, subscriber_id=world["other"]) == []
