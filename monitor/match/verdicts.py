"""Checks in words: each criterion's verdict, and the short reasons of a match.

Owns `explain` (checks and score -> `Match`). Reasons (`Match.summary`) of a match, in this order:
the keywords found, in the profile's spelling and order; whom and where the call is open to ("open
to SMEs in PT", "countries not stated"); ecosystem, programme, funding type and budget when the
profile asks for them; "opens 3 March 2027" for a forthcoming call; the time left ("41 days left",
"1 day left", "deadline today" when less than a day is left), or "deadline unknown — see call
page" for a call whose deadline could not be read. A call that does not match gets the details of
its "not eligible" verdicts.

Must not: decide outcomes (that is `monitor.match.checks`); money, dates and labels are worded by
`monitor.match.phrases`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from monitor.match.checks import Check, Compiled, passes, unique
from monitor.match.criteria import ELIGIBLE, NOT_ELIGIBLE, UNKNOWN, Match, Verdict
from monitor.match.phrases import COUNTRY_GROUPS, ecosystem_labels, join, plural
from monitor.match.prepare import Prepared, attr
from monitor.match.text import Term, sentence_of, trim
from monitor.model.view import unread_deadline_text
from monitor.render.labels import funding_phrase
from monitor.render.words import DEADLINE_UNKNOWN, budget_phrase, day, days_phrase, wanted_budget

SAME_SUBJECT = "about the subject of your keywords"


def explain(prep: Prepared, comp: Compiled, checks: Sequence[Check], score: float) -> Match:
    """The match in words: a verdict per check, and the reasons (or what failed)."""
    matches = passes(checks)
    verdicts = tuple(
        _strict_verdict(check) if check.strict else _VERDICTS[check.criterion](prep, comp, check)
        for check in checks
    )
    if matches:
        reasons = _reasons(prep, comp, checks)
    else:
        reasons = tuple(v.detail for v in verdicts if v.outcome == NOT_ELIGIBLE)
    return Match(matches=matches, score=score, reasons=reasons, verdicts=verdicts)


_STATED_WORDS: dict[str, str] = {
    "country": "countries",
    "organisation type": "organisation types",
    "ecosystem": "ecosystem",
    "programme": "programme",
    "funding type": "funding type",
    "budget": "budget",
    "time left": "deadline",
}


def _strict_verdict(check: Check) -> Verdict:
    """A strict criterion: the call must state it ("only calls that state this")."""
    what = _STATED_WORDS[check.criterion]
    if check.outcome == ELIGIBLE:
        return Verdict(check.criterion, ELIGIBLE, f"{what} stated", None)
    return Verdict(check.criterion, NOT_ELIGIBLE, f"{what} not stated (only calls that state it)", None)


def _verdict_status(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if prep.undated:
        return Verdict("status", check.outcome, DEADLINE_UNKNOWN, trim(unread_deadline_text(prep.call)))
    if prep.passed_at is not None:
        detail = f"deadline passed on {day(prep.passed_at)}"
    elif prep.status == "forthcoming" and _opens(prep):
        detail = f"forthcoming, opens {day(_opens(prep))}"
    else:
        detail = prep.status if prep.status in ("open", "forthcoming", "closed") else f"status {prep.status}"
    return Verdict("status", check.outcome, detail, None)


def _verdict_keywords(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if check.similarity is not None:
        detail = f"{SAME_SUBJECT} (similarity {check.similarity:.2f}; none of the words in the text)"
        return Verdict("keywords", check.outcome, detail, trim(attr(prep.call, "title")))
    if not check.facts:
        wanted = ", ".join(term.text for term in comp.terms)
        return Verdict("keywords", check.outcome, f"no keyword found ({wanted})", None)
    detail = "; ".join(f"{term.text} in {join(_place_names(prep, places))}" for term, places in check.facts)
    if check.outcome == NOT_ELIGIBLE:
        found = {id(term) for term, _ in check.facts}
        missing = [t.text for t in comp.keywords_all if id(t) not in found]
        if not missing:  # every "all of" keyword found, none of the "any of" ones
            missing = [join([t.text for t in comp.keywords], "or")]
        detail = f"{join(missing)} not found ({detail})"
    return Verdict("keywords", check.outcome, detail, _evidence(prep, check.facts[0]))


def _verdict_exclude(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if not check.facts:
        return Verdict("excluded words", check.outcome, "no excluded word found", None)
    found = "; ".join(f"{term.text} in {join(_place_names(prep, places))}" for term, places in check.facts)
    word = "word" if len(check.facts) == 1 else "words"
    return Verdict(
        "excluded words", check.outcome, f"excluded {word} {found}", _evidence(prep, check.facts[0])
    )


def _verdict_country(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    evidence = trim(attr(prep.call, "countries_text"))
    if check.outcome == ELIGIBLE:
        groups = unique(
            COUNTRY_GROUPS[g][0]
            for g in attr(prep.call, "country_groups") or ()
            if g in COUNTRY_GROUPS and any(c in COUNTRY_GROUPS[g][1] for c in check.facts)
        )
        suffix = f" ({', '.join(groups)})" if groups else ""
        return Verdict("country", ELIGIBLE, f"open to {join(check.facts)}{suffix}", evidence)
    if check.outcome == UNKNOWN:
        return Verdict("country", UNKNOWN, "no country stated", evidence)
    listed = sorted(prep.countries)
    others = join(listed) if len(listed) <= 6 else f"{len(listed)} other countries"
    return Verdict(
        "country", NOT_ELIGIBLE, f"not open to {join(comp.countries)} (open to {others})", evidence
    )


def _verdict_org_type(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    evidence = trim(attr(prep.call, "org_types_text"))
    if check.outcome == ELIGIBLE:
        flagged = any(s not in prep.org_types and "sme" not in prep.org_types for s in check.facts)
        note = " (call flagged as relevant for SMEs)" if flagged else ""
        return Verdict(
            "organisation type", ELIGIBLE, f"open to {join(_org_labels(prep, check))}{note}", evidence
        )
    if check.outcome == UNKNOWN and not prep.org_types:
        return Verdict("organisation type", UNKNOWN, "no organisation type stated", evidence)
    wanted = join([plural(s) for s in comp.org_types], "or")
    offered = join([plural(s) for s in sorted(prep.org_types)])
    if check.outcome == UNKNOWN:
        # Types found in wording that does not exclude others: the call mentions them, no more.
        return Verdict("organisation type", UNKNOWN, f"mentioned: {offered}; {wanted} not stated", evidence)
    return Verdict("organisation type", NOT_ELIGIBLE, f"not open to {wanted} (open to {offered})", evidence)


def _verdict_ecosystem(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if check.outcome == ELIGIBLE:
        return Verdict("ecosystem", ELIGIBLE, f"ecosystem: {ecosystem_labels(check.facts)}", None)
    if check.outcome == UNKNOWN:
        return Verdict("ecosystem", UNKNOWN, "no ecosystem identified", None)
    detail = f"other ecosystems: {ecosystem_labels(sorted(prep.ecosystems))}"
    return Verdict("ecosystem", NOT_ELIGIBLE, detail, None)


def _verdict_programme(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    label = prep.programme.label
    if check.outcome == ELIGIBLE:
        return Verdict("programme", ELIGIBLE, f"programme: {label or join(check.facts)}", None)
    if check.outcome == UNKNOWN:
        detail = f"programme {label}: not a programme Callwatch knows" if label else "programme not stated"
        return Verdict("programme", UNKNOWN, detail, None)
    wanted = join([text for text, _ in comp.programmes], "or")
    return Verdict("programme", NOT_ELIGIBLE, f"programme {label}, not {wanted}", None)


def _verdict_funding_type(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    kind = prep.funding_type or ""
    if check.outcome == ELIGIBLE:
        return Verdict("funding type", ELIGIBLE, f"funding type: {funding_phrase(kind)}", None)
    if check.outcome == UNKNOWN:
        return Verdict("funding type", UNKNOWN, "funding type not stated", None)
    wanted = join(list(comp.funding_types), "or")
    return Verdict("funding type", NOT_ELIGIBLE, f"funding type {kind}, not {wanted}", None)


def _verdict_budget(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    evidence = trim(attr(prep.call, "budget_text"))
    low, high = prep.budget
    if check.outcome == UNKNOWN:
        stated = low is not None or high is not None
        detail = f"budget in {prep.currency}, not compared" if stated else "budget not stated"
        return Verdict("budget", UNKNOWN, detail, evidence)
    phrase = budget_phrase(
        low, high, prep.currency, per_project=attr(prep.call, "contribution_max") is not None
    )
    if check.outcome == ELIGIBLE:
        return Verdict("budget", ELIGIBLE, phrase, evidence)
    return Verdict(
        "budget",
        NOT_ELIGIBLE,
        f"{phrase}, outside {wanted_budget(comp.criteria.budget_min, comp.criteria.budget_max)}",
        evidence,
    )


def _verdict_time_left(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if prep.undated:
        return Verdict("time left", UNKNOWN, DEADLINE_UNKNOWN, trim(unread_deadline_text(prep.call)))
    if prep.next_deadline is None or prep.days is None:
        return Verdict("time left", UNKNOWN, "no deadline stated", None)
    deadlines = attr(prep.call, "deadlines")
    evidence = next(
        (d.text for d in deadlines if d.at == prep.next_deadline and getattr(d, "text", None)), None
    )
    left = f"{days_phrase(prep.days)} (deadline {day(prep.next_deadline)})"
    if check.outcome == ELIGIBLE:
        return Verdict("time left", ELIGIBLE, left, trim(evidence))
    wanted = comp.criteria.min_days_left
    detail = f"{left}, less than the {wanted} {'day' if wanted == 1 else 'days'} wanted"
    return Verdict("time left", NOT_ELIGIBLE, detail, trim(evidence))


_VERDICTS: dict[str, Callable[[Prepared, Compiled, Check], Verdict]] = {
    "status": _verdict_status,
    "keywords": _verdict_keywords,
    "excluded words": _verdict_exclude,
    "country": _verdict_country,
    "organisation type": _verdict_org_type,
    "ecosystem": _verdict_ecosystem,
    "programme": _verdict_programme,
    "funding type": _verdict_funding_type,
    "budget": _verdict_budget,
    "time left": _verdict_time_left,
}


def _reasons(prep: Prepared, comp: Compiled, checks: Sequence[Check]) -> tuple[str, ...]:
    by = {check.criterion: check for check in checks}
    reasons: list[str] = []
    if (keywords := by.get("keywords")) is not None:
        found = ", ".join(term.text for term, _ in keywords.facts)
        reasons.append(f"keywords: {found}" if found else SAME_SUBJECT)
    reasons += _eligibility_reasons(prep, by.get("country"), by.get("organisation type"))
    for criterion in ("ecosystem", "programme", "funding type", "budget"):
        check = by.get(criterion)
        if check is not None and check.outcome == ELIGIBLE:
            reasons.append(_VERDICTS[criterion](prep, comp, check).detail)
    if prep.status == "forthcoming" and (opens := _opens(prep)) is not None:
        reasons.append(f"opens {day(opens)}")
    if prep.days is not None:
        reasons.append(days_phrase(prep.days))
    elif prep.undated:
        reasons.append(DEADLINE_UNKNOWN)
    return tuple(reasons)


def _eligibility_reasons(prep: Prepared, country: Check | None, org: Check | None) -> list[str]:
    whom = join(_org_labels(prep, org)) if org and org.outcome == ELIGIBLE else None
    where = join(country.facts) if country and country.outcome == ELIGIBLE else None
    reasons: list[str] = []
    if whom or where:
        reasons.append(f"open to {whom} in {where}" if whom and where else f"open to {whom or where}")
    if country and country.outcome == UNKNOWN:
        reasons.append("countries not stated")
    if org and org.outcome == UNKNOWN:
        reasons.append("organisation types not stated")
    return reasons


def _org_labels(prep: Prepared, check: Check | None) -> list[str]:
    """What the call is open to that met the profile: "start-ups", or "SMEs" for a start-up profile."""
    slugs = (slug if slug in prep.org_types else "sme" for slug in (check.facts if check else ()))
    return [plural(slug) for slug in unique(slugs)]


def _place_names(prep: Prepared, places: Sequence[tuple[int, int]]) -> list[str]:
    return [prep.fields[index].name for index, *_ in places]


def _evidence(prep: Prepared, hit: tuple[Term, tuple[tuple[int, int], ...]]) -> str:
    """The sentence of the first place a term was found in, trimmed around it."""
    term, places = hit
    index, position, _ = places[0]
    return sentence_of(term, prep.fields[index].text, position)


def _opens(prep: Prepared) -> datetime | None:
    return attr(prep.call, "opens_at")
