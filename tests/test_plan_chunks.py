"""Planning digests a page of subscribers at a time claims the very messages one page does: same
recipients, periods, bytes and shown-log, whatever the page size (an unconfirmed address between
them is skipped either way)."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlmodel import select

from db import repo
from db.engine import session_scope
from db.models import Delivery, Shown
from monitor.plan.claim import mail_context
from monitor.plan.digests import plan_digests
from tests.mailworld import CALLS, MailWorld, utc

DIGEST_AT = utc("2026-11-23T08:05:00Z")
# The email package draws a random MIME boundary for each message.
BOUNDARY = re.compile(rb"={15}\d+==")
KEYWORDS = ["hydrogen", "electrolyser", "tourism", "hydrogen storage", "vouchers"]


def _subscribe(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    for index, keyword in enumerate(KEYWORDS):
        args = ["subscribe", f"sme{index}@example.org", "--keywords", keyword, "--confirmed"]
        assert world.cli(*args, "--now", "2026-11-21T10:00:00Z").exit_code == 0
        if index == 2:  # an unconfirmed address in the middle of the ids
            args = ["subscribe", "later@example.org", "--keywords", "hydrogen"]
            assert world.cli(*args, "--now", "2026-11-21T10:00:00Z").exit_code == 0


def _claimed(world: MailWorld) -> dict[str, tuple[str, bytes, list[tuple[int, int]]]]:
    found = {}
    with session_scope(world.app.engine) as session:
        for row in session.exec(select(Delivery).where(Delivery.kind == "digest")):
            assert row.id is not None
            shown = session.exec(select(Shown.profile_id, Shown.call_id).where(Shown.delivery_id == row.id))
            body = BOUNDARY.sub(b"=boundary=", repo.delivery_body(session, delivery_id=row.id) or b"")
            found[row.to_address] = (row.period_key, body, sorted((p or 0, c) for p, c in shown))
    return found


def test_a_page_of_two_plans_the_same_messages_as_one_page(world: MailWorld) -> None:
    _subscribe(world)
    mail = mail_context(world.app)
    paged = plan_digests(world.app.engine, mail, now=DIGEST_AT, page=2)
    by_pages = _claimed(world)
    with world.app.engine.begin() as connection:
        connection.execute(text("DELETE FROM shown"))
        connection.execute(text("DELETE FROM delivery"))  # and, cascading, the bodies
    whole = plan_digests(world.app.engine, mail, now=DIGEST_AT, page=1000)
    at_once = _claimed(world)
    assert (paged.claimed, paged.empty) == (whole.claimed, whole.empty)
    assert sorted(by_pages) == sorted(at_once)
    assert "later@example.org" not in by_pages
    assert by_pages == at_once
    # Every digest has a body and lists something: the comparison is not between empty digests.
    assert paged.claimed >= 4 and all(body and shown for _, body, shown in by_pages.values())
    # A second paged run finds every period claimed: nothing twice.
    again = plan_digests(world.app.engine, mail, now=DIGEST_AT, page=2)
    assert (again.claimed, again.already) == (0, whole.claimed + whole.empty)
