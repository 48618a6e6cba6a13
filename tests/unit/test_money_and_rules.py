"""Money (handbook § 15), rule sets (§ 5) and the ATA rate (§ 8)."""

from __future__ import annotations

import dataclasses
import tomllib
from decimal import Decimal

import pytest

from rammeaftale.adapters.rulesets import RULESET_DIR, all_rulesets, get_ruleset
from rammeaftale.domain.money import MoneyError, amount, largest_remainder, reckonable, round_ore_half_up
from rammeaftale.domain.rules import PARAMETERS, RuleSetError, parse_ruleset
from rammeaftale.domain.submission import build_submission
from rammeaftale.domain.supplements import ata_hourly_rate, ata_price
from rammeaftale.domain.validation import assess
from tests.unit.factories import make_submission, nordjylland, submission_data

DANISH_REFUSAL = ("endeligt tal", "for stort", "for mange cifre")
UNREASONABLE_TEXT = [
    "1e400",
    "1E+308",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1000000000000000",
    "0," + "1" * 40,
]


def test_amounts_refuse_floats():
    with pytest.raises(MoneyError):
        amount(0.1)


def test_amounts_read_danish_and_english_decimal_text():
    assert amount("1.234.567,89") == Decimal("1234567.89")
    assert amount("1234567.89") == Decimal("1234567.89")
    assert amount("2.070,25 kr.") == Decimal("2070.25")


@pytest.mark.parametrize("text", UNREASONABLE_TEXT)
def test_an_amount_that_is_not_finite_is_10_to_the_15_or_more_or_has_over_28_digits_is_refused_in_danish(text):
    with pytest.raises(MoneyError) as refused:
        amount(text)
    assert isinstance(refused.value, ValueError)
    message = str(refused.value)
    assert any(words in message for words in DANISH_REFUSAL), message
    assert text not in message and "<class" not in message and "Decimal" not in message


def test_the_money_limits_hold_for_decimals_and_integers_too_and_the_largest_reckonable_amounts_pass():
    for value in (Decimal("1E+400"), Decimal("NaN"), Decimal("-Infinity"), 10**15, -(10**15), Decimal("1." + "1" * 28)):
        with pytest.raises(MoneyError):
            amount(value)
    assert amount("999999999999999,99") == Decimal("999999999999999.99")
    assert amount(-(10**15) + 1) == Decimal("-999999999999999")
    assert amount("0." + "1" * 13) == reckonable(Decimal("0." + "1" * 13))
    for tiny in ("1e-400", "0." + "1" * 14, Decimal("1E-14")):
        with pytest.raises(MoneyError, match="decimaler"):
            amount(tiny)


@pytest.mark.parametrize("text", ["1e400", "NaN", "-Infinity", "1E+308", "1." + "1" * 40])
def test_r_tar_02_an_amount_given_as_text_beyond_the_money_limits_is_a_danish_finding_on_its_field(text):
    _, findings = build_submission(submission_data(costs={"activities": text}))
    assert [(f.rule_id, f.field) for f in findings] == [("R-TAR-02", "costs.activities")]
    assert any(words in findings[0].message for words in DANISH_REFUSAL)


def test_r_tar_03_arithmetic_that_still_fails_is_a_danish_finding_without_a_python_class_name():
    handbook = make_submission()
    unreckonable = {**handbook.costs, "activities": {"total": Decimal("1E+30")}}  # built past amount() on purpose
    findings = assess(dataclasses.replace(handbook, costs=unreckonable), nordjylland()).findings
    assert [f.rule_id for f in findings] == ["R-TAR-03"]
    message = findings[0].message
    assert message.startswith("Taksten kan ikke beregnes:") and "regne præcist" in message
    assert "<class" not in message and "decimal" not in message.lower()


def test_rounding_to_ore_is_half_up():
    assert round_ore_half_up(Decimal("2070.245")) == Decimal("2070.25")
    assert round_ore_half_up(Decimal("-0.005")) == Decimal("-0.01")


def test_r_obj_02_largest_remainder_handbook_example():
    assert largest_remainder(1_000_000, [12345, 23456, 34567]) == [175435, 333333, 491232]


def test_every_shipped_rule_set_passes_the_schema_and_names_every_parameter():
    rulesets = all_rulesets()
    assert {r.id for r in rulesets} >= {"nordjylland-2025-2026", "midtjylland-2023-2024"}
    for ruleset in rulesets:
        assert set(ruleset.parameters) == {p.name for p in PARAMETERS}


