"""Daily housekeeping: what is kept only for a while is dropped once its time is up.

Owns: erasing sign-ups never confirmed (after `unconfirmed_retention_days`), dropping the stored
bodies of e-mails finished longer ago than `message_retention_days` (the rows stay, for the
history), and resealing chat targets under the newest key.
Must not: schedule itself (monitor.worker runs it daily) or delete anything a user still needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from db import repo
from db.engine import session_scope
from monitor.app import App
from monitor.plan.chat import chat_setup, reseal_targets


@dataclass
class Housekeeping:
    erased_unconfirmed: int = 0
    dropped_messages: int = 0
    resealed_chat_targets: int = 0


def housekeep(app: App, now: datetime) -> Housekeeping:
    """Erase sign-ups never confirmed, drop the bodies of old finished e-mails, reseal chat targets."""
    policy, done = app.defaults.worker, Housekeeping()
    with session_scope(app.engine) as session:
        for subscriber_id in repo.unconfirmed_before(
            session, before=now - timedelta(days=policy.unconfirmed_retention_days)
        ):
            repo.delete_subscriber(session, subscriber_id=subscriber_id)
            done.erased_unconfirmed += 1
        done.dropped_messages = repo.drop_old_messages(
            session, before=now - timedelta(days=policy.message_retention_days)
        )
        done.resealed_chat_targets = reseal_targets(session, chat_setup(app.settings))
    return done
