"""Chat messages: the short plain-text copy of a digest, reminder, alert or issue that chat targets get.

Owns the wording and layout of a chat copy: a title, up to `MAX_ITEMS` calls (title, next
deadline, link), "and N more", and one link to where the rest is (the browse page, a collection's
page). Plain text, with links bare (every supported service turns them into links), and the
words that would ping a whole channel (`@everyone`, `@here`, `<!channel>`) defused, since call
titles come from other people's sites. The message is stored as JSON bytes on the delivery
row (`encode`/`decode`), like an e-mail's bytes.

Must not: read the database or send (`monitor.plan.chat` claims, `monitor.deliver.chat` sends).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.render.cards import CallCard
from monitor.render.i18n import translator
from monitor.render.words import DEADLINE_UNKNOWN

MAX_ITEMS = 10
MAX_TITLE = 200
_MENTIONS = re.compile(r"@(everyone|here|channel|room)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ChatItem:
    title: str
    deadline: str | None  # already worded ("12 March 2027, 17:00"), or None
    link: str


@dataclass(frozen=True)
class ChatMessage:
    title: str
    body: str

    def encode(self) -> bytes:
        return json.dumps({"title": self.title, "body": self.body}, ensure_ascii=False).encode()

    @classmethod
    def decode(cls, data: bytes) -> ChatMessage:
        parsed = json.loads(data.decode())
        return cls(title=str(parsed["title"]), body=str(parsed["body"]))


def defuse(text: str) -> str:
    """One line, without mass mentions or Slack's <!…> control sequences."""
    text = " ".join(text.split())
    text = text.replace("<", "‹").replace(">", "›")
    return _MENTIONS.sub(lambda m: "@\u200b" + m.group(1), text)


def card_items(cards: Sequence[CallCard], *, language: str) -> list[ChatItem]:
    """Chat items from e-mail call cards: the title, the next deadline, the call page."""
    _ = translator(language)
    items = []
    for card in cards:
        open_ = [d for d in card.deadlines if not d.closed]
        if open_:
            first = open_[0]
            deadline = f"{_.label(first.label)} {first.local}" if first.label else first.local
        elif card.unknown is not None:
            deadline = _(DEADLINE_UNKNOWN)
        else:
            deadline = None
        items.append(ChatItem(title=card.title, deadline=deadline, link=card.links.call_page))
    return items


def render_chat(
    *, title: str, items: Sequence[ChatItem], link: str | None, language: str, lines: Sequence[str] = ()
) -> ChatMessage:
    """The chat copy: the title, optional lines, up to MAX_ITEMS calls, "and N more", the link."""
    _ = translator(language)
    out = [defuse(line) for line in lines]
    for item in items[:MAX_ITEMS]:
        name = defuse(item.title)
        name = name if len(name) <= MAX_TITLE else name[: MAX_TITLE - 1] + "…"
        out.append(f"• {name}" + (f" — {defuse(item.deadline)}" if item.deadline else ""))
        out.append(f"  {item.link}")
    if len(items) > MAX_ITEMS:
        out.append(_.plural("…and %(num)d more", "…and %(num)d more", len(items) - MAX_ITEMS))
    if link:
        more = _("More")  # outside the f-string, where the catalogue's extractor finds it
        out.append(f"{_.label(more)} {link}")
    return ChatMessage(title=defuse(title), body="\n".join(out))
