"""Matching calls against profiles: word rules, each criterion's three outcomes in words, the
score and ranking, and `Matcher` giving exactly what `rank_calls` gives (pure, no database)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from db.models import Profile
from monitor.match.criteria import Criteria, Match, Verdict
from monitor.match.index import Matcher, match_call, rank_calls

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)


def make_call(**values: object) -> SimpleNamespace:
    """A call with nothing stated, open, 41 days (and 3 hours) before its deadline."""
    defaults: dict[str, object] = {
        "id": 1,
        "title": "",
        "summary_text": "",
        "keywords": [],
        "countries": [],
        "country_groups": [],
        "countries_text": None,
        "org_types": [],
        "org_types_text": None,
        "org_types_exclusive": None,
        "sme_relevant": None,
        "ecosystems": [],
        "programme": None,
        "programme_code": None,
        "identifier": None,
        "funding_type": None,
        "budget_total": None,
        "contribution_min": None,
        "contribution_max": None,
        "budget_currency": None,
        "budget_text": None,
        "status": "open",
        "opens_at": None,
        "next_deadline_at": NOW + timedelta(days=41, hours=3),
        "deadlines": [],
    }
    return SimpleNamespace(**(defaults | values))


def deadline(at: datetime, *, closed: bool = False, text: str = "") -> SimpleNamespace:
    return SimpleNamespace(at=at, closed=closed, text=text)


def match(call: SimpleNamespace, **criteria: object) -> Match:
    return match_call(call, Criteria(**criteria), now=NOW)  # type: ignore[arg-type]


def verdict(result: Match, criterion: str) -> Verdict:
    (found,) = [v for v in result.verdicts if v.criterion == criterion]
    return found


# --------------------------------------------------------------------------- words and phrases


@pytest.mark.parametrize(
    ("keyword", "title", "found"),
    [
        ("ai", "Predictive maintenance for ports", False),
        ("AI", "AI-driven logistics", True),
        ("ai", "Trustworthy AI for health", True),
        ("AI", "Accesso ai mercati locali", False),
        ("ai", "Accesso ai mercati locali", True),
        ("SME", "Support for SMEs", True),
        ("SME", "sme instrument", False),
        ("AI Act", "Compliance with the AI Act", True),
        ("AI mercati", "Accesso ai mercati locali", False),  # the acronym in a loose keyword too
        ("hydrogen", "Hydrogens and other gases", True),
        ("heat pump", "Heat pumps for district heating", True),
        ("electrolysers", "A next-generation PEM electrolyser", True),
        ("electrolyseur", "Un Électrolyseur compact", True),
        ("ÉLECTROLYSEUR", "un electrolyseur compact", True),
        ("strasse", "Die Straße", True),
        ("green hydrogen", "Green-hydrogen valleys", True),
        ("green hydrogen", "Green  Hydrogen valleys", True),
        ("green hydrogen", "green – hydrogen", True),
        ("green hydrogen", "green\nhydrogen", True),
        ("Green-Hydrogen", "green hydrogen", True),
        ("green hydrogen", "green, hydrogen and blue ammonia", True),  # words near each other
        ("green hydrogen", "hydrogen, green", True),
        ('"green hydrogen"', "green, hydrogen and blue ammonia", False),  # quoted: a phrase
        ('"green hydrogen"', "hydrogen, green", False),
        ("green hydrogen", "green fields, then seven more words before any hydrogen", False),
        ("circular construction", "Construction products with circularity principles", True),
        ("green hydrogen", "greener hydrogen", False),
        ("electroly*", "New electrolyser stacks", True),
        ("electroly*", "Electrolysis at scale", True),
        ("electroly*", "Electro mobility", False),
        ("electroly*", "Photoelectrolysis", False),
        ("green hydro*", "Green-hydrogen valleys", True),
        ("R&D", "R & D services", True),
        ("R&D", "R D services", False),
    ],
)
def test_keyword_word_rules(keyword: str, title: str, found: bool) -> None:
    assert match(make_call(title=title), keywords=(keyword,)).matches is found


def test_a_phrase_does_not_run_across_two_of_the_calls_keywords() -> None:
    assert not match(make_call(keywords=["green", "hydrogen"]), keywords=('"green hydrogen"',)).matches
    assert match(make_call(keywords=["Green Hydrogen"]), keywords=('"green hydrogen"',)).matches
    # Unquoted, the words need only be near each other: two of the call's keywords will do.
    assert match(make_call(keywords=["green", "hydrogen"]), keywords=("green hydrogen",)).matches


def test_keyword_verdict_says_where_and_quotes_the_sentence() -> None:
    call = make_call(
        title="Hydrogen valleys",
        keywords=["Hydrogen", "Renewable energy"],
        summary_text="The call funds pilots. Each pilot installs an electrolyser of 5 MW! Results follow.",
    )
    result = match(call, keywords=("electrolyser", "hydrogen", "ammonia"))
    assert verdict(result, "keywords") == Verdict(
        "keywords",
        "eligible",
        "electrolyser in summary; hydrogen in title and call keywords",
        "Each pilot installs an electrolyser of 5 MW!",
    )
    assert result.reasons[0] == "keywords: electrolyser, hydrogen"


def test_keyword_evidence_is_trimmed_around_the_word() -> None:
    summary = "word " * 100 + "hydrogen " + "word " * 100
    evidence = verdict(match(make_call(summary_text=summary), keywords=("hydrogen",)), "keywords").evidence
    assert evidence is not None
    assert evidence.startswith("…word") and evidence.endswith("word…")
    assert "hydrogen" in evidence and len(evidence) <= 202


def test_no_keyword_found_means_no_match() -> None:
    result = match(make_call(title="Solar farms"), keywords=("hydrogen", "electrolyser"))
    assert not result.matches
    assert verdict(result, "keywords") == Verdict(
        "keywords", "not eligible", "no keyword found (hydrogen, electrolyser)", None
    )
    assert result.reasons == ("no keyword found (hydrogen, electrolyser)",)


def test_an_excluded_word_wins_over_keywords() -> None:
    call = make_call(
        title="Hydrogen for SMEs",
        summary_text="Support for SMEs. Consultancy services are not funded. Apply online.",
    )
    result = match(call, keywords=("hydrogen",), exclude=("consultancy", "training"))
    assert not result.matches
    assert verdict(result, "excluded words") == Verdict(
        "excluded words",
        "not eligible",
        "excluded word consultancy in summary",
        "Consultancy services are not funded.",
    )
    assert result.reasons == ("excluded word consultancy in summary",)


def test_no_excluded_word_found() -> None:
    result = match(make_call(title="Hydrogen for SMEs"), keywords=("hydrogen",), exclude=("consultancy",))
    assert result.matches
    assert verdict(result, "excluded words") == Verdict(
        "excluded words", "eligible", "no excluded word found", None
    )


# --------------------------------------------------------------------------- the realistic call


def hydrogen_call(**values: object) -> SimpleNamespace:
    return make_call(
        **{
            "id": 7,
            "title": "Green hydrogen for industrial SMEs",
            "summary_text": "Pilot lines for a low-cost electrolyser. Consortia must include two SMEs.",
            "keywords": ["Hydrogen", "Clean energy"],
            "countries": ["AT", "ES", "PT"],
            "country_groups": ["EU"],
            "countries_text": "Legal entities established in EU Member States.",
            "org_types": ["sme"],
            "org_types_text": "Open to SMEs.",
            "ecosystems": ["renewable-energy"],
            "programme": "Horizon Europe",
            "programme_code": "43108390",
            "identifier": "HORIZON-CL5-2027-D3-01-05",
            "funding_type": "grant",
            "contribution_max": Decimal("2500000"),
            "budget_currency": "EUR",
        }
        | values
    )


def test_summary_of_a_realistic_match() -> None:
    result = match(
        hydrogen_call(), keywords=("hydrogen", "electrolyser"), countries=("PT",), org_types=("sme",)
    )
    assert result.matches
    assert result.summary == "keywords: hydrogen, electrolyser · open to SMEs in PT · 41 days left"
    # Relevance only: the same keywords found, with the eligibility criteria left out, score the same.
    assert result.score > 0
    assert result.score == match(hydrogen_call(), keywords=("hydrogen", "electrolyser")).score
    assert [(v.criterion, v.outcome) for v in result.verdicts] == [
        ("status", "eligible"),
        ("keywords", "eligible"),
        ("country", "eligible"),
        ("organisation type", "eligible"),
    ]
    assert verdict(result, "country") == Verdict(
        "country",
        "eligible",
        "open to PT (EU Member States)",
        "Legal entities established in EU Member States.",
    )


def test_every_criterion_in_the_summary() -> None:
    criteria = {
        "keywords": ("hydrogen",),
        "countries": ("PT", "ES"),
        "org_types": ("sme",),
        "ecosystems": ("renewable-energy",),
        "programmes": ("HORIZON",),
        "funding_types": ("grant",),
        "budget_max": Decimal("3000000"),
        "min_days_left": 30,
    }
    assert match(hydrogen_call(), **criteria).summary == (
        "keywords: hydrogen · open to SMEs in PT and ES · ecosystem: Energy - Renewables · "
        "programme: Horizon Europe · funding type: grant · up to €2,500,000 per project · 41 days left"
    )


def test_a_call_without_criteria_matches_with_its_time_left() -> None:
    result = match(make_call())
    assert result == Match(True, 0.0, ("41 days left",), (Verdict("status", "eligible", "open", None),))


# --------------------------------------------------------------------------- country


def test_country_eligible() -> None:
    call = make_call(countries=["ES", "PT"], country_groups=["EU"], countries_text="Member States of the EU")
    result = match(call, countries=("PT",))
    assert verdict(result, "country") == Verdict(
        "country", "eligible", "open to PT (EU Member States)", "Member States of the EU"
    )
    assert result.reasons == ("open to PT", "41 days left")
    assert result.score == 0.0  # verdicts filter and break ties; they add no points


def test_country_unknown_still_matches() -> None:
    result = match(make_call(), countries=("PT",))
    assert result.matches
    assert verdict(result, "country") == Verdict("country", "unknown", "no country stated", None)
    assert result.reasons == ("countries not stated", "41 days left")
    assert result.score == 0.0


def test_country_not_eligible() -> None:
    result = match(
        make_call(countries=["ES", "FR"], countries_text="Spain and France only"), countries=("PT",)
    )
    assert not result.matches
    assert verdict(result, "country") == Verdict(
        "country", "not eligible", "not open to PT (open to ES and FR)", "Spain and France only"
    )
    assert result.reasons == ("not open to PT (open to ES and FR)",)


def test_profile_countries_are_read_as_codes() -> None:
    call = make_call(countries=["PT"])
    assert match(call, countries=("pt",)).matches
    assert match(call, countries=("Portugal",)).matches


# --------------------------------------------------------------------------- organisation type


def test_org_type_eligible() -> None:
    call = make_call(org_types=["research", "sme"], org_types_text="SMEs and research organisations")
    result = match(call, org_types=("sme",))
    assert verdict(result, "organisation type") == Verdict(
        "organisation type", "eligible", "open to SMEs", "SMEs and research organisations"
    )
    assert result.reasons == ("open to SMEs", "41 days left")


def test_org_type_sme_met_by_the_sme_flag() -> None:
    result = match(make_call(sme_relevant=True), org_types=("sme",))
    assert verdict(result, "organisation type") == Verdict(
        "organisation type", "eligible", "open to SMEs (call flagged as relevant for SMEs)", None
    )


def test_org_type_startup_met_by_a_call_open_to_smes() -> None:
    result = match(make_call(org_types=["sme"], countries=["PT"]), org_types=("startup",), countries=("PT",))
    assert result.reasons == ("open to SMEs in PT", "41 days left")


def test_org_type_unknown_still_matches() -> None:
    result = match(make_call(countries=["PT"]), org_types=("cluster",), countries=("PT",))
    assert result.matches
    assert verdict(result, "organisation type") == Verdict(
        "organisation type", "unknown", "no organisation type stated", None
    )
    assert result.reasons == ("open to PT", "organisation types not stated", "41 days left")


def test_org_type_not_eligible() -> None:
    text = "Only universities and RTOs may apply."
    call = make_call(org_types=["research", "university"], org_types_text=text, org_types_exclusive=True)
    result = match(call, org_types=("sme", "startup"))
    assert not result.matches
    assert verdict(result, "organisation type") == Verdict(
        "organisation type",
        "not eligible",
        "not open to SMEs or start-ups (open to research organisations and universities)",
        text,
    )


def test_org_type_only_mentioned_is_unknown() -> None:
    call = make_call(org_types=["research", "university"], org_types_text="Universities and RTOs")
    result = match(call, org_types=("sme", "startup"))
    assert result.matches
    assert verdict(result, "organisation type") == Verdict(
        "organisation type",
        "unknown",
        "mentioned: research organisations and universities; SMEs or start-ups not stated",
        "Universities and RTOs",
    )


def test_org_type_eligible_and_country_unknown() -> None:
    result = match(make_call(org_types=["cluster"]), org_types=("cluster",), countries=("PT",))
    assert result.reasons == ("open to cluster organisations", "countries not stated", "41 days left")


# --------------------------------------------------------------------------- ecosystem


def test_ecosystem_outcomes() -> None:
    eligible = match(make_call(ecosystems=["agri-food", "tourism"]), ecosystems=("agri-food",))
    assert verdict(eligible, "ecosystem") == Verdict("ecosystem", "eligible", "ecosystem: Agri-food", None)
    assert eligible.reasons == ("ecosystem: Agri-food", "41 days left")
    unknown = match(make_call(), ecosystems=("agri-food",))
    assert unknown.matches
    assert verdict(unknown, "ecosystem") == Verdict("ecosystem", "unknown", "no ecosystem identified", None)
    other = match(make_call(ecosystems=["digital", "health"]), ecosystems=("agri-food",))
    assert not other.matches
    assert verdict(other, "ecosystem") == Verdict(
        "ecosystem", "not eligible", "other ecosystems: Digital, Health", None
    )


# --------------------------------------------------------------------------- programme


@pytest.mark.parametrize(
    ("wanted", "programme", "code", "identifier", "outcome"),
    [
        ("HORIZON", None, None, "HORIZON-CL5-2027-D3-01", "eligible"),
        ("Horizon Europe", "Horizon Europe", None, None, "eligible"),
        ("horizon europe", None, "43108390", None, "eligible"),
        ("SMP", None, "SMP", None, "eligible"),
        ("SMP", None, None, "SMP-COSME-2027-CLUSTER-01", "eligible"),
        ("COSME", None, None, "SMP-COSME-2027-CLUSTER-01", "eligible"),
        ("Digital Europe", "Digital Europe Programme", None, None, "eligible"),
        ("LIFE", "Programme for the Environment and Climate Action (LIFE)", "43252405", None, "eligible"),
        ("Erasmus+", None, None, "ERASMUS-EDU-2027-PI-ALL-INNO", "eligible"),
        ("HORIZON", "Horizon 2020", None, "H2020-SC1-2020", "not eligible"),
        ("LIFE", "Digital Europe Programme", None, "DIGITAL-2027-SKILLS-01", "not eligible"),
        ("HORIZON", None, None, None, "unknown"),
        # euro-access labels (samples/euroaccess_calls_listing_SearchForFunding_saved-page.html)
        ("HORIZON", "Horizon Europe: Cluster 3 - Civil security for society", None, None, "eligible"),
        ("Horizon Europe", "European Institute of Innovation and Technology", None, None, "eligible"),
        ("Interreg", "Interreg Czechia-Poland", None, None, "eligible"),
        ("LIFE", "Horizon Europe: Cluster 5 - Climate, Energy and Mobility", None, None, "not eligible"),
        ("HORIZON", "New European Bauhaus Facility", None, None, "unknown"),
    ],
)
def test_programme_outcomes(
    wanted: str, programme: str | None, code: str | None, identifier: str | None, outcome: str
) -> None:
    call = make_call(programme=programme, programme_code=code, identifier=identifier)
    result = match(call, programmes=(wanted,))
    assert verdict(result, "programme").outcome == outcome
    assert result.matches is (outcome != "not eligible")


def test_programme_wording() -> None:
    call = make_call(programme="Digital Europe Programme")
    assert verdict(match(call, programmes=("Digital Europe",)), "programme").detail == (
        "programme: Digital Europe Programme"
    )
    assert match(call, programmes=("Horizon Europe", "LIFE")).reasons == (
        "programme Digital Europe Programme, not Horizon Europe or LIFE",
    )
    assert verdict(match(make_call(), programmes=("LIFE",)), "programme").detail == "programme not stated"
    unknown = make_call(programme="New European Bauhaus Facility")
    assert verdict(match(unknown, programmes=("LIFE",)), "programme").detail == (
        "programme New European Bauhaus Facility: not a programme Callwatch knows"
    )


# --------------------------------------------------------------------------- funding type


def test_funding_type_outcomes() -> None:
    grant = match(make_call(funding_type="grant"), funding_types=("grant", "cascade"))
    assert verdict(grant, "funding type") == Verdict("funding type", "eligible", "funding type: grant", None)
    cascade = match(make_call(funding_type="cascade"), funding_types=("cascade",))
    assert cascade.reasons == ("funding type: cascade funding", "41 days left")
    unknown = match(make_call(), funding_types=("grant",))
    assert unknown.matches
    assert verdict(unknown, "funding type") == Verdict(
        "funding type", "unknown", "funding type not stated", None
    )
    tender = match(make_call(funding_type="tender"), funding_types=("grant", "cascade"))
    assert not tender.matches
    assert tender.reasons == ("funding type tender, not grant or cascade",)


# --------------------------------------------------------------------------- budget


def test_budget_outcomes() -> None:
    up_to = make_call(contribution_max=Decimal("60000"), budget_text="up to EUR 60 000 per SME")
    assert verdict(match(up_to, budget_max=Decimal("50000")), "budget") == Verdict(
        "budget", "eligible", "up to €60,000 per project", "up to EUR 60 000 per SME"
    )
    too_small = match(up_to, budget_min=Decimal("100000"))
    assert not too_small.matches
    assert too_small.reasons == ("up to €60,000 per project, outside at least €100,000",)
    fixed = make_call(contribution_min=Decimal("2000000"), contribution_max=Decimal("2000000"))
    assert match(fixed, budget_max=Decimal("500000")).reasons == (
        "€2,000,000 per project, outside at most €500,000",
    )
    ranged = make_call(contribution_min=Decimal("50000"), contribution_max=Decimal("150000"))
    assert match(ranged, budget_min=Decimal("100000"), budget_max=Decimal("120000")).reasons == (
        "€50,000 to €150,000 per project",
        "41 days left",
    )
    total = make_call(budget_total=Decimal("10000000"))
    assert verdict(match(total, budget_min=Decimal("100000")), "budget").detail == "€10,000,000 in total"
    unknown = match(make_call(), budget_min=Decimal("100000"))
    assert unknown.matches
    assert verdict(unknown, "budget") == Verdict("budget", "unknown", "budget not stated", None)
    zloty = make_call(contribution_max=Decimal("60000"), budget_currency="PLN")
    assert (
        verdict(match(zloty, budget_min=Decimal("100000")), "budget").detail == "budget in PLN, not compared"
    )


# --------------------------------------------------------------------------- time left and status


@pytest.mark.parametrize(
    ("left", "phrase"),
    [
        (timedelta(hours=23), "deadline today"),
        (timedelta(days=1, hours=2), "1 day left"),
        (timedelta(days=40, hours=23), "40 days left"),
        (timedelta(days=41), "41 days left"),
    ],
)
def test_time_left_phrase(left: timedelta, phrase: str) -> None:
    assert match(make_call(next_deadline_at=NOW + left)).reasons == (phrase,)


def test_time_left_outcomes() -> None:
    enough = match(make_call(), min_days_left=30)
    assert verdict(enough, "time left") == Verdict(
        "time left", "eligible", "41 days left (deadline 20 February 2027)", None
    )
    at = NOW + timedelta(days=12, hours=3)
    short = make_call(
        next_deadline_at=at, deadlines=[deadline(at, text="22 January 2027 17:00 Brussels time")]
    )
    result = match(short, min_days_left=30)
    assert not result.matches
    assert verdict(result, "time left") == Verdict(
        "time left",
        "not eligible",
        "12 days left (deadline 22 January 2027), less than the 30 days wanted",
        "22 January 2027 17:00 Brussels time",
    )
    open_ended = match(make_call(next_deadline_at=None), min_days_left=30)
    assert open_ended.matches
    assert open_ended.reasons == ()
    assert verdict(open_ended, "time left") == Verdict("time left", "unknown", "no deadline stated", None)


def test_forthcoming_call_says_when_it_opens() -> None:
    call = make_call(
        status="forthcoming",
        opens_at=datetime(2027, 3, 3, 9, 0, tzinfo=UTC),
        next_deadline_at=datetime(2027, 5, 20, 9, 0, tzinfo=UTC),
    )
    result = match(call)
    assert result.reasons == ("opens 3 March 2027", "130 days left")
    assert verdict(result, "status") == Verdict("status", "eligible", "forthcoming, opens 3 March 2027", None)


@pytest.mark.parametrize(("status", "detail"), [("closed", "closed"), ("unknown", "status unknown")])
def test_closed_and_unknown_calls_never_match(status: str, detail: str) -> None:
    call = hydrogen_call(status=status)
    result = match(call, keywords=("hydrogen",), countries=("PT",), org_types=("sme",))
    assert not result.matches
    assert verdict(result, "status") == Verdict("status", "not eligible", detail, None)
    assert result.reasons == (detail,)
    assert rank_calls([call], Criteria(), now=NOW) == []


UNREAD = "Rok za oddajo: bo objavljen naknadno"  # Slovenian cluster page: "deadline: to be announced"


def undated_call(**values: object) -> SimpleNamespace:
    """A call its source still lists whose deadline could not be read: status unknown, no dates."""
    return hydrogen_call(
        **{"status": "unknown", "next_deadline_at": None, "final_deadline_at": None, "listed": True}
        | {"extra": {"deadline_text": UNREAD}}
        | values
    )


def test_a_call_whose_deadline_could_not_be_read_is_kept_as_deadline_unknown() -> None:
    # A minimum of days left cannot be checked without a deadline: "unknown", the call is kept.
    call = undated_call()
    result = match(call, keywords=("hydrogen",), countries=("PT",), org_types=("sme",), min_days_left=30)
    assert result.matches
    assert verdict(result, "status") == Verdict(
        "status", "unknown", "deadline unknown — see call page", UNREAD
    )
    assert verdict(result, "time left") == Verdict(
        "time left", "unknown", "deadline unknown — see call page", UNREAD
    )
    assert result.reasons == (
        "keywords: hydrogen",
        "open to SMEs in PT",
        "deadline unknown — see call page",
    )
    criteria = Criteria(keywords=("hydrogen",), min_days_left=30)
    assert [c for c, _ in rank_calls([call], criteria, now=NOW)] == [call]
    assert [c for c, _ in Matcher([call], now=NOW).rank(criteria)] == [call]
    # Status and time left are not scored: the same as the dated call 41 days away (no urgency).
    dated = match(hydrogen_call(), keywords=("hydrogen",), countries=("PT",), org_types=("sme",))
    assert result.score == dated.score > 0


def test_an_unlisted_or_closed_call_without_a_readable_deadline_stays_out() -> None:
    unlisted = match(undated_call(listed=False), keywords=("hydrogen",))
    assert not unlisted.matches
    assert verdict(unlisted, "status") == Verdict("status", "not eligible", "status unknown", None)
    passed = NOW - timedelta(days=3)
    closed = undated_call(status="closed", final_deadline_at=passed, deadlines=[deadline(passed)])
    assert not match(closed, keywords=("hydrogen",)).matches
    # A call that once had a deadline is dated: a stored "unknown" with a passed date stays out.
    once_dated = undated_call(final_deadline_at=passed, deadlines=[deadline(passed)])
    assert not match(once_dated).matches
    assert rank_calls([undated_call(listed=False), closed, once_dated], Criteria(), now=NOW) == []


def test_a_passed_deadline_closes_the_call_unless_a_later_one_is_open() -> None:
    passed = NOW - timedelta(days=1)
    over = make_call(next_deadline_at=passed, deadlines=[deadline(passed)])
    assert match(over).reasons == ("deadline passed on 9 January 2027",)
    closed_cut_off = deadline(NOW + timedelta(days=20, hours=1), closed=True)
    assert not match(make_call(next_deadline_at=passed, deadlines=[deadline(passed), closed_cut_off])).matches
    later = deadline(NOW + timedelta(days=20, hours=1))
    result = match(make_call(next_deadline_at=passed, deadlines=[deadline(passed), later]))
    assert result.matches
    assert result.reasons == ("20 days left",)


# --------------------------------------------------------------------------- score and ranking


def test_eligibility_breaks_ties_and_adds_no_points() -> None:
    stated = make_call(id=2, summary_text="Hydrogen storage.", countries=["PT"])
    silent = make_call(id=1, summary_text="Hydrogen storage.")
    criteria = Criteria(keywords=("hydrogen",), countries=("PT",))
    ranked = rank_calls([silent, stated], criteria, now=NOW)
    assert [call.id for call, _ in ranked] == [2, 1]
    assert ranked[0][1].score == ranked[1][1].score


def test_the_call_about_the_subject_outranks_the_one_that_states_many_criteria() -> None:
    # The case: "Next-generation PEM electrolysers" ranked last for an electrolyser maker.
    about = make_call(
        id=1, title="Next-generation PEM electrolysers", summary_text="Stacks and balance of plant."
    )
    stating = make_call(
        id=2, title="Clean energy transition", summary_text="One electrolyser pilot among other topics.",
        countries=["PT"], org_types=["sme"], ecosystems=["renewable-energy"],
    )  # fmt: skip
    others = [make_call(id=10 + i, title=f"Topic {i}", summary_text="Solar and wind.") for i in range(5)]
    criteria = Criteria(keywords=("electrolyser",), countries=("PT",), org_types=("sme",))
    ranked = rank_calls([stating, about, *others], criteria, now=NOW)
    assert [call.id for call, _ in ranked] == [1, 2]


def test_a_call_covering_more_of_the_profile_ranks_higher() -> None:
    both = make_call(id=1, summary_text="Green hydrogen and ammonia for shipping.")
    one = make_call(id=2, summary_text="Hydrogen, hydrogen and more hydrogen for shipping.")
    filler = [make_call(id=10 + i, summary_text="Wind farms.") for i in range(5)]
    ranked = rank_calls([one, both, *filler], Criteria(keywords=("hydrogen", "ammonia")), now=NOW)
    assert [call.id for call, _ in ranked] == [1, 2]


def test_rare_keywords_weigh_more_than_common_ones() -> None:
    common = [make_call(id=10 + i, summary_text=f"Digital tools, part {i}.") for i in range(8)]
    rare = make_call(id=1, summary_text="Quantum sensing.")
    plain = make_call(id=2, summary_text="Digital twins.")
    ranked = rank_calls([plain, rare, *common], Criteria(keywords=("digital", "quantum")), now=NOW)
    assert ranked[0][0].id == 1


def test_ranking_by_score_then_deadline_then_id() -> None:
    in_days = lambda days: NOW + timedelta(days=days)  # noqa: E731
    calls = [
        make_call(id=4, summary_text="hydrogen", next_deadline_at=in_days(50)),
        make_call(id=5, summary_text="hydrogen", next_deadline_at=None),
        make_call(id=2, summary_text="hydrogen", next_deadline_at=in_days(50)),
        make_call(id=6, title="hydrogen", status="closed"),
        make_call(id=1, title="hydrogen", next_deadline_at=in_days(60)),
        make_call(id=3, summary_text="hydrogen", next_deadline_at=in_days(45)),
        make_call(id=8, title="solar"),
    ]
    criteria = Criteria(keywords=("hydrogen",))
    ranked = rank_calls(calls, criteria, now=NOW)
    assert [call.id for call, _ in ranked] == [1, 3, 2, 4, 5]
    scores = [m.score for _, m in ranked]
    assert scores[0] > scores[1] == scores[2] == scores[3] == scores[4] > 0
    assert [call.id for call, _ in rank_calls(calls, criteria, now=NOW, limit=2)] == [1, 3]
    alone = match_call(calls[4], criteria, now=NOW)  # a corpus of one: another rarity, same words
    assert (ranked[0][1].reasons, ranked[0][1].verdicts) == (alone.reasons, alone.verdicts)


def test_criteria_from_a_profile() -> None:
    profile = Profile(
        subscriber_id=1,
        keywords=["hydrogen"],
        countries=["PT"],
        org_types=["sme"],
        budget_max=Decimal("500000"),
        min_days_left=14,
    )
    assert Criteria.from_profile(profile) == Criteria(
        keywords=("hydrogen",),
        countries=("PT",),
        org_types=("sme",),
        budget_max=Decimal("500000"),
        min_days_left=14,
    )


# --------------------------------------------------------------------------- Matcher == rank_calls

WORDS = [
    "hydrogen", "Hydrogène", "électrolyseur", "electrolyser", "electrolysis", "green", "Green", "AI", "ai",
    "maintenance", "solar", "batteries", "agri-food", "food", "digital", "twin", "cluster", "SMEs",
    "consultancy", "training", "R&D", "port", "ports", "circular", "textile",
]  # fmt: skip
KEYWORDS = [
    "hydrogen", "hydrogene", "electroly*", "green hydrogen", "ai", "digital twin", "food", "agri food",
    "cluster*", "R&D", "port", "circular textile", "batter*", "missing", "s*",
]  # fmt: skip
SEPARATORS = [" ", " ", " ", "-", ", ", "  ", ". ", " – "]
COUNTRIES = ["PT", "ES", "FR", "DE", "IT"]
ORG_TYPES = ["sme", "startup", "research", "cluster", "university"]
ECOSYSTEMS = ["agri-food", "digital", "renewable-energy", "textile"]
PROGRAMMES = [
    ("Horizon Europe", "43108390", "HORIZON-CL5-2027-01"),
    ("Single Market Programme", None, "SMP-COSME-2027-CLUSTER"),
    ("Digital Europe Programme", None, None),
    (None, None, None),
]


def text(rng: random.Random, low: int, high: int) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    return "".join(word + rng.choice(SEPARATORS) for word in words).strip()


def generated_call(rng: random.Random, call_id: int) -> SimpleNamespace:
    deadline_at = rng.choice(
        [None, NOW - timedelta(days=3), *(NOW + timedelta(hours=h) for h in (5, 30, 700, 2000))]
    )
    deadline_at = deadline_at if rng.random() < 0.8 else NOW + timedelta(minutes=rng.randint(0, 200_000))
    programme, code, identifier = rng.choice(PROGRAMMES)
    return make_call(
        id=call_id,
        title=text(rng, 2, 6),
        summary_text=text(rng, 0, 30),
        keywords=[text(rng, 1, 2) for _ in range(rng.randint(0, 3))],
        countries=rng.sample(COUNTRIES, rng.randint(0, 3)),
        country_groups=rng.choice([[], ["EU"]]),
        org_types=rng.sample(ORG_TYPES, rng.randint(0, 2)),
        org_types_exclusive=rng.choice([None, False, True]),
        sme_relevant=rng.choice([None, True]),
        ecosystems=rng.sample(ECOSYSTEMS, rng.randint(0, 2)),
        programme=programme,
        programme_code=code,
        identifier=identifier,
        funding_type=rng.choice([None, "grant", "cascade", "tender"]),
        contribution_max=rng.choice([None, Decimal("60000"), Decimal("2000000")]),
        status=rng.choice(["open", "open", "open", "forthcoming", "closed", "unknown"]),
        opens_at=rng.choice([None, NOW + timedelta(days=20)]),
        next_deadline_at=deadline_at,
        deadlines=[deadline(deadline_at)] if deadline_at else [],
    )


def generated_criteria(rng: random.Random) -> Criteria:
    return Criteria(
        keywords=tuple(rng.sample(KEYWORDS, rng.choice([0, 1, 1, 2, 3]))),
        exclude=tuple(rng.sample(["consultancy", "training", "ports"], rng.choice([0, 0, 1]))),
        countries=tuple(rng.sample(COUNTRIES, rng.choice([0, 1, 1, 2]))),
        org_types=tuple(rng.sample(ORG_TYPES, rng.choice([0, 1, 2]))),
        ecosystems=tuple(rng.sample(ECOSYSTEMS, rng.choice([0, 0, 1]))),
        programmes=tuple(rng.sample(["HORIZON", "SMP", "Digital Europe", "LIFE"], rng.choice([0, 0, 1]))),
        funding_types=tuple(rng.sample(["grant", "cascade"], rng.choice([0, 0, 1]))),
        budget_min=rng.choice([None, None, Decimal("100000")]),
        budget_max=rng.choice([None, None, Decimal("500000")]),
        min_days_left=rng.choice([None, None, 7, 30]),
    )


def test_matcher_ranks_exactly_like_rank_calls() -> None:
    rng = random.Random(20270110)
    calls = [generated_call(rng, call_id) for call_id in rng.sample(range(1, 10_000), 300)]
    matcher = Matcher(calls, now=NOW)
    found = 0
    for _ in range(60):
        criteria, limit = generated_criteria(rng), rng.choice([None, None, 5])
        expected = rank_calls(calls, criteria, now=NOW, limit=limit)
        assert matcher.rank(criteria, limit=limit) == expected
        found += bool(expected)
    assert found >= 20  # the comparison is not between empty lists


def test_profiles_read_countries_as_the_browse_filters_do() -> None:
    from monitor.people.subscriptions import ProfileInput, SubscriptionError, clean_profile

    # "EL" is the EU's code for Greece and "UK" the common one for GB: calls store GR and GB.
    assert clean_profile(ProfileInput(countries=["pt, EL", "UK", "Deutschland"]))["countries"] == [
        "PT", "GR", "GB", "DE",
    ]  # fmt: skip
    with pytest.raises(SubscriptionError, match="unknown country 'XX'"):
        clean_profile(ProfileInput(countries=["XX"]))


# --------------------------------------------------------------------------- all-of keywords, strict criteria


def test_all_of_keywords_need_every_one_and_any_of_needs_one() -> None:
    call = make_call(title="Green hydrogen valleys", summary_text="Electrolysers for ports.")
    both = Criteria(keywords=("port", "ports"), keywords_all=("hydrogen", "electrolysers"))
    assert match_call(call, both, now=NOW).matches
    missing = Criteria(keywords_all=("hydrogen", "ammonia"))
    result = match_call(call, missing, now=NOW)
    assert not result.matches and "ammonia" in result.verdicts[1].detail
    assert not match_call(call, Criteria(keywords=("ammonia",), keywords_all=("hydrogen",)), now=NOW).matches
    calls = [call, make_call(id=2, title="Hydrogen only")]
    for criteria in (both, missing, Criteria(keywords_all=("hydrogen",))):
        assert [m for _, m in Matcher(calls, now=NOW).rank(criteria)] == [
            m for _, m in rank_calls(calls, criteria, now=NOW)
        ]


def test_strict_drops_a_call_that_does_not_state_the_criterion() -> None:
    silent, stated = make_call(id=1, title="A"), make_call(id=2, title="B", ecosystems=["agri-food"])
    loose = Criteria(ecosystems=("agri-food",))
    strict = Criteria(ecosystems=("agri-food",), strict=frozenset({"ecosystem"}))
    assert [c.id for c, _ in rank_calls([silent, stated], loose, now=NOW)] == [2, 1]
    assert [c.id for c, _ in rank_calls([silent, stated], strict, now=NOW)] == [2]
    dropped = match_call(silent, strict, now=NOW)
    assert not dropped.matches and dropped.reasons == ("ecosystem not stated (only calls that state it)",)
    assert match_call(silent, loose, now=NOW).not_stated == ("ecosystem",)


def test_strict_without_a_value_asks_only_that_the_call_states_it() -> None:
    silent, stated = make_call(id=1, title="A"), make_call(id=2, title="B", countries=["PL"])
    criteria = Criteria(strict=frozenset({"country", "deadline"}))
    assert [c.id for c, _ in rank_calls([silent, stated], criteria, now=NOW)] == [2]
    undated = make_call(id=3, countries=["PL"], next_deadline_at=None)
    assert not match_call(undated, criteria, now=NOW).matches


def test_unknown_strict_names_are_refused() -> None:
    from monitor.match.criteria import parse_strict

    assert parse_strict("ecosystem, org-type") == frozenset({"ecosystem", "org_type"})
    with pytest.raises(ValueError, match="colour"):
        parse_strict("colour")


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("language", "keyword", "title"),
    [
        ("pl", "pompy ciepła", "Wsparcie dla pomp ciepła w budynkach"),
        ("pl", "magazynowanie energii", "Projekty magazynowania energii"),
        ("de", "Wärmepumpe", "Förderung von Wärmepumpen"),
        ("de", "Gutschein", "Innovationsgutscheine für KMU"),  # inside a compound
        ("de", "Wasserstoff", "Wasserstoffprojekte in Häfen"),  # at the start of one
        ("it", "cooperativa agricola", "Bando per cooperative agricole"),
        ("it", "agroalimentare", "Filiere agroalimentari locali"),
        ("fr", "pompe à chaleur", "Aides aux pompes à chaleur"),
        ("fr", "électrolyseur", "Nouveaux électrolyseurs"),
        ("es", "bomba de calor", "Ayudas para bombas de calor"),
        ("es", "pequeña empresa", "Apoyo a pequeñas empresas"),
        ("pt", "eletrolisador", "Eletrolisadores para hidrogénio verde"),
        ("pt", "inovação", "Vales de inovações para PME"),
    ],
)
def test_inflected_and_compound_keywords_match_in_the_calls_language(
    language: str, keyword: str, title: str
) -> None:
    call = make_call(title=title, language=language)
    assert match(call, keywords=(keyword,)).matches
    assert [c for c, _ in Matcher([call], now=NOW).rank(Criteria(keywords=(keyword,)))] == [call]


def test_the_language_is_detected_when_the_record_does_not_name_it() -> None:
    call = make_call(
        title="Wsparcie dla pomp ciepła", summary_text="Program dla małych i średnich przedsiębiorstw."
    )
    assert match(call, keywords=("pompy ciepła",)).matches


def test_a_compound_part_must_leave_a_word_of_its_own() -> None:
    # "Gutscheine" is the keyword's own plural, not a compound; "Bau" is too short to be a part.
    assert match(make_call(title="Neue Gutscheine", language="de"), keywords=("Gutschein",)).matches
    assert not match(make_call(title="Bauernhöfe", language="de"), keywords=("Bau",)).matches
    # English does not compound: "pump" is not found in "sumppump".
    assert not match(make_call(title="Sumppumps", language="en"), keywords=("pumps",)).matches
