"""Handbook § 9 (and § 13): placements and monthly settlement, notice rules, refunds and invoices."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rammeaftale.domain.citizen_schedules import ChangeoverCitizen, CitizenSchedule, ScheduledService, plan_changeover
from rammeaftale.domain.findings import Severity
from rammeaftale.domain.invoices import (
    DocumentKind,
    Invoice,
    correction,
    credit_note,
    dispute,
    due_date,
    invoices_for_month,
)
from rammeaftale.domain.notice import Contract, Notice, OfferKind, notice_outcome
from rammeaftale.domain.periods import (
    Period,
    SettlementError,
    TariffRate,
    end_of_month_plus,
    month_period,
    split_at_tariff_changes,
)
from rammeaftale.domain.refund_claims import HealthService, claims_once_settled, health_refund, recovery_claim
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.settlement import (
    AtaSupplement,
    DailySupplement,
    Delivery,
    LineKind,
    Placement,
    UnitSupplement,
    bill_month,
)
from tests.unit.factories import midtjylland, nordjylland

AALBORG, HJOERRING, THISTED = 851, 860, 787
FJORDGAARDEN_DAILY = Decimal("2070.25")  # handbook § 6.5
NOTICE_20_MAY = Notice(date(2025, 5, 20), date(2025, 5, 20))


def with_parameters(rules: RuleSet, **values: object) -> RuleSet:
    params = dict(rules.parameters)
    for name, value in values.items():
        params[name] = dataclasses.replace(params[name], value=value)
    return dataclasses.replace(rules, parameters=params)


def rate(day: date = date(2025, 1, 1), daily: str = "2070.25") -> TariffRate:
    return TariffRate(day, Decimal(daily))


def placement(**changes: object) -> Placement:
    """Fjordgården's tariff from 1 January 2025, a standard contract, Aalborg acting, Hjørring paying."""
    defaults: dict[str, object] = {
        "placement_id": "P-0001",
        "offer_kind": OfferKind.STANDARD,
        "contract": Contract.STANDARD,
        "acting_municipality": AALBORG,
        "paying_municipality": HJOERRING,
        "start": date(2025, 1, 1),
        "tariffs": (rate(),),
    }
    defaults.update(changes)
    return Placement(**defaults)  # type: ignore[arg-type]


def months(first: date, last: date) -> list[tuple[int, int]]:
    found = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def lines_of(bill, kind: LineKind | None = None):
    return [
        (line.period.start, line.period.end, line.quantity, line.amount, line.rule_id)
        for line in bill.lines
        if kind is None or line.kind is kind
    ]


# -- the handbook's worked examples ----------------------------------------------------------------


def test_handbook_a_full_march_costs_a_buyer_31_times_2070_25_is_64_177_75():
    bill = bill_month(placement(), 2025, 3, nordjylland())
    assert lines_of(bill) == [(date(2025, 3, 1), date(2025, 3, 31), Decimal(31), Decimal("64177.75"), "R-SET-03")]
    assert bill.total == Decimal("64177.75")


@pytest.mark.parametrize(
    ("kind", "paid_until", "rule_id"),
    [
        (OfferKind.STANDARD, date(2025, 6, 30), "R-SET-05"),
        (OfferKind.SPECIAL, date(2025, 5, 20), "R-SET-06"),  # a shelter: payment stops 20 May
        (OfferKind.SUBSTITUTION, date(2025, 6, 3), "R-SET-07"),
    ],
)
def test_handbook_notice_example_final_date_20_may_2025(kind, paid_until, rule_id):
    outcome, findings = notice_outcome(NOTICE_20_MAY, kind, nordjylland())
    assert findings == () and outcome is not None
    assert (outcome.paid_until, outcome.supplements_until, outcome.rule_id) == (paid_until, date(2025, 5, 20), rule_id)


def test_handbook_notice_example_billed_month_by_month_with_a_supplement_to_20_may():
    p = placement(
        notice=NOTICE_20_MAY,
        supplements=(AtaSupplement("Ekstra aftenstøtte", date(2025, 5, 1), None, Decimal("1.5"), Decimal("385.00")),),
    )
    may, june, july = (bill_month(p, 2025, m, nordjylland()) for m in (5, 6, 7))
    assert lines_of(may) == [
        (date(2025, 5, 1), date(2025, 5, 20), Decimal(20), Decimal("41405.00"), "R-SET-03"),
        (date(2025, 5, 21), date(2025, 5, 31), Decimal(11), Decimal("22772.75"), "R-SET-05"),
        (date(2025, 5, 1), date(2025, 5, 20), Decimal("30.0"), Decimal("11550.00"), "R-SUP-02"),
    ]
    assert lines_of(june) == [(date(2025, 6, 1), date(2025, 6, 30), Decimal(30), Decimal("62107.50"), "R-SET-05")]
    assert july.lines == ()


