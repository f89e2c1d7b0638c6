"""The "Chat channels" section of the manage page: add a chat target, send it a test, remove it,
re-activate a suspended one (routes under `/manage/{token}/chat`).

Owns those edits. Each is a POST form with a CSRF token, behind the signed manage link, and
redirects (303) back to the manage page's section with `?chat=<what>`. A URL is checked
(`monitor.chaturls`: a supported service, and the SSRF guard) before it is sealed and stored,
and is never shown again, not even after a refusal: pages show targets masked, and a refused
URL is not echoed back (it may hold a token). A target id in the URL must be the link owner's.

Must not: send (the queue does; a test message is claimed like any copy and sent by the web's
sender after the answer) or see another subscriber's targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from db import repo
from db.models import ChatKind, ChatStatus
from monitor.chatseal import Sealer
from monitor.chaturls import ChatUrlError, check_url, guard_host
from monitor.plan.chat import claim_chat_copies
from monitor.render.i18n import N_
from monitor.tokens import Purpose
from monitor.web.deps import PagesDep, form_for
from monitor.web.pages import Pages

AddChatForm, ChatTestForm = form_for("chat-add"), form_for("chat-test")
RemoveChatForm, ActivateChatForm = form_for("chat-remove"), form_for("chat-activate")

router = APIRouter(include_in_schema=False)

# What a subscriber's own targets may receive (collection issues and operator alerts are others').
KINDS = (
    (ChatKind.DIGEST, N_("Digests")),
    (ChatKind.REMINDER, N_("Deadline reminders")),
    (ChatKind.ALERT, N_("Change alerts")),
)
SAVED = {
    "added": N_("The chat channel is added."),
    "test": N_("A test message is on its way to the chat channel."),
    "removed": N_("The chat channel is removed."),
    "activated": N_("The chat channel is active again."),
    "invalid": N_("That is not a chat address Callwatch can use. Paste the webhook or apprise URL."),
    "unsupported": N_(
        "Callwatch sends to Slack, Microsoft Teams, Matrix, Discord and JSON or form webhooks only."
    ),
    "private": N_("That address is on a private or local network, which this Callwatch does not send to."),
    "unresolved": N_("That address's host name could not be found."),
    "duplicate": N_("That chat channel is already in your list."),
    "kinds": N_("Choose at least one kind of message for the chat channel."),
}
STATUS_WORDS = {ChatStatus.ACTIVE: N_("active"), ChatStatus.SUSPENDED: N_("suspended")}


def chat_section(pages: Pages, request: Request, session: Any, subscriber: Any) -> dict[str, Any]:
    """The manage page's context for the section: the targets (masked), the kinds, the message."""
    rows = repo.chat_targets_of(session, subscriber_id=subscriber.id)
    return section(pages.words(request, subscriber), request.query_params.get("chat", ""), rows, KINDS)


