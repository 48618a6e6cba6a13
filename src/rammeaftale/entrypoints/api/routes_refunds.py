"""JSON API of health refunds (R-REF-01), citizen schedules (handbook § 13) and closing costs (R-SET-08).
Thin: parse, call the services in ``services/refunds.py``, build the response field by field. Amounts are
decimal strings with øre; a placement is named by its pseudonymous id, never by a CPR number.

Who: a buyer (the municipality where the offer lies) registers health services for a placement and runs a
month's claims on the paying municipality; a claim is seen by its claimant and its debtor only. The offer's
operator registers a citizen schedule (Region Midtjylland only) and records closing costs of an interim
offer. Other roles are refused (403), anonymous callers 401, and a placement of which an operator is no
party answers 404 like one that does not exist (``services/placements_access.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from rammeaftale.adapters.db.models import HealthRefundClaimRow
from rammeaftale.domain.money import ZERO
from rammeaftale.entrypoints.api.accounts_schema import NoFields
from rammeaftale.entrypoints.api.refunds_schema import (
    CitizenScheduleIn,
    CitizenScheduleOut,
    ClosingCostsIn,
    ClosingCostsOut,
    HealthRefundClaimOut,
    HealthServiceIn,
    HealthServiceOut,
    RefundRunOut,
)
from rammeaftale.entrypoints.api.routes import ERROR_RESPONSES, FindingOut
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep, integers_in_range
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.services import refunds
from rammeaftale.services.placements_access import buyer_kommunekode
from rammeaftale.services.serialization import finding_to_data

router = APIRouter(tags=["refusion"], responses=ERROR_RESPONSES, dependencies=[Depends(integers_in_range)])
PlacementId = Annotated[str, Path(description="Indskrivningens pseudonyme id, fx P-ABCDEFGH23")]
Year = Annotated[int, Path(ge=2000, le=2100)]
Month = Annotated[int, Path(ge=1, le=12)]
YearFilter = Annotated[int | None, Query(ge=2000, le=2100)]


def _kr(value: Decimal) -> str:
    return f"{value:.2f}"


def claim_out(c: HealthRefundClaimRow) -> HealthRefundClaimOut:
    return HealthRefundClaimOut(
        placement=c.placement_ref,
        claimant=c.claimant_kommunekode,
        debtor=c.debtor_kommunekode,
        year=c.year,
        month=c.month,
        period_start=c.period_from,
        period_end=c.period_to,
        amount=_kr(c.amount),
        rule_id=c.rule_id,
        ruleset_id=c.ruleset_id,
    )


def _claims(rows: Sequence[HealthRefundClaimRow]) -> list[HealthRefundClaimOut]:
    return [claim_out(c) for c in rows]


# --- health services and refunds (R-REF-01) -----------------------------------------------------------------


@router.post("/placements/{placement_id}/health-services", status_code=201, dependencies=[policy(Policy.BUYER)])
def register_health_service(
    placement_id: PlacementId, body: HealthServiceIn, uow: UowDep, actor: UserDep, clock: ClockDep
) -> HealthServiceOut:
    """R-REF-01: the municipality where the offer lies registers a health service (home care, dental care,
    physiotherapy …) given to the placement's citizen in a month: hours or a documented cost."""
    service_id = refunds.register_health_service(
        uow,
        actor,
        clock,
        placement_id,
        body.year,
        body.month,
        body.name,
        hours=body.hours,
        documented_cost=body.documented_cost,
    )
    return HealthServiceOut(id=service_id, placement_id=placement_id, year=body.year, month=body.month)


@router.post("/health-refunds/{year}/{month}/run", dependencies=[policy(Policy.BUYER)])
def run_health_refunds(
    year: Year, month: Month, body: NoFields, uow: UowDep, actor: UserDep, clock: ClockDep
) -> RefundRunOut:
    """R-REF-01: raise the month's claims of the caller's municipality on the paying municipalities, one per
    placement; below the minimum claim none is raised; a second run raises nothing new (claims are immutable).
    Answers with the municipality's claims of the month, those raised now and those raised before."""
    run = refunds.run_health_refunds(uow, actor, clock, year, month)
    code = buyer_kommunekode(uow, actor)
    claims = [
        c for c in refunds.health_refund_claims(uow, actor, year) if c.month == month and c.claimant_kommunekode == code
    ]
    return RefundRunOut(
        year=year,
        month=month,
        raised=run.raised,
        already=run.already,
        below_minimum=run.below_minimum,
        claims=_claims(claims),
        total=_kr(sum((c.amount for c in claims), ZERO)),
        findings=[FindingOut(**finding_to_data(f)) for f in run.findings],
    )


@router.get("/health-refunds", dependencies=[policy(Policy.BUYER)])
def health_refund_claims(uow: UowDep, actor: UserDep, year: YearFilter = None) -> list[HealthRefundClaimOut]:
    """R-REF-01: the claims the caller's municipality raised or owes (of a year); nobody else sees them."""
    return _claims(refunds.health_refund_claims(uow, actor, year))


# --- citizen schedules (§ 13) and closing costs (R-SET-08) ------------------------------------------------


@router.post("/placements/{placement_id}/citizen-schedules", status_code=201, dependencies=[policy(Policy.OPERATOR)])
def register_citizen_schedule(
    placement_id: PlacementId, body: CitizenScheduleIn, uow: UowDep, actor: UserDep, clock: ClockDep
) -> CitizenScheduleOut:
    """§ 13: the operator registers (or replaces, as a new version) the placement's citizen schedule, agreed
    with the buyer; from its effective date the billing run bills its daily price (Region Midtjylland)."""
    version = refunds.register_citizen_schedule(
        uow,
        actor,
        clock,
        placement_id,
        body.effective_from,
        body.basis_daily,
        body.hourly_rate,
        [(s.name, s.hours_per_week) for s in body.services],
        body.agreed_with_buyer,
    )
    return CitizenScheduleOut(placement_id=placement_id, version=version, effective_from=body.effective_from)


@router.post("/placements/{placement_id}/closing-costs", status_code=201, dependencies=[policy(Policy.OPERATOR)])
def record_closing_costs(
    placement_id: PlacementId, body: ClosingCostsIn, uow: UowDep, actor: UserDep, clock: ClockDep
) -> ClosingCostsOut:
    """R-SET-08: the operator records to which day an interim offer's documented closing costs run after
    notice; the billing run pays them at most to the end of the notice month plus one month."""
    refunds.record_closing_costs(uow, actor, clock, placement_id, body.until)
    return ClosingCostsOut(placement_id=placement_id, closing_costs_until=body.until)
