"""Signed tokens for links in e-mails and feeds: confirm, manage, unsubscribe, dismiss, track, feed,
and a collection's members: join, member (leave), interest.

Owns: one salt per purpose (a token made for one purpose is refused for any
other), the lifetimes (a confirmation or join link lasts 3 days; the others years)
with an allowance for clock skew (a link minted by a worker whose clock runs
up to 5 minutes ahead of the web process is accepted; one dated further in
the future is refused as not valid yet, a 400 rather than "expired", since a
fresh link from the same clock would be refused too; lifetimes end on time:
a few minutes off 3 days or 5 years change nothing anyone could notice),
secret rotation (tokens signed with a previous secret, listed in
CALLWATCH_OLD_SECRET_KEYS, still verify; new ones use the current secret)
and revocation (the payload carries the subscriber's `token_version`; the
caller compares it with the stored one).

Must not: look anything up. `read` says whether a token is authentic, fresh
and for this purpose; whether the subscriber still exists is the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from monitor.clock import Clock, system_clock
from monitor.render.i18n import N_  # pages translate these messages


class Purpose(StrEnum):
    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"
    DISMISS = "dismiss"  # "not relevant" for one call in one profile
    TRACK = "track"  # follow one call
    FEED = "feed"  # a private per-profile feed or calendar
    JOIN = "join"  # confirm joining one collection's newsletter (double opt-in)
    MEMBER = "member"  # one member of one collection: leave it (one click)
    INTEREST = "interest"  # one member says "I'm interested" in one call of the collection


CONFIRM_VALID = timedelta(days=3)
LONG_VALID = timedelta(days=5 * 366)
SHORT = {Purpose.CONFIRM: CONFIRM_VALID, Purpose.JOIN: CONFIRM_VALID}
LIFETIME = {purpose: LONG_VALID for purpose in Purpose} | SHORT
# Worker and web process may run on hosts whose clocks disagree by a little (NTP keeps them within
# seconds; a VM after resume, a minute or two); more than this is a clock to fix, or a `--now` run.
CLOCK_SKEW = timedelta(minutes=5)


class TokenError(Exception):
    """A token that cannot be used; `expired` tells a stale link from a forged one."""

    def __init__(self, message: str, *, expired: bool = False, payload: dict[str, Any] | None = None):
        super().__init__(message)
        self.expired = expired
        # Only set for an authentic but expired token (so the page can offer a new link).
        self.payload = payload


@dataclass(frozen=True)
class Signer:
    secret: str
    old_secrets: tuple[str, ...] = ()
    # The application clock, so that `--now` and tests decide what "3 days later" is.
    clock: Clock = system_clock

    def _serializer(self, purpose: Purpose) -> URLSafeTimedSerializer:
        clock = self.clock

        class ClockSigner(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock().timestamp())

        # itsdangerous signs with the last key and verifies with any of them.
        keys = [*self.old_secrets, self.secret]
        return URLSafeTimedSerializer(keys, salt=f"callwatch.{purpose.value}", signer=ClockSigner)

    def make(self, purpose: Purpose, **payload: int | str) -> str:
        return str(self._serializer(purpose).dumps(payload))

    def read(self, purpose: Purpose, token: str) -> dict[str, Any]:
        """The payload of an authentic, unexpired token for `purpose`; TokenError otherwise."""
        serializer = self._serializer(purpose)
        try:
            # No max_age here: itsdangerous refuses any timestamp after its clock; age is checked below.
            payload, signed_at = serializer.loads(token, return_timestamp=True)
        except BadSignature:
            raise TokenError(N_("this link is not valid")) from None
        result = _dict(payload)
        if result is None:
            raise TokenError(N_("this link is not valid"))
        age = self.clock() - signed_at
        if age < -CLOCK_SKEW:
            raise TokenError(f"this link is dated {_ahead(-age)} in the future, so it is not valid yet")
        if age > LIFETIME[purpose]:
            raise TokenError(N_("this link has expired"), expired=True, payload=result)
        return result


def _ahead(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


def _dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None