def test_handbook_basis_and_service_example_level_b_pays_2050_a_day_on_a_citizen_schedule_r_tar_04():
    levels = {"A": 10, "B": 20, "C": 35}
    schedules = {
        level: CitizenSchedule(
            date(2025, 1, 1), Decimal("850.00"), Decimal("420.00"), (ScheduledService(level, Decimal(h)),)
        )
        for level, h in levels.items()
    }
    assert [s.service_daily for s in schedules.values()] == [Decimal("600.00"), Decimal("1200.00"), Decimal("2100.00")]
    assert schedules["B"].daily == Decimal("2050.00")
    bill = bill_month(placement(tariffs=(schedules["B"].tariff_rate(),)), 2025, 4, midtjylland())
    assert bill.total == Decimal("61500.00")  # 30 × 2,050.00


def test_a_citizen_schedule_adds_every_service_at_one_hourly_rate_and_rounds_the_service_part_to_ore():
    schedule = CitizenSchedule(
        date(2025, 1, 1),
        Decimal("850.00"),
        Decimal("421.37"),
        (ScheduledService("Socialpædagogisk støtte", Decimal(12)), ScheduledService("Træning", Decimal("2.5"))),
    )
    assert schedule.hours_per_week == Decimal("14.5")
    assert schedule.service_daily == Decimal("872.84")  # 14.5 × 421.37 / 7 = 872.8378… half-up
    assert schedule.tariff_rate().daily == Decimal("1722.84")


def test_section_13_changeover_shows_zero_sum_and_each_municipalitys_difference():
    citizens = [
        ChangeoverCitizen("P-1", AALBORG, Decimal("800.00"), Decimal("600.00"), 365),
        ChangeoverCitizen("P-2", AALBORG, Decimal("900.00"), Decimal("1200.00"), 365),
        ChangeoverCitizen("P-3", HJOERRING, Decimal("850.00"), Decimal("2100.00"), 365),
    ]
    plan = plan_changeover(citizens)
    assert plan.basis_after == Decimal("850.00")
    assert plan.zero_sum and plan.findings == ()
    assert plan.total_before == plan.total_after == Decimal("2354250.00")
    assert [(m.municipality, m.difference) for m in plan.municipalities] == [
        (AALBORG, Decimal(0)),
        (HJOERRING, Decimal(0)),
    ]
    shifted = plan_changeover(
        [
            ChangeoverCitizen("P-1", AALBORG, Decimal("800.00"), Decimal(0), 10),
            ChangeoverCitizen("P-2", HJOERRING, Decimal("900.00"), Decimal(0), 10),
        ]
    )
    assert [(m.municipality, m.difference) for m in shifted.municipalities] == [
        (AALBORG, Decimal("500.00")),  # pays more
        (HJOERRING, Decimal("-500.00")),  # pays less
    ]
    assert shifted.zero_sum


def test_section_13_a_changeover_that_rounding_keeps_from_zero_sum_says_so():
    citizens = [
        ChangeoverCitizen(f"P-{n}", AALBORG, Decimal(b), Decimal(0), 1) for n, b in enumerate(("1.00", "1.00", "1.01"))
    ]
    plan = plan_changeover(citizens)
    assert plan.basis_after == Decimal("1.00")  # 1.00333… rounded half-up
    assert plan.difference == Decimal("-0.01")
    assert not plan.zero_sum
    (warning,) = plan.findings
    assert warning.severity is Severity.WARNING and "ikke nulsum" in warning.message


# -- one test per rule ------------------------------------------------------------------------------


def test_r_set_01_under_the_standard_contract_the_acting_municipality_pays_and_recovers_from_the_paying_one():
    bill = bill_month(placement(), 2025, 3, nordjylland())
    assert (bill.payer.municipality, bill.payer.recovers_from, bill.payer.rule_id) == (AALBORG, HJOERRING, "R-SET-01")
    claim = recovery_claim(bill)
    assert claim is not None
    assert (claim.claimant, claim.debtor, claim.amount, claim.rule_id) == (
        AALBORG,
        HJOERRING,
        Decimal("64177.75"),
        "R-SET-01",
    )
    same = bill_month(placement(paying_municipality=AALBORG), 2025, 3, nordjylland())
    assert recovery_claim(same) is None


