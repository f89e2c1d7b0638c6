"""Checks in words: each criterion's verdict, and `explain` (checks and score -> `Match`).

A match's reasons are `monitor.match.reasons`'s; a call that does not match gets the details of
its "not eligible" verdicts. Details are `Phrase`s: English here, said in a subscriber's language
where shown. Must not: decide outcomes (that is `monitor.match.checks`); money, dates and labels
are worded by `monitor.render.words` and `monitor.match.phrases`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from monitor.match.checks import Check, Compiled, passes, unique
from monitor.match.criteria import ELIGIBLE, NOT_ELIGIBLE, UNKNOWN, Match, Verdict
from monitor.match.phrases import COUNTRY_GROUPS, countries, ecosystem_labels, field_words, plural, spoken
from monitor.match.prepare import Prepared, attr
from monitor.match.reasons import (
    days_left,
    funding,
    lines,
    match_reasons,
    on_day,
    opens_at,
    org_labels,
)
from monitor.match.text import Term, sentence_of, trim
from monitor.model.view import unread_deadline_text
from monitor.render.i18n import N_
from monitor.render.phrase import Local, Phrase
from monitor.render.words import (
    DEADLINE_UNKNOWN,
    STATED_WORDS,
    budget_phrase,
    wanted_budget,
)

_STATUS_WORDS = {"open": N_("open"), "forthcoming": N_("forthcoming"), "closed": N_("closed")}


def explain(prep: Prepared, comp: Compiled, checks: Sequence[Check], score: float) -> Match:
    """The match in words: a verdict per check, and the reasons (or what failed)."""
    matches = passes(checks)
    verdicts = tuple(
        _strict_verdict(check) if check.strict else _VERDICTS[check.criterion](prep, comp, check)
        for check in checks
    )
    if matches:
        reasons = match_reasons(
            prep, checks, lambda check: _VERDICTS[check.criterion](prep, comp, check).detail
        )
    else:
        reasons = tuple(v.detail for v in verdicts if v.outcome == NOT_ELIGIBLE)
    return Match(matches=matches, score=score, reasons=reasons, verdicts=verdicts)


# Reasons and verdicts are `Phrase`s: English here, said in the subscriber's language where shown
# (`monitor.render.phrase.say`); dates, amounts and lists are `Local`, worded in that language then.


def _strict_verdict(check: Check) -> Verdict:
    """A strict criterion: the call must state it ("only calls that state this")."""
    what = Phrase(STATED_WORDS[check.criterion])
    if check.outcome == ELIGIBLE:
        return Verdict(check.criterion, ELIGIBLE, Phrase(N_("%(what)s stated"), what=what), None)
    detail = Phrase(N_("%(what)s not stated (only calls that state it)"), what=what)
    return Verdict(check.criterion, NOT_ELIGIBLE, detail, None)


def _verdict_status(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if prep.undated:
        return Verdict(
            "status", check.outcome, Phrase(DEADLINE_UNKNOWN), trim(unread_deadline_text(prep.call))
        )
    opens = opens_at(prep)
    if prep.passed_at is not None:
        detail = Phrase(N_("deadline passed on %(day)s"), day=on_day(prep.passed_at))
    elif prep.status == "forthcoming" and opens:
        detail = Phrase(N_("forthcoming, opens %(day)s"), day=on_day(opens))
    elif prep.status in _STATUS_WORDS:
        detail = Phrase(_STATUS_WORDS[prep.status])
    else:
        detail = Phrase(N_("status %(status)s"), status=prep.status)
    return Verdict("status", check.outcome, detail, None)


def _verdict_keywords(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if check.similarity is not None:
        similar = N_(
            "about the subject of your keywords (similarity %(similarity)s; none of the words in the text)"
        )
        detail = Phrase(similar, similarity=f"{check.similarity:.2f}")
        return Verdict("keywords", check.outcome, detail, trim(attr(prep.call, "title")))
    if not check.facts:
        wanted = ", ".join(term.text for term in comp.terms)
        return Verdict(
            "keywords", check.outcome, Phrase(N_("no keyword found (%(wanted)s)"), wanted=wanted), None
        )
    detail = _found_in(prep, check)
    if check.outcome == NOT_ELIGIBLE:
        found = {id(term) for term, _ in check.facts}
        missing = [t.text for t in comp.keywords_all if id(t) not in found]
        if not missing:  # every "all of" keyword found, none of the "any of" ones
            missing = [spoken([t.text for t in comp.keywords], "or")]
        detail = Phrase(N_("%(missing)s not found (%(found)s)"), missing=spoken(missing), found=detail)
    return Verdict("keywords", check.outcome, detail, _evidence(prep, check.facts[0]))


def _found_in(prep: Prepared, check: Check) -> str:
    """'hydrogen in title and summary; electrolyser in summary': keywords as the profile spells them."""
    return lines(
        [
            Phrase(
                N_("%(keyword)s in %(fields)s"),
                keyword=term.text,
                fields=field_words(_place_names(prep, places)),
            )
            for term, places in check.facts
        ]
    )


def _verdict_exclude(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if not check.facts:
        return Verdict("excluded words", check.outcome, Phrase(N_("no excluded word found")), None)
    detail = Phrase.plural(
        "excluded word %(found)s",
        "excluded words %(found)s",
        len(check.facts),
        found=_found_in(prep, check),
    )
    return Verdict("excluded words", check.outcome, detail, _evidence(prep, check.facts[0]))


def _verdict_country(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    evidence = trim(attr(prep.call, "countries_text"))
    if check.outcome == ELIGIBLE:
        groups = unique(
            COUNTRY_GROUPS[g][0]
            for g in attr(prep.call, "country_groups") or ()
            if g in COUNTRY_GROUPS and any(c in COUNTRY_GROUPS[g][1] for c in check.facts)
        )
        where = countries(check.facts)
        if groups:
            names = lines([Phrase(group) for group in groups], ", ")
            detail = Phrase(N_("open to %(countries)s (%(groups)s)"), countries=where, groups=names)
        else:
            detail = Phrase(N_("open to %(countries)s"), countries=where)
        return Verdict("country", ELIGIBLE, detail, evidence)
    if check.outcome == UNKNOWN:
        return Verdict("country", UNKNOWN, Phrase(N_("no country stated")), evidence)
    listed = sorted(prep.countries)
    if len(listed) <= 6:
        others = countries(listed)
    else:
        others = Phrase.plural("%(num)d other country", "%(num)d other countries", len(listed))
    detail = Phrase(
        N_("not open to %(wanted)s (open to %(others)s)"), wanted=countries(comp.countries), others=others
    )
    return Verdict("country", NOT_ELIGIBLE, detail, evidence)


def _verdict_org_type(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    evidence = trim(attr(prep.call, "org_types_text"))
    if check.outcome == ELIGIBLE:
        flagged = any(s not in prep.org_types and "sme" not in prep.org_types for s in check.facts)
        whom = spoken(org_labels(prep, check))
        if flagged:
            detail = Phrase(N_("open to %(whom)s (call flagged as relevant for SMEs)"), whom=whom)
        else:
            detail = Phrase(N_("open to %(whom)s"), whom=whom)
        return Verdict("organisation type", ELIGIBLE, detail, evidence)
    if check.outcome == UNKNOWN and not prep.org_types:
        return Verdict("organisation type", UNKNOWN, Phrase(N_("no organisation type stated")), evidence)
    wanted = spoken([plural(s) for s in comp.org_types], "or")
    offered = spoken([plural(s) for s in sorted(prep.org_types)])
    if check.outcome == UNKNOWN:
        # Types found in wording that does not exclude others: the call mentions them, no more.
        detail = Phrase(N_("mentioned: %(offered)s; %(wanted)s not stated"), offered=offered, wanted=wanted)
        return Verdict("organisation type", UNKNOWN, detail, evidence)
    detail = Phrase(N_("not open to %(wanted)s (open to %(offered)s)"), wanted=wanted, offered=offered)
    return Verdict("organisation type", NOT_ELIGIBLE, detail, evidence)


def _verdict_ecosystem(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if check.outcome == ELIGIBLE:
        detail = Phrase(N_("ecosystem: %(names)s"), names=ecosystem_labels(check.facts))
        return Verdict("ecosystem", ELIGIBLE, detail, None)
    if check.outcome == UNKNOWN:
        return Verdict("ecosystem", UNKNOWN, Phrase(N_("no ecosystem identified")), None)
    detail = Phrase(N_("other ecosystems: %(names)s"), names=ecosystem_labels(sorted(prep.ecosystems)))
    return Verdict("ecosystem", NOT_ELIGIBLE, detail, None)


def _verdict_programme(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    # Programme names are proper names ("Horizon Europe"): never translated.
    label = prep.programme.label
    if check.outcome == ELIGIBLE:
        detail = Phrase(N_("programme: %(name)s"), name=label or spoken(check.facts))
        return Verdict("programme", ELIGIBLE, detail, None)
    if check.outcome == UNKNOWN:
        if label:
            detail = Phrase(N_("programme %(name)s: not a programme Callwatch knows"), name=label)
        else:
            detail = Phrase(N_("programme not stated"))
        return Verdict("programme", UNKNOWN, detail, None)
    wanted = spoken([text for text, _ in comp.programmes], "or")
    return Verdict(
        "programme",
        NOT_ELIGIBLE,
        Phrase(N_("programme %(name)s, not %(wanted)s"), name=label, wanted=wanted),
        None,
    )


def _verdict_funding_type(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    kind = prep.funding_type or ""
    if check.outcome == ELIGIBLE:
        return Verdict(
            "funding type", ELIGIBLE, Phrase(N_("funding type: %(kind)s"), kind=funding(kind)), None
        )
    if check.outcome == UNKNOWN:
        return Verdict("funding type", UNKNOWN, Phrase(N_("funding type not stated")), None)
    wanted = spoken(list(comp.funding_types), "or")  # the slugs the profile asked for
    detail = Phrase(N_("funding type %(kind)s, not %(wanted)s"), kind=kind, wanted=wanted)
    return Verdict("funding type", NOT_ELIGIBLE, detail, None)


def _verdict_budget(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    evidence = trim(attr(prep.call, "budget_text"))
    low, high = prep.budget
    if check.outcome == UNKNOWN:
        if low is not None or high is not None:
            detail = Phrase(N_("budget in %(currency)s, not compared"), currency=prep.currency)
        else:
            detail = Phrase(N_("budget not stated"))
        return Verdict("budget", UNKNOWN, detail, evidence)
    per_project = attr(prep.call, "contribution_max") is not None
    phrase = Local(
        lambda language: budget_phrase(low, high, prep.currency, per_project=per_project, language=language)
    )
    if check.outcome == ELIGIBLE:
        return Verdict("budget", ELIGIBLE, phrase, evidence)
    least, most = comp.criteria.budget_min, comp.criteria.budget_max
    wanted = Local(lambda language: wanted_budget(least, most, language=language))
    return Verdict(
        "budget",
        NOT_ELIGIBLE,
        Phrase(N_("%(budget)s, outside %(wanted)s"), budget=phrase, wanted=wanted),
        evidence,
    )


def _verdict_time_left(prep: Prepared, comp: Compiled, check: Check) -> Verdict:
    if prep.undated:
        return Verdict("time left", UNKNOWN, Phrase(DEADLINE_UNKNOWN), trim(unread_deadline_text(prep.call)))
    if prep.next_deadline is None or prep.days is None:
        return Verdict("time left", UNKNOWN, Phrase(N_("no deadline stated")), None)
    deadlines = attr(prep.call, "deadlines")
    evidence = next(
        (d.text for d in deadlines if d.at == prep.next_deadline and getattr(d, "text", None)), None
    )
    left = Phrase(
        N_("%(left)s (deadline %(day)s)"), left=days_left(prep.days), day=on_day(prep.next_deadline)
    )
    if check.outcome == ELIGIBLE:
        return Verdict("time left", ELIGIBLE, left, trim(evidence))
    wanted = comp.criteria.min_days_left or 0
    detail = Phrase.plural(
        "%(left)s, less than the %(num)d day wanted",
        "%(left)s, less than the %(num)d days wanted",
        wanted,
        left=left,
    )
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


def _place_names(prep: Prepared, places: Sequence[tuple[int, int]]) -> list[str]:
    return [prep.fields[index].name for index, *_ in places]


def _evidence(prep: Prepared, hit: tuple[Term, tuple[tuple[int, int], ...]]) -> str:
    """The sentence of the first place a term was found in, trimmed around it."""
    term, places = hit
    index, position, _ = places[0]
    return sentence_of(term, prep.fields[index].text, position)
