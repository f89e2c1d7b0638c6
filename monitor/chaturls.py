"""Chat-target URLs (apprise syntax): which are accepted, how they are shown, where they may point.

Owns the rules for a chat URL before it is stored or used:
- `check_url`: apprise must recognise it, and its service must be one we support (Slack,
  Microsoft Teams, Matrix, Discord, or a generic JSON or form webhook); apprise's native
  https:// webhook URLs of those services count as that service;
- `mask_url`: what pages, logs and exports show: the service, the host where the host is not
  itself a token (webhooks, Matrix), and the last 4 characters of the secret part, never more;
- `guard_host`: the SSRF guard. A webhook or Matrix target whose host resolves to a private,
  loopback, link-local, reserved, multicast or unspecified address is refused unless the operator
  allows private hosts (CALLWATCH_CHAT_ALLOW_PRIVATE_HOSTS); callers check at add time and again
  at send time (a name may resolve elsewhere by then).

Must not: store, seal or send anything (`monitor.chatseal`, `monitor.deliver.chat`), or log a URL.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from monitor.chatlog import install_scrubber

# apprise's plugin class name -> the service name we show. NotifyMSTeams is the class before
# apprise 1.10 called Teams' webhooks "workflows".
SERVICES = {
    "NotifySlack": "slack",
    "NotifyMSTeams": "msteams",
    "NotifyWorkflows": "msteams",
    "NotifyMatrix": "matrix",
    "NotifyDiscord": "discord",
    "NotifyJSON": "json",
    "NotifyForm": "form",
}
# Plugins whose host is a server of the user's choosing, which we connect to: the SSRF guard's
# business. The others post to their service's own hosts (their "host" is a token: slack://TokenA/…).
HOSTED = {"NotifyJSON", "NotifyForm", "NotifyMatrix", "NotifyWorkflows"}
_MIN_SECRET_FOR_HINT = 12
_SPLIT = re.compile(r"[\s,]+")


class ChatUrlError(ValueError):
    """A chat URL we refuse; the message never repeats the URL. `code` names the reason for pages:
    invalid, unsupported, private or unresolved."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ChatUrl:
    """A checked URL: the service, the host we would connect to (hosted services) and the mask."""

    url: str
    service: str
    host: str | None
    masked: str


def check_url(url: str) -> ChatUrl:
    """The URL checked and described; ChatUrlError when apprise does not know it or we do not support it."""
    url = url.strip()
    if not url or len(url) > 2000 or any(ch.isspace() for ch in url):
        raise ChatUrlError("not a chat URL")
    plugin = _instantiate(url)
    if plugin is None:
        raise ChatUrlError("not a URL apprise recognises")
    service = SERVICES.get(type(plugin).__name__)
    if service is None:
        raise ChatUrlError(
            "this service is not supported (Slack, Teams, Matrix, Discord, json://, form://)", "unsupported"
        )
    hosted = type(plugin).__name__ in HOSTED and getattr(plugin, "host", None)
    host = str(plugin.host) if hosted else None
    return ChatUrl(url=url, service=service, host=host, masked=mask_url(url, service=service, host=host))


def split_urls(raw: str) -> list[str]:
    """A list of URLs separated by spaces, newlines or commas (as apprise's own lists are)."""
    return [part for part in _SPLIT.split(raw.strip()) if part]


def _instantiate(url: str) -> Any:
    import apprise  # imported here: apprise loads its ~150 plugins on first use

    install_scrubber()  # apprise logs the URL it loads
    try:
        return apprise.Apprise.instantiate(url, suppress_exceptions=True)
    except Exception:  # noqa: BLE001 - any plugin's parser may raise on odd input
        return None


def mask_url(url: str, *, service: str, host: str | None) -> str:
    """`json://hooks.example.org/…wxyz`, `slack://…wxyz`: never the token, at most its last 4 characters."""
    # The query holds options (and sometimes credentials): it is never part of the hint.
    bare = url.split("?", 1)[0]
    parts = urlsplit(bare)
    if host is not None:
        userinfo, _, netloc = parts.netloc.rpartition("@")
        secret = parts.path.rstrip("/") or userinfo
        shown = f"{parts.scheme.lower()}://{netloc}"  # jsons:// stays jsons://: TLS or not shows
    else:
        secret = bare.partition("://")[2]
        shown = f"{service}://"
    secret = secret.rstrip("/")
    hint = secret[-4:] if len(secret) >= _MIN_SECRET_FOR_HINT else ""
    return f"{shown}/…{hint}" if host is not None else f"{shown}…{hint}"


def guard_host(target: ChatUrl, *, allow_private: bool) -> None:
    """Refuse a hosted target whose host resolves to a non-public address (unless allowed)."""
    if target.host is None or allow_private:
        return
    for address in _addresses(target.host):
        if not _public(address):
            raise ChatUrlError(
                "this host is a private or local address; the operator must set "
                "CALLWATCH_CHAT_ALLOW_PRIVATE_HOSTS=1 to allow it",
                "private",
            )


def _addresses(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ChatUrlError("this host name does not resolve", "unresolved") from None
    return sorted({str(info[4][0]).split("%", 1)[0] for info in found})


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )
