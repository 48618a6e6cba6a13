"""Settlement (afregning): billable periods and invoice lines for one placement and one month (handbook § 9).

Pure functions and frozen values: the placement, the month, its tariffs, the rule set and the day an invoice
is issued go in; lines, findings and the notice's outcome come out. Nothing reads the clock, the database or
files. Every period, day count and term comes from the rule set: ``notice_extra_months`` (R-SET-05),
``substitution_notice_days`` (R-SET-07), ``interim_closing_costs_extra_months`` (R-SET-08),
``respite_billed_by`` (R-SET-09), ``payment_days``, ``payment_days_bound`` and ``billing_in_advance_allowed``
(R-SET-11), ``health_refund_hourly_price`` and ``health_refund_minimum_claim`` (R-REF-01).

Days. A ``Period`` is a closed range of calendar days: ``start`` and ``end`` are both billed (R-SET-04: the
start date is the first day the citizen receives the service, the end date the last). The tariff year has
365 days when a tariff is *calculated* (R-TAR-01), but a leap year has 366 *billable* days: 29 February is
billed at the same daily tariff as every other day (R-SET-03), so a whole leap year costs 366 × the tariff.

Rounding (handbook § 15: "daily tariffs and bill lines to øre, half-up") and the split invariant: the decision.

- A daily tariff is a whole-øre amount: R-TAR-03 rounds the published tariff, and a citizen schedule's daily
  price (§ 13) is rounded the same way before it is billed. A tariff with a fraction of an øre is refused
  (``SettlementError``), so no line inherits an unrounded price.
- A day line is daily tariff × whole days: a whole-øre amount times an integer. It is exact, and rounding it
  to øre half-up (every line goes through ``round_ore_half_up``) never changes it. Splitting a period at any
  day (a tariff change, a month end, the end date) therefore gives lines whose sum equals the unsplit line
  to the øre; with an unchanged tariff a bill split at tariff changes equals the unsplit bill exactly, and
  with a changed tariff it equals the sum of each day at its own tariff. ``tests/unit/test_settlement_9.py``
  proves both with hypothesis.
- Lines whose quantity is not a whole number (ATA hours × the hourly rate, units × a unit price, health-service
  hours × the common hourly price) are rounded once per line, half-up. They are not split at tariff changes
  (their price is not the tariff); split at month ends, each month's line is rounded on its own, so a
  supplement billed over n months may differ from one line for the whole period by at most n/2 øre.

Lines carry the rule that made them billable: R-SET-03 (the service, tariff per day × days), R-SET-05 or
R-SET-07 (days paid after the end date under the notice rule), R-SET-08 (documented closing costs of an
interim offer), R-SET-09 (respite by granted days), R-OBJ-03 (a drawing right: the days are shown at 0 kr.),
R-SUP-02 (supplements), R-REF-01 (health services). The rule that ended the payment (R-SET-05 … R-SET-08,
R-SET-10) is on the bill's ``notice``; who pays (R-SET-01) on its ``payer``.

Where the handbook is silent (decisions):

- Older contracts have the standard notice rule (R-SET-05 with the rule set's months) unless the placement
  records another agreed notice ("unless otherwise agreed"): ``Placement.agreed_notice_months``.
- Notice: paid to ``max(end date, end of the notice month + n months)`` (standard), ``max(end date, notice
  date + 14 days)`` (substitution); an end date later than the notice period is paid to the end date, the
  citizen still receiving the service. Supplements always stop at the end date (R-SET-05), in every kind.
- R-SET-08: an interim offer's payment stops at the end date; documented closing costs are paid as further
  days at the tariff up to the documented date, at most to the end of the notice month + n months.
- R-SET-09: respite is billed day by day for the granted days (dates), in runs of consecutive days, whatever
  was used; a rule set saying ``used_days`` bills the used days instead. Respite days after a notice are
  billed while the notice rule still pays.
- R-OBJ-03: a drawing-right holder's days appear as 0-kr. lines so every day is accounted for; supplements,
  which are outside the tariff, are still billed.
- R-REF-01: the minimum claim applies to one claim (one resident, one claim period).
- R-SET-11: an invoice issued before the last day of its month is billed in advance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import ZERO, MoneyError, round_ore_half_up, to_ore
from rammeaftale.domain.rules import RuleSet

ONE_DAY = timedelta(days=1)
DAYS_PER_WEEK = Decimal(7)


class SettlementError(ValueError):
    """Input the settlement rules cannot be applied to (a period ending before it starts, a tariff with a
    fraction of an øre …); the message is Danish."""


def _whole_ore(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise SettlementError(f"{what} skal være et præcist beløb.")
    try:
        to_ore(value)
    except MoneyError as exc:
        raise SettlementError(f"{what}: {exc}") from exc
    return value


def _finite(value: Decimal, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise SettlementError(f"{what} skal være et præcist tal.")
    return value


# ---------------------------------------------------------------------------------------------------
# Days and periods


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of calendar days; both ``start`` and ``end`` belong to it."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise SettlementError(
                f"Perioden slutter ({self.end.isoformat()}) før den begynder ({self.start.isoformat()})."
            )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def dates(self) -> tuple[date, ...]:
        return tuple(self.start + timedelta(days=n) for n in range(self.days))

    def clip(self, start: date | None = None, end: date | None = None) -> Period | None:
        """The part of this period from ``start`` to ``end`` (None: unbounded); None when nothing is left."""
        first = self.start if start is None else max(self.start, start)
        last = self.end if end is None else min(self.end, end)
        return Period(first, last) if first <= last else None


def last_day_of_month(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date(year, month + 1, 1) - ONE_DAY


def month_period(year: int, month: int) -> Period:
    """The calendar month as a period: February has 29 days in a leap year (R-SET-03)."""
    return Period(date(year, month, 1), last_day_of_month(year, month))


def end_of_month_plus(day: date, months: int) -> date:
    """The last day of the month ``months`` after ``day``'s month (0: the end of its own month)."""
    index = day.year * 12 + day.month - 1 + months
    return last_day_of_month(index // 12, index % 12 + 1)


def runs(days: Iterable[date]) -> tuple[Period, ...]:
    """Distinct days as periods of consecutive days, in order."""
    result: list[Period] = []
    for day in sorted(set(days)):
        if result and result[-1].end + ONE_DAY == day:
            result[-1] = Period(result[-1].start, day)
        else:
            result.append(Period(day, day))
    return tuple(result)


# ---------------------------------------------------------------------------------------------------
# Tariffs and Region Midtjylland's citizen schedule (handbook § 13)


@dataclass(frozen=True)
class TariffRate:
    """A daily tariff in whole øre from ``effective_from`` until the next rate takes effect (R-SET-03)."""

    effective_from: date
    daily: Decimal
    label: str = "Takst"

    def __post_init__(self) -> None:
        _whole_ore(self.daily, "Døgntaksten")


@dataclass(frozen=True)
class ScheduledService:
    """One service on a citizen schedule, in hours per week."""

    name: str
    hours_per_week: Decimal

    def __post_init__(self) -> None:
        if _finite(self.hours_per_week, "Timerne") < ZERO:
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
        _whole_ore(self.basis_daily, "Basistaksten")
        _whole_ore(self.hourly_rate, "Timeprisen")
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
        _whole_ore(self.basis_before, "Basistaksten før")
        _whole_ore(self.service_daily, "Ydelsesdelen")
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
    _whole_ore(basis_after, "Basistaksten efter")
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
                f"Omlægningen er ikke nulsum: efter {_kr(after)}, før {_kr(before)} (forskel {_kr(after - before)}).",
                "basis_after",
            ),
        )
    return ChangeoverPlan(basis_after, before, after, differences, findings)


def split_at_tariff_changes(
    period: Period, tariffs: Sequence[TariffRate]
) -> tuple[tuple[tuple[Period, TariffRate], ...], tuple[Period, ...]]:
    """R-SET-03: the period cut at every tariff change inside it, each part with its rate; and the parts
    before the first rate (no tariff: not billable)."""
    ordered = sorted(tariffs, key=lambda t: t.effective_from)
    parts: list[tuple[Period, TariffRate]] = []
    for i, rate in enumerate(ordered):
        until = ordered[i + 1].effective_from - ONE_DAY if i + 1 < len(ordered) else None
        part = period.clip(rate.effective_from, until)
        if part is not None:
            parts.append((part, rate))
    missing = period.clip(None, ordered[0].effective_from - ONE_DAY) if ordered else period
    return tuple(parts), (() if missing is None else (missing,))


# ---------------------------------------------------------------------------------------------------
# Who pays (R-SET-01)


class Contract(StrEnum):
    STANDARD = "standard"  # the national standard contract
    OLDER = "older"  # placements from before it


CONTRACT_LABELS = {Contract.STANDARD: "Standardkontrakt", Contract.OLDER: "Ældre kontrakt"}


@dataclass(frozen=True)
class Payer:
    """R-SET-01: who the invoice goes to, and from whom that municipality recovers the amount."""

    municipality: int
    recovers_from: int | None
    in_doubt: bool
    reason: str
    rule_id: str = "R-SET-01"


def payer_for(contract: Contract, acting: int, paying: int | None) -> Payer:
    """R-SET-01: under the standard contract the acting municipality pays and recovers from the paying one;
    older placements are billed to the paying municipality; while the paying municipality is in doubt
    (``paying`` is None) the acting municipality pays, and claims a refund once it is settled."""
    if paying is None:
        return Payer(
            acting, None, True, "Betalingskommunen er uafklaret: handlekommunen betaler, indtil det er afgjort."
        )
    if contract is Contract.OLDER:
        return Payer(paying, None, False, "Ældre kontrakt: betalingskommunen faktureres.")
    recovers = paying if paying != acting else None
    return Payer(acting, recovers, False, "Standardkontrakt: handlekommunen betaler og får udgiften refunderet.")


# ---------------------------------------------------------------------------------------------------
# Notice (R-SET-04 … R-SET-08, R-SET-10)


class OfferKind(StrEnum):
    STANDARD = "standard"  # R-SET-05
    SPECIAL = "special"  # R-SET-06: crisis centres, shelters, substance abuse treatment, some day offers
    SUBSTITUTION = "substitution"  # R-SET-07
    INTERIM = "interim"  # R-SET-08: given while waiting for a permanent offer


OFFER_KIND_LABELS = {
    OfferKind.STANDARD: "Almindeligt tilbud",
    OfferKind.SPECIAL: "Særligt aftalt tilbud (krisecenter, forsorgshjem, misbrugsbehandling m.fl.)",
    OfferKind.SUBSTITUTION: "Substitutionsbehandling",
    OfferKind.INTERIM: "Midlertidigt tilbud mens der ventes på et permanent",
}


@dataclass(frozen=True)
class Notice:
    """The end of a placement.

    ``given_on`` is the day the buyer gave the final date (R-SET-04: the notice counts from then);
    ``final_date`` the last day the citizen receives the service. A ``provisional`` notice counts only when
    the operator agrees. ``acute_closure``: the operator closed the offer acutely (R-SET-10).
    ``closing_costs_until``: documented closing costs of an interim offer paid to that day (R-SET-08).
    """

    given_on: date
    final_date: date
    provisional: bool = False
    operator_agrees: bool = False
    acute_closure: bool = False
    closing_costs_until: date | None = None


@dataclass(frozen=True)
class NoticeOutcome:
    """What is still paid: the service to ``paid_until``, supplements to ``supplements_until``, by ``rule_id``.

    Days after ``final_date`` up to ``paid_until`` are the notice period (R-SET-05, R-SET-07) or documented
    closing costs (R-SET-08).
    """

    final_date: date
    paid_until: date
    supplements_until: date
    rule_id: str

    def __post_init__(self) -> None:
        if self.paid_until < self.final_date or self.supplements_until > self.final_date:
            raise SettlementError("Ydelsen betales mindst til slutdatoen, tillægsydelser højst til slutdatoen.")


def notice_outcome(
    notice: Notice, kind: OfferKind, rules: RuleSet, *, agreed_notice_months: int | None = None
) -> tuple[NoticeOutcome | None, tuple[Finding, ...]]:
    """The notice rule for the offer's kind; supplements always stop at the end date (R-SET-05).

    - R-SET-04: a provisional notice without the operator's agreement does not count (None and a finding);
    - R-SET-10: an acute closure by the operator: only the days the citizen was enrolled;
    - R-SET-05: the service is paid in full to the end of the notice month + ``notice_extra_months`` (or the
      months agreed for the placement, "unless otherwise agreed");
    - R-SET-06: specially agreed offers: payment stops at the end date;
    - R-SET-07: substitution treatment: ``substitution_notice_days`` after the notice;
    - R-SET-08: an interim offer stops at the end date; documented closing costs may be paid beyond it, at
      most to the end of the notice month + ``interim_closing_costs_extra_months`` (a later date is cut, with
      a warning).
    """
    if notice.provisional and not notice.operator_agrees:
        return None, (
            Finding(
                "R-SET-04",
                Severity.ERROR,
                "En foreløbig opsigelse gælder kun, hvis driftsherren har accepteret den; opsigelsen regnes fra "
                "den dag, køberen giver en endelig slutdato.",
                "notice",
            ),
        )
    final = notice.final_date
    if notice.acute_closure:
        return NoticeOutcome(final, final, final, "R-SET-10"), ()
    if kind is OfferKind.SPECIAL:
        return NoticeOutcome(final, final, final, "R-SET-06"), ()
    if kind is OfferKind.SUBSTITUTION:
        until = notice.given_on + timedelta(days=rules.integer("substitution_notice_days"))
        return NoticeOutcome(final, max(final, until), final, "R-SET-07"), ()
    if kind is OfferKind.INTERIM:
        findings: tuple[Finding, ...] = ()
        paid = final
        if notice.closing_costs_until is not None and notice.closing_costs_until > final:
            cap = end_of_month_plus(notice.given_on, rules.integer("interim_closing_costs_extra_months"))
            paid = max(final, min(notice.closing_costs_until, cap))
            if notice.closing_costs_until > cap:
                findings = (
                    Finding(
                        "R-SET-08",
                        Severity.WARNING,
                        f"Lukkeomkostninger kan højst betales til {_d(cap)}; perioden til "
                        f"{_d(notice.closing_costs_until)} er afkortet.",
                        "notice.closing_costs_until",
                    ),
                )
        return NoticeOutcome(final, paid, final, "R-SET-08"), findings
    months = rules.integer("notice_extra_months") if agreed_notice_months is None else agreed_notice_months
    if months < 0:
        raise SettlementError("Et opsigelsesvarsel kan ikke være negativt.")
    return NoticeOutcome(final, max(final, end_of_month_plus(notice.given_on, months)), final, "R-SET-05"), ()


# ---------------------------------------------------------------------------------------------------
# Supplements (handbook § 8), billed only to the end date (R-SET-05)


@dataclass(frozen=True)
class AtaSupplement:
    """Face-to-face hours every day of the period at the ATA hourly rate (R-SUP-02); ``end`` None: open."""

    name: str
    start: date
    end: date | None
    hours_per_day: Decimal
    hourly_rate: Decimal

    def __post_init__(self) -> None:
        _finite(self.hours_per_day, "Timer pr. dag")
        _whole_ore(self.hourly_rate, "ATA-timeprisen")


@dataclass(frozen=True)
class DailySupplement:
    """An amount per day, positive or negative (a negative supplement, e.g. a long hospital stay)."""

    name: str
    start: date
    end: date | None
    daily_amount: Decimal

    def __post_init__(self) -> None:
        _whole_ore(self.daily_amount, "Beløbet pr. dag")


@dataclass(frozen=True)
class Delivery:
    day: date
    quantity: Decimal


@dataclass(frozen=True)
class UnitSupplement:
    """A fixed price per unit against invoice (e.g. riding lessons), for the units delivered on given days."""

    name: str
    unit_price: Decimal
    deliveries: tuple[Delivery, ...]

    def __post_init__(self) -> None:
        _whole_ore(self.unit_price, "Enhedsprisen")
        for d in self.deliveries:
            _finite(d.quantity, "Antallet af enheder")


Supplement = AtaSupplement | DailySupplement | UnitSupplement


# ---------------------------------------------------------------------------------------------------
# Placements and their lines


@dataclass(frozen=True)
class Placement:
    """One citizen's stay in an offer as settlement sees it (no CPR: only the pseudonymous id).

    ``tariffs``: the daily tariffs in effect (published or negotiated, or a citizen schedule's rate);
    ``respite_granted_days`` / ``respite_used_days``: for respite (R-SET-09), None otherwise;
    ``drawing_right``: the payer holds a drawing right on the offer (R-OBJ-03).
    """

    placement_id: str
    offer_kind: OfferKind
    contract: Contract
    acting_municipality: int
    paying_municipality: int | None
    start: date
    tariffs: tuple[TariffRate, ...]
    notice: Notice | None = None
    supplements: tuple[Supplement, ...] = ()
    respite_granted_days: tuple[date, ...] | None = None
    respite_used_days: tuple[date, ...] = ()
    drawing_right: bool = False
    agreed_notice_months: int | None = None

    def __post_init__(self) -> None:
        if not self.tariffs:
            raise SettlementError("En indskrivning skal have mindst én takst.")
        starts = [t.effective_from for t in self.tariffs]
        if len(set(starts)) != len(starts):
            raise SettlementError("To takster kan ikke træde i kraft samme dag.")
        if self.notice is not None and self.notice.final_date < self.start:
            raise SettlementError("Slutdatoen ligger før startdatoen (R-SET-04).")

    @property
    def payer(self) -> Payer:
        return payer_for(self.contract, self.acting_municipality, self.paying_municipality)

    @property
    def is_respite(self) -> bool:
        return self.respite_granted_days is not None


class LineKind(StrEnum):
    SERVICE = "service"
    NOTICE = "notice"
    CLOSING_COSTS = "closing_costs"
    RESPITE = "respite"
    DRAWING_RIGHT = "drawing_right"
    SUPPLEMENT = "supplement"
    HEALTH_SERVICE = "health_service"
    ON_ACCOUNT = "on_account"  # objective financing, an installment (R-SET-12)
    TRUE_UP = "true_up"  # objective financing, the year-end difference (R-SET-12)


LINE_KIND_LABELS = {
    LineKind.SERVICE: "Ydelse",
    LineKind.NOTICE: "Opsigelsesperiode",
    LineKind.CLOSING_COSTS: "Lukkeomkostninger",
    LineKind.RESPITE: "Aflastning, bevilgede døgn",
    LineKind.DRAWING_RIGHT: "Trækningsret (ingen betaling pr. brug)",
    LineKind.SUPPLEMENT: "Tillægsydelse",
    LineKind.HEALTH_SERVICE: "Sundhedsydelse",
    LineKind.ON_ACCOUNT: "A conto-rate, objektiv finansiering",
    LineKind.TRUE_UP: "Årsafregning, objektiv finansiering",
}
DAY_KINDS = frozenset(
    {LineKind.SERVICE, LineKind.NOTICE, LineKind.CLOSING_COSTS, LineKind.RESPITE, LineKind.DRAWING_RIGHT}
)