def section(words: Any, said: str, rows: Sequence[Any], kinds: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """A "Chat channels" section's context (templates/web/_chat_targets.html), for a subscriber's
    targets or a collection's: each target masked, the kinds it may ask for, the last result."""
    _, names = words, dict(kinds)
    targets = [
        {
            "id": row.id,
            "masked": row.masked,
            "kinds": ", ".join(_(names[k]) for k in row.kinds if k in names),
            "status": _(STATUS_WORDS.get(ChatStatus(row.status), row.status)),
            "suspended": row.status == ChatStatus.SUSPENDED,
            "last_error": row.last_error,
        }
        for row in rows
    ]
    return {
        "chat_targets": targets,
        "chat_kinds": [(kind, _(label)) for kind, label in kinds],
        "chat_message": _(SAVED[said]) if said in SAVED else None,
    }


def export_with_chat_targets(session: Any, subscriber_id: int) -> dict[str, Any]:
    """The data export, with the subscriber's chat targets masked as everywhere (never sealed or clear)."""
    data = repo.export_subscriber(session, subscriber_id=subscriber_id)
    rows = repo.chat_targets_of(session, subscriber_id=subscriber_id)
    fields = ("masked", "kinds", "status", "consecutive_failures", "last_error", "created_at", "suspended_at")
    targets = [{name: _plain(getattr(row, name)) for name in fields} for row in rows]
    return {**data, "chat_targets": targets}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _back(token: str, what: str) -> RedirectResponse:
    return RedirectResponse(f"/manage/{token}?chat={what}#chat", status_code=303)


def store_target(
    session: Any, pages: Pages, url: str, *, kinds: Sequence[str], subscriber_id: int | None,
    collection_id: int | None = None,
) -> str:  # fmt: skip
    """Check `url` (a supported service, the SSRF guard), seal and store it for its owner; what the
    page then says: "added", "duplicate" (also a URL stored before a key rotation) or why it was refused."""
    try:
        checked = check_url(url)
        guard_host(checked, allow_private=pages.app.settings.chat_allow_private_hosts)
    except ChatUrlError as error:
        return error.code
    sealer, url = Sealer(pages.app.settings.secret(), pages.app.settings.old_secrets()), checked.url
    row = repo.add_chat_target(
        session, subscriber_id=subscriber_id, collection_id=collection_id, sealed_url=sealer.seal(url),
        fingerprint=sealer.fingerprint(url), known_as=sealer.fingerprints(url)[1:], masked=checked.masked,
        kinds=kinds, now=pages.app.clock(),
    )  # fmt: skip
    return "added" if row is not None else "duplicate"


def claim_test(
    session: Any, pages: Pages, row: Any, words: Any, *, link: str, subscriber_id: int | None
) -> int:
    """Claim a test message to an active target: at most one per target and minute."""
    now, _ = pages.app.clock(), words
    return claim_chat_copies(
        session, targets=[row], source_kind="test", period_key=f"{now:%Y-%m-%dT%H:%M}",
        title=_("Callwatch test message"), body=_("This chat channel will receive your Callwatch messages."),
        link=link, now=now, subscriber_id=subscriber_id,
    )  # fmt: skip


@router.post("/manage/{token}/chat", response_class=HTMLResponse)
def add_target(token: str, request: Request, pages: PagesDep, form: AddChatForm) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        kinds = [k for k in form.getlist("kinds") if k in dict(KINDS)]
        if not kinds:
            return _back(token, "kinds")
        what = store_target(session, pages, str(form.get("url")), kinds=kinds, subscriber_id=subscriber.id)
        return _back(token, what)

    return pages.acting(request, Purpose.MANAGE, token, work, form)


def _own(session: Any, subscriber: Any, target_id: int) -> Any:
    row = repo.get_chat_target(session, target_id=target_id)
    return (
        row if row is not None and row.subscriber_id == subscriber.id and row.collection_id is None else None
    )


@router.post("/manage/{token}/chat/{target_id}/test", response_class=HTMLResponse)
def test_target(
    token: str, target_id: int, request: Request, pages: PagesDep, form: ChatTestForm
) -> Response:
    claimed: list[int] = []

    def work(session: Any, subscriber: Any, _payload: Any) -> Response:
        row = _own(session, subscriber, target_id)
        if row is None or row.status != ChatStatus.ACTIVE:
            return _back(token, "removed" if row is None else "")
        words = pages.words(request, subscriber)
        claimed.append(
            claim_test(session, pages, row, words, link=pages.links.browse(), subscriber_id=subscriber.id)
        )
        return _back(token, "test")

    answer = pages.acting(request, Purpose.MANAGE, token, work, form)
    if any(claimed):
        pages.deliver()  # after the claim is committed
    return answer


@router.post("/manage/{token}/chat/{target_id}/delete", response_class=HTMLResponse)
def remove_target(
    token: str, target_id: int, request: Request, pages: PagesDep, form: RemoveChatForm
) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        if _own(session, subscriber, target_id) is not None:
            repo.remove_chat_target(session, target_id=target_id, now=pages.app.clock())
        return _back(token, "removed")

    return pages.acting(request, Purpose.MANAGE, token, work, form)


@router.post("/manage/{token}/chat/{target_id}/activate", response_class=HTMLResponse)
def activate_target(
    token: str, target_id: int, request: Request, pages: PagesDep, form: ActivateChatForm
) -> Response:
    def work(session: Any, subscriber: Any, _: Any) -> Response:
        if _own(session, subscriber, target_id) is not None:
            repo.reactivate_chat_target(session, target_id=target_id)
        return _back(token, "activated")

    return pages.acting(request, Purpose.MANAGE, token, work, form)
