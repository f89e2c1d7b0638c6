"""The outbox transport: one file per Message-ID, safe names, a disk failure is transient."""

from __future__ import annotations

from pathlib import Path

from monitor.deliver.message import message_id_for
from monitor.deliver.outbox import OutboxTransport
from monitor.deliver.transport import Outcome
from tests.test_mail_smtp import SENDER, digest


async def test_outbox_writes_one_file_per_message_id_and_overwrites(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path / "outbox")
    async with outbox:
        first = await outbox.send(digest("anna@example.eu", subject="First"), recipient="anna@example.eu")
        await outbox.send(digest("ben@example.eu"), recipient="ben@example.eu")
        resent = await outbox.send(digest("anna@example.eu", subject="Second"), recipient="anna@example.eu")
    assert first.outcome is resent.outcome is Outcome.SENT
    files = sorted((tmp_path / "outbox").iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" and not f.name.startswith(".") for f in files)
    anna = outbox.path_for(digest("anna@example.eu"))
    assert anna.name == message_id_for("digest", "2025-W10:anna@example.eu", SENDER)[1:-1] + ".eml"
    assert b"Subject: Second\r\n" in anna.read_bytes()
    assert oct(anna.stat().st_mode & 0o777) == oct(0o600)


async def test_outbox_file_names_are_safe(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path)
    message = digest("anna@example.eu")
    message.replace_header("Message-ID", "<../../etc/passwd@example.org>")
    path = outbox.path_for(message)
    assert path.parent == tmp_path and "/" not in path.name and path.name.startswith(".._.._etc_passwd@")
    other = digest("anna@example.eu")
    other.replace_header("Message-ID", "<.._.._etc_passwd@example.org>")
    assert outbox.path_for(other) != path


async def test_outbox_reports_a_disk_failure_as_transient(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    result = await OutboxTransport(blocker).send(digest("anna@example.eu"), recipient="anna@example.eu")
    assert (result.outcome, result.stage) == (Outcome.TRANSIENT, "outbox")
