"""Data-driven tests of the pure text normalisers (dates, money, countries, vocab).

Cases live in tests/cases/*.toml, one row per real wording with its expected value written by
hand; adding a case means adding TOML, not code. A few plain tests below pin edge behaviour.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from monitor.model.zones import BRUSSELS
from monitor.normalise import budget, countries, money, programmes, vocab
from monitor.normalise.dates import (
    brussels_cutoff,
    epoch_ms_to_utc,
    extract_deadlines,
    parse_date_words,
    parse_iso_offset,
    parse_time_words,
)

CASES = Path(__file__).parent / "cases"


def _rows(file: str, table: str) -> list[dict[str, Any]]:
    with (CASES / file).open("rb") as handle:
        return tomllib.load(handle)[table]


def _cases(file: str, table: str, key: str = "text") -> pytest.MarkDecorator:
    rows = _rows(file, table)
    ids = [" ".join(str(row[key]).split())[:60] or "<empty>" for row in rows]
    return pytest.mark.parametrize("case", rows, ids=ids)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


# ------------------------------------------------------------------------------------------- deadlines


@_cases("deadlines.toml", "case")
def test_deadline_wordings(case: dict[str, Any]) -> None:
    options: dict[str, Any] = {}
    if "default_tz" in case:
        options["default_tz"] = ZoneInfo(case["default_tz"])
    if "default_time" in case:
        options["default_time"] = time.fromisoformat(case["default_time"])
    result = extract_deadlines(case["text"], **options)
    found = result.deadlines
    assert [d.at for d in found] == [_utc(at) for at in case["expect"]], result
    assert all(d.at.utcoffset() == timedelta(0) for d in found)
    count = len(found)
    if found:
        assert [d.date_only for d in found] == case["date_only"]
    assert [d.closed for d in found] == case.get("closed", [False] * count)
    assert [d.tentative for d in found] == case.get("tentative", [False] * count)
    assert [d.label or "" for d in found] == case.get("labels", [""] * count)
    if "snippets" in case:
        assert [d.text for d in found] == case["snippets"]
    assert len(result.warnings) == case.get("warnings", 0), result.warnings
    for fragment in case.get("warn_contains", []):
        assert any(fragment in warning for warning in result.warnings), result.warnings


def test_every_deadline_row_pins_date_only() -> None:
    rows = _rows("deadlines.toml", "case")
    assert not [row["text"][:40] for row in rows if row["expect"] and "date_only" not in row]


# ------------------------------------------------------------------------------------------- dates/times


@_cases("dates.toml", "date")
def test_parse_date_words(case: dict[str, Any]) -> None:
    assert parse_date_words(case["text"]) == (None if case.get("none") else case["expect"])


@_cases("dates.toml", "time")
def test_parse_time_words(case: dict[str, Any]) -> None:
    result = parse_time_words(case["text"])
    if case.get("none"):
        assert result is None
        return
    assert result is not None
    clock, zone = result
    assert clock == case["expect"]
    assert (zone.key if zone else "") == case["zone"]


@_cases("dates.toml", "iso")
def test_parse_iso_offset(case: dict[str, Any]) -> None:
    parsed = parse_iso_offset(case["text"])
    assert parsed == _utc(case["expect"])
    assert parsed.utcoffset() == timedelta(0)


@_cases("dates.toml", "epoch_ms", key="value")
def test_epoch_ms_to_utc(case: dict[str, Any]) -> None:
    assert epoch_ms_to_utc(case["value"]) == _utc(case["expect"])


@_cases("dates.toml", "cutoff", key="day")
def test_brussels_cutoff(case: dict[str, Any]) -> None:
    assert brussels_cutoff(case["day"], case.get("cutoff", time(17, 0))) == _utc(case["expect"])


def test_impossible_date_is_never_moved() -> None:
    assert parse_date_words("31/02/2024") is None
    result = extract_deadlines("Closing date: 31.02.2024 17:00")
    assert result.deadlines == []
    assert result.warnings == ["impossible date '31.02.2024 17:00'"]


def test_twelve_am_and_pm() -> None:
    assert parse_time_words("12 pm") == (time(12), None)
    assert parse_time_words("12 am") == (time(0), None)
    assert parse_time_words("12:30 am") == (time(0, 30), None)
    assert parse_time_words("15 pm CET") == (time(15), BRUSSELS)


def test_iso_without_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_iso_offset("2024-04-18T19:00:00")


def test_portal_brussels_date_rule() -> None:
    # formats.md §1.4: a translated record's 23:00Z is the next Brussels day; the cut-off is 17:00 there.
    day = parse_iso_offset("2024-11-26T23:00:00.000+0000").astimezone(BRUSSELS).date()
    assert day == date(2024, 11, 27)
    assert brussels_cutoff(day) == datetime(2024, 11, 27, 16, tzinfo=UTC)


# ------------------------------------------------------------------------------------------- money


@_cases("money.toml", "amount")
def test_parse_amount(case: dict[str, Any]) -> None:
    assert money.parse_amount(case["text"]) == (None if case.get("none") else Decimal(case["expect"]))


@_cases("money.toml", "money")
def test_extract_money(case: dict[str, Any]) -> None:
    found = [
        {"amount": m.amount, "currency": m.currency, "minimum": m.minimum}
        for m in money.extract_money(case["text"])
    ]
    expected = [
        {"amount": Decimal(e["amount"]), "currency": e["currency"], "minimum": _decimal(e.get("minimum"))}
        for e in case["expect"]
    ]
    assert found == expected


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


@_cases("budgets.toml", "budget")
def test_read_budget(case: dict[str, Any]) -> None:
    reading = budget.read_budget(case["text"])
    found = (reading.total, reading.minimum, reading.maximum, reading.currency)
    expected = tuple(_decimal(case.get(key)) for key in ("total", "min", "max")) + (case.get("currency"),)
    assert found == expected, reading.warnings
    assert len(reading.warnings) == case.get("warnings", 0), reading.warnings
    for fragment in case.get("warn_contains", []):
        assert any(fragment in warning for warning in reading.warnings), reading.warnings


def test_money_keeps_the_snippet() -> None:
    [found] = money.extract_money("get European funding between 20.000 and 50.000 euros. The application")
    assert found.text == "between 20.000 and 50.000 euros"


# ------------------------------------------------------------------------------------------- countries


@_cases("countries.toml", "code", key="name")
def test_country_code(case: dict[str, Any]) -> None:
    assert countries.country_code(case["name"]) == (None if case.get("none") else case["expect"])


@_cases("countries.toml", "extract")
def test_extract_countries(case: dict[str, Any]) -> None:
    result = countries.extract_countries(case["text"])
    expected = set(case.get("codes", []))
    for name in case.get("sets", []):
        expected |= getattr(countries, name)
    expected -= set(case.get("minus", []))
    assert result.codes == sorted(expected)
    assert result.groups == case["groups"]
    assert result.text == case["text"]
    assert result.excluded == case.get("excluded", [])


@_cases("countries.toml", "label")
def test_programme_label_countries(case: dict[str, Any]) -> None:
    found = countries.programme_default_countries(None, "", case["text"])
    expected = set(case.get("codes", []))
    for name in case.get("sets", []):
        expected |= getattr(countries, name)
    assert (found.codes if found else []) == sorted(expected)


def test_country_sets() -> None:
    assert len(countries.EU27) == 27
    assert "GR" in countries.EU27 and "EL" not in countries.EU27
    assert {"IS", "LI", "NO"} == countries.EEA_EFTA
    assert not countries.EU27 & (countries.HORIZON_ASSOCIATED | countries.SMP_ASSOCIATED)
    assert {"GB", "CH", "UA", "CA", "KR", "XK"} <= countries.HORIZON_ASSOCIATED


def test_niger_is_not_nigeria() -> None:
    assert countries.country_code("Niger") == "NE"
    assert countries.country_code("Nigeria") == "NG"
    assert countries.extract_countries("SMEs in Nigeria").codes == ["NG"]


# ------------------------------------------------------------------------------------------- vocab


@_cases("vocab.toml", "org")
def test_extract_org_types(case: dict[str, Any]) -> None:
    assert vocab.extract_org_types(case["text"]) == case["expect"]


@_cases("vocab.toml", "ecosystem")
def test_extract_ecosystems(case: dict[str, Any]) -> None:
    assert vocab.extract_ecosystems(case["text"]) == case["expect"]


@_cases("programmes.toml", "label")
def test_programme_from_label(case: dict[str, Any]) -> None:
    found = programmes.programme_from_label(case["text"])
    assert (found[0] if found else None) == (None if case.get("unknown") else case["expect"])


@_cases("vocab.toml", "fold")
def test_fold(case: dict[str, Any]) -> None:
    assert vocab.fold(case["text"]) == case["expect"]


def test_fold_chars_keeps_offsets() -> None:
    text = "Frist: 3. März 2025 – 14:00, września, Łódź, dell’Unione"
    folded = vocab.fold_chars(text)
    assert len(folded) == len(text)
    assert folded == "frist: 3. marz 2025 - 14:00, wrzesnia, lodz, dell'unione"


def test_vocabularies() -> None:
    assert len(vocab.ECOSYSTEMS) == 14
    assert list(vocab.ORG_TYPES) == [
        "sme", "startup", "large-enterprise", "research", "university", "cluster", "public-body", "ngo",
        "individual",
    ]  # fmt: skip