def test_r_set_01_older_placements_are_billed_to_the_paying_municipality():
    bill = bill_month(placement(contract=Contract.OLDER), 2025, 3, nordjylland())
    assert (bill.payer.municipality, bill.payer.recovers_from) == (HJOERRING, None)
    assert recovery_claim(bill) is None


def test_r_set_01_while_the_paying_municipality_is_in_doubt_the_acting_one_pays_then_claims_a_refund():
    p = placement(paying_municipality=None, contract=Contract.OLDER)
    bills = [bill_month(p, 2025, m, nordjylland()) for m in (1, 2, 3)]
    assert all(b.payer.municipality == AALBORG and b.payer.in_doubt for b in bills)
    assert [recovery_claim(b) for b in bills] == [None, None, None]
    claims = claims_once_settled(bills, THISTED)
    assert [(c.claimant, c.debtor, c.amount) for c in claims] == [
        (AALBORG, THISTED, Decimal("64177.75")),
        (AALBORG, THISTED, Decimal("57967.00")),
        (AALBORG, THISTED, Decimal("64177.75")),
    ]


def test_r_set_02_an_issued_invoice_is_never_edited_a_change_is_a_credit_note_and_a_new_invoice():
    rules = nordjylland()
    bill = bill_month(placement(), 2025, 3, rules)
    (draft,), _ = invoices_for_month(AALBORG, [bill], date(2025, 4, 1), rules)
    issued = dataclasses.replace(draft, number="851-2025-0001")
    with pytest.raises(dataclasses.FrozenInstanceError):
        issued.total = Decimal(0)  # type: ignore[misc]
    assert correction(issued, bill.lines, date(2025, 4, 5), rules) is None  # a re-run creates nothing
    changed = bill_month(placement(tariffs=(rate(daily="2000.00"),)), 2025, 3, rules)
    result = correction(issued, changed.lines, date(2025, 4, 5), rules)
    assert result is not None
    note, new = result
    assert (note.kind, note.credits, note.total) == (DocumentKind.CREDIT_NOTE, "851-2025-0001", Decimal("-64177.75"))
    assert (new.kind, new.total, new.number) == (DocumentKind.INVOICE, Decimal("62000.00"), "")
    assert issued.total == Decimal("64177.75")
    objection, findings = dispute(issued, 0, "Borgeren flyttede 15. marts", date(2025, 4, 3))
    assert findings == () and objection is not None and objection.invoice_number == "851-2025-0001"
    assert issued.lines == bill.lines  # the dispute changed nothing
    _, refused = dispute(draft, 5, " ", date(2025, 4, 3))
    assert {f.rule_id for f in refused} == {"R-SET-02"} and len(refused) == 3
    with pytest.raises(SettlementError):
        credit_note(draft, date(2025, 4, 5))  # not issued yet
    with pytest.raises(SettlementError):
        Invoice(AALBORG, HJOERRING, bill.month, date(2025, 4, 1), date(2025, 5, 1), bill.lines, Decimal(1))


def test_r_set_01_one_invoice_per_payer_per_month_with_lines_per_placement():
    rules = nordjylland()
    bills = [
        bill_month(placement(placement_id="P-2"), 2025, 3, rules),
        bill_month(placement(placement_id="P-1"), 2025, 3, rules),
        bill_month(placement(placement_id="P-3", contract=Contract.OLDER), 2025, 3, rules),
        bill_month(placement(placement_id="P-4", start=date(2025, 4, 1)), 2025, 3, rules),  # nothing in March
    ]
    invoices, findings = invoices_for_month(AALBORG, bills, date(2025, 4, 1), rules)
    assert findings == ()
    assert [(i.payer, [line.placement_id for line in i.lines], i.total) for i in invoices] == [
        (AALBORG, ["P-1", "P-2"], Decimal("128355.50")),
        (HJOERRING, ["P-3"], Decimal("64177.75")),
    ]


