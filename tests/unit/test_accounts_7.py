"""Handbook § 7: accounts, surplus and deficit under the 5 % rule, and the operators' reserve ledger."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rammeaftale.domain.accounts import (
    AccountsError,
    AccountsLevel,
    ClosureDestination,
    Consequence,
    EntryKind,
    LedgerOffer,
    ReserveEntry,
    ReserveLedger,
    ResultKind,
    accounts_result,
    assess_result,
    carry_forward_interest,
    check_accounts_deadline,
    check_accounts_level,
    closure_outcome,
    early_repayment,
    reserve_expiry_year,
    result_percent,
    share_by_purchases,
)
from rammeaftale.domain.findings import Severity
from rammeaftale.domain.rules import RuleSet
from tests.unit.factories import midtjylland, nordjylland

OPERATOR = 851
FJORDGAARDEN = LedgerOffer(1, OPERATOR, covered=True)
HAVBAKKEN = LedgerOffer(2, OPERATOR, covered=True)
ONLY_OWN_CITIZENS = LedgerOffer(3, OPERATOR, covered=False)  # category 1: not covered (R-COV)
SOMEONE_ELSES = LedgerOffer(4, 860, covered=True)


def with_parameters(rules: RuleSet, **values: object) -> RuleSet:
    params = dict(rules.parameters)
    for name, value in values.items():
        params[name] = dataclasses.replace(params[name], value=value)
    return dataclasses.replace(rules, parameters=params)


def surplus(result: str = "950000", base: str = "12000000", year: int = 2025, **kwargs: bool) -> Consequence:
    return assess_result(Decimal(result), Decimal(base), year, nordjylland(), **kwargs)


def ledger_with_reserve(amount: str = "600000", year: int = 2025, offer: LedgerOffer = FJORDGAARDEN) -> ReserveLedger:
    ledger, findings = ReserveLedger(OPERATOR).reserve(surplus(year=year), offer, nordjylland(), Decimal(amount))
    assert findings == () and ledger is not None
    return ledger


# -- the handbook's worked examples ----------------------------------------------------------------


def test_handbook_surplus_example_950_000_on_12_000_000_is_7_92_pct_600_000_reserve_350_000_lowers_the_tariff():
    c = surplus()
    assert c.kind is ResultKind.SURPLUS
    assert c.percent == Decimal("7.92")
    assert c.within_limit == c.reserve_allowed == Decimal("600000.00")
    assert c.excess == Decimal("350000.00")
    assert c.tariff_effect == Decimal("-350000.00")
    assert c.due_year == 2027
    assert [(i.budget_year, i.amount) for i in c.installments] == [(2027, Decimal("-350000.00"))]
    assert c.operator_covers == Decimal(0)


def test_handbook_deficit_example_720_000_on_10_000_000_is_7_2_pct_operator_covers_500_000_220_000_raises_it():
    c = assess_result(Decimal("-720000"), Decimal("10000000"), 2025, nordjylland())
    assert c.kind is ResultKind.DEFICIT
    assert c.percent == Decimal("7.20")
    assert c.within_limit == c.operator_covers == Decimal("500000.00")
    assert c.excess == Decimal("220000.00")
    assert c.tariff_effect == Decimal("220000.00")
    assert c.due_year == 2027
    assert c.reserve_allowed == Decimal(0)


def test_the_issue_example_770_000_on_8_000_000_in_2023():
    c = assess_result(Decimal("770000"), Decimal("8000000"), 2023, nordjylland())
    assert (c.percent, c.within_limit, c.excess, c.tariff_effect, c.due_year) == (
        Decimal("9.63"),
        Decimal("400000.00"),
        Decimal("370000.00"),
        Decimal("-370000.00"),
        2025,
    )


def test_the_percent_has_two_decimals_rounded_half_up():
    assert result_percent(Decimal("1250"), Decimal("1000000")) == Decimal("0.13")  # 0.125 -> 0.13
    assert result_percent(Decimal("-1250"), Decimal("1000000")) == Decimal("0.13")


def test_the_result_is_income_minus_costs_and_a_cost_base_of_0_is_refused():
    assert accounts_result(Decimal("17600000"), Decimal("17410000.50")) == Decimal("189999.50")
    with pytest.raises(AccountsError):
        assess_result(Decimal(1), Decimal(0), 2025, nordjylland())
    with pytest.raises(AccountsError):
        assess_result(Decimal("1.001"), Decimal(100), 2025, nordjylland())


def test_a_result_within_the_limit_changes_no_tariff():
    c = surplus("600000")
    assert (c.within_limit, c.excess, c.tariff_effect) == (Decimal("600000"), Decimal(0), Decimal(0))
    assert str(c.tariff_effect) == "0"  # not a negative zero


# -- one test per rule ------------------------------------------------------------------------------


def test_r_acc_01_accounts_are_given_at_the_same_level_every_year():
    assert check_accounts_level(AccountsLevel.OFFER, []) == ()
    assert check_accounts_level(AccountsLevel.OFFER, [AccountsLevel.OFFER, AccountsLevel.OFFER]) == ()
    (finding,) = check_accounts_level(AccountsLevel.TARGET_GROUP, [AccountsLevel.OFFER])
    assert (finding.rule_id, finding.severity, finding.field) == ("R-ACC-01", Severity.ERROR, "level")
    assert "samme niveau" in finding.message


def test_r_cyc_01_accounts_after_the_deadline_are_flagged_not_dropped():
    rules = midtjylland()  # 1 May in the year after the accounts year
    assert check_accounts_deadline(2023, date(2024, 5, 1), rules) == ()
    (late,) = check_accounts_deadline(2023, date(2024, 5, 2), rules)
    assert (late.rule_id, late.severity) == ("R-CYC-01", Severity.WARNING)
    assert "01-05-2024" in late.message


def test_r_sur_01_up_to_5_pct_of_a_surplus_may_be_reserved_and_no_more():
    rules = nordjylland()
    c = surplus()
    ledger, findings = ReserveLedger(OPERATOR).reserve(c, FJORDGAARDEN, rules)
    assert findings == () and ledger is not None
    assert ledger.balance() == Decimal("600000.00")
    again, refused = ledger.reserve(c, FJORDGAARDEN, rules, Decimal("0.01"))
    assert again is None
    assert [(f.rule_id, f.field) for f in refused] == [("R-SUR-01", "amount")]
    # the limit is the rule set's, not a constant
    assert assess_result(
        Decimal("950000"), Decimal("12000000"), 2025, with_parameters(rules, reserve_max_pct=Decimal(7))
    ).excess == Decimal("110000")


def test_r_sur_01_a_reserve_is_only_made_in_a_covered_offer():
    ledger, findings = ReserveLedger(OPERATOR).reserve(surplus(), ONLY_OWN_CITIZENS, nordjylland())
    assert ledger is None and [f.rule_id for f in findings] == ["R-SUR-01"]


def test_r_sur_02_a_reserve_expires_after_five_years_and_lowers_the_next_tariff():
    rules = nordjylland()
    assert reserve_expiry_year(2025, rules) == 2030
    ledger = ledger_with_reserve(year=2025)
    assert ledger.available(2030) == Decimal("600000")
    unchanged, nothing = ledger.expire(2030, rules)
    assert nothing == () and unchanged.balance() == Decimal("600000")
    expired_ledger, (expired,) = ledger.expire(2031, rules)
    assert expired_ledger.balance() == 0
    assert expired_ledger.entries[-1].kind is EntryKind.EXPIRED
    assert (expired.offer_id, expired.origin_year, expired.expiry_year) == (1, 2025, 2030)
    assert (expired.amount, expired.tariff_effect, expired.due_year) == (Decimal("600000"), Decimal("-600000"), 2031)
    assert expired_ledger.expire(2032, rules)[1] == ()  # expires once


def test_r_sur_02_a_reserve_is_used_only_in_the_operators_covered_offers_and_never_beyond_its_balance():
    ledger = ledger_with_reserve("600000", 2025)
    used, findings = ledger.use(HAVBAKKEN, Decimal("250000"), 2026, "kvalitetsudvikling")
    assert findings == () and used is not None
    assert used.balance() == Decimal("350000")
    assert used.entries[-1] == ReserveEntry(
        EntryKind.USED, 1, Decimal("-250000"), 2025, 2030, 2026, HAVBAKKEN.id, "kvalitetsudvikling"
    )
    for offer in (ONLY_OWN_CITIZENS, SOMEONE_ELSES):
        refused, findings = used.use(offer, Decimal(1), 2026)
        assert refused is None and [(f.rule_id, f.field) for f in findings] == [("R-SUR-02", "offer")]
    too_much, findings = used.use(FJORDGAARDEN, Decimal("350000.01"), 2026)
    assert too_much is None and [(f.rule_id, f.field) for f in findings] == [("R-SUR-02", "amount")]
    expired, findings = used.use(FJORDGAARDEN, Decimal(1), 2031)  # after its expiry year
    assert expired is None and findings[0].rule_id == "R-SUR-02"


def test_r_sur_02_the_oldest_reserve_is_used_first():
    rules = nordjylland()
    ledger = ledger_with_reserve("100000", 2024)
    ledger, _ = ledger.reserve(surplus(year=2025), FJORDGAARDEN, rules, Decimal("200000"))
    assert ledger is not None
    used, _ = ledger.use(FJORDGAARDEN, Decimal("150000"), 2026)
    assert used is not None
    assert [(e.origin_year, e.amount) for e in used.entries if e.kind is EntryKind.USED] == [
        (2024, Decimal("-100000")),
        (2025, Decimal("-50000")),
    ]


def test_r_sur_02_a_ledger_that_would_go_negative_cannot_be_built():
    created = ReserveEntry(EntryKind.CREATED, 1, Decimal(100), 2025, 2030, 2026)
    with pytest.raises(AccountsError):
        ReserveLedger(OPERATOR, (created, ReserveEntry(EntryKind.USED, 1, Decimal(-101), 2025, 2030, 2026)))
    with pytest.raises(AccountsError):
        ReserveEntry(EntryKind.USED, 1, Decimal(5), 2025, 2030, 2026)  # a use must be negative


def test_r_sur_03_the_excess_of_a_surplus_lowers_the_tariff_by_accounts_year_plus_the_rule_sets_years():
    c = surplus(year=2023)
    assert (c.tariff_effect, c.due_year) == (Decimal("-350000.00"), 2025)
    later = assess_result(Decimal(950000), Decimal(12000000), 2023, with_parameters(nordjylland(), excess_due_years=3))
    assert later.due_year == 2026


def test_r_sur_04_a_deficit_up_to_5_pct_is_the_operators_own_and_does_not_enter_the_tariff():
    c = assess_result(Decimal("-500000"), Decimal("10000000"), 2025, nordjylland())
    assert (c.operator_covers, c.excess, c.tariff_effect) == (Decimal("500000"), Decimal(0), Decimal(0))
    assert "R-SUR-04" in c.rule_ids


def test_r_sur_05_the_excess_of_a_deficit_raises_the_tariff_by_accounts_year_plus_the_rule_sets_years():
    rules = with_parameters(nordjylland(), deficit_excess_due_years=1)
    c = assess_result(Decimal("-720000"), Decimal("10000000"), 2025, rules)
    assert (c.tariff_effect, c.due_year) == (Decimal("220000.00"), 2026)
    assert "R-SUR-05" in c.rule_ids


def test_r_sur_06_amounts_carried_forward_bear_interest_at_one_rate_both_ways():
    rules = with_parameters(nordjylland(), carry_forward_interest_pct=Decimal("3"))
    assert carry_forward_interest(Decimal("-350000"), 2025, 2027, rules) == Decimal("-10500.00")
    assert carry_forward_interest(Decimal("220000"), 2025, 2027, rules) == Decimal("6600.00")
    assert carry_forward_interest(Decimal("100000"), 2025, 2029, rules) == Decimal("9272.70")  # 3 years, compounded
    c = assess_result(Decimal("950000"), Decimal("12000000"), 2025, rules)
    assert (c.interest, c.tariff_effect_with_interest) == (Decimal("-10500.00"), Decimal("-360500.00"))
    assert "R-SUR-06" in c.rule_ids
    assert surplus().interest == 0  # the shipped rule sets' rate is 0 until the secretariat sets one


def test_r_sur_07_an_excess_surplus_repaid_early_is_shared_by_the_buyers_purchases_to_the_ore():
    c = surplus(year=2025)  # 350,000 excess, due 2027
    purchases = {851: Decimal("1234567.89"), 860: Decimal("2345678.90"), 813: Decimal("345678.12")}
    repayment, findings = early_repayment(c, Decimal("350000"), 2026, purchases)
    assert findings == () and repayment is not None
    assert [(s.buyer_id, s.share) for s in repayment.shares] == [
        (813, Decimal("30817.54")),  # 30,817.5384…: the odd øre goes to the largest remainder
        (851, Decimal("110062.92")),
        (860, Decimal("209119.54")),
    ]
    assert sum(s.share for s in repayment.shares) == Decimal("350000")
    assert repayment.remaining_tariff_effect == Decimal(0)


def test_r_sur_07_only_an_excess_surplus_and_only_before_it_is_due_can_be_repaid():
    deficit = assess_result(Decimal("-720000"), Decimal("10000000"), 2025, nordjylland())
    buyers = {851: Decimal(1)}
    assert early_repayment(deficit, Decimal(1), 2026, buyers)[0] is None
    too_much, findings = early_repayment(surplus(), Decimal("350000.01"), 2026, buyers)
    assert too_much is None and findings[0].rule_id == "R-SUR-07"
    too_late, findings = early_repayment(surplus(), Decimal(1), 2027, buyers)
    assert too_late is None and [f.field for f in findings] == ["year"]
    partly, _ = early_repayment(surplus(), Decimal("100000"), 2026, buyers)
    assert partly is not None and partly.remaining_tariff_effect == Decimal("-250000")


def test_r_new_02_a_new_offers_first_year_loss_may_be_spread_over_three_years():
    c = assess_result(Decimal("-720000"), Decimal("10000000"), 2025, nordjylland(), new_offer=True)
    assert c.spread and "R-NEW-02" in c.rule_ids
    assert [(i.budget_year, i.amount) for i in c.installments] == [
        (2027, Decimal("73333.34")),
        (2028, Decimal("73333.33")),
        (2029, Decimal("73333.33")),
    ]
    assert (c.tariff_effect, c.due_year, c.operator_covers) == (Decimal("220000.00"), 2029, Decimal("500000.00"))
    # a surplus of a new offer is handled as any other
    assert not surplus(new_offer=True).spread


def test_r_clo_01_a_closing_offers_reserve_moves_whole_to_another_covered_offer_of_the_operator():
    ledger = ledger_with_reserve("600000", 2025)
    moved, findings = ledger.transfer_on_closure(FJORDGAARDEN.id, HAVBAKKEN, 2027)
    assert findings == () and moved is not None
    assert (moved.balance(FJORDGAARDEN.id), moved.balance(HAVBAKKEN.id)) == (0, Decimal("600000"))
    assert moved.lots(HAVBAKKEN.id) == {(2, 2025): (Decimal("600000"), 2030)}  # keeps its origin and expiry
    for target in (ONLY_OWN_CITIZENS, SOMEONE_ELSES, FJORDGAARDEN):
        refused, findings = ledger.transfer_on_closure(FJORDGAARDEN.id, target, 2027)
        assert refused is None and findings[0].rule_id == "R-CLO-01"


def test_r_clo_01_a_closing_offers_balance_goes_to_the_other_offers_or_the_municipality_or_stays_with_the_region():
    shared = closure_outcome(Decimal("-100000"), "municipality", {7: Decimal("2000000"), 8: Decimal("1000000")})
    assert shared.destination is ClosureDestination.OTHER_OFFERS
    assert shared.shares == ((7, Decimal("-66666.67")), (8, Decimal("-33333.33")))
    assert closure_outcome(Decimal("-1"), "municipality", {}).destination is ClosureDestination.OPERATOR_COVERS
    assert closure_outcome(Decimal("1"), "municipality", {}).destination is ClosureDestination.REPAY_BUYERS
    assert closure_outcome(Decimal("-1"), "region", {}).destination is ClosureDestination.REGION_BALANCE


# -- properties -------------------------------------------------------------------------------------

ore = st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: Decimal(n).scaleb(-2))
positive_base = st.integers(min_value=1, max_value=10**12).map(lambda n: Decimal(n).scaleb(-2))


@settings(max_examples=300)
@given(result=ore, base=positive_base, new_offer=st.booleans())
def test_r_sur_01_r_sur_04_within_limit_plus_excess_is_the_size_of_the_result(result, base, new_offer):
    c = assess_result(result, base, 2025, nordjylland(), new_offer=new_offer)
    assert c.within_limit + c.excess == abs(result)
    assert c.within_limit <= c.limit
    assert c.excess == 0 or c.within_limit == c.limit
    assert sum(i.amount for i in c.installments) == c.tariff_effect
    assert (c.tariff_effect <= 0) if c.kind is ResultKind.SURPLUS else (c.tariff_effect >= 0)


ledger_steps = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "use", "expire", "repay", "close"]),
        st.integers(min_value=2024, max_value=2034),
        st.integers(min_value=1, max_value=80_000_000).map(lambda n: Decimal(n).scaleb(-2)),
        st.sampled_from([FJORDGAARDEN, HAVBAKKEN, ONLY_OWN_CITIZENS, SOMEONE_ELSES]),
    ),
    max_size=25,
)


@settings(max_examples=200)
@given(steps=ledger_steps)
def test_r_sur_02_the_ledger_balance_is_the_sum_of_its_entries_and_never_goes_negative(steps):
    rules = nordjylland()
    ledger = ReserveLedger(OPERATOR)
    for action, year, amount, offer in steps:
        before = ledger.entries
        if action == "reserve":
            c = assess_result(amount * 30, Decimal(10_000_000), year, rules)
            changed, findings = ledger.reserve(c, offer, rules, amount)
        elif action == "use":
            changed, findings = ledger.use(offer, amount, year)
        elif action == "repay":
            changed, findings = ledger.repay(offer.id, amount, year)
        elif action == "close":
            changed, findings = ledger.transfer_on_closure(FJORDGAARDEN.id, offer, year)
        else:
            changed, findings = ledger.expire(year, rules)[0], ()
        assert (changed is None) == bool(findings)
        if changed is not None:
            assert changed.entries[: len(before)] == before  # append-only
            ledger = changed
        assert ledger.balance() == sum((e.amount for e in ledger.entries), Decimal(0))
        assert ledger.balance() >= 0
        assert all(balance > 0 for balance, _ in ledger.lots().values())
        assert ledger.balance() == ledger.balance(1) + ledger.balance(2) + ledger.balance(3) + ledger.balance(4)


@settings(max_examples=200)
@given(
    reserves=st.lists(
        st.tuples(
            st.sampled_from([FJORDGAARDEN, HAVBAKKEN]),
            st.integers(min_value=2020, max_value=2026),
            st.integers(min_value=1, max_value=60_000_000).map(lambda n: Decimal(n).scaleb(-2)),
        ),
        max_size=8,
    ),
    bystander=st.integers(min_value=1, max_value=10**8).map(lambda n: Decimal(n).scaleb(-2)),
)
def test_r_clo_01_a_closure_moves_the_whole_balance_and_nothing_else(reserves, bystander):
    rules = nordjylland()
    other = LedgerOffer(9, OPERATOR, covered=True)
    ledger = ReserveLedger(OPERATOR, (ReserveEntry(EntryKind.CREATED, other.id, bystander, 2024, 2029, 2025),))
    for offer, year, amount in reserves:
        changed, _ = ledger.reserve(assess_result(amount * 20, Decimal(10**9), year, rules), offer, rules, amount)
        ledger = changed or ledger
    closing, receiving = ledger.balance(FJORDGAARDEN.id), ledger.balance(HAVBAKKEN.id)
    moved, findings = ledger.transfer_on_closure(FJORDGAARDEN.id, HAVBAKKEN, 2027)
    assert findings == () and moved is not None
    assert moved.balance(FJORDGAARDEN.id) == 0
    assert moved.balance(HAVBAKKEN.id) == receiving + closing
    assert moved.balance(other.id) == bystander
    assert moved.balance() == ledger.balance()
    new = moved.entries[len(ledger.entries) :]
    assert all(e.kind is EntryKind.TRANSFERRED for e in new)


@given(
    amount=st.integers(min_value=0, max_value=10**11).map(lambda n: Decimal(n).scaleb(-2)),
    purchases=st.dictionaries(
        st.integers(min_value=1, max_value=999),
        st.integers(min_value=0, max_value=10**10).map(lambda n: Decimal(n).scaleb(-2)),
        min_size=1,
        max_size=20,
    ).filter(lambda p: sum(p.values()) > 0),
)
def test_r_sur_07_buyer_shares_add_up_exactly_to_the_repayment(amount, purchases):
    shares = share_by_purchases(amount, purchases)
    assert sum((s.share for s in shares), Decimal(0)) == amount
    assert all(s.share >= 0 and s.share == s.share.quantize(Decimal("0.01")) for s in shares)
    assert all(s.share == 0 for s in shares if s.purchases == 0)
