"""Danish formats shared by the renderers and the web UI (handbook § 15: exact money, 2-decimal percentages)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rammeaftale.adapters.documents.formatting import (
    format_amount,
    format_date,
    format_datetime,
    format_kr,
    format_number,
    format_pct,
    neutralise_cell,
    unit_label,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234567.89"), "1.234.567,89 kr."),
        (Decimal("2070.25"), "2.070,25 kr."),
        (Decimal("64177.75"), "64.177,75 kr."),
        (Decimal("17410000"), "17.410.000,00 kr."),
        (Decimal("-250000"), "-250.000,00 kr."),
        (Decimal("0"), "0,00 kr."),
        (Decimal("999"), "999,00 kr."),
        (Decimal("1000"), "1.000,00 kr."),
    ],
)
def test_kroner_are_shown_with_dot_thousands_a_decimal_comma_and_kr(value: Decimal, expected: str) -> None:
    assert format_kr(value) == expected


def test_a_missing_amount_is_shown_as_a_dash() -> None:
    assert format_kr(None) == "–"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("2.675"), "2,68"),  # a float would make this 2,67
        (Decimal("0.005"), "0,01"),
        (Decimal("-0.005"), "-0,01"),
        (Decimal("999.995"), "1.000,00"),
        (Decimal("-0.001"), "0,00"),  # no negative zero
        (Decimal("1E+3"), "1.000,00"),
    ],
)
def test_amounts_round_half_up_to_ore(value: Decimal, expected: str) -> None:
    assert format_amount(value) == expected


def test_amounts_can_be_shown_with_other_numbers_of_decimals() -> None:
    assert format_amount(Decimal("755641.25"), 0) == "755.641"
    assert format_amount(Decimal("8409.6"), 1) == "8.409,6"
    assert format_amount(Decimal("12345678901234567890123456789.99")) == "12.345.678.901.234.567.890.123.456.789,99"


def test_amounts_refuse_floats_because_money_is_exact() -> None:
    with pytest.raises(TypeError):
        format_amount(2070.25)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_kr(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_amount(Decimal("NaN"))


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (Decimal("24"), None, "24"),
        (Decimal("24.00"), None, "24"),
        (Decimal("12.50"), None, "12,5"),
        (Decimal("35.79"), 2, "35,79"),
        (Decimal("35.7851"), 2, "35,79"),
        (Decimal("1234"), 0, "1.234"),
        (Decimal("8409.6"), 1, "8.409,6"),
    ],
)
def test_numbers_show_places_and_hours(value: Decimal, decimals: int | None, expected: str) -> None:
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("-1.58"), "-1,58 %"),  # the corrected municipal tariff change of handbook § 1
        (Decimal("-1.575"), "-1,58 %"),
        (Decimal("5"), "5,00 %"),
        (Decimal("96"), "96,00 %"),
        (None, "–"),
    ],
)
def test_percentages_have_two_decimals(value: Decimal | None, expected: str) -> None:
    assert format_pct(value) == expected


def test_dates_are_day_month_year_with_dashes() -> None:
    assert format_date(date(2025, 3, 31)) == "31-03-2025"
    assert format_date(date(2026, 1, 5)) == "05-01-2026"


def test_a_naive_timestamp_is_shown_as_it_is() -> None:
    assert format_datetime(datetime(2025, 3, 31, 14, 5)) == "31-03-2025 14:05"


def test_a_utc_timestamp_is_shown_in_danish_summer_and_winter_time() -> None:
    assert format_datetime(datetime(2025, 3, 31, 12, 5, tzinfo=UTC)) == "31-03-2025 14:05"
    assert format_datetime(datetime(2025, 1, 15, 13, 5, tzinfo=UTC)) == "15-01-2025 14:05"
    assert format_datetime(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "01-01-2026 00:30"


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("dag", "kr./dag"),
        ("time", "kr./time"),
        ("enhed", "kr./enhed"),
        ("år", "kr./år"),
        ("individuel", "Individuel pris"),
    ],
)
def test_units_are_labelled_per_day_hour_unit_and_year(unit: str, expected: str) -> None:
    assert unit_label(unit) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+45 12 34 56 78", "'+45 12 34 56 78"),
        ("-1,58", "'-1,58"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("\x00=1", "'\x00=1"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
    ],
)
def test_cells_that_a_spreadsheet_could_run_get_a_leading_apostrophe(text: str, expected: str) -> None:
    assert neutralise_cell(text) == expected


@pytest.mark.parametrize("text", ["Fjordgården", "", "SEL § 108", "a=b", " =1", "Voksne - 18+", "'citat"])
def test_ordinary_texts_are_left_alone(text: str) -> None:
    assert neutralise_cell(text) == text
