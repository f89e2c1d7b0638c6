"""Every HTML page in the visitor's or the subscriber's language, over the real app.

The language is chosen as a person would: the browser's Accept-Language on public pages, the
subscriber's own language on the pages behind their signed links, the switcher's `?lang=` (then
its cookie). Each page must say its language in `<html lang>`, look up nothing missing from the
catalogue, and show no English text of the catalogue outside call content.

`test_every_visible_text_is_marked` renders the same pages with a pseudo-translation
(tests/pseudo.py: every text "‹…›"), so it fails as soon as a page shows a text nobody marked;
the per-language tests pass once the translators have filled the catalogues.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from babel import Locale
from bs4 import BeautifulSoup

from db import repo
from db.engine import session_scope
from monitor.cli.translations import extract, message_ids
from monitor.normalise.vocab import ECOSYSTEMS, ORG_TYPES
from monitor.render import i18n
from monitor.render.labels import VOCABULARY_LABELS
from monitor.web.forms import EUROPEAN_ZONES
from tests.mailworld import MailWorld
from tests.pseudo import pseudo_locale  # noqa: F401 - a fixture
from tests.test_web_calls import CALLS, ECCP_G, seed

EMAIL = "zofia@example.org"
TRANSLATED = [code for code in i18n.offered_languages() if code != i18n.SOURCE_LANGUAGE]


def _form(world: MailWorld, language: str, **extra: str) -> dict[str, object]:
    return {
        "email": EMAIL, "name": "Wodór", "keywords": "hydrogen", "countries": "PT", "org_types": ["sme"],
        "frequency": "weekly", "timezone": "Europe/Warsaw", "digest_weekday": "0", "digest_hour": "8",
        "language": language, **extra,
    }  # fmt: skip


def walk(world: MailWorld, language: str) -> Iterator[tuple[str, httpx.Response]]:
    """Every HTML route, as (name, response): public ones with Accept-Language, signed ones with
    no language hint at all (the subscriber's language must be used), erasure last."""
    seed(world)
    a = world.call_id("A")
    header = {"Accept-Language": f"{language};q=0.9, en;q=0.5"}
    with httpx.Client(headers=header, follow_redirects=True, timeout=30) as visitor:
        for path in ("/", "/calls", "/calls?q=hydrogen&status=all&funding_type=grant&org_type=sme",
                     "/calls?status=nonsense", "/calls?page=9", f"/calls/{a}", f"/calls/{world.call_id('G')}",
                     "/calls/0", "/sources", "/subscribe", f"/subscribe?track={a}"):  # fmt: skip
            yield path, visitor.get(world.web + path)
        yield (
            "subscribe: bad amount",
            world.submit(
                visitor,
                f"{world.web}/subscribe",
                _form(world, language, budget_min="lots"),
                action="/subscribe",
            ),
        )
        yield (
            "subscribe",
            world.submit(
                visitor, f"{world.web}/subscribe?track={a}", _form(world, language), action="/subscribe"
            ),
        )
        yield "subscribe: no security token", visitor.post(f"{world.web}/subscribe", data={"email": EMAIL})
        yield "broken link", visitor.get(f"{world.web}/manage/not-a-token")
    with session_scope(world.app.engine) as session:
        subscriber = repo.subscriber_by_email(session, email=EMAIL)
        assert subscriber is not None and subscriber.language == language
        profile = repo.profiles_of(session, subscriber_ids=[subscriber.id])[subscriber.id][0]
        session.expunge_all()
    links = world.app.links
    with httpx.Client(follow_redirects=True, timeout=30) as owner:  # no Accept-Language, no cookie
        yield "confirm", owner.get(links.confirm(subscriber))
        yield "confirmed", world.submit(owner, links.confirm(subscriber))
        with session_scope(world.app.engine) as session:  # a call waiting under "Calls waiting for you"
            repo.request_track(
                session, subscriber_id=subscriber.id, call_id=world.call_id("B"), now=world.app.clock()
            )
        manage = links.manage(subscriber)
        yield "manage", owner.get(manage)
        yield "manage: saved", owner.get(manage + "?saved=profile")
        yield "manage: bad profile", world.submit(
            owner, manage, {**_form(world, language, budget_max="x"), "org_types": ["sme"]},
            action=f"{manage.removeprefix(world.web)}/profiles/{profile.id}",
        )  # fmt: skip
        yield "track", owner.get(links.track(subscriber, a))
        yield "tracked", world.submit(owner, links.track(subscriber, a))
        yield "manage: tracking", owner.get(manage)
        yield "dismiss", owner.get(links.dismiss(subscriber, profile.id, world.call_id("D")))
        yield "dismissed", world.submit(owner, links.dismiss(subscriber, profile.id, world.call_id("D")))
        yield "unsubscribe", owner.get(links.unsubscribe(subscriber))
        yield (
            "unsubscribed",
            owner.post(links.unsubscribe(subscriber), data={"List-Unsubscribe": "One-Click"}),
        )
        yield "unsubscribe: already", owner.get(links.unsubscribe(subscriber))
        yield "erased", world.submit(owner, manage, action=f"{manage.removeprefix(world.web)}/delete")


# --------------------------------------------------------------------------- what a page shows


def shown(html: str, language: str) -> list[str]:
    """The page's visible texts and read-out attributes, without call content (marked with
    another `lang`), proper names (`translate="no"`), the language switcher's and language menu's
    own names, and code samples."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "code", "textarea", "datalist"]):
        tag.decompose()
    for tag in soup.find_all(translate="no"):
        tag.decompose()  # proper names: a source's name and id
    for tag in soup.find_all(lang=True):
        if tag.name != "html" and tag["lang"] != language:
            tag.decompose()
    for tag in soup.select("select[name=timezone] option"):
        tag.decompose()  # IANA names, the same in every language
    texts = [" ".join(t.split()) for t in soup.stripped_strings]
    for name in ("aria-label", "title", "placeholder", "alt"):
        texts += [str(tag[name]) for tag in soup.find_all(attrs={name: True})]
    return [t for t in texts if t]


def unmarked(text: str, allowed: set[str]) -> list[str]:
    """The words of `text` outside every ‹…› and not allowed (names, content, codes)."""
    while True:
        inner = re.sub(r"‹[^‹›]*›", " ", text)
        if inner == text:
            break
        text = inner
    text = re.sub(r"https?://\S+|\S+@\S+|\S+/\S+", " ", text)
    return [w for w in re.findall(r"[^\W\d_]{2,}", text) if w not in allowed]


def allowed_words(language: str) -> set[str]:
    """Proper names, codes and call content: what may stand untranslated on a page."""
    content = " ".join(call.model_dump_json() for call in [*CALLS, ECCP_G])
    names = (
        "Callwatch API RSS Atom JSON CSV UTC iCal EUR PT IANA Horizon Europe LIFE DIGITAL seeded eccp ECCP"
    )
    names += " Brussels"  # monitor.render.words writes "(Brussels)" after every time: not this helper's file
    names += " " + " ".join(i18n.language_name(code) for code in i18n.offered_languages())
    names += " " + " ".join(EUROPEAN_ZONES) + " " + EMAIL + " Wodór"
    locale = Locale.parse(language)
    names += " " + " ".join(locale.territories.values())  # CLDR's, in the page's language
    for width in ("wide", "abbreviated"):
        names += " " + " ".join(locale.months["format"][width].values())
        names += " " + " ".join(locale.days["format"][width].values())
    words = set(re.findall(r"[^\W\d_]{2,}", content + " " + names))
    return words | {w[:1].upper() + w[1:] for w in words}


def _context(html: str, words: set[str]) -> list[str]:
    """The texts the unmarked words stand in, for the failure message."""
    return [t for t in shown(html, "") if any(re.search(rf"\b{re.escape(w)}\b", t) for w in words)][:5]


def test_the_vocabulary_labels_are_marked() -> None:
    assert set(VOCABULARY_LABELS) == set(ORG_TYPES.values()) | set(ECOSYSTEMS.values())


def test_every_visible_text_is_marked(world: MailWorld, pseudo_locale: str) -> None:  # noqa: F811
    allowed, seen = allowed_words(pseudo_locale), 0
    for name, page in walk(world, pseudo_locale):
        assert page.headers["content-type"].startswith("text/html"), name
        soup = BeautifulSoup(page.text, "html.parser")
        assert soup.html is not None and soup.html["lang"] == pseudo_locale, name
        if name == "/subscribe":  # the e-mails' language proposed is the page's
            assert soup.select_one("select[name=language] option[selected]")["value"] == pseudo_locale
        # One text: a sentence with markup in it (`{% trans %}`) spans several text nodes.
        left = set(unmarked("\n".join(shown(page.text, pseudo_locale)), allowed))
        assert not left, f"{name}: texts shown unmarked: {sorted(left)} in {_context(page.text, left)}"
        seen += 1
    assert seen >= 25
    assert i18n.missing(pseudo_locale) == set()


def test_the_switcher_sets_the_language_cookie(world: MailWorld) -> None:
    language = TRANSLATED[0]
    with httpx.Client(timeout=30) as http:
        chosen = http.get(f"{world.web}/calls?lang={language}&status=all")
        assert BeautifulSoup(chosen.text, "html.parser").html["lang"] == language
        cookie = chosen.headers["set-cookie"]
        assert f"lang={language}" in cookie and "SameSite=lax" in cookie and "Max-Age=31536000" in cookie
        links = BeautifulSoup(chosen.text, "html.parser").select("nav.languages a")
        assert [a["href"] for a in links] == [
            f"/calls?status=all&lang={code}" for code in i18n.offered_languages()
        ]
        later = http.get(f"{world.web}/sources", headers={"Accept-Language": "en"})
        assert BeautifulSoup(later.text, "html.parser").html["lang"] == language


def test_accept_language_is_negotiated_with_q_values(world: MailWorld) -> None:
    language = TRANSLATED[-1]
    with httpx.Client(timeout=30) as http:
        for header, expected in ((f"xx, {language}-XX;q=0.8, en;q=0.5", language), ("xx, en;q=0.9", "en"),
                                 (f"en;q=0.4, {language};q=0.9", language), ("", "en")):  # fmt: skip
            page = http.get(f"{world.web}/sources", headers={"Accept-Language": header})
            assert BeautifulSoup(page.text, "html.parser").html["lang"] == expected, header


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_page_in_the_language(world: MailWorld, language: str) -> None:
    """Passes once the catalogue of `language` is complete (the translators' work)."""
    english = [m for m in message_ids(extract()) if len(m.split()) >= 3 and "%(" not in m]
    i18n.forget_missing()
    for name, page in walk(world, language):
        assert BeautifulSoup(page.text, "html.parser").html["lang"] == language, name
        text = "\n".join(shown(page.text, language))
        assert not [m for m in english if m in text], name
    assert i18n.missing(language) == set()
