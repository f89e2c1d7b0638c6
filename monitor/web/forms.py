"""The sign-up and manage forms' fields, both ways: what a person typed -> a `ProfileInput` and
preference values (monitor.people.subscriptions validates them), and stored rows -> the values a
form shows.

Owns the field names, the choices the forms offer (organisation types, ecosystems, funding types,
time zones, languages, days and hours) and the forgiving parts of reading text: budgets written
"60 000" or "€60,000", keywords typed in quotes. A form shown again after an error keeps exactly
what was typed (`typed`).

Pure: no database, no request objects (anything with `get` and `getlist` will do).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol
from zoneinfo import available_timezones

from babel import Locale

from monitor.normalise.vocab import ECOSYSTEMS, ORG_TYPES
from monitor.people.subscriptions import FUNDING_TYPES, ProfileInput, SubscriptionError
from monitor.render.i18n import N_, language_name, offered_languages, supported
from monitor.render.labels import ecosystem_label, funding_choice, org_type_label

TEXT_FIELDS = (
    "email", "name", "keywords", "keywords_all", "exclude", "countries", "programmes", "budget_min",
    "budget_max", "min_days_left", "frequency", "language", "timezone", "timezone_other", "digest_weekday",
    "digest_hour", "track",
)  # fmt: skip
CHOICE_FIELDS = ("org_types", "ecosystems", "funding_types", "strict")
# The zones of EU, EEA and candidate countries; any other IANA zone can be typed.
EUROPEAN_ZONES = (
    "Europe/Amsterdam", "Europe/Athens", "Europe/Belgrade", "Europe/Berlin", "Europe/Bratislava",
    "Europe/Brussels", "Europe/Bucharest", "Europe/Budapest", "Europe/Chisinau", "Europe/Copenhagen",
    "Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul", "Europe/Kyiv", "Europe/Lisbon",
    "Europe/Ljubljana", "Europe/London", "Europe/Luxembourg", "Europe/Madrid", "Europe/Malta",
    "Europe/Oslo", "Europe/Paris", "Europe/Podgorica", "Europe/Prague", "Europe/Riga", "Europe/Rome",
    "Europe/Sarajevo", "Europe/Skopje", "Europe/Sofia", "Europe/Stockholm", "Europe/Tallinn",
    "Europe/Tirane", "Europe/Vaduz", "Europe/Vienna", "Europe/Vilnius", "Europe/Warsaw", "Europe/Zagreb",
    "Europe/Zurich", "Asia/Nicosia", "Atlantic/Azores", "Atlantic/Canary", "Atlantic/Madeira",
    "Atlantic/Reykjavik", "UTC",
)  # fmt: skip
DEFAULTS = {"frequency": "weekly", "language": "en", "timezone": "Europe/Brussels", "digest_weekday": "0",
            "digest_hour": "8", "name": "My calls"}  # fmt: skip


class Form(Protocol):
    def get(self, key: str, default: Any = ...) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...


@dataclass(frozen=True)
class Choices:
    """What the forms offer, labelled in one language; one instance per language for every page."""

    org_types: dict[str, str]
    ecosystems: dict[str, str]
    funding_types: dict[str, str]
    zones: tuple[str, ...]
    languages: dict[str, str]
    weekdays: tuple[str, ...]


@functools.cache
def choices(language: str = "en") -> Choices:
    """The choices labelled in `language`; languages by their own names, weekdays from CLDR."""
    code = supported(language)
    zones = tuple(z for z in EUROPEAN_ZONES if z in available_timezones())
    languages = {lang: language_name(lang) for lang in offered_languages()}
    funding = {slug: funding_choice(slug, language=code) for slug in FUNDING_TYPES}
    orgs = {slug: org_type_label(slug, language=code) for slug in ORG_TYPES}
    ecosystems = {slug: ecosystem_label(slug, language=code) for slug in ECOSYSTEMS}
    days = Locale.parse(code).days["format"]["wide"]
    weekdays = tuple(days[i][:1].upper() + days[i][1:] for i in range(7))
    return Choices(orgs, ecosystems, funding, zones, languages, weekdays)


def typed(form: Form) -> dict[str, Any]:
    """The form's values as typed (text trimmed to a sane length), to read or to show again."""
    values: dict[str, Any] = {name: str(form.get(name) or "")[:2000] for name in TEXT_FIELDS}
    values |= {name: [str(v) for v in form.getlist(name)][:50] for name in CHOICE_FIELDS}
    return values


