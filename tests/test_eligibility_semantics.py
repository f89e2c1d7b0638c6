"""Issue #14: an organisation type found in prose is "mentioned", not a restriction; "not eligible" needs
wording that excludes (or a source's list of eligible entities); a programme label no table knows is
"unknown"; a Horizon Europe sub-programme label passes a Horizon Europe filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from monitor.match.criteria import Criteria, Match, Verdict
from monitor.match.index import Matcher, match_call
from monitor.model.call import CallIn
from monitor.model.raw import RawCall
from monitor.model.view import BUDGET_FIELDS, DATE_FIELDS, MERGED_FIELDS, ORG_FIELDS, Member, merge
from monitor.normalise.call import normalise_call
from monitor.normalise.eligibility import exclusive_wording, list_read_whole, sentences
from sources.fields import to_raw_call

NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)

# Real wording (samples/deadline_phrasing_text_excerpts.txt).
CLUSTERS_MEET_REGIONS = (  # ECCP staging mirror, Clusters meet Regions
    "The ECCP is launching a Call for Expression of Interest to select the national/regional authorities and "
    "cluster organisations to run each of these important events. The next deadline for making your "
    "application is 1 April 2027, at 18.00 CET."
)
POWERUP = (  # fundingprogrammesportal.gov.cy, PowerUp NetZero
    "Applications must be SMEs or start-ups with at least one closed and validated financial year and "
    "registered in an EU Member State or a country participating in the Single Market Programme (SMP)."
)
ECHALLIANCE = (  # echalliance.com, Clusters meet Regions 4: an "only" about the cut-off, not about who
    "This call for expression of interest is continuously open. However, applications will be deemed "
    "admissible to be considered for a certain quarter of the year only if they are sent before the "
    "respective cut-off date. Cluster organisations and regional authorities are invited to apply."
)
EURO_ACCESS_135 = "Education and training institution, Research Institution incl. University"  # detail 135


def normalised(text: str, **values: object) -> CallIn:
    """The call as stored: matching reads a `CallIn` as it reads a stored row."""
    raw = RawCall(key="k", title="Open call", conditions_html=f"<p>{text}</p>", deadline_text="31 May 2027")
    return normalise_call(raw.model_copy(update=values), now=NOW)


def org_verdict(call: object, *org_types: str) -> tuple[Match, Verdict]:
    result = match_call(call, Criteria(org_types=org_types), now=NOW)
    (found,) = [v for v in result.verdicts if v.criterion == "organisation type"]
    return result, found


# --------------------------------------------------------------------------- mentioned is not exclusive


def test_a_call_naming_authorities_and_clusters_stays_unknown_for_smes() -> None:
    call = normalised(CLUSTERS_MEET_REGIONS)
    assert (call.org_types, call.org_types_exclusive) == (["cluster", "public-body"], False)
    result, verdict = org_verdict(call, "sme")
    assert result.matches
    assert (verdict.outcome, verdict.detail) == (
        "unknown",
        "mentioned: cluster organisations and public bodies; SMEs not stated",
    )


def test_a_call_mentioning_research_organisations_stays_eligible_for_smes() -> None:
    call = normalised("Research organisations may take part as subcontractors of the beneficiaries.")
    assert (call.org_types, call.org_types_exclusive) == (["research"], False)
    result, verdict = org_verdict(call, "sme")
    assert result.matches and verdict.outcome == "unknown"
    assert verdict.detail == "mentioned: research organisations; SMEs not stated"


def test_only_smes_may_apply_rules_out_a_research_organisation() -> None:
    call = normalised("Only SMEs may apply. Research organisations may act as subcontractors.")
    assert (call.org_types, call.org_types_exclusive) == (["research", "sme"], True)
    result, verdict = org_verdict(call, "university")
    assert not result.matches and verdict.outcome == "not eligible"
    assert verdict.detail == "not open to universities (open to research organisations and SMEs)"
    # "sme" is met by the call's own type, "startup" by an SME call
    assert org_verdict(call, "startup")[1].outcome == "eligible"


def test_real_exclusive_wording_rules_out_others_and_keeps_start_ups() -> None:
    call = normalised(POWERUP)
    assert (call.org_types, call.org_types_exclusive) == (["sme", "startup"], True)
    assert org_verdict(call, "research")[1].outcome == "not eligible"
    assert org_verdict(call, "startup")[1].outcome == "eligible"


def test_no_type_named_is_none_and_unknown() -> None:
    call = normalised("To be eligible, applicants must be legal entities established in EU Member States.")
    assert (call.org_types, call.org_types_exclusive) == ([], None)
    assert org_verdict(call, "sme")[1] == Verdict(
        "organisation type", "unknown", "no organisation type stated", None
    )


def test_sme_flag_still_meets_an_sme_profile_of_an_exclusive_research_call() -> None:
    call = normalised("Only research organisations may apply.", sme_relevant=True)
    assert call.org_types_exclusive is True
    assert org_verdict(call, "sme")[1].outcome == "eligible"
    assert org_verdict(call, "university")[1].outcome == "not eligible"


# --------------------------------------------------------------------------- exclusive wording


@pytest.mark.parametrize(
    "text",
    [
        "Only SMEs may apply.",
        "The call is only open to SMEs established in the EU.",
        "This call is reserved for start-ups and scale-ups.",
        "The applicant must be an SME.",
        "Only the following entities may apply:\nSMEs\nstart-ups",
        POWERUP,
        # FR
        "L'appel est réservé aux PME établies dans un État membre.",
        "Seules les PME peuvent candidater.",
        "L'appel s'adresse uniquement aux PME.",
        # DE
        "Nur KMU sind antragsberechtigt.",
        "Antragsberechtigt sind ausschließlich kleine und mittlere Unternehmen.",
        "Die Förderung ist Hochschulen vorbehalten.",
        # IT
        "Il bando è riservato alle PMI con sede in Italia.",
        "Solo le PMI possono presentare domanda.",
        "Possono partecipare esclusivamente le micro, piccole e medie imprese.",
        # ES
        "Solo podrán participar las pymes.",
        "La convocatoria está reservada a pymes de la Unión.",
        "Podrán ser beneficiarias exclusivamente las universidades públicas.",
        # PT, PL, NL
        "O concurso é reservado a PME.",
        "Wyłącznie MŚP mogą składać wnioski.",
        "Tylko mikro, małe i średnie przedsiębiorstwa mogą ubiegać się o wsparcie.",
        "Alleen kmo's kunnen deelnemen.",
    ],
)
def test_exclusive_wording(text: str) -> None:
    assert exclusive_wording(text)


@pytest.mark.parametrize(
    "text",
    [
        ECHALLIANCE,
        CLUSTERS_MEET_REGIONS,
        # real wording that names SMEs without excluding anyone (formats.md §4.2, afil.it, fundingtrip.com)
        "L'Open Call è rivolta principalmente a PMI e prevede un contributo massimo di 60.000 Euro.",
        "The Open call is addressed to SMEs working in the MTA ecosystem and located in EU Member States.",
        "SMEs established in the Member States of the European Union (EU) are eligible to apply.",
        # an "only" in another sentence, or far from any type in the same one
        "Only one proposal per applicant is allowed. SMEs and universities are welcome.",
        "Proposals can only be submitted through the online platform, in English, before the deadline, "
        "and the evaluation committee will score those of SMEs first.",
        # guards: the cue restricts something else
        "Not only SMEs but also universities can apply.",
        "Funding is limited to EUR 60 000 per SME.",
        "20% of the budget is reserved for SMEs.",
        "The coordinator must be a university; partners may be of any type.",
        "Applications must be submitted electronically by the SMEs.",
        "Nicht nur KMU, sondern auch Hochschulen können teilnehmen.",
        "Les dossiers sont déposés uniquement en ligne. Les PME et les universités sont invitées.",
    ],
)
def test_wording_that_does_not_exclude(text: str) -> None:
    assert not exclusive_wording(text)


def test_sentences_keep_a_list_with_the_line_that_opens_it() -> None:
    text = (
        "Eligibility\nOnly the following may apply:\nSMEs\nuniversities.\nDeadline: 31 May 2027. See below."
    )
    assert sentences(text) == [
        "Eligibility",
        "Only the following may apply: SMEs universities.",
        "Deadline: 31 May 2027.",
        "See below.",
    ]
    # An HTML list, as normalisation flattens it (list items apart by blank lines).
    html = "<p>Only the following entities may apply:</p><ul><li>SMEs</li><li>start-ups</li></ul>"
    assert normalise_call(RawCall(key="k", title="t", conditions_html=html), now=NOW).org_types_exclusive
    assert sentences("Research institutes, incl. universities, may apply. Other text.") == [
        "Research institutes, incl. universities, may apply.",
        "Other text.",
    ]


# --------------------------------------------------------------------------- a source's list


def test_a_list_of_eligible_entities_is_exclusive_only_when_each_entry_is_read() -> None:
    # "Education and training institution" names no type Callwatch knows: it might be the profile's.
    assert not list_read_whole(EURO_ACCESS_135)
    assert list_read_whole("Research Institution incl. University, Small and medium-sized enterprises (SMEs)")
    assert not list_read_whole("Private institution, incl. private company (private for profit), University")


def test_the_selectors_list_field_marks_the_list_and_normalisation_reads_it() -> None:
    listed = to_raw_call({"title": "ECHE", "org_types_list": "Research Institution incl. University"})
    prose = to_raw_call({"title": "ECHE", "org_types": "Research Institution incl. University"})
    assert (listed.org_types_listed, prose.org_types_listed) == (True, False)
    assert normalise_call(listed, now=NOW).org_types_exclusive is True  # no exclusive wording needed
    assert normalise_call(prose, now=NOW).org_types_exclusive is False
    real = normalise_call(to_raw_call({"title": "ECHE", "org_types_list": EURO_ACCESS_135}), now=NOW)
    assert (real.org_types, real.org_types_exclusive) == (["research", "university"], False)


def test_merge_takes_the_exclusive_flag_with_the_types_it_describes() -> None:
    def record(id_: int, source: str, **values: object) -> Member:
        fields: dict[str, object] = dict.fromkeys((*MERGED_FIELDS, *ORG_FIELDS, *BUDGET_FIELDS, *DATE_FIELDS))
        fields.update(countries=[], country_groups=[], ecosystems=[], keywords=[], org_types=[])
        fields.update(id=id_, source_id=source, key=str(id_), title="t", **values)
        return Member(call=SimpleNamespace(**fields), kind=source, deadlines=[])

    portal = record(1, "ft-portal", org_types_exclusive=None)  # names no type
    eccp = record(
        2, "eccp", org_types=["sme"], org_types_text="Only SMEs may apply.", org_types_exclusive=True
    )
    merged = merge([portal, eccp])
    assert (merged.org_types, merged.org_types_exclusive) == (["sme"], True)
    assert merged.provenance["org_types_exclusive"] == "eccp"


def test_the_matcher_keeps_calls_that_only_mention_other_types() -> None:
    mentioned = normalised("Research organisations and universities are welcome.")
    exclusive = normalised("Only research organisations may apply.")
    criteria = Criteria(org_types=("sme",))
    calls = [SimpleNamespace(**dict(call), id=n) for n, call in enumerate((mentioned, exclusive), 1)]
    kept = [call.id for call, _ in Matcher(calls, now=NOW).rank(criteria)]
    assert kept == [1]


# --------------------------------------------------------------------------- programmes


def programme_verdict(**values: object) -> Verdict:
    call = normalised("No organisation type here.", **values)
    result = match_call(call, Criteria(programmes=("Horizon Europe",)), now=NOW)
    (found,) = [v for v in result.verdicts if v.criterion == "programme"]
    return found


@pytest.mark.parametrize(
    "label",
    [
        "EIC Accelerator",
        "EIC Pathfinder",
        "European Innovation Council",
        "MSCA",
        "Marie Skłodowska-Curie Actions",
        "ERC",
        "Horizon Europe: Cluster 5 - Climate, Energy and Mobility",  # euro-access listing
        "Cluster 5 - Climate, Energy and Mobility",
        "Pillar II",
        "Widening participation and strengthening the ERA",
        "EIT Food",
        "Missions",
        "HORIZON-EIC-2024-ACCELERATOR-02",
        "HORIZON-MSCA-2024-DN-01",
    ],
)
def test_a_horizon_sub_programme_label_passes_a_horizon_filter(label: str) -> None:
    assert programme_verdict(programme=label).outcome == "eligible"


def test_a_label_no_table_knows_is_unknown_not_not_eligible() -> None:
    verdict = programme_verdict(programme="New European Bauhaus Facility")
    assert (verdict.outcome, verdict.detail) == (
        "unknown",
        "programme New European Bauhaus Facility: not a programme Callwatch knows",
    )
    # a frameworkProgramme code no table knows was "known" (and so "not eligible") before issue #14
    assert programme_verdict(programme_code="99999999").outcome == "unknown"


def test_another_programme_is_still_not_eligible() -> None:
    assert programme_verdict(programme="LIFE Climate Action").outcome == "not eligible"
    assert programme_verdict(programme="Interreg Central Europe").outcome == "not eligible"
    assert programme_verdict(programme_code="43252405").outcome == "not eligible"  # LIFE's portal id


def test_the_calls_above_are_open() -> None:
    # Their deadline (31 May 2027) is ahead of NOW: the verdicts above are about eligibility, not status.
    call = normalised("x")
    assert call.status == "open" and call.next_deadline_at - NOW > timedelta(days=100)
