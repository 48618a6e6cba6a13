"""Handbook § 10: objective financing and drawing rights, on account and trued up at year end (R-SET-12)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rammeaftale.domain.financing import (
    Distribution,
    FinancingError,
    KeyKind,
    ObjectiveFinancing,
    distribute,
    on_account_plan,
    paid_so_far,
    true_up,
)
from rammeaftale.domain.rules import RuleSet
from tests.unit.factories import midtjylland, nordjylland

HANDBOOK_KEY = {"Morsø": Decimal(12345), "Thisted": Decimal(23456), "Brønderslev": Decimal(34567)}


def with_parameters(rules: RuleSet, **values: object) -> RuleSet:
    params = dict(rules.parameters)
    for name, value in values.items():
        params[name] = dataclasses.replace(params[name], value=value)
    return dataclasses.replace(rules, parameters=params)


def amounts(distribution: Distribution) -> list[Decimal]:
    return [a.amount for a in distribution.allocations]


# -- the handbook's worked example -----------------------------------------------------------------


def test_r_obj_02_handbook_1_000_000_over_12_345_23_456_34_567_gives_175_435_333_333_491_232():
    result = distribute(Decimal(1_000_000), HANDBOOK_KEY)
    assert [(a.municipality, a.amount) for a in result.allocations] == [
        ("Morsø", Decimal(175435)),
        ("Thisted", Decimal(333333)),
        ("Brønderslev", Decimal(491232)),
    ]
    assert result.total == result.amount == Decimal(1_000_000)
    assert result.rule_id == "R-OBJ-02"


# -- one test per rule ------------------------------------------------------------------------------


def test_r_obj_02_the_odd_kroner_go_to_the_largest_remainders_ties_to_the_earlier_municipality():
    assert amounts(distribute(Decimal(10), [("A", Decimal(1)), ("B", Decimal(1)), ("C", Decimal(1))])) == [
        Decimal(4),
        Decimal(3),
        Decimal(3),
    ]
    # exact shares 1.6 / 3.2 / 5.2: floors 1 / 3 / 5, one krone left, to the largest fraction (0.6)
    assert amounts(distribute(Decimal(10), [("A", Decimal(2)), ("B", Decimal(4)), ("C", Decimal("6.5"))])) == [
        Decimal(2),
        Decimal(3),
        Decimal(5),
    ]


def test_r_obj_02_shares_are_whole_kroner_of_a_whole_krone_amount_and_bad_keys_are_refused():
    with pytest.raises(FinancingError, match="hele kroner"):
        distribute(Decimal("1000.50"), HANDBOOK_KEY)
    with pytest.raises(FinancingError, match="negativ"):
        distribute(Decimal(1000), {"Morsø": Decimal(-1), "Thisted": Decimal(2)})
    with pytest.raises(FinancingError, match="positiv"):
        distribute(Decimal(1000), {"Morsø": Decimal(0)})
    with pytest.raises(FinancingError, match="mere end én gang"):
        distribute(Decimal(1000), [("Morsø", Decimal(1)), ("Morsø", Decimal(2))])
    with pytest.raises(FinancingError):
        distribute(Decimal(1000), {})


def test_r_obj_02_a_negative_amount_is_shared_as_negative_whole_kroner():
    assert amounts(distribute(Decimal(-10), [("A", Decimal(1)), ("B", Decimal(2))])) == [Decimal(-3), Decimal(-7)]


def test_r_obj_01_the_key_is_population_a_sub_population_or_historical_use_and_decimal_weights_are_exact():
    assert {k.value for k in KeyKind} == {"population", "sub_population", "historical_use"}
    by_use = distribute(Decimal(1_000_000), {m: w / 1000 for m, w in HANDBOOK_KEY.items()})  # 12.345 … days
    assert amounts(by_use) == [Decimal(175435), Decimal(333333), Decimal(491232)]
    financing = ObjectiveFinancing(
        "N-851-07", 2025, Decimal(1_000_000), KeyKind.SUB_POPULATION, tuple(HANDBOOK_KEY.items())
    )
    assert financing.distribution() == distribute(Decimal(1_000_000), HANDBOOK_KEY)


def test_r_obj_03_the_municipalities_in_the_key_hold_a_drawing_right_for_the_year():
    financing = ObjectiveFinancing(
        "N-851-07",
        2025,
        Decimal(1_000_000),
        KeyKind.POPULATION,
        (("Morsø", Decimal(12345)), ("Læsø", Decimal(0)), ("Thisted", Decimal(23456))),
    )
    assert financing.holders == frozenset({"Morsø", "Thisted"})
    assert financing.covers("Morsø", date(2025, 6, 1))
    assert not financing.covers("Læsø", date(2025, 6, 1))  # weight 0: no share, no drawing right
    assert not financing.covers("Morsø", date(2026, 1, 1))
    no_right = dataclasses.replace(financing, drawing_right=False)
    assert not no_right.covers("Morsø", date(2025, 6, 1))


def test_r_set_12_objectively_financed_places_are_paid_on_account_in_installments_that_add_up_to_each_share():
    share = distribute(Decimal(1_000_000), HANDBOOK_KEY)
    plan = on_account_plan(share, nordjylland())
    morsoe = [i.amount for i in plan if i.municipality == "Morsø"]
    assert len(morsoe) == 12
    assert morsoe == [Decimal(14620)] * 7 + [Decimal(14619)] * 5  # 175,435 = 12 × 14,619 + 7
    assert sum(morsoe, Decimal(0)) == Decimal(175435)
    assert sum((i.amount for i in plan), Decimal(0)) == Decimal(1_000_000)
    quarterly = on_account_plan(share, with_parameters(midtjylland(), on_account_installments_per_year=4))
    assert [i.amount for i in quarterly if i.municipality == "Thisted"] == [Decimal(83334)] + [Decimal(83333)] * 3
    assert paid_so_far(plan, 6)["Morsø"] == Decimal(14620) * 6


def test_r_set_12_the_year_end_true_up_settles_the_difference_to_the_actual_amount():
    paid = {a.municipality: a.amount for a in distribute(Decimal(1_000_000), HANDBOOK_KEY).allocations}
    result = true_up(paid, Decimal(1_100_000), HANDBOOK_KEY)
    assert [(line.municipality, line.final_share, line.difference) for line in result.lines] == [
        ("Morsø", Decimal(192978), Decimal(17543)),
        ("Thisted", Decimal(366667), Decimal(33334)),
        ("Brønderslev", Decimal(540355), Decimal(49123)),
    ]
    assert result.total_difference == Decimal(100_000)
    assert result.rule_id == "R-SET-12"
    # by actual use, and a municipality that paid but used nothing gets it all back
    by_use = true_up(paid, Decimal(900_000), {"Morsø": Decimal(10), "Thisted": Decimal(20)})
    assert [(line.municipality, line.difference) for line in by_use.lines] == [
        ("Morsø", Decimal(124565)),
        ("Thisted", Decimal(266667)),
        ("Brønderslev", Decimal(-491232)),
    ]
    assert by_use.total_difference == Decimal(-100_000)


# -- properties -------------------------------------------------------------------------------------

weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30).filter(lambda w: sum(w) > 0)


@given(total=st.integers(min_value=-(10**10), max_value=10**10), key=weights)
def test_r_obj_02_allocations_sum_exactly_to_the_amount_and_each_is_within_a_krone_of_its_exact_share(total, key):
    pairs = [(f"K{n}", Decimal(w)) for n, w in enumerate(key)]
    result = distribute(Decimal(total), pairs)
    assert sum(amounts(result), Decimal(0)) == Decimal(total)
    weight_sum = sum(key)
    for a, w in zip(result.allocations, key, strict=True):
        assert a.amount == a.amount.to_integral_value()
        assert abs(a.amount - Decimal(total) * w / weight_sum) < 1


@settings(max_examples=50)
@given(
    budget=st.integers(min_value=0, max_value=10**9),
    actual=st.integers(min_value=0, max_value=10**9),
    key=weights,
    installments=st.integers(min_value=1, max_value=12),
)
def test_r_set_12_on_account_and_true_up_add_up_to_the_actual_amount(budget, actual, key, installments):
    pairs = [(f"K{n}", Decimal(w)) for n, w in enumerate(key)]
    plan = on_account_plan(
        distribute(Decimal(budget), pairs),
        with_parameters(nordjylland(), on_account_installments_per_year=installments),
    )
    paid = paid_so_far(plan, installments)
    assert sum(paid.values(), Decimal(0)) == Decimal(budget)
    result = true_up(paid, Decimal(actual), pairs)
    assert result.total_difference == Decimal(actual - budget)
    assert all(line.paid_on_account + line.difference == line.final_share for line in result.lines)