def profile_input(values: dict[str, Any]) -> ProfileInput:
    """A ProfileInput from typed values; SubscriptionError for a number that is not one."""
    return ProfileInput(
        name=values["name"].strip() or "My calls",
        keywords=[_straight_quotes(values["keywords"])],
        keywords_all=[_straight_quotes(values["keywords_all"])],
        exclude=[_straight_quotes(values["exclude"])],
        countries=[values["countries"]],
        org_types=values["org_types"],
        ecosystems=values["ecosystems"],
        programmes=[values["programmes"]],
        funding_types=values["funding_types"],
        budget_min=_money(
            values["budget_min"], N_("the minimum budget must be an amount in euros, like 60000")
        ),
        budget_max=_money(
            values["budget_max"], N_("the maximum budget must be an amount in euros, like 60000")
        ),
        min_days_left=_whole(values["min_days_left"], N_("the minimum days left must be a whole number")),
        strict=values["strict"],
        frequency=values["frequency"] or "weekly",
    )


def preferences(values: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for `check_preferences`; a typed time zone wins over the list."""
    return {
        "language": values["language"] or "en",
        "timezone": values["timezone_other"].strip() or values["timezone"] or "Europe/Brussels",
        "weekday": _whole(values["digest_weekday"], N_("the digest day must be a whole number"))
        if values["digest_weekday"]
        else 0,
        "hour": _whole(values["digest_hour"], N_("the digest hour must be a whole number"))
        if values["digest_hour"]
        else 8,
    }


def blank() -> dict[str, Any]:
    """An empty form with the defaults filled in."""
    return {name: DEFAULTS.get(name, "") for name in TEXT_FIELDS} | {name: [] for name in CHOICE_FIELDS}


def profile_values(profile: Any) -> dict[str, Any]:
    """A stored profile as form values."""
    return blank() | {
        "name": profile.name,
        "keywords": ", ".join(profile.keywords),
        "keywords_all": ", ".join(profile.keywords_all),
        "exclude": ", ".join(profile.exclude),
        "countries": ", ".join(profile.countries),
        "programmes": ", ".join(profile.programmes),
        "org_types": list(profile.org_types),
        "ecosystems": list(profile.ecosystems),
        "funding_types": list(profile.funding_types),
        "strict": list(profile.strict),
        "budget_min": _plain_number(profile.budget_min),
        "budget_max": _plain_number(profile.budget_max),
        "min_days_left": "" if profile.min_days_left is None else str(profile.min_days_left),
        "frequency": profile.frequency,
    }


def preference_values(subscriber: Any) -> dict[str, Any]:
    """A subscriber's delivery preferences as form values."""
    return blank() | {
        "language": subscriber.language,
        "timezone": subscriber.timezone,
        "digest_weekday": str(subscriber.digest_weekday),
        "digest_hour": str(subscriber.digest_hour),
    }


def _straight_quotes(text: str) -> str:
    # "Quotes for an exact phrase": typographic quotes (pasted from a document) mean the same.
    return text.translate(str.maketrans("“”„«»", '"""""'))


def _money(text: str, problem: str) -> Decimal | None:
    """`problem` (N_-marked, whole) is the error's text: the page translates it."""
    cleaned = "".join(
        text.upper().replace("EUR", "").replace("€", "").replace(",", "").replace("_", "").split()
    )
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise SubscriptionError(problem) from None
    if not amount.is_finite() or amount < 0 or amount > Decimal(10) ** 12:
        raise SubscriptionError(problem)
    return amount


def _whole(text: str, problem: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise SubscriptionError(problem) from None


def _plain_number(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