def test_r_set_03_a_tariff_change_inside_a_month_splits_the_line_at_the_effective_date():
    p = placement(tariffs=(rate(), rate(date(2025, 3, 10), "2100.00")))
    bill = bill_month(p, 2025, 3, nordjylland())
    assert lines_of(bill) == [
        (date(2025, 3, 1), date(2025, 3, 9), Decimal(9), Decimal("18632.25"), "R-SET-03"),
        (date(2025, 3, 10), date(2025, 3, 31), Decimal(22), Decimal("46200.00"), "R-SET-03"),
    ]


def test_r_set_03_days_before_the_first_tariff_are_not_billed_and_are_reported():
    bill = bill_month(placement(tariffs=(rate(date(2025, 3, 10)),)), 2025, 3, nordjylland())
    assert [line.period.start for line in bill.lines] == [date(2025, 3, 10)]
    (finding,) = bill.findings
    assert (finding.rule_id, finding.severity) == ("R-SET-03", Severity.ERROR)
    assert "01-03-2025–09-03-2025" in finding.message


def test_r_set_03_r_tar_01_a_leap_year_has_366_billable_days_at_the_same_daily_tariff():
    rules = nordjylland()
    assert rules.days_in_year == 365  # the tariff is calculated on 365 days, also in leap years (R-TAR-01)
    february = bill_month(placement(start=date(2024, 1, 1), tariffs=(rate(date(2024, 1, 1)),)), 2024, 2, rules)
    assert lines_of(february) == [(date(2024, 2, 1), date(2024, 2, 29), Decimal(29), Decimal("60037.25"), "R-SET-03")]
    year = sum(
        (
            bill_month(placement(start=date(2024, 1, 1), tariffs=(rate(date(2024, 1, 1)),)), 2024, m, rules).total
            for m in range(1, 13)
        ),
        Decimal(0),
    )
    assert year == 366 * FJORDGAARDEN_DAILY == Decimal("757711.50")
    assert month_period(2025, 2).days == 28 and month_period(2100, 2).days == 28 and month_period(2000, 2).days == 29


def test_r_tar_03_a_daily_tariff_with_a_fraction_of_an_ore_is_refused():
    with pytest.raises(SettlementError):
        TariffRate(date(2025, 1, 1), Decimal("2070.245"))
    with pytest.raises(SettlementError):
        placement(tariffs=(rate(), rate()))  # two tariffs the same day


def test_r_set_04_billing_runs_from_the_start_date_to_the_end_date_both_included():
    p = placement(
        start=date(2025, 3, 15), offer_kind=OfferKind.SPECIAL, notice=Notice(date(2025, 3, 1), date(2025, 3, 20))
    )
    bill = bill_month(p, 2025, 3, nordjylland())
    assert lines_of(bill) == [(date(2025, 3, 15), date(2025, 3, 20), Decimal(6), Decimal("12421.50"), "R-SET-03")]
    assert bill_month(p, 2025, 2, nordjylland()).lines == ()
    with pytest.raises(SettlementError):
        placement(start=date(2025, 3, 15), notice=Notice(date(2025, 3, 1), date(2025, 3, 14)))


def test_r_set_04_a_provisional_notice_counts_only_when_the_operator_agrees():
    provisional = Notice(date(2025, 5, 20), date(2025, 5, 20), provisional=True)
    outcome, (finding,) = notice_outcome(provisional, OfferKind.STANDARD, nordjylland())
    assert outcome is None and (finding.rule_id, finding.severity) == ("R-SET-04", Severity.ERROR)
    bill = bill_month(placement(notice=provisional), 2025, 8, nordjylland())
    assert bill.total == 31 * FJORDGAARDEN_DAILY and bill.findings == (finding,)  # billing goes on
    agreed, findings = notice_outcome(
        dataclasses.replace(provisional, operator_agrees=True), OfferKind.STANDARD, nordjylland()
    )
    assert findings == () and agreed is not None and agreed.paid_until == date(2025, 6, 30)


def test_r_set_04_the_notice_counts_from_the_day_the_final_date_is_given():
    # notice given 5 June with the final date 20 May: paid to the end of June + one month
    outcome, _ = notice_outcome(Notice(date(2025, 6, 5), date(2025, 5, 20)), OfferKind.STANDARD, nordjylland())
    assert outcome is not None
    assert (outcome.paid_until, outcome.supplements_until) == (date(2025, 7, 31), date(2025, 5, 20))