@dataclass(frozen=True)
class InvoiceLine:
    """One line: ``quantity`` × ``unit_price`` rounded to øre half-up (§ 15) is ``amount``; ``rule_id`` made it."""

    placement_id: str
    kind: LineKind
    label: str
    period: Period
    quantity: Decimal
    unit: str  # "dag", "time", "enhed"
    unit_price: Decimal
    amount: Decimal
    rule_id: str

    def __post_init__(self) -> None:
        if self.amount != round_ore_half_up(self.quantity * self.unit_price):
            raise SettlementError("Linjens beløb skal være antal × pris afrundet til øre.")

    @property
    def days(self) -> tuple[date, ...]:
        """The placement days the line bills (none for supplements and health services)."""
        return self.period.dates() if self.kind in DAY_KINDS else ()

    def negated(self) -> InvoiceLine:
        return InvoiceLine(
            self.placement_id,
            self.kind,
            self.label,
            self.period,
            -self.quantity,
            self.unit,
            self.unit_price,
            -self.amount,
            self.rule_id,
        )


def _line(
    placement_id: str,
    kind: LineKind,
    label: str,
    period: Period,
    quantity: Decimal,
    unit: str,
    price: Decimal,
    rule_id: str,
) -> InvoiceLine:
    return InvoiceLine(
        placement_id, kind, label, period, quantity, unit, price, round_ore_half_up(quantity * price), rule_id
    )


@dataclass(frozen=True)
class BillablePeriod:
    """Days of a placement to be billed, before the split at tariff changes."""

    period: Period
    kind: LineKind
    rule_id: str


