"""Absolute URLs for e-mails and feeds, with signed tokens where a link acts for someone.

Every token carries the subscriber id and their `token_version`; bumping the
version (repo.rotate_tokens) revokes every link sent before. The web app
checks tokens with the same `Signer` (monitor.tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from monitor.tokens import Purpose, Signer


@dataclass(frozen=True)
class LinkBuilder:
    base_url: str
    signer: Signer

    def _token(self, purpose: Purpose, subscriber: object, **extra: int) -> str:
        return self.signer.make(purpose, s=int(subscriber.id), v=int(subscriber.token_version), **extra)  # type: ignore[attr-defined]

    def confirm(self, subscriber: object) -> str:
        return f"{self.base_url}/confirm/{self._token(Purpose.CONFIRM, subscriber)}"

    def manage(self, subscriber: object) -> str:
        return f"{self.base_url}/manage/{self._token(Purpose.MANAGE, subscriber)}"

    def unsubscribe(self, subscriber: object) -> str:
        return f"{self.base_url}/unsubscribe/{self._token(Purpose.UNSUBSCRIBE, subscriber)}"

    def track(self, subscriber: object, call_id: int) -> str:
        return f"{self.base_url}/track/{self._token(Purpose.TRACK, subscriber, c=call_id)}"

    def dismiss(self, subscriber: object, profile_id: int, call_id: int) -> str:
        return f"{self.base_url}/dismiss/{self._token(Purpose.DISMISS, subscriber, p=profile_id, c=call_id)}"

    def profile_feed(self, subscriber: object, profile: object, fmt: str) -> str:
        """A private feed of one profile's matches; `fmt` is rss, atom or ics. Revoked by bumping
        the profile's `feed_token_version` (or the subscriber's `token_version`)."""
        token = self._token(
            Purpose.FEED,
            subscriber,
            p=int(profile.id),
            f=int(profile.feed_token_version),  # type: ignore[attr-defined]
        )
        return f"{self.base_url}/feeds/profile/{token}.{fmt}"

    def tracked_calendar(self, subscriber: object) -> str:
        """The deadlines of every call the subscriber tracks, as a live iCalendar feed; revoked by bumping
        the subscriber's `feed_token_version` (or `token_version`)."""
        version = int(getattr(subscriber, "feed_token_version", 1))
        return f"{self.base_url}/feeds/tracked/{self._token(Purpose.FEED, subscriber, t=version)}.ics"

    def join_confirm(self, subscriber: object, member_id: int) -> str:
        """Confirms joining one collection's newsletter (3 days, like a subscription's confirmation)."""
        return f"{self.base_url}/member/confirm/{self._token(Purpose.JOIN, subscriber, m=member_id)}"

    def member_leave(self, subscriber: object, member_id: int) -> str:
        """Leave one collection's newsletter: the issue's one-click List-Unsubscribe (RFC 8058)."""
        return f"{self.base_url}/member/leave/{self._token(Purpose.MEMBER, subscriber, m=member_id)}"

    def interest(self, subscriber: object, member_id: int, call_id: int, issue_id: int) -> str:
        token = self._token(Purpose.INTEREST, subscriber, m=member_id, c=call_id, i=issue_id)
        return f"{self.base_url}/member/interest/{token}"

    def call(self, call_id: int) -> str:
        return f"{self.base_url}/calls/{call_id}"

    def browse(self) -> str:
        return f"{self.base_url}/calls"

    def sources(self) -> str:
        return f"{self.base_url}/sources"

    def unsubscribe_mailto(self, sender_address: str, subscriber: object) -> str:
        subject = quote(f"unsubscribe {subscriber.id}")  # type: ignore[attr-defined]
        return f"mailto:{sender_address}?subject={subject}"