def test_r_tar_01_r_occ_01_r_sur_01_nordjylland_values_from_the_handbook():
    rules = get_ruleset("nordjylland-2025-2026")
    assert rules.days_in_year == 365
    assert rules.decimal("occupancy_min_pct") == Decimal(95)
    assert rules.decimal("occupancy_min_pct_short_stay") == Decimal(90)
    assert rules.decimal("reserve_max_pct") == Decimal(5)
    assert rules.integer("new_offer_loss_spread_years") == 3
    assert rules.decimal("civil_servant_pension_pct") == Decimal(25)


def test_values_missing_from_the_sources_are_marked_assumed():
    nord = get_ruleset("nordjylland-2025-2026")
    assert "accounts_deadline" in nord.assumed_parameters  # only known for Midtjylland
    assert "tariff_submission_deadline" not in nord.assumed_parameters
    later = get_ruleset("midtjylland-2025-2026")
    assert set(later.assumed_parameters) == {p.name for p in PARAMETERS}


def test_a_rule_set_with_a_float_an_unknown_and_a_missing_parameter_lists_every_problem():
    data = tomllib.loads((RULESET_DIR / "nordjylland-2025-2026.toml").read_text())
    data["parameters"]["reserve_max_pct"] = {"value": 5.0, "rule": "R-SUR-01"}
    data["parameters"]["mystery"] = {"value": 1}
    del data["parameters"]["days_in_tariff_year"]
    with pytest.raises(RuleSetError) as exc:
        parse_ruleset(data)
    text = " ".join(exc.value.problems)
    assert "reserve_max_pct" in text and "mystery" in text and "days_in_tariff_year" in text


def test_r_sup_02_handbook_ata_example_385_kr_per_hour_and_4042_50_for_a_week_of_evenings():
    price = ata_price(Decimal(220), Decimal("0.30"), Decimal("0.40"), Decimal("0.05"), Decimal("10.5"))
    assert price.hourly_rate == Decimal("385.00")
    assert price.amount == Decimal("4042.50")


def test_r_sup_02_cli_example_rate():
    assert ata_hourly_rate(Decimal(206), Decimal("0.33"), Decimal("0.25"), Decimal("0.05")) == Decimal("335.78")


def test_r_sup_02_variable_costs_come_from_the_rule_set():
    assert get_ruleset("nordjylland-2025-2026").decimal("supplement_variable_costs_pct") == Decimal(5)


def test_danish_thousand_separators_without_decimals_are_thousands():
    assert amount("1.100.000") == Decimal("1100000")


@pytest.mark.parametrize(
    ("ruleset_id", "parameter", "expected"),
    [
        ("midtjylland-2023-2024", "accounts_deadline", (5, 1)),  # R-CYC-01
        ("nordjylland-2025-2026", "closure_hearing_months", 1),  # R-GOV-02
        ("nordjylland-2025-2026", "new_offer_loss_spread_years", 3),  # R-NEW-02
        ("midtjylland-2023-2024", "tariff_pact", True),  # R-PACT-01
        ("nordjylland-2025-2026", "notice_extra_months", 1),  # R-SET-05
        ("nordjylland-2025-2026", "substitution_notice_days", 14),  # R-SET-07
        ("nordjylland-2025-2026", "respite_billed_by", "granted_days"),  # R-SET-09
        ("nordjylland-2025-2026", "payment_days", 30),  # R-SET-11 (KL standard contract)
        ("midtjylland-2023-2024", "payment_days", 14),  # R-SET-11 (Midtjylland)
        ("nordjylland-2025-2026", "normal_working_time", "hverdage 06:00-17:00"),  # R-SUP-03
        ("nordjylland-2025-2026", "reserve_use_years", 5),  # R-SUR-02
        ("nordjylland-2025-2026", "deficit_own_pct", Decimal(5)),  # R-SUR-04
        ("nordjylland-2025-2026", "excess_due_years", 2),  # R-SUR-03, R-SUR-05
    ],
)
def test_r_cyc_01_r_gov_02_r_new_02_r_pact_01_r_set_05_r_set_07_r_set_09_r_set_11_r_sup_03_r_sur_02_r_sur_04_r_sur_05_rule_set_values_match_the_handbook(
    ruleset_id, parameter, expected
):
    assert get_ruleset(ruleset_id).parameters[parameter].value == expected
