"""Which transport the settings ask for: SMTP when an SMTP URL is set, else the outbox.

Owns only that choice; it sits above monitor.deliver.smtp and monitor.deliver.outbox
(both import the protocol in monitor.deliver.transport), so no import cycle.

Must not: send mail itself, build messages, touch the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.deliver.outbox import OutboxTransport
from monitor.deliver.smtp import SmtpTransport

if TYPE_CHECKING:
    from monitor.deliver.transport import Transport
    from monitor.settings import Settings

__all__ = ["transport_for"]


def transport_for(settings: Settings) -> Transport:
    """SMTP when CALLWATCH_SMTP_URL is set, else the outbox directory."""
    target = settings.smtp
    if target is not None:
        return SmtpTransport(target)
    return OutboxTransport(settings.outbox_dir or settings.var_dir / "outbox")
