"""Chat-target URLs sealed at rest: Fernet with a key derived from the application's secret key.

Owns the key derivation (HKDF-SHA256 of the secret, salted for this one purpose, so the Fernet
key is never the signing secret itself), sealing with the current secret, unsealing with it or
any secret in CALLWATCH_OLD_SECRET_KEYS (MultiFernet: a rotation keeps old targets readable,
and `reseal` moves one onto the current key), and the fingerprint that tells two targets with
the same URL apart from different ones without unsealing either.

Must not: read settings or the database; callers pass the secrets in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT = b"callwatch.chat-url"


class SealError(Exception):
    """A sealed URL no current or old secret opens (the secret was rotated away)."""


def _key(secret: str, info: bytes) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


class Sealer:
    """Seals with the current secret, unseals with the current or an old one."""

    def __init__(self, secret: str, old_secrets: Sequence[str] = ()) -> None:
        if not secret:
            raise ValueError("a secret is needed to seal chat URLs")
        self._current = Fernet(_key(secret, b"fernet"))
        self._fernet = MultiFernet([self._current, *(Fernet(_key(s, b"fernet")) for s in old_secrets)])
        self._marks = [_key(s, b"fingerprint") for s in (secret, *old_secrets)]

    def seal(self, url: str) -> str:
        return self._fernet.encrypt(url.encode()).decode("ascii")

    def unseal(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise SealError("cannot unseal this chat URL with the current or old secret keys") from None

    def is_current(self, sealed: str) -> bool:
        """Whether the current secret opens `sealed` (else it needs `reseal` before an old key goes)."""
        try:
            self._current.decrypt(sealed.encode("ascii"))
        except (InvalidToken, ValueError):
            return False
        return True

    def reseal(self, sealed: str) -> str:
        """The same URL sealed with the current secret."""
        try:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            raise SealError("cannot unseal this chat URL with the current or old secret keys") from None

    def fingerprint(self, url: str) -> str:
        """A keyed digest of the URL: equal for equal URLs, useless to anyone without the secret."""
        return self.fingerprints(url)[0]

    def fingerprints(self, url: str) -> tuple[str, ...]:
        """The URL's fingerprint under the current secret, then under each old one: a target stored
        before a rotation is still recognised as the same URL."""
        text = url.strip().encode()
        return tuple(hmac.new(mark, text, hashlib.sha256).hexdigest()[:32] for mark in self._marks)
