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
    TrueUpLine,
    distribute,
    installment_count,
    installment_period,
    on_account_invoice,
    on_account_plan,
    paid_so_far,
    true_up,
    true_up_document,
)
from rammeaftale.domain.invoices import DocumentKind
from rammeaftale.domain.periods import Period
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.settlement import LineKind
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
    installments=st.sampled_from([1, 2, 3, 4, 6, 12]),  # R-SET-12: whole months per installment
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


# -- the invoices of objective financing (R-SET-12) ------------------------------------------------------


def _financing(amount: int, key: list[tuple[str, Decimal]]) -> ObjectiveFinancing:
    return ObjectiveFinancing("N-851-01", 2025, Decimal(amount), KeyKind.POPULATION, tuple(key))


def test_r_set_12_installments_cover_whole_months_of_the_year():
    assert installment_period(2025, 3, 12) == Period(date(2025, 3, 1), date(2025, 3, 31))
    assert installment_period(2024, 1, 6) == Period(date(2024, 1, 1), date(2024, 2, 29))
    assert installment_period(2025, 3, 4) == Period(date(2025, 7, 1), date(2025, 9, 30))
    assert installment_count(with_parameters(nordjylland(), on_account_installments_per_year=4)) == 4
    for count in (0, 5, 7):
        with pytest.raises(FinancingError, match="gå op i 12"):
            installment_count(with_parameters(nordjylland(), on_account_installments_per_year=count))
    with pytest.raises(FinancingError, match="Raten 13 findes ikke"):
        installment_period(2025, 13, 12)


def test_r_set_12_on_account_invoice_has_one_line_of_the_installment_and_names_the_rule():
    financing = _financing(1000000, [(k, w) for k, w in HANDBOOK_KEY.items()])
    plan = on_account_plan(financing.distribution(), nordjylland())
    first = plan[
        0
    ]  # Morsø's January installment: 175,435 / 12 = 14,619.58 -> 14,620 (earlier ones take the odd kroner)
    invoice = on_account_invoice(851, 773, financing, first, 12, date(2025, 1, 2), date(2025, 2, 1))
    assert invoice is not None
    (line,) = invoice.lines
    assert (invoice.total, line.amount, line.rule_id, line.kind) == (
        Decimal(14620),
        Decimal(14620),
        "R-SET-12",
        LineKind.ON_ACCOUNT,
    )
    assert invoice.month == Period(date(2025, 1, 1), date(2025, 1, 31))
    assert "A conto-rate 1 af 12" in line.label
    zero = dataclasses.replace(first, amount=Decimal(0))
    assert on_account_invoice(851, 773, financing, zero, 12, date(2025, 1, 2), date(2025, 2, 1)) is None


def test_r_set_12_true_up_is_an_invoice_for_more_a_credit_note_for_less_and_nothing_when_even():
    financing = _financing(1000, [("851", Decimal(1))])
    issued, due = date(2026, 1, 15), date(2026, 2, 14)
    more = true_up_document(851, 851, financing, TrueUpLine("851", Decimal(1000), Decimal(1200)), issued, due, "")
    assert more is not None and more.kind is DocumentKind.INVOICE and more.total == Decimal(200)
    less = true_up({"851": Decimal(1000)}, Decimal(900), [("851", Decimal(1))]).lines[0]
    refund = true_up_document(851, 851, financing, less, issued, due, "851-000012")
    assert refund is not None and refund.kind is DocumentKind.CREDIT_NOTE
    assert (refund.total, refund.credits, refund.lines[0].quantity) == (Decimal(-100), "851-000012", Decimal(-1))
    even = TrueUpLine("851", Decimal(1000), Decimal(1000))
    assert true_up_document(851, 851, financing, even, issued, due, "") is None
    with pytest.raises(FinancingError, match="ingen a conto-faktura"):
        true_up_document(851, 851, financing, less, issued, due, "")


@settings(max_examples=40)
@given(
    budget=st.integers(min_value=0, max_value=10**8),
    actual=st.integers(min_value=0, max_value=10**8),
    key=weights,
    installments=st.sampled_from([1, 2, 3, 4, 6, 12]),
)
def test_r_set_12_installment_invoices_and_true_up_documents_add_up_to_each_final_share(
    budget, actual, key, installments
):
    pairs = [(str(800 + n), Decimal(w)) for n, w in enumerate(key)]
    financing = _financing(budget, pairs)
    rules = with_parameters(nordjylland(), on_account_installments_per_year=installments)
    issued, due = date(2026, 1, 15), date(2026, 2, 14)
    billed: dict[str, Decimal] = {}
    last: dict[str, str] = {}
    for n, installment in enumerate(on_account_plan(financing.distribution(), rules)):
        invoice = on_account_invoice(
            851, int(installment.municipality), financing, installment, installments, issued, due
        )
        if invoice is not None:
            billed[installment.municipality] = billed.get(installment.municipality, Decimal(0)) + invoice.total
            last[installment.municipality] = f"851-{n:06d}"
    result = true_up(billed, Decimal(actual), pairs)
    for line in result.lines:
        document = true_up_document(
            851, int(line.municipality), financing, line, issued, due, last.get(line.municipality, "")
        )
        total = billed.get(line.municipality, Decimal(0)) + (document.total if document else Decimal(0))
        assert total == line.final_share  # what a municipality is invoiced in all is its share of the actual amount
    assert sum((line.final_share for line in result.lines), Decimal(0)) == Decimal(actual)
