"""Supplementary services of a placement (tillægsydelser, handbook § 8), added and ended by the operator.

The domain's three kinds (``domain.settlement``): ATA hours per day at the ATA hourly rate (R-SUP-02, built
here from the hourly salary cost, the absence correction, the operator's time-of-day coefficient and the
rule set's variable costs), an amount per day (negative for e.g. a long hospital stay), or a fixed price per
unit for the units delivered. Billing pays them only to the placement's end date (R-SET-05). One audit entry
per change, naming the placement by its pseudonymous id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from rammeaftale.adapters.db.models import PlacementRow, PlacementSupplementRow
from rammeaftale.adapters.db.placements_repositories import ATA, CONFIRMED, DAILY, UNIT
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.json_submission import json_path
from rammeaftale.adapters.rulesets import UnknownRuleSet, get_ruleset, ruleset_for
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import ZERO, round_ore_half_up
from rammeaftale.domain.settlement import Delivery
from rammeaftale.domain.supplements import ata_hourly_rate
from rammeaftale.services.audit import audit
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.placements import changed_fields
from rammeaftale.services.placements_access import placement_for_update
from rammeaftale.services.placements_input import error, free_text
from rammeaftale.services.retry import write_use_case

HUNDRED = Decimal(100)
MAX_HOURS_PER_DAY = Decimal(24)
MAX_SUPPLEMENT_AMOUNT = Decimal("1000000")


@dataclass(frozen=True)
class SupplementInput:
    """A supplement to add. ``ata``: hours per day at the ATA rate built from the hourly salary cost, the
    absence correction and the time-of-day coefficient (in %; variable costs from the rule set, R-SUP-02);
    ``daily``: an amount per day (negative for e.g. a long hospital stay); ``unit``: a price per unit for the
    units delivered on given days."""

    kind: str
    name: str
    start: date | None = None
    end: date | None = None
    hours_per_day: Decimal | None = None
    staff_category: str = ""
    hourly_cost: Decimal | None = None
    absence_pct: Decimal | None = None
    time_of_day: str = ""
    time_coefficient_pct: Decimal | None = None
    daily_amount: Decimal | None = None
    unit_price: Decimal | None = None
    deliveries: tuple[Delivery, ...] = ()


@dataclass(frozen=True)
class Added:
    supplement_id: int
    findings: tuple[Finding, ...]  # warnings, e.g. R-SUP-04: the buyer must be told at once


def _supplement_problems(s: SupplementInput, start: date) -> list[Finding]:
    found: list[Finding] = []

    def need(field: str, value: object, label: str) -> None:
        if value is None:
            found.append(error("R-SUP-02", field, f"{label} mangler."))

    if s.kind not in (ATA, DAILY, UNIT):
        return [error("R-SUP-02", "kind", "Tillægsydelsen skal være ata, daily eller unit.")]
    if not s.name.strip():
        found.append(error("R-SUP-02", "name", "Tillægsydelsen skal have et navn."))
    numbers = {
        "hours_per_day": s.hours_per_day,
        "hourly_cost": s.hourly_cost,
        "absence_pct": s.absence_pct,
        "time_coefficient_pct": s.time_coefficient_pct,
        "daily_amount": s.daily_amount,
        "unit_price": s.unit_price,
        **{f"deliveries[{n}].quantity": d.quantity for n, d in enumerate(s.deliveries)},
    }
    for field, value in numbers.items():
        if value is not None and value != round_ore_half_up(value):  # stored with 2 decimals, used as stored
            found.append(error("R-SUP-02", field, "Højst to decimaler (beløb i hele øre)."))
    if s.kind in (ATA, DAILY):
        need("start", s.start, "Startdatoen")
        if s.start is not None and s.start < start:
            found.append(error("R-SUP-02", "start", "Tillægsydelsen kan ikke begynde før indskrivningen."))
        if s.start is not None and s.end is not None and s.end < s.start:
            found.append(error("R-SUP-02", "end", "Slutdatoen ligger før startdatoen."))
    if s.kind == ATA:
        need("hours_per_day", s.hours_per_day, "Timer pr. dag")
        need("hourly_cost", s.hourly_cost, "Timelønnen")
        need("absence_pct", s.absence_pct, "Fraværskorrektionen")
        need("time_coefficient_pct", s.time_coefficient_pct, "Tidskoefficienten")
        if s.hours_per_day is not None and not ZERO < s.hours_per_day <= MAX_HOURS_PER_DAY:
            found.append(error("R-SUP-02", "hours_per_day", "Timer pr. dag skal være over 0 og højst 24."))
        for field, value in (
            ("hourly_cost", s.hourly_cost),
            ("absence_pct", s.absence_pct),
            ("time_coefficient_pct", s.time_coefficient_pct),
        ):
            if value is not None and not ZERO <= value < MAX_SUPPLEMENT_AMOUNT:
                found.append(error("R-SUP-02", field, "Værdien må ikke være negativ eller urimeligt stor."))
    if s.kind == DAILY:
        need("daily_amount", s.daily_amount, "Beløbet pr. dag")
        if s.daily_amount is not None and not abs(s.daily_amount) < MAX_SUPPLEMENT_AMOUNT:
            found.append(error("R-SUP-02", "daily_amount", "Beløbet pr. dag er urimeligt stort."))
    if s.kind == UNIT:
        need("unit_price", s.unit_price, "Enhedsprisen")
        if s.unit_price is not None and not ZERO < s.unit_price < MAX_SUPPLEMENT_AMOUNT:
            found.append(error("R-SUP-02", "unit_price", "Enhedsprisen skal være over 0 og under 1.000.000 kr."))
        if not s.deliveries:
            found.append(error("R-SUP-02", "deliveries", "Angiv de leverede enheder (dag og antal)."))
        for n, d in enumerate(s.deliveries):
            if d.day < start or not ZERO < d.quantity <= MAX_HOURS_PER_DAY * 100:
                found.append(
                    error(
                        "R-SUP-02",
                        f"deliveries[{n}]",
                        "En levering skal ligge fra indskrivningens start og have et antal over 0.",
                    )
                )
    return found


def _variable_costs_pct(uow: UnitOfWork, row: PlacementRow, year: int) -> Decimal:
    """R-SUP-02: the rule set's variable follow-on costs (5 %) for the operator's region and the year."""
    operator = uow.organisations.get(row.operator_id)
    assert operator is not None
    ruleset_id = uow.organisations.period_ruleset(operator.region_code, year)
    try:
        rules = get_ruleset(ruleset_id) if ruleset_id else ruleset_for(operator.region_code, year)
    except UnknownRuleSet as exc:
        raise InvalidSubmission(str(exc), [error("R-SUP-02", "start", str(exc))]) from exc
    return rules.decimal("supplement_variable_costs_pct")


@write_use_case
def add_supplement(
    uow: UnitOfWork, actor: Actor, clock: Clock, placement_id: str, supplement: SupplementInput
) -> Added:
    """The operator adds a supplementary service to a confirmed placement (handbook § 8).

    ATA: the hourly rate is hourly salary cost × (1 + absence + time-of-day coefficient + the rule set's
    variable costs), to øre (R-SUP-02). Supplements are paid only to the end date (R-SET-05), which billing
    applies. When the paying municipality is not the acting one, the buyer must be told as soon as the
    supplement starts (R-SUP-04): the answer says so, and the buyer sees it on the placement at once.
    """
    row, party = placement_for_update(uow, actor, placement_id)
    if not party.operator:
        raise Forbidden("Kun tilbuddets driftsherre kan tilføje tillægsydelser.")
    if row.status != CONFIRMED:
        raise Conflict("Tillægsydelser kan kun tilføjes en bekræftet indskrivning.")
    s = replace(
        supplement,
        name=free_text(supplement.name, 200),
        staff_category=free_text(supplement.staff_category, 100),
        time_of_day=free_text(supplement.time_of_day, 60),
    )
    problems = _supplement_problems(s, row.start_date)
    if problems:
        raise InvalidSubmission("Tillægsydelsen er ikke gemt.", [f.located(json_path(f.field)) for f in problems])
    variable = rate = None
    if s.kind == ATA:
        assert (
            s.start and s.hourly_cost is not None and s.absence_pct is not None and s.time_coefficient_pct is not None
        )
        variable = _variable_costs_pct(uow, row, s.start.year)
        rate = ata_hourly_rate(
            s.hourly_cost, s.absence_pct / HUNDRED, s.time_coefficient_pct / HUNDRED, variable / HUNDRED
        )
    supplement_row = PlacementSupplementRow(
        placement_pk=row.id,
        kind=s.kind,
        name=s.name,
        start_date=s.start if s.kind != UNIT else None,
        end_date=s.end if s.kind != UNIT else None,
        hours_per_day=s.hours_per_day if s.kind == ATA else None,
        staff_category=s.staff_category if s.kind == ATA else "",
        hourly_cost=s.hourly_cost if s.kind == ATA else None,
        absence_pct=s.absence_pct if s.kind == ATA else None,
        time_of_day=s.time_of_day if s.kind == ATA else "",
        time_coefficient_pct=s.time_coefficient_pct if s.kind == ATA else None,
        variable_costs_pct=variable,
        hourly_rate=rate,
        daily_amount=s.daily_amount if s.kind == DAILY else None,
        unit_price=s.unit_price if s.kind == UNIT else None,
        deliveries=[{"day": d.day.isoformat(), "quantity": str(d.quantity)} for d in s.deliveries]
        if s.kind == UNIT
        else None,
        created_at=clock(),
        created_by=actor.user_id,
    )
    supplement_id = uow.placements.add_supplement(supplement_row)
    notify = row.paying_municipality is not None and row.paying_municipality != row.acting_municipality
    findings: tuple[Finding, ...] = ()
    if notify:
        findings = (
            Finding(
                "R-SUP-04",
                Severity.WARNING,
                "Betalingskommunen er ikke handlekommunen: handlekommunen skal have besked, så snart "
                "tillægsydelsen begynder. Den ser den nu på indskrivningen.",
                "",
            ),
        )
    audit(
        uow,
        clock,
        actor,
        "placement.supplement_added",
        "placement",
        row.placement_id,
        supplement_id=supplement_id,
        buyer_to_be_told=notify,
        before=None,
        after=supplement_state(supplement_row),
    )
    uow.commit()
    return Added(supplement_id, findings)


def supplement_state(row: PlacementSupplementRow) -> dict[str, Any]:
    def text(value: object) -> str | None:
        return None if value is None else str(value)

    return {
        "kind": row.kind,
        "name": row.name,
        "start": text(row.start_date),
        "end": text(row.end_date),
        "hours_per_day": text(row.hours_per_day),
        "hourly_rate": text(row.hourly_rate),
        "daily_amount": text(row.daily_amount),
        "unit_price": text(row.unit_price),
        "deliveries": len(row.deliveries or []),
    }


@write_use_case
def end_supplement(
    uow: UnitOfWork, actor: Actor, clock: Clock, placement_id: str, supplement_id: int, end: date
) -> None:
    """The operator ends an ATA or daily supplement on ``end`` (its last day); nothing is deleted."""
    row, party = placement_for_update(uow, actor, placement_id)
    if not party.operator:
        raise Forbidden("Kun tilbuddets driftsherre kan afslutte tillægsydelser.")
    supplement = uow.placements.supplement_row(row.id, supplement_id)
    if supplement is None:
        raise NotFound("Tillægsydelsen findes ikke.")
    if supplement.kind == UNIT or supplement.start_date is None:
        raise Conflict("En tillægsydelse pr. enhed har ingen periode at afslutte.")
    if supplement.end_date is not None and supplement.end_date <= end:
        raise Conflict("Tillægsydelsen slutter allerede senest den dag.")
    if end < supplement.start_date:
        raise InvalidSubmission(
            "Slutdatoen ligger før startdatoen.", [error("R-SUP-02", "end", "Slutdatoen ligger før startdatoen.")]
        )
    before = supplement_state(supplement)
    supplement.end_date = end
    uow.flush()
    was, now = changed_fields(before, supplement_state(supplement))
    audit(
        uow,
        clock,
        actor,
        "placement.supplement_ended",
        "placement",
        row.placement_id,
        supplement_id=supplement_id,
        before=was,
        after=now,
    )
    uow.commit()