def test_r_set_05_after_notice_the_service_is_paid_to_the_end_of_the_month_plus_one_month_and_supplements_to_the_end_date():
    rules = nordjylland()
    outcome, _ = notice_outcome(Notice(date(2025, 12, 1), date(2025, 12, 1)), OfferKind.STANDARD, rules)
    assert outcome is not None and outcome.paid_until == date(2026, 1, 31)  # over the year end
    later, _ = notice_outcome(Notice(date(2025, 5, 20), date(2025, 9, 30)), OfferKind.STANDARD, rules)
    assert later is not None and later.paid_until == date(2025, 9, 30)  # a later end date is paid to the end
    two, _ = notice_outcome(NOTICE_20_MAY, OfferKind.STANDARD, with_parameters(rules, notice_extra_months=2))
    assert two is not None and two.paid_until == date(2025, 7, 31)  # the months are the rule set's
    agreed, _ = notice_outcome(NOTICE_20_MAY, OfferKind.STANDARD, rules, agreed_notice_months=0)
    assert agreed is not None and agreed.paid_until == date(2025, 5, 31)  # "unless otherwise agreed"
    older = bill_month(placement(contract=Contract.OLDER, notice=NOTICE_20_MAY, agreed_notice_months=0), 2025, 6, rules)
    assert older.lines == ()
    assert end_of_month_plus(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_r_set_05_supplements_of_every_kind_stop_at_the_end_date():
    p = placement(
        notice=NOTICE_20_MAY,
        supplements=(
            DailySupplement("Langvarig indlæggelse", date(2025, 5, 10), None, Decimal("-500.00")),
            UnitSupplement(
                "Rideterapi",
                Decimal("450.00"),
                (
                    Delivery(date(2025, 5, 6), Decimal(1)),
                    Delivery(date(2025, 5, 20), Decimal(1)),
                    Delivery(date(2025, 5, 27), Decimal(1)),
                ),
            ),
            AtaSupplement("1:1-støtte", date(2025, 4, 1), date(2025, 6, 30), Decimal(2), Decimal("335.78")),
        ),
    )
    may = bill_month(p, 2025, 5, nordjylland())
    assert lines_of(may, LineKind.SUPPLEMENT) == [
        (date(2025, 5, 10), date(2025, 5, 20), Decimal(11), Decimal("-5500.00"), "R-SUP-02"),
        (date(2025, 5, 6), date(2025, 5, 20), Decimal(2), Decimal("900.00"), "R-SUP-02"),
        (date(2025, 5, 1), date(2025, 5, 20), Decimal(40), Decimal("13431.20"), "R-SUP-02"),
    ]
    assert lines_of(bill_month(p, 2025, 6, nordjylland()), LineKind.SUPPLEMENT) == []


def test_r_set_06_in_a_specially_agreed_offer_such_as_a_shelter_payment_stops_at_the_end_date():
    p = placement(offer_kind=OfferKind.SPECIAL, notice=NOTICE_20_MAY)
    may = bill_month(p, 2025, 5, nordjylland())
    assert lines_of(may) == [(date(2025, 5, 1), date(2025, 5, 20), Decimal(20), Decimal("41405.00"), "R-SET-03")]
    assert may.notice is not None and may.notice.rule_id == "R-SET-06" and "R-SET-06" in may.rule_ids
    assert bill_month(p, 2025, 6, nordjylland()).lines == ()


def test_r_set_07_substitution_treatment_has_14_days_notice_from_the_rule_set():
    p = placement(offer_kind=OfferKind.SUBSTITUTION, notice=NOTICE_20_MAY)
    june = bill_month(p, 2025, 6, nordjylland())
    assert lines_of(june) == [(date(2025, 6, 1), date(2025, 6, 3), Decimal(3), Decimal("6210.75"), "R-SET-07")]
    seven, _ = notice_outcome(
        NOTICE_20_MAY, OfferKind.SUBSTITUTION, with_parameters(nordjylland(), substitution_notice_days=7)
    )
    assert seven is not None and seven.paid_until == date(2025, 5, 27)


def test_r_set_08_an_interim_offer_may_be_paid_beyond_the_end_date_for_documented_closing_costs_at_most_a_month_more():
    rules = nordjylland()
    plain = placement(offer_kind=OfferKind.INTERIM, notice=NOTICE_20_MAY)
    assert bill_month(plain, 2025, 5, rules).total == 20 * FJORDGAARDEN_DAILY  # stops at the end date
    documented = placement(
        offer_kind=OfferKind.INTERIM, notice=dataclasses.replace(NOTICE_20_MAY, closing_costs_until=date(2025, 6, 10))
    )
    june = bill_month(documented, 2025, 6, rules)
    assert [(line.kind, line.period.end, line.rule_id) for line in june.lines] == [
        (LineKind.CLOSING_COSTS, date(2025, 6, 10), "R-SET-08")
    ]
    too_long = dataclasses.replace(NOTICE_20_MAY, closing_costs_until=date(2025, 8, 31))
    outcome, (warning,) = notice_outcome(too_long, OfferKind.INTERIM, rules)
    assert outcome is not None and outcome.paid_until == date(2025, 6, 30)
    assert (warning.rule_id, warning.severity) == ("R-SET-08", Severity.WARNING) and "30-06-2025" in warning.message


def test_r_set_09_respite_is_billed_by_granted_days_not_used_days():
    granted = (date(2025, 3, 7), date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 21), date(2025, 3, 22))
    p = placement(offer_kind=OfferKind.STANDARD, respite_granted_days=granted, respite_used_days=(date(2025, 3, 8),))
    bill = bill_month(p, 2025, 3, nordjylland())
    assert lines_of(bill) == [
        (date(2025, 3, 7), date(2025, 3, 9), Decimal(3), Decimal("6210.75"), "R-SET-09"),
        (date(2025, 3, 21), date(2025, 3, 22), Decimal(2), Decimal("4140.50"), "R-SET-09"),
    ]
    used = bill_month(p, 2025, 3, with_parameters(nordjylland(), respite_billed_by="used_days"))
    assert lines_of(used) == [(date(2025, 3, 8), date(2025, 3, 8), Decimal(1), Decimal("2070.25"), "R-SET-09")]
    assert nordjylland().text("respite_billed_by") == "granted_days"


