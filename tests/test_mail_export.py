"""A subscriber's data export includes the shown-log: which calls (and changes) each digest listed
for which profile, since that decides what the next digest calls "new" (issue #15)."""

from __future__ import annotations

import json

from sqlmodel import select

from db.engine import session_scope
from db.models import Shown
from tests.mailworld import CALLS, MailWorld, utc

ANNA = "anna@example.org"
PROFILE = ("--keywords", "hydrogen", "--keywords", "electrolyser", "--country", "PT", "--org-type", "sme")
LISBON = ("--timezone", "Europe/Lisbon", "--digest-day", "monday", "--digest-hour", "8")


def test_the_export_lists_what_each_digest_listed(world: MailWorld) -> None:
    world.seed(CALLS, now=utc("2026-11-21T09:00:00Z"))
    result = world.cli("subscribe", ANNA, *PROFILE, *LISBON, "--confirmed", "--now", "2026-11-21T10:00:00Z")
    assert result.exit_code == 0, result.output
    before = json.loads(world.cli("subscriber", "export", ANNA).output)
    assert before["calls_listed_in_digests"] == []

    assert world.cli("digest", "--now", "2026-11-23T08:05:00Z").exit_code == 0
    data = json.loads(world.cli("subscriber", "export", ANNA).output)
    [digest] = [e for e in data["emails"] if e["kind"] == "digest"]
    listed = data["calls_listed_in_digests"]
    assert sorted(row["call_id"] for row in listed) == sorted([world.call_id("A"), world.call_id("E")])
    assert {row["delivery_id"] for row in listed} == {digest["id"]}
    assert {row["profile_id"] for row in listed} == {data["profiles"][0]["id"]}
    assert all(row["change_id"] is None and row["shown_at"].startswith("2026-11-23") for row in listed)
    assert all("subscriber_id" not in row for row in listed)

    # Erasure takes the shown-log with it.
    assert world.cli("subscriber", "delete", ANNA, "--yes").exit_code == 0
    with session_scope(world.app.engine) as session:
        assert session.exec(select(Shown)).all() == []