@dataclass(frozen=True)
class MonthBill:
    """One placement's lines for one month, with who pays and the notice's outcome."""

    placement_id: str
    month: Period
    payer: Payer
    lines: tuple[InvoiceLine, ...]
    notice: NoticeOutcome | None
    findings: tuple[Finding, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def billed_days(self) -> tuple[date, ...]:
        return tuple(day for line in self.lines for day in line.days)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        found = [line.rule_id for line in self.lines]
        if self.notice is not None:
            found.append(self.notice.rule_id)
        found.append(self.payer.rule_id)
        return tuple(dict.fromkeys(found))


def billable_periods(
    placement: Placement, month: Period, rules: RuleSet
) -> tuple[tuple[BillablePeriod, ...], NoticeOutcome | None, tuple[Finding, ...]]:
    """The placement's billable days in ``month``, by the rule that makes them billable.

    From the start date (R-SET-04) to the end date: the service (R-SET-03), or respite's granted days
    (R-SET-09); after the end date, to the day the notice rule pays: the notice period (R-SET-05, R-SET-07) or
    documented closing costs (R-SET-08). A drawing right turns every day period into R-OBJ-03.
    """
    outcome: NoticeOutcome | None = None
    findings: tuple[Finding, ...] = ()
    if placement.notice is not None:
        outcome, findings = notice_outcome(
            placement.notice, placement.offer_kind, rules, agreed_notice_months=placement.agreed_notice_months
        )
    final = outcome.final_date if outcome else None
    paid_until = outcome.paid_until if outcome else None
    after_kind = LineKind.CLOSING_COSTS if outcome and outcome.rule_id == "R-SET-08" else LineKind.NOTICE
    after_rule = outcome.rule_id if outcome else "R-SET-05"
    periods: list[BillablePeriod] = []
    if placement.is_respite:
        basis = rules.text("respite_billed_by")
        chosen = placement.respite_granted_days if basis == "granted_days" else placement.respite_used_days
        window = month.clip(placement.start, paid_until)
        if window is not None:
            days = [d for d in chosen or () if d in window]
            periods += [BillablePeriod(run, LineKind.RESPITE, "R-SET-09") for run in runs(days)]
    else:
        during = month.clip(placement.start, final)
        if during is not None:
            periods.append(BillablePeriod(during, LineKind.SERVICE, "R-SET-03"))
        if final is not None and paid_until is not None and paid_until > final:
            after = month.clip(max(placement.start, final + ONE_DAY), paid_until)
            if after is not None:
                periods.append(BillablePeriod(after, after_kind, after_rule))
    if placement.drawing_right:
        periods = [BillablePeriod(p.period, LineKind.DRAWING_RIGHT, "R-OBJ-03") for p in periods]
    return tuple(periods), outcome, findings


def _day_lines(placement: Placement, periods: Sequence[BillablePeriod]) -> tuple[list[InvoiceLine], list[Finding]]:
    lines: list[InvoiceLine] = []
    findings: list[Finding] = []
    for billable in periods:
        parts, missing = split_at_tariff_changes(billable.period, placement.tariffs)
        for part, rate in parts:
            price = ZERO if billable.kind is LineKind.DRAWING_RIGHT else rate.daily
            label = f"{LINE_KIND_LABELS[billable.kind]}: {rate.label}"
            lines.append(
                _line(
                    placement.placement_id,
                    billable.kind,
                    label,
                    part,
                    Decimal(part.days),
                    "dag",
                    price,
                    billable.rule_id,
                )
            )
        findings += [
            Finding(
                "R-SET-03",
                Severity.ERROR,
                f"Der er ingen takst for {_d(gap.start)}–{_d(gap.end)}; dagene er ikke faktureret.",
                "tariffs",
            )
            for gap in missing
        ]
    return lines, findings


def _supplement_lines(placement: Placement, month: Period, until: date | None) -> list[InvoiceLine]:
    """Supplements in the month, from the later of their start and the placement's, to the end date."""
    lines: list[InvoiceLine] = []
    pid = placement.placement_id
    for s in placement.supplements:
        label = f"{LINE_KIND_LABELS[LineKind.SUPPLEMENT]}: {s.name}"
        if isinstance(s, UnitSupplement):
            window = month.clip(placement.start, until)
            if window is None:
                continue
            inside = [d for d in s.deliveries if d.day in window]
            if inside:
                quantity = sum((d.quantity for d in inside), ZERO)
                period = Period(min(d.day for d in inside), max(d.day for d in inside))
                lines.append(
                    _line(pid, LineKind.SUPPLEMENT, label, period, quantity, "enhed", s.unit_price, "R-SUP-02")
                )
            continue
        last = s.end if until is None else (until if s.end is None else min(s.end, until))
        window = month.clip(max(placement.start, s.start), last)
        if window is None:
            continue
        if isinstance(s, AtaSupplement):
            hours = s.hours_per_day * window.days
            lines.append(_line(pid, LineKind.SUPPLEMENT, label, window, hours, "time", s.hourly_rate, "R-SUP-02"))
        else:
            days = Decimal(window.days)
            lines.append(_line(pid, LineKind.SUPPLEMENT, label, window, days, "dag", s.daily_amount, "R-SUP-02"))
    return lines


def bill_month(placement: Placement, year: int, month: int, rules: RuleSet) -> MonthBill:
    """The lines of one placement for one month (R-SET-01, R-SET-03 … R-SET-10, R-OBJ-03, R-SUP-02).

    Each billable day is on exactly one line; months billed one after another bill every day once.
    """
    period = month_period(year, month)
    periods, outcome, notice_findings = billable_periods(placement, period, rules)
    lines, findings = _day_lines(placement, periods)
    lines += _supplement_lines(placement, period, outcome.supplements_until if outcome else None)
    return MonthBill(
        placement.placement_id,
        period,
        placement.payer,
        tuple(lines),
        outcome,
        (*notice_findings, *findings),
    )


# ---------------------------------------------------------------------------------------------------
# Refunds between municipalities (R-SET-01, R-REF-01)


@dataclass(frozen=True)
class RefundClaim:
    """A claim from one municipality on another; ``amount`` is what is claimed, by ``rule_id``."""

    claimant: int
    debtor: int
    placement_id: str
    period: Period
    amount: Decimal
    rule_id: str


def recovery_claim(bill: MonthBill) -> RefundClaim | None:
    """R-SET-01: the acting municipality recovers what it paid under the standard contract from the paying one."""
    payer = bill.payer
    if payer.recovers_from is None or bill.total == ZERO:
        return None
    return RefundClaim(payer.municipality, payer.recovers_from, bill.placement_id, bill.month, bill.total, "R-SET-01")


def claims_once_settled(bills: Iterable[MonthBill], paying_municipality: int) -> tuple[RefundClaim, ...]:
    """R-SET-01: once a doubtful paying municipality is settled, the acting municipality claims a refund of
    what it paid meanwhile (one claim per bill it paid while in doubt)."""
    return tuple(
        RefundClaim(b.payer.municipality, paying_municipality, b.placement_id, b.month, b.total, "R-SET-01")
        for b in bills
        if b.payer.in_doubt and b.payer.municipality != paying_municipality and b.total != ZERO
    )


@dataclass(frozen=True)
class HealthService:
    """A municipal health service (home care, dental care, physiotherapy …) given to a resident of an offer:
    in hours (priced at the region's common hourly price) or at a documented cost."""

    name: str
    period: Period
    hours: Decimal | None = None
    documented_cost: Decimal | None = None


@dataclass(frozen=True)
class HealthRefund:
    """R-REF-01: what the offer's municipality may claim from the paying municipality for one resident and
    period; ``claimed`` is False when the total is below the minimum claim."""

    claimant: int
    debtor: int
    placement_id: str
    period: Period
    lines: tuple[InvoiceLine, ...]
    minimum_claim: Decimal | None
    rule_id: str = "R-REF-01"

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def claimed(self) -> bool:
        return self.total > ZERO and (self.minimum_claim is None or self.total >= self.minimum_claim)

    def claim(self) -> RefundClaim | None:
        if not self.claimed:
            return None
        return RefundClaim(self.claimant, self.debtor, self.placement_id, self.period, self.total, self.rule_id)


def health_refund(
    placement_id: str,
    offer_municipality: int,
    paying_municipality: int,
    period: Period,
    services: Sequence[HealthService],
    rules: RuleSet,
) -> tuple[HealthRefund | None, tuple[Finding, ...]]:
    """R-REF-01: the municipality where the offer lies claims its health services from the paying municipality.

    Hours are priced at the rule set's ``health_refund_hourly_price`` (rounded once per line, § 15); without a
    common price a service needs its documented cost. Below ``health_refund_minimum_claim`` no claim is made.
    None when the offer lies in the paying municipality (nothing to claim) or a service cannot be priced.
    """
    if offer_municipality == paying_municipality:
        return None, ()
    price = rules.optional_decimal("health_refund_hourly_price")
    lines: list[InvoiceLine] = []
    findings: list[Finding] = []
    for n, s in enumerate(services):
        label = f"{LINE_KIND_LABELS[LineKind.HEALTH_SERVICE]}: {s.name}"
        if s.hours is not None and price is not None:
            hours = _finite(s.hours, "Timerne")
            lines.append(
                _line(placement_id, LineKind.HEALTH_SERVICE, label, s.period, hours, "time", price, "R-REF-01")
            )
        elif s.documented_cost is not None:
            cost = _whole_ore(s.documented_cost, "Udgiften")
            lines.append(
                _line(placement_id, LineKind.HEALTH_SERVICE, label, s.period, Decimal(1), "enhed", cost, "R-REF-01")
            )
        else:
            findings.append(
                Finding(
                    "R-REF-01",
                    Severity.ERROR,
                    f"'{s.name}' kan ikke prissættes: regionen har ingen fælles timepris, så udgiften skal dokumenteres.",
                    f"services[{n}]",
                )
            )
    if findings:
        return None, tuple(findings)
    minimum = rules.optional_decimal("health_refund_minimum_claim")
    refund = HealthRefund(offer_municipality, paying_municipality, placement_id, period, tuple(lines), minimum)
    if not refund.claimed and minimum is not None and refund.total > ZERO:
        findings.append(
            Finding(
                "R-REF-01",
                Severity.WARNING,
                f"Kravet på {_kr(refund.total)} er under bagatelgrænsen på {_kr(minimum)}; der rejses intet krav.",
                "total",
            )
        )
    return refund, tuple(findings)


# ---------------------------------------------------------------------------------------------------
# Invoices: payment terms (R-SET-11), immutable, corrected by credit note and a new invoice (R-SET-02)


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class PaymentTerms:
    """R-SET-11: ``days`` to pay, a most (KL's standard contract) or a least (Midtjylland) number of days."""

    days: int
    bound: str  # "at_most" | "at_least"
    in_advance_allowed: bool

    @classmethod
    def of(cls, rules: RuleSet) -> PaymentTerms:
        return cls(
            rules.integer("payment_days"), rules.text("payment_days_bound"), rules.flag("billing_in_advance_allowed")
        )


def due_date(issued_on: date, rules: RuleSet, days: int | None = None) -> tuple[date, tuple[Finding, ...]]:
    """R-SET-11: the due date ``days`` after the invoice (default: the rule set's ``payment_days``); a term
    longer than a maximum or shorter than a minimum is an error."""
    terms = PaymentTerms.of(rules)
    chosen = terms.days if days is None else days
    findings: tuple[Finding, ...] = ()
    if (terms.bound == "at_most" and chosen > terms.days) or (terms.bound == "at_least" and chosen < terms.days):
        word = "højst" if terms.bound == "at_most" else "mindst"
        findings = (
            Finding(
                "R-SET-11",
                Severity.ERROR,
                f"Betalingsfristen skal være {word} {terms.days} dage efter fakturaen, ikke {chosen}.",
                "due_on",
            ),
        )
    return issued_on + timedelta(days=chosen), findings


@dataclass(frozen=True)
class Invoice:
    """An invoice or credit note to one payer for one month. Immutable once issued (R-SET-02): a change is a
    credit note that ``credits`` the original's number, and a new invoice. ``total`` is the sum of the lines."""

    operator: int
    payer: int
    month: Period
    issued_on: date
    due_on: date
    lines: tuple[InvoiceLine, ...]
    total: Decimal
    kind: DocumentKind = DocumentKind.INVOICE
    number: str = ""
    credits: str = ""

    def __post_init__(self) -> None:
        if sum((line.amount for line in self.lines), ZERO) != self.total:
            raise SettlementError("Fakturaens total skal være summen af linjerne.")
        if (self.kind is DocumentKind.CREDIT_NOTE) != bool(self.credits):
            raise SettlementError("En kreditnota skal henvise til den faktura, den krediterer, og kun den.")


def _invoice(
    operator: int,
    payer: int,
    month: Period,
    issued_on: date,
    due_on: date,
    lines: Sequence[InvoiceLine],
    kind: DocumentKind = DocumentKind.INVOICE,
    credits: str = "",
) -> Invoice:
    total = sum((line.amount for line in lines), ZERO)
    return Invoice(operator, payer, month, issued_on, due_on, tuple(lines), total, kind, "", credits)


def invoices_for_month(
    operator: int, bills: Sequence[MonthBill], issued_on: date, rules: RuleSet
) -> tuple[tuple[Invoice, ...], tuple[Finding, ...]]:
    """R-SET-01: one invoice per payer per month, lines per placement and period; R-SET-11: due by the rule
    set's term, and billed in advance (issued before the month's last day) only where the rule set allows.
    Bills with no lines make no invoice; the invoices have no number until the service issues them."""
    findings: list[Finding] = []
    months = {b.month for b in bills}
    if len(months) > 1:
        raise SettlementError("En kørsel fakturerer én måned ad gangen.")
    due, terms = due_date(issued_on, rules)
    findings += terms
    if months and issued_on < next(iter(months)).end and not rules.flag("billing_in_advance_allowed"):
        findings.append(
            Finding("R-SET-11", Severity.ERROR, "Regelsættet tillader ikke fakturering forud for måneden.", "issued_on")
        )
    by_payer: dict[int, list[InvoiceLine]] = {}
    for bill in sorted(bills, key=lambda b: b.placement_id):
        if bill.lines:
            by_payer.setdefault(bill.payer.municipality, []).extend(bill.lines)
    invoices = tuple(
        _invoice(operator, payer, next(iter(months)), issued_on, due, lines)
        for payer, lines in sorted(by_payer.items())
    )
    return invoices, tuple(findings)


def credit_note(invoice: Invoice, issued_on: date) -> Invoice:
    """R-SET-02: the credit note that cancels an issued invoice: every line negated, referencing its number."""
    if not invoice.number or invoice.kind is not DocumentKind.INVOICE:
        raise SettlementError("Kun en udstedt faktura kan krediteres.")
    lines = [line.negated() for line in invoice.lines]
    return _invoice(
        invoice.operator,
        invoice.payer,
        invoice.month,
        issued_on,
        issued_on,
        lines,
        DocumentKind.CREDIT_NOTE,
        invoice.number,
    )


def _line_key(line: InvoiceLine) -> tuple[str, date, str, str, str, Decimal]:
    return (line.placement_id, line.period.start, line.kind.value, line.rule_id, line.label, line.amount)


def same_lines(a: Iterable[InvoiceLine], b: Iterable[InvoiceLine]) -> bool:
    """The same lines, in any order: a re-run that finds them needs to issue nothing."""
    return sorted(a, key=_line_key) == sorted(b, key=_line_key)


def correction(
    issued: Invoice, recomputed: Sequence[InvoiceLine], issued_on: date, rules: RuleSet
) -> tuple[Invoice, Invoice] | None:
    """R-SET-02: None when the recomputed lines equal the issued ones (a re-run creates nothing); otherwise
    a credit note for the issued invoice and a new invoice with the recomputed lines. Nothing is edited."""
    if same_lines(issued.lines, recomputed):
        return None
    due, _ = due_date(issued_on, rules)
    return credit_note(issued, issued_on), _invoice(
        issued.operator, issued.payer, issued.month, issued_on, due, sorted(recomputed, key=_line_key)
    )


@dataclass(frozen=True)
class Dispute:
    """R-SET-02: a buyer's objection to an invoice line. It changes nothing on the invoice."""

    invoice_number: str
    line_index: int
    reason: str
    raised_on: date


def dispute(
    invoice: Invoice, line_index: int, reason: str, raised_on: date
) -> tuple[Dispute | None, tuple[Finding, ...]]:
    """R-SET-02: a buyer disputes a line of an issued invoice; the operator answers with a correction."""
    problems: list[Finding] = []
    if not invoice.number:
        problems.append(
            Finding("R-SET-02", Severity.ERROR, "Kun en udstedt faktura kan gøres indsigelse mod.", "invoice")
        )
    if not 0 <= line_index < len(invoice.lines):
        problems.append(Finding("R-SET-02", Severity.ERROR, "Fakturaen har ingen sådan linje.", "line_index"))
    if not reason.strip():
        problems.append(Finding("R-SET-02", Severity.ERROR, "Indsigelsen skal have en begrundelse.", "reason"))
    if problems:
        return None, tuple(problems)
    return Dispute(invoice.number, line_index, reason.strip(), raised_on), ()


def _d(day: date) -> str:
    """A Danish date in a finding's message ('20-05-2025'); renderers format everything else."""
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


def _kr(value: Decimal) -> str:
    """A Danish amount in a finding's message ('1.234,50 kr.')."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):.2f}".partition(".")
    return f"{sign}{int(whole):,}".replace(",", ".") + f",{frac} kr."