def test_r_set_10_when_the_operator_closes_an_offer_acutely_buyers_pay_only_the_days_enrolled():
    closure = Notice(date(2025, 5, 12), date(2025, 5, 12), acute_closure=True)
    p = placement(
        notice=closure, supplements=(DailySupplement("Ledsagelse", date(2025, 5, 1), None, Decimal("100.00")),)
    )
    may = bill_month(p, 2025, 5, nordjylland())
    assert [(line.kind, line.period.end) for line in may.lines] == [
        (LineKind.SERVICE, date(2025, 5, 12)),
        (LineKind.SUPPLEMENT, date(2025, 5, 12)),
    ]
    assert may.notice is not None and may.notice.rule_id == "R-SET-10"
    assert bill_month(p, 2025, 6, nordjylland()).lines == ()


def test_r_set_11_payment_terms_follow_the_rule_set_at_most_30_days_kl_at_least_14_days_midtjylland():
    issued = date(2025, 4, 1)
    assert due_date(issued, nordjylland()) == (date(2025, 5, 1), ())
    assert due_date(issued, midtjylland()) == (date(2025, 4, 15), ())
    assert due_date(issued, nordjylland(), 20)[1] == ()
    (too_long,) = due_date(issued, nordjylland(), 45)[1]
    (too_short,) = due_date(issued, midtjylland(), 10)[1]
    assert (too_long.rule_id, too_short.rule_id) == ("R-SET-11", "R-SET-11")
    assert "højst 30" in too_long.message and "mindst 14" in too_short.message
    bill = bill_month(placement(), 2025, 4, nordjylland())
    in_advance = date(2025, 4, 1)
    assert invoices_for_month(AALBORG, [bill], in_advance, nordjylland())[1] == ()  # KL allows in advance
    (refused,) = invoices_for_month(
        AALBORG, [bill], in_advance, with_parameters(nordjylland(), billing_in_advance_allowed=False)
    )[1]
    assert refused.rule_id == "R-SET-11"
    assert (
        invoices_for_month(
            AALBORG, [bill], date(2025, 4, 30), with_parameters(nordjylland(), billing_in_advance_allowed=False)
        )[1]
        == ()
    )


def test_r_obj_03_a_drawing_right_holder_uses_the_service_without_per_use_billing():
    p = placement(
        drawing_right=True, supplements=(DailySupplement("Ledsagelse", date(2025, 3, 1), None, Decimal("100.00")),)
    )
    bill = bill_month(p, 2025, 3, nordjylland())
    assert [(line.kind, line.quantity, line.amount, line.rule_id) for line in bill.lines] == [
        (LineKind.DRAWING_RIGHT, Decimal(31), Decimal(0), "R-OBJ-03"),
        (LineKind.SUPPLEMENT, Decimal(31), Decimal("3100.00"), "R-SUP-02"),  # supplements are outside the tariff
    ]
    assert len(bill.billed_days) == 31


