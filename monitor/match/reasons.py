"""The short reasons of a match ("why you see it"), and the phrases reasons and verdicts share.

Owns `reasons`, in this order: the keywords found, in the profile's spelling and order; whom and
where the call is open to ("open to SMEs in PT", "countries not stated"); ecosystem, programme,
funding type and budget when the profile asks for them (their verdicts' words); "opens 3 March
2027" for a forthcoming call; the time left ("41 days left", "deadline today"), or "deadline
unknown — see call page". Each is a `Phrase`: English here, said in the subscriber's language
where it is shown (`monitor.render.phrase.say`); dates, amounts and lists are `Local`.
Must not: decide outcomes (`monitor.match.checks`) or word a verdict (`monitor.match.verdicts`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from monitor.match.checks import Check, unique
from monitor.match.criteria import ELIGIBLE, UNKNOWN
from monitor.match.phrases import countries, plural, spoken
from monitor.match.prepare import Prepared, attr
from monitor.render.i18n import N_, translator
from monitor.render.labels import funding_label, funding_phrase
from monitor.render.phrase import Local, Phrase, say
from monitor.render.words import DEADLINE_UNKNOWN, day, days_phrase

SAME_SUBJECT = N_("about the subject of your keywords")


def on_day(at: datetime) -> str:
    return Local(lambda language: day(at, language=language))


def days_left(days: int) -> str:
    return Local(lambda language: days_phrase(days, language=language))


def lines(parts: Sequence[str], separator: str = "; ") -> str:
    return Local(lambda language: separator.join(say(part, language) for part in parts))


def funding(kind: str) -> str:
    """'cascade funding' inside an English sentence; the translated label elsewhere (a language
    decides its own capitals: German nouns keep theirs)."""
    return Local(
        lambda language: (
            funding_phrase(kind) if language == "en" else translator(language)(funding_label(kind))
        )
    )


def match_reasons(prep: Prepared, checks: Sequence[Check], detail: Callable[[Check], str]) -> tuple[str, ...]:
    by = {check.criterion: check for check in checks}
    reasons: list[str] = []
    if (keywords := by.get("keywords")) is not None:
        # Keywords stay as the subscriber typed them, in every language.
        found = ", ".join(term.text for term, _ in keywords.facts)
        reasons.append(Phrase(N_("keywords: %(found)s"), found=found) if found else Phrase(SAME_SUBJECT))
    reasons += eligibility_reasons(prep, by.get("country"), by.get("organisation type"))
    for criterion in ("ecosystem", "programme", "funding type", "budget"):
        check = by.get(criterion)
        if check is not None and check.outcome == ELIGIBLE:
            reasons.append(detail(check))
    if prep.status == "forthcoming" and (opens := opens_at(prep)) is not None:
        reasons.append(Phrase(N_("opens %(day)s"), day=on_day(opens)))
    if prep.days is not None:
        reasons.append(days_left(prep.days))
    elif prep.undated:
        reasons.append(Phrase(DEADLINE_UNKNOWN))
    return tuple(reasons)


def eligibility_reasons(prep: Prepared, country: Check | None, org: Check | None) -> list[str]:
    whom = spoken(org_labels(prep, org)) if org and org.outcome == ELIGIBLE else None
    where = countries(country.facts) if country and country.outcome == ELIGIBLE else None
    reasons: list[str] = []
    if whom and where:
        reasons.append(Phrase(N_("open to %(whom)s in %(countries)s"), whom=whom, countries=where))
    elif whom:
        reasons.append(Phrase(N_("open to %(whom)s"), whom=whom))
    elif where:
        reasons.append(Phrase(N_("open to %(countries)s"), countries=where))
    if country and country.outcome == UNKNOWN:
        reasons.append(Phrase(N_("countries not stated")))
    if org and org.outcome == UNKNOWN:
        reasons.append(Phrase(N_("organisation types not stated")))
    return reasons


def org_labels(prep: Prepared, check: Check | None) -> list[str]:
    """What the call is open to that met the profile: "start-ups", or "SMEs" for a start-up profile."""
    slugs = (slug if slug in prep.org_types else "sme" for slug in (check.facts if check else ()))
    return [plural(slug) for slug in unique(slugs)]


def opens_at(prep: Prepared) -> datetime | None:
    return attr(prep.call, "opens_at")
