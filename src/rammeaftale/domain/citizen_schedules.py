"""Region Midtjylland's basis + service model (handbook § 13): the citizen schedule of a placement and the
changeover planner (only the basis is recalculated; zero-sum overall, each municipality's difference shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import ZERO, round_ore_half_up
from rammeaftale.domain.periods import (
    SettlementError,
    TariffRate,
    finite,
    kr_text,
    whole_ore,
)

DAYS_PER_WEEK = Decimal(7)


@dataclass(frozen=True)
class ScheduledService:
    """One service on a citizen schedule, in hours per week."""

    name: str
    hours_per_week: Decimal

    def __post_init__(self) -> None:
        if finite(self.hours_per_week, "Timerne") < ZERO:
            raise SettlementError(f"Timerne for '{self.name}' kan ikke være negative.")


@dataclass(frozen=True)
class CitizenSchedule:
    """Region Midtjylland's citizen schedule (borgerskema, § 13): basis tariff + service hours at one hourly rate.

    The daily price is the basis tariff plus hours per week × hourly rate / 7, that part rounded to øre
    half-up as a service tariff is (R-TAR-04, § 15); the schedule is part of the agreement with the buyer.
    """

    effective_from: date
    basis_daily: Decimal
    hourly_rate: Decimal
    services: tuple[ScheduledService, ...]

    def __post_init__(self) -> None:
        whole_ore(self.basis_daily, "Basistaksten")
        whole_ore(self.hourly_rate, "Timeprisen")
        if self.basis_daily < ZERO or self.hourly_rate < ZERO:
            raise SettlementError("Basistakst og timepris kan ikke være negative.")

    @property
    def hours_per_week(self) -> Decimal:
        return sum((s.hours_per_week for s in self.services), ZERO)

    @property
    def service_daily(self) -> Decimal:
        return round_ore_half_up(self.hours_per_week * self.hourly_rate / DAYS_PER_WEEK)

    @property
    def daily(self) -> Decimal:
        return self.basis_daily + self.service_daily

    def tariff_rate(self) -> TariffRate:
        return TariffRate(self.effective_from, self.daily, "Borgerskema: basistakst + ydelsestimer")


@dataclass(frozen=True)
class ChangeoverCitizen:
    """One enrolment at a changeover to the basis + service model: its basis before, its service part (which
    stays until the next review) and the days the comparison covers."""

    placement_id: str
    municipality: int
    basis_before: Decimal
    service_daily: Decimal
    days: int

    def __post_init__(self) -> None:
        whole_ore(self.basis_before, "Basistaksten før")
        whole_ore(self.service_daily, "Ydelsesdelen")
        if self.days < 0:
            raise SettlementError("Antallet af dage kan ikke være negativt.")

    def total(self, basis: Decimal) -> Decimal:
        return (basis + self.service_daily) * self.days


@dataclass(frozen=True)
class MunicipalityDifference:
    municipality: int
    before: Decimal
    after: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class ChangeoverPlan:
    """§ 13: the changeover shown as a planner must: the total before and after, and each municipality's
    difference (single municipalities may pay more or less; overall it must be zero-sum)."""

    basis_after: Decimal
    total_before: Decimal
    total_after: Decimal
    municipalities: tuple[MunicipalityDifference, ...]
    findings: tuple[Finding, ...]

    def __post_init__(self) -> None:
        if sum((m.difference for m in self.municipalities), ZERO) != self.difference:
            raise SettlementError("Kommunernes forskelle skal tilsammen give den samlede forskel.")

    @property
    def difference(self) -> Decimal:
        return self.total_after - self.total_before

    @property
    def zero_sum(self) -> bool:
        return self.difference == ZERO


def plan_changeover(citizens: Sequence[ChangeoverCitizen], basis_after: Decimal | None = None) -> ChangeoverPlan:
    """§ 13: only the basis part is recalculated; each citizen's service part stays as it was.

    ``basis_after`` defaults to the zero-sum basis: the day-weighted mean of the bases before, rounded to øre
    half-up. Rounding can leave a difference of at most ½ øre per day in all; it is reported as a warning
    (not hidden), like any other difference from zero-sum.
    """
    days = sum(c.days for c in citizens)
    if basis_after is None:
        if days == 0:
            raise SettlementError("Omlægningen kræver mindst én dag at sammenligne.")
        basis_after = round_ore_half_up(sum((c.basis_before * c.days for c in citizens), ZERO) / days)
    whole_ore(basis_after, "Basistaksten efter")
    per: dict[int, tuple[Decimal, Decimal]] = {}
    for c in citizens:
        before, after = per.get(c.municipality, (ZERO, ZERO))
        per[c.municipality] = (before + c.total(c.basis_before), after + c.total(basis_after))
    differences = tuple(MunicipalityDifference(m, b, a) for m, (b, a) in sorted(per.items()))
    before = sum((m.before for m in differences), ZERO)
    after = sum((m.after for m in differences), ZERO)
    findings: tuple[Finding, ...] = ()
    if before != after:
        findings = (
            Finding(
                "§ 13",
                Severity.WARNING,
                f"Omlægningen er ikke nulsum: efter {kr_text(after)}, før {kr_text(before)} (forskel {kr_text(after - before)}).",
                "basis_after",
            ),
        )
    return ChangeoverPlan(basis_after, before, after, differences, findings)