def test_r_sup_02_handbook_a_week_of_evenings_at_1_5_ata_hours_is_10_5_times_385_is_4042_50():
    week = AtaSupplement("Aftenstøtte", date(2025, 3, 3), date(2025, 3, 9), Decimal("1.5"), Decimal("385.00"))
    bill = bill_month(placement(supplements=(week,)), 2025, 3, nordjylland())
    assert lines_of(bill, LineKind.SUPPLEMENT) == [
        (date(2025, 3, 3), date(2025, 3, 9), Decimal("10.5"), Decimal("4042.50"), "R-SUP-02")
    ]
    quarter = AtaSupplement("Screening", date(2025, 3, 1), date(2025, 3, 7), Decimal("0.25"), Decimal("335.78"))
    (line,) = [
        line
        for line in bill_month(placement(supplements=(quarter,)), 2025, 3, nordjylland()).lines
        if line.kind is LineKind.SUPPLEMENT
    ]
    assert line.amount == Decimal("587.62")  # 1.75 × 335.78 = 587.615, rounded once per line, half-up


def test_r_ref_01_health_services_are_refunded_at_the_common_hourly_price_above_the_minimum_claim():
    rules = with_parameters(
        nordjylland(), health_refund_hourly_price=Decimal("450.00"), health_refund_minimum_claim=Decimal("1000.00")
    )
    march = month_period(2025, 3)
    services = [
        HealthService("Hjemmesygepleje", march, hours=Decimal("3.5")),
        HealthService("Tandpleje", march, documented_cost=Decimal("725.50")),
    ]
    refund, findings = health_refund("P-0001", AALBORG, HJOERRING, march, services, rules)
    assert findings == () and refund is not None
    assert [(line.quantity, line.amount, line.rule_id) for line in refund.lines] == [
        (Decimal("3.5"), Decimal("1575.00"), "R-REF-01"),
        (Decimal(1), Decimal("725.50"), "R-REF-01"),
    ]
    claim = refund.claim()
    assert claim is not None and (claim.claimant, claim.debtor, claim.amount) == (
        AALBORG,
        HJOERRING,
        Decimal("2300.50"),
    )
    small, (warning,) = health_refund(
        "P-0001", AALBORG, HJOERRING, march, [HealthService("Fysioterapi", march, hours=Decimal(2))], rules
    )  # 2 × 450.00 = 900.00, under 1,000.00
    assert small is not None and not small.claimed and small.claim() is None
    assert (warning.rule_id, warning.severity) == ("R-REF-01", Severity.WARNING) and "bagatelgrænsen" in warning.message
    assert health_refund("P-0001", AALBORG, AALBORG, march, services, rules) == (None, ())


def test_r_ref_01_without_a_common_hourly_price_a_service_needs_its_documented_cost():
    rules = nordjylland()
    assert rules.optional_decimal("health_refund_hourly_price") is None  # not given by the sources (§ 15)
    assert rules.parameters["health_refund_hourly_price"].assumed
    march = month_period(2025, 3)
    refund, (error,) = health_refund(
        "P-0001", AALBORG, HJOERRING, march, [HealthService("Hjemmepleje", march, hours=Decimal(4))], rules
    )
    assert refund is None and (error.rule_id, error.severity, error.field) == (
        "R-REF-01",
        Severity.ERROR,
        "services[0]",
    )
    documented, findings = health_refund(
        "P-0001",
        AALBORG,
        HJOERRING,
        march,
        [HealthService("Hjemmepleje", march, hours=Decimal(4), documented_cost=Decimal("1234.56"))],
        rules,
    )
    assert findings == () and documented is not None and documented.claimed and documented.total == Decimal("1234.56")


def test_r_set_08_r_set_11_r_set_12_r_ref_01_parameters_are_in_every_rule_set():
    for rules in (nordjylland(), midtjylland()):
        assert rules.integer("interim_closing_costs_extra_months") == 1
        assert rules.integer("on_account_installments_per_year") == 12
        assert rules.parameters["health_refund_minimum_claim"].assumed
    assert (nordjylland().text("payment_days_bound"), midtjylland().text("payment_days_bound")) == (
        "at_most",
        "at_least",
    )


