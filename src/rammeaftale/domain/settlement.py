"""Settlement (afregning): billable periods and invoice lines for one placement and one month (handbook § 9).

The rules are in small modules beside this one: ``periods`` (days, periods, daily tariffs, splits at tariff
changes), ``notice`` (who pays, R-SET-01; notice periods, R-SET-04 … R-SET-10), ``citizen_schedules``
(Region Midtjylland's § 13), ``refund_claims`` (R-SET-01 recovery, R-REF-01) and ``invoices`` (R-SET-02,
R-SET-11). This module makes a placement's lines of a month (``bill_month``); the decisions below hold for all.

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

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import ZERO, round_ore_half_up
from rammeaftale.domain.notice import Contract, Notice, NoticeOutcome, OfferKind, Payer, notice_outcome, payer_for
from rammeaftale.domain.periods import (
    ONE_DAY,
    Period,
    SettlementError,
    TariffRate,
    day_text,
    finite,
    month_period,
    runs,
    split_at_tariff_changes,
    whole_ore,
)
from rammeaftale.domain.rules import RuleSet

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
        finite(self.hours_per_day, "Timer pr. dag")
        whole_ore(self.hourly_rate, "ATA-timeprisen")


@dataclass(frozen=True)
class DailySupplement:
    """An amount per day, positive or negative (a negative supplement, e.g. a long hospital stay)."""

    name: str
    start: date
    end: date | None
    daily_amount: Decimal

    def __post_init__(self) -> None:
        whole_ore(self.daily_amount, "Beløbet pr. dag")


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
        whole_ore(self.unit_price, "Enhedsprisen")
        for d in self.deliveries:
            finite(d.quantity, "Antallet af enheder")


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


def invoice_line(
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
                invoice_line(
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
                f"Der er ingen takst for {day_text(gap.start)}–{day_text(gap.end)}; dagene er ikke faktureret.",
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
                    invoice_line(pid, LineKind.SUPPLEMENT, label, period, quantity, "enhed", s.unit_price, "R-SUP-02")
                )
            continue
        last = s.end if until is None else (until if s.end is None else min(s.end, until))
        window = month.clip(max(placement.start, s.start), last)
        if window is None:
            continue
        if isinstance(s, AtaSupplement):
            hours = s.hours_per_day * window.days
            lines.append(
                invoice_line(pid, LineKind.SUPPLEMENT, label, window, hours, "time", s.hourly_rate, "R-SUP-02")
            )
        else:
            days = Decimal(window.days)
            lines.append(invoice_line(pid, LineKind.SUPPLEMENT, label, window, days, "dag", s.daily_amount, "R-SUP-02"))
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
