"""R-REF-01 health refunds, handbook section 13 citizen schedules and R-SET-08 closing costs as the refunds
service (services/refunds.py) uses them: the domain figures the stored rows are billed with."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rammeaftale.domain.citizen_schedules import CitizenSchedule, ScheduledService
from rammeaftale.domain.notice import Notice, OfferKind, notice_outcome
from rammeaftale.domain.periods import month_period
from rammeaftale.domain.refund_claims import HealthService, health_refund
from tests.unit.factories import midtjylland, nordjylland
from tests.unit.test_settlement_9 import with_parameters

AALBORG, HJOERRING = 851, 860
MARCH = month_period(2025, 3)


def test_section_13_schedule_daily_price_is_basis_plus_hours_per_week_times_rate_over_7():
    schedule = CitizenSchedule(
        date(2025, 3, 16),
        Decimal("1200.00"),
        Decimal("420.00"),
        (ScheduledService("Socialpædagogisk støtte", Decimal(10)), ScheduledService("Praktisk hjælp", Decimal(4))),
    )
    assert (schedule.hours_per_week, schedule.service_daily, schedule.daily) == (
        Decimal(14),
        Decimal("840.00"),
        Decimal("2040.00"),
    )
    rate = schedule.tariff_rate()
    assert (rate.effective_from, rate.daily) == (date(2025, 3, 16), Decimal("2040.00"))
    odd = CitizenSchedule(
        date(2025, 1, 1), Decimal("1000.00"), Decimal("455.00"), (ScheduledService("Støtte", Decimal(1)),)
    )
    assert odd.service_daily == Decimal("65.00")  # 455 / 7 = 65 exactly
    third = CitizenSchedule(
        date(2025, 1, 1), Decimal("0.00"), Decimal("100.00"), (ScheduledService("Støtte", Decimal(1)),)
    )
    assert third.service_daily == Decimal("14.29")  # 14.2857… half-up to øre (§ 15)
    assert midtjylland().id.startswith("midtjylland")


@settings(max_examples=200, deadline=None)
@given(
    hours=st.lists(st.decimals(min_value=0, max_value=40, places=2), min_size=1, max_size=4),
    minimum=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000.00"), places=2),
)
def test_r_ref_01_a_claim_below_the_minimum_claim_is_never_raised(hours: list[Decimal], minimum: Decimal):
    rules = with_parameters(
        nordjylland(), health_refund_hourly_price=Decimal("450.00"), health_refund_minimum_claim=minimum
    )
    services = [HealthService(f"Ydelse {n}", MARCH, hours=h) for n, h in enumerate(hours)]
    refund, findings = health_refund("P-AAAAAAAAAA", AALBORG, HJOERRING, MARCH, services, rules)
    assert refund is not None
    claim = refund.claim()
    if refund.total < minimum:
        assert claim is None
        if refund.total > 0:
            assert any(f.rule_id == "R-REF-01" for f in findings)
    else:
        assert claim is not None and claim.amount == refund.total >= minimum and claim.rule_id == "R-REF-01"


def test_r_set_08_closing_costs_until_on_the_notice_are_cut_at_end_of_month_plus_one():
    rules = nordjylland()
    notice = Notice(date(2025, 5, 20), date(2025, 5, 20))
    within, _ = notice_outcome(
        dataclasses.replace(notice, closing_costs_until=date(2025, 6, 10)), OfferKind.INTERIM, rules
    )
    assert within is not None and (within.paid_until, within.rule_id) == (date(2025, 6, 10), "R-SET-08")
    cut, findings = notice_outcome(
        dataclasses.replace(notice, closing_costs_until=date(2025, 8, 31)), OfferKind.INTERIM, rules
    )
    assert cut is not None and cut.paid_until == date(2025, 6, 30)
    assert [f.rule_id for f in findings] == ["R-SET-08"]