# -- properties -------------------------------------------------------------------------------------

days_2024_2026 = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
ore = st.integers(min_value=0, max_value=500_000).map(lambda n: Decimal(n).scaleb(-2))


@st.composite
def tariff_schedules(draw, first: date = date(2024, 1, 1), same: bool = False):
    changes = draw(st.lists(days_2024_2026, max_size=6, unique=True))
    daily = draw(ore)
    days = sorted({first, *changes})
    return tuple(TariffRate(d, daily if same else draw(ore)) for d in days)


@st.composite
def placements(draw):
    start = draw(days_2024_2026)
    notice = None
    if draw(st.booleans()):
        final = draw(st.dates(min_value=start, max_value=date(2026, 12, 31)))
        given = draw(st.dates(min_value=start - timedelta(days=60), max_value=final + timedelta(days=60)))
        notice = Notice(given, final, acute_closure=draw(st.booleans()))
    respite = None
    if draw(st.booleans()):
        respite = tuple(draw(st.lists(days_2024_2026, max_size=40, unique=True)))
    return placement(
        start=start,
        notice=notice,
        offer_kind=draw(st.sampled_from(list(OfferKind))),
        tariffs=draw(tariff_schedules()),
        respite_granted_days=respite,
        drawing_right=draw(st.booleans()),
    )


@settings(max_examples=60, deadline=None)
@given(p=placements())
def test_r_set_03_r_set_09_no_placement_day_is_billed_twice_or_missed_over_any_sequence_of_months(p):
    rules = nordjylland()
    outcome = notice_outcome(p.notice, p.offer_kind, rules)[0] if p.notice else None
    last = outcome.paid_until if outcome else date(2026, 12, 31)
    horizon = last + timedelta(days=40) if outcome else last  # months after the last paid day bill nothing
    billed = Counter(day for y, m in months(p.start, horizon) for day in bill_month(p, y, m, rules).billed_days)
    window = Period(p.start, last)
    expected = (
        {d for d in p.respite_granted_days if d in window}
        if p.respite_granted_days is not None
        else set(window.dates())
    )
    assert set(billed) == expected
    assert all(count == 1 for count in billed.values())


@settings(max_examples=60, deadline=None)
@given(p=placements(), same=tariff_schedules(same=True))
def test_r_set_03_a_bill_split_at_tariff_changes_sums_to_the_unsplit_bill_when_the_tariff_is_the_same(p, same):
    rules = nordjylland()
    split = dataclasses.replace(p, tariffs=same, drawing_right=False)
    unsplit = dataclasses.replace(split, tariffs=(same[0],))
    for y, m in months(date(2024, 1, 1), date(2026, 12, 1)):
        assert bill_month(split, y, m, rules).total == bill_month(unsplit, y, m, rules).total


@settings(max_examples=60, deadline=None)
@given(tariffs=tariff_schedules(), first=days_2024_2026, last=days_2024_2026)
def test_r_set_03_split_lines_sum_to_each_day_at_its_own_tariff(tariffs, first, last):
    period = Period(min(first, last), max(first, last))
    parts, missing = split_at_tariff_changes(period, tariffs)
    assert missing == ()
    assert [d for part, _ in parts for d in part.dates()] == list(period.dates())
    by_day = {
        d: r.daily
        for i, r in enumerate(tariffs)
        for d in Period(
            r.effective_from,
            tariffs[i + 1].effective_from - timedelta(days=1) if i + 1 < len(tariffs) else date(2026, 12, 31),
        ).dates()
    }
    assert sum((r.daily * part.days for part, r in parts), Decimal(0)) == sum(
        (by_day[d] for d in period.dates()), Decimal(0)
    )


@settings(max_examples=40, deadline=None)
@given(year=st.integers(min_value=1900, max_value=2400), daily=ore)
def test_r_set_03_r_tar_01_a_whole_year_bills_365_or_366_days_at_the_same_daily_tariff(year, daily):
    p = placement(start=date(year, 1, 1), tariffs=(TariffRate(date(year, 1, 1), daily),))
    rules = nordjylland()
    total = sum((bill_month(p, year, m, rules).total for m in range(1, 13)), Decimal(0))
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    assert total == daily * (366 if leap else 365)
    assert month_period(year, 2).days == (29 if leap else 28)
