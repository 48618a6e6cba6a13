"""Handbook § 6.3 and the § 6.5 worked example, exact to the øre."""

from __future__ import annotations

from decimal import Decimal

from rammeaftale.domain.submission import TariffType
from rammeaftale.domain.tariffs import (
    compute_tariffs,
    cost_base,
    direct_support_hours_per_week,
    service_level_daily_tariff,
)
from tests.unit.factories import make_submission, midtjylland, nordjylland


def test_r_tar_03_fjordgaarden_cost_base_is_17_410_000_kr():
    assert cost_base(make_submission(), nordjylland()) == Decimal("17410000")


def test_r_tar_03_fjordgaarden_daily_tariff_is_2070_25_and_annual_755641_25():
    result = compute_tariffs(make_submission(), nordjylland())
    assert result.occupied_place_days == Decimal("8409.6")
    assert result.main.tariff == Decimal("2070.25")
    assert result.main.annual_tariff_per_place == Decimal("755641.25")


def test_r_tar_03_a_full_march_costs_a_buyer_64_177_75_kr():
    daily = compute_tariffs(make_submission(), nordjylland()).main.tariff
    assert daily is not None
    assert 31 * daily == Decimal("64177.75")


def test_r_tar_01_the_tariff_year_has_365_days_also_in_leap_years():
    result = compute_tariffs(make_submission(budget_year=2024, ruleset="nordjylland-2023-2024"), nordjylland())
    assert result.available_place_days == Decimal(24 * 365)


def test_r_tar_03_financing_income_entered_positive_reduces_the_base():
    more_income = make_submission(costs={"financing_income": 110000})
    assert cost_base(more_income, nordjylland()) == Decimal("17310000")


def test_r_tar_08_regulation_positive_adds_a_deficit_negative_deducts_a_surplus():
    deficit = make_submission(costs={"regulation": 250000})
    assert cost_base(deficit, nordjylland()) == Decimal("17910000")


def test_r_tar_07_pension_from_salary_uses_the_rule_sets_25_percent():
    by_salary = make_submission(costs={"civil_servant_pension": {"salary_basis": 400000}})
    assert cost_base(by_salary, nordjylland()) == Decimal("17410000")


def test_r_tar_12_r_neg_01_every_tariff_states_its_negotiable_direct_support_hours_per_week():
    assert direct_support_hours_per_week(Decimal(43000), Decimal("8409.6")) == Decimal("35.79")
    assert compute_tariffs(make_submission(), nordjylland()).main.direct_support_hours_per_place_per_week == Decimal(
        "35.79"
    )


def test_r_tar_04_handbook_levels_give_600_1200_and_2100_kr_per_day():
    rate = Decimal(420)
    assert [service_level_daily_tariff(Decimal(h), rate) for h in (10, 20, 35)] == [
        Decimal("600.00"),
        Decimal("1200.00"),
        Decimal("2100.00"),
    ]


def test_r_tar_04_a_citizen_on_level_b_pays_basis_850_plus_1200_is_2050():
    assert Decimal("850.00") + service_level_daily_tariff(Decimal(20), Decimal(420)) == Decimal("2050.00")


def test_r_tar_04_basis_service_splits_citizen_directed_costs_from_the_basis():
    s = make_submission(
        service={
            "name": "Botilbud",
            "type": "basis_service",
            "hourly_rate": "420",
            "levels": [{"name": "A", "hours_per_week": 10}, {"name": "B", "hours_per_week": 20}],
        },
    )
    result = compute_tariffs(s, midtjylland())
    basis, level_a, level_b = result.services
    # citizen-directed: citizen-related staff 11.4m + temps 0.5m + activities 0.6m (rule set lines)
    assert basis.cost_base == Decimal("17410000") - Decimal("12500000")
    assert basis.tariff == (Decimal("4910000") / Decimal("8409.6")).quantize(Decimal("0.01"))
    assert level_a.service_tariff == Decimal("600.00")
    assert level_b.tariff == basis.tariff + Decimal("1200.00")
    assert level_b.tariff_type is TariffType.BASIS_SERVICE


def test_r_tar_03_hourly_tariff_is_cost_base_over_budgeted_hours():
    s = make_submission(service={"name": "Rådgivning", "type": "hourly", "budgeted_units": 20000})
    result = compute_tariffs(s, nordjylland())
    assert result.main.tariff == Decimal("870.50")
    assert result.main.unit == "time"


def test_individual_tariff_has_no_published_price_but_shows_the_composition():
    s = make_submission(service={"name": "Enkeltmandsprojekt", "type": "individual"})
    result = compute_tariffs(s, nordjylland())
    assert result.main.tariff is None
    assert any(
        step.label == "Vejledende gennemsnitlig døgnpris" and step.value == Decimal("2070.25") for step in result.trace
    )


def test_r_obj_01_r_obj_03_objective_financing_is_a_yearly_amount_not_a_per_use_tariff():
    s = make_submission(service={"name": "Trækningsret", "type": "objective_financing"})
    result = compute_tariffs(s, nordjylland())
    assert result.main.tariff == Decimal("17410000")
    assert result.main.unit == "år"


def test_the_trace_names_a_rule_for_every_step_and_ends_with_the_tariff():
    trace = compute_tariffs(make_submission(), nordjylland()).trace
    assert all(step.rule_id.startswith("R-") for step in trace)
    assert [s.value for s in trace if s.label == "Takstberegningsgrundlag"] == [Decimal("17410000")]
    assert trace[-2].label == "Døgntakst" and trace[-2].value == Decimal("2070.25")
