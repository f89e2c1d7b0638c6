"""Chat targets across a rotation of the secret key: a URL stored before it is still the same URL.

After CALLWATCH_SECRET_KEY is rotated (the old key moved to CALLWATCH_OLD_SECRET_KEYS), a target's
stored fingerprint is the old key's. Adding the same URL again must still be refused as a duplicate,
and the operator's targets (kept in step with CALLWATCH_OPERATOR_CHAT_URLS) must keep their rows,
with their refusal counts, instead of being dropped and re-created.
"""

from __future__ import annotations

from pydantic import SecretStr
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import ChatTarget
from monitor.chatseal import Sealer
from monitor.plan.chat import ChatSetup, copy_operator_alert
from monitor.plan.housekeeping import housekeep
from tests.mailworld import CALLS, MailWorld, utc

OLD, NEW = "old-secret-" + "x" * 32, "new-secret-" + "y" * 32
URL = "json://hooks.example.org/hk-7Qz93xLmVb2RtY8pWc41"


def test_fingerprints_under_the_current_then_the_old_secrets() -> None:
    rotated = Sealer(NEW, [OLD])
    assert rotated.fingerprints(URL) == (Sealer(NEW).fingerprint(URL), Sealer(OLD).fingerprint(URL))
    assert rotated.fingerprint(URL) == rotated.fingerprints(URL)[0]


def _add(session, sealer: Sealer, **owner: int | None):  # noqa: ANN001, ANN202
    return repo.add_chat_target(
        session, sealed_url=sealer.seal(URL), fingerprint=sealer.fingerprint(URL),
        known_as=sealer.fingerprints(URL)[1:], masked="json://hooks.example.org/…wc41", kinds=["digest"],
        now=utc("2026-11-21T09:00:00Z"), **owner,
    )  # fmt: skip


def test_the_same_url_is_a_duplicate_after_a_rotation_for_subscribers_and_collections(
    world: MailWorld,
) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    with session_scope(world.app.engine) as session:
        owner = repo.create_subscriber(session, email="owner@example.org", now=utc("2026-11-21T09:00:00Z"))
        box = repo.create_collection(session, owner_id=owner.id, name="Box", now=utc("2026-11-21T09:00:00Z"))
        assert _add(session, Sealer(OLD), subscriber_id=owner.id) is not None
        assert _add(session, Sealer(OLD), subscriber_id=None, collection_id=box.id) is not None
        # The same URL again, sealed after the rotation: refused for both owners.
        assert _add(session, Sealer(NEW, [OLD]), subscriber_id=owner.id) is None
        assert _add(session, Sealer(NEW, [OLD]), subscriber_id=None, collection_id=box.id) is None
        # Without the old key the old fingerprint is unknown: the rotation rule is what refuses it.
        assert len(session.exec(select(ChatTarget)).all()) == 2


def test_the_operator_targets_keep_their_rows_across_a_rotation(world: MailWorld) -> None:
    alert = {"title": "Callwatch: source eccp is failing", "text": "3 failed polls"}
    at = utc("2026-11-24T09:00:00Z")
    with session_scope(world.app.engine) as session:
        assert (
            copy_operator_alert(session, ChatSetup(Sealer(OLD), (URL,)), period_key="a", now=at, **alert) == 1
        )
        (before,) = session.exec(select(ChatTarget)).all()
        repo.record_chat_refusal(session, target_id=before.id, error="404", suspend_after=3, now=at)
        first_id = before.id
    with session_scope(world.app.engine) as session:
        rotated = ChatSetup(Sealer(NEW, [OLD]), (URL,))
        assert copy_operator_alert(session, rotated, period_key="b", now=at, **alert) == 1
        (after,) = session.exec(select(ChatTarget)).all()
        assert after.id == first_id and after.consecutive_failures == 1
        assert after.fingerprint == Sealer(NEW).fingerprint(URL)
        assert Sealer(NEW).unseal(after.sealed_url) == URL  # resealed with the current key


def test_housekeeping_moves_targets_onto_the_current_key_so_the_old_one_can_go(world: MailWorld) -> None:
    settings = world.app.settings
    settings.old_secret_keys = SecretStr(OLD)  # rotated: the old key is still listed
    with session_scope(world.app.engine) as session:
        owner = repo.create_subscriber(session, email="owner@example.org", now=utc("2026-11-21T09:00:00Z"))
        target = _add(session, Sealer(OLD), subscriber_id=owner.id)
        target_id = target.id
    assert housekeep(world.app, utc("2026-11-22T03:00:00Z")).resealed_chat_targets == 1
    assert housekeep(world.app, utc("2026-11-23T03:00:00Z")).resealed_chat_targets == 0
    with session_scope(world.app.engine) as session:
        row = repo.get_chat_target(session, target_id=target_id)
        current = Sealer(settings.secret())  # the old key dropped: the target still opens
        assert current.unseal(row.sealed_url) == URL and row.fingerprint == current.fingerprint(URL)
