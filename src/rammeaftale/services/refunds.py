"""Health refunds (R-REF-01), Region Midtjylland's citizen schedules (handbook § 13) and the closing costs of
interim offers (R-SET-08): stored append-only (migration 0008), audited, and used by the billing run.

Who:

* Health services are registered by a buyer of the municipality where the offer lies (the claimant), for a
  placement and a month; it runs the month's claims on the paying municipality (R-REF-01). A claim below the
  rule set's minimum claim is not raised (a warning finding says so); running a month again raises nothing
  new (one claim per placement and month, immutable). Claims are seen by their claimant and debtor only.
* A citizen schedule (§ 13) is registered or replaced by the offer's operator in Region Midtjylland (1082),
  agreed with the buyer; from its effective date the billing run bills its daily price as the tariff.
* The closing costs date of an interim offer (R-SET-08) is recorded by the offer's operator after notice;
  the billing run passes it to the domain ``Notice`` (which cuts it at the rule set's maximum).

Decision (the handbook is silent): the registering municipality need not be a party to the placement; it
names the placement by its pseudonymous id and sees nothing of it but its own registrations and claims.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select

from rammeaftale.adapters.db.models import (
    CitizenScheduleRow,
    CitizenScheduleServiceRow,
    ClosingCostsRow,
    HealthRefundClaimRow,
    HealthServiceRow,
    PlacementRow,
)
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.citizen_schedules import CitizenSchedule, ScheduledService
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import MoneyError
from rammeaftale.domain.money import amount as exact_amount
from rammeaftale.domain.notice import OfferKind
from rammeaftale.domain.periods import SettlementError, TariffRate, month_period
from rammeaftale.domain.refund_claims import HealthService, health_refund
from rammeaftale.domain.settlement import Placement
from rammeaftale.services.audit import audit
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.placements_access import PLACEMENT_ID, buyer_kommunekode, placement_for_update
from rammeaftale.services.retry import write_use_case

MIDTJYLLAND = 1082
LARGEST = Decimal("1e10")  # amounts and hours below this fit their columns (QUANTITY: 10 digits before the point)
NOT_FOUND = "Indskrivningen findes ikke."


def _error(rule: str, field: str, message: str) -> Finding:
    return Finding(rule, Severity.ERROR, message, field)


def _amount(raw: object, field: str, rule: str) -> Decimal:
    try:
        value = exact_amount(raw)  # also Danish input: "2.500,00"
    except MoneyError as exc:  # not a number, a float, or too many digits to reckon with exactly
        raise InvalidSubmission("Beløbet er ikke et tal.", [_error(rule, field, str(exc))]) from exc
    if abs(value) >= LARGEST:  # "1e30" would overflow the columns (and the øre check's precision): a 422, not a 500
        raise InvalidSubmission("Beløbet er for stort.", [_error(rule, field, "Tallet er for stort.")])
    return value


def _placement_row(uow: UnitOfWork, placement_id: str) -> PlacementRow:
    row = (
        uow.session.scalar(select(PlacementRow).where(PlacementRow.placement_id == placement_id))
        if PLACEMENT_ID.fullmatch(placement_id)
        else None
    )
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


def _debtor(row: PlacementRow) -> int:
    return row.paying_municipality if row.paying_municipality is not None else row.acting_municipality


# --- health services and refunds (R-REF-01) ----------------------------------------------------------------


@write_use_case
def register_health_service(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    placement_id: str,
    year: int,
    month: int,
    name: str,
    hours: object | None = None,
    documented_cost: object | None = None,
) -> int:
    """R-REF-01: the municipality where the offer lies registers a health service for a placement and month."""
    code = buyer_kommunekode(uow, actor)
    if code is None or actor.organisation_id is None:
        raise Forbidden("Kun kommunen, hvor tilbuddet ligger, kan registrere sundhedsydelser (R-REF-01).")
    row = _placement_row(uow, placement_id)
    if code == _debtor(row):
        raise Conflict("Den betalende kommune kan ikke kræve refusion af sig selv (R-REF-01).")
    name = name.replace("\x00", "").strip()[:200]  # text columns hold no NUL
    problems = []
    if not name:
        problems.append(_error("R-REF-01", "name", "Skriv ydelsens navn."))
    if not 1 <= month <= 12:
        problems.append(_error("R-REF-01", "month", "Måneden skal være 1–12."))
    h = _amount(hours, "hours", "R-REF-01") if hours not in (None, "") else None
    cost = _amount(documented_cost, "documented_cost", "R-REF-01") if documented_cost not in (None, "") else None
    if (h is None) == (cost is None):
        problems.append(_error("R-REF-01", "hours", "Angiv enten timer eller en dokumenteret udgift."))
    if (h is not None and h < 0) or (cost is not None and (cost < 0 or cost != cost.quantize(Decimal("0.01")))):
        problems.append(
            _error("R-REF-01", "documented_cost", "Timer og udgift skal være positive, udgiften i hele øre.")
        )
    if problems:
        raise InvalidSubmission("Sundhedsydelsen er ikke gemt.", problems)
    service = HealthServiceRow(
        placement_id=row.id,
        municipality_id=actor.organisation_id,
        year=year,
        month=month,
        name=name,
        hours=h,
        documented_cost=cost,
        created_at=clock(),
        created_by=actor.user_id,
    )
    uow.session.add(service)
    uow.session.flush()
    after = {"year": year, "month": month, "name": name, "hours": h, "documented_cost": cost}
    audit(uow, clock, actor, "health_service.registered", "placement", row.placement_id, before=None, after=after)
    uow.commit()
    return service.id


@dataclass(frozen=True)
class RefundRun:
    raised: int
    already: int
    below_minimum: int
    findings: tuple[Finding, ...]


@write_use_case
def run_health_refunds(uow: UnitOfWork, actor: Actor, clock: Clock, year: int, month: int) -> RefundRun:
    """R-REF-01: the month's claims of the actor's municipality, one per placement; idempotent."""
    from rammeaftale.services.billing import billing_rules  # billing imports this module

    code = buyer_kommunekode(uow, actor)
    if code is None or actor.organisation_id is None:
        raise Forbidden("Kun en kommune kan rejse refusionskrav for sundhedsydelser (R-REF-01).")
    period = month_period(year, month)
    rows = uow.session.scalars(
        select(HealthServiceRow)
        .where(
            HealthServiceRow.municipality_id == actor.organisation_id,
            HealthServiceRow.year == year,
            HealthServiceRow.month == month,
        )
        .order_by(HealthServiceRow.placement_id, HealthServiceRow.id)
    ).all()
    by_placement: dict[int, list[HealthServiceRow]] = {}
    for s in rows:
        by_placement.setdefault(s.placement_id, []).append(s)
    raised = already = below = 0
    findings: list[Finding] = []
    for pk, services in by_placement.items():
        placement = uow.session.get(PlacementRow, pk)
        if placement is None:
            continue
        exists = uow.session.scalar(
            select(HealthRefundClaimRow.id).where(
                HealthRefundClaimRow.placement_id == pk,
                HealthRefundClaimRow.year == year,
                HealthRefundClaimRow.month == month,
            )
        )
        if exists is not None:
            already += 1
            continue
        operator = uow.organisations.get(placement.operator_id)
        if operator is None:
            continue
        rules = billing_rules(uow, operator.region_code, year)
        domain = [HealthService(s.name, period, s.hours, s.documented_cost) for s in services]
        refund, found = health_refund(placement.placement_id, code, _debtor(placement), period, domain, rules)
        findings.extend(f.located(placement.placement_id) for f in found)
        claim = refund.claim() if refund is not None else None
        if claim is None:
            below += 1 if refund is not None else 0
            continue
        uow.session.add(
            HealthRefundClaimRow(
                placement_id=pk,
                placement_ref=placement.placement_id,
                claimant_kommunekode=claim.claimant,
                debtor_kommunekode=claim.debtor,
                year=year,
                month=month,
                period_from=claim.period.start,
                period_to=claim.period.end,
                amount=claim.amount,
                rule_id=claim.rule_id,
                ruleset_id=rules.id,
                created_at=clock(),
                created_by=actor.user_id,
            )
        )
        uow.session.flush()
        after = {"year": year, "month": month, "debtor": claim.debtor, "amount": claim.amount, "rule": "R-REF-01"}
        audit(uow, clock, actor, "health_refund.claimed", "placement", placement.placement_id, before=None, after=after)
        raised += 1
    uow.commit()
    return RefundRun(raised, already, below, tuple(findings))


def health_refund_claims(uow: UnitOfWork, actor: Actor, year: int | None = None) -> list[HealthRefundClaimRow]:
    """R-REF-01: the claims the actor's municipality raised or owes; nobody else sees them."""
    code = buyer_kommunekode(uow, actor)
    if code is None:
        raise Forbidden("Kun kommunerne i et refusionskrav kan se det (R-REF-01).")
    query = select(HealthRefundClaimRow).where(
        or_(HealthRefundClaimRow.claimant_kommunekode == code, HealthRefundClaimRow.debtor_kommunekode == code)
    )
    if year is not None:
        query = query.where(HealthRefundClaimRow.year == year)
    return list(uow.session.scalars(query.order_by(HealthRefundClaimRow.year, HealthRefundClaimRow.month)).all())


# --- citizen schedules (§ 13) ----------------------------------------------------------------------------


@write_use_case
def register_citizen_schedule(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    placement_id: str,
    effective_from: date,
    basis_daily: object,
    hourly_rate: object,
    services: Sequence[tuple[str, object]],
    agreed_with_buyer: bool,
) -> int:
    """§ 13: the operator registers (or replaces, as a new version) a placement's citizen schedule."""
    row, party = placement_for_update(uow, actor, placement_id)
    if not party.operator:
        raise Forbidden("Kun tilbuddets driftsherre kan registrere et borgerskema (§ 13).")
    if actor.region_code != MIDTJYLLAND:
        raise Forbidden("Borgerskemaer bruges kun i Region Midtjylland (§ 13).")
    if not agreed_with_buyer:
        raise InvalidSubmission(
            "Borgerskemaet er ikke gemt.",
            [_error("R-TAR-04", "agreed_with_buyer", "Borgerskemaet skal være aftalt med køberkommunen (§ 13).")],
        )
    try:
        schedule = CitizenSchedule(
            effective_from,
            _amount(basis_daily, "basis_daily", "R-TAR-04"),
            _amount(hourly_rate, "hourly_rate", "R-TAR-04"),
            tuple(
                ScheduledService(n.replace("\x00", "").strip()[:200], _amount(h, "services", "R-TAR-04"))
                for n, h in services
            ),
        )
    except SettlementError as exc:
        raise InvalidSubmission("Borgerskemaet er ikke gemt.", [_error("R-TAR-04", "services", str(exc))]) from exc
    if effective_from < row.start_date:
        raise InvalidSubmission(
            "Borgerskemaet er ikke gemt.",
            [_error("R-TAR-04", "effective_from", "Borgerskemaet kan ikke gælde før indskrivningens startdato.")],
        )
    latest = uow.session.scalar(
        select(CitizenScheduleRow.version)
        .where(CitizenScheduleRow.placement_id == row.id)
        .order_by(CitizenScheduleRow.version.desc())
        .limit(1)
    )
    version = (latest or 0) + 1
    stored = CitizenScheduleRow(
        placement_id=row.id,
        version=version,
        effective_from=effective_from,
        basis_daily=schedule.basis_daily,
        hourly_rate=schedule.hourly_rate,
        agreed_with_buyer=True,
        created_at=clock(),
        created_by=actor.user_id,
    )
    uow.session.add(stored)
    uow.session.flush()
    for position, s in enumerate(schedule.services):
        uow.session.add(
            CitizenScheduleServiceRow(
                schedule_id=stored.id, position=position, name=s.name, hours_per_week=s.hours_per_week
            )
        )
    uow.session.flush()
    after = {
        "version": version,
        "effective_from": effective_from,
        "basis_daily": schedule.basis_daily,
        "hourly_rate": schedule.hourly_rate,
        "hours_per_week": schedule.hours_per_week,
        "daily": schedule.daily,
    }
    audit(uow, clock, actor, "citizen_schedule.registered", "placement", row.placement_id, before=None, after=after)
    uow.commit()
    return version


def citizen_schedules(uow: UnitOfWork, placement_pks: Sequence[int]) -> dict[int, tuple[CitizenSchedule, ...]]:
    """The schedules in force per placement: per effective date, the highest version (a replacement)."""
    rows = _of_placements(uow, CitizenScheduleRow, placement_pks, CitizenScheduleRow.version)
    services: dict[int, list[CitizenScheduleServiceRow]] = {}
    if rows:
        for s in uow.session.scalars(
            select(CitizenScheduleServiceRow)
            .where(CitizenScheduleServiceRow.schedule_id.in_([r.id for r in rows]))  # few: schedules are rare
            .order_by(CitizenScheduleServiceRow.schedule_id, CitizenScheduleServiceRow.position)
        ).all():
            services.setdefault(s.schedule_id, []).append(s)
    latest: dict[int, dict[date, CitizenScheduleRow]] = {}
    for r in rows:  # ordered by version: a later version of the same date replaces the earlier
        latest.setdefault(r.placement_id, {})[r.effective_from] = r
    return {
        pk: tuple(
            CitizenSchedule(
                r.effective_from,
                r.basis_daily,
                r.hourly_rate,
                tuple(ScheduledService(s.name, s.hours_per_week) for s in services.get(r.id, [])),
            )
            for _, r in sorted(by_date.items())
        )
        for pk, by_date in latest.items()
    }


# --- closing costs (R-SET-08) ---------------------------------------------------------------------------


@write_use_case
def record_closing_costs(uow: UnitOfWork, actor: Actor, clock: Clock, placement_id: str, until: date) -> None:
    """R-SET-08: the operator records to which day an interim offer's documented closing costs run."""
    row, party = placement_for_update(uow, actor, placement_id)
    if not party.operator:
        raise Forbidden("Kun tilbuddets driftsherre kan registrere lukkeomkostninger (R-SET-08).")
    if row.offer_kind != OfferKind.INTERIM.value:
        raise Conflict("Lukkeomkostninger betales kun for et midlertidigt tilbud (R-SET-08).")
    if row.notice_final_date is None:
        raise Conflict("Lukkeomkostninger kan først registreres, når indskrivningen er opsagt (R-SET-08).")
    if until < row.notice_final_date:
        raise InvalidSubmission(
            "Lukkeomkostningerne er ikke gemt.",
            [_error("R-SET-08", "until", "Lukkeomkostninger kan ikke slutte før slutdatoen (R-SET-08).")],
        )
    before = {"closing_costs_until": closing_costs_until(uow, [row.id]).get(row.id)}
    uow.session.add(ClosingCostsRow(placement_id=row.id, until=until, created_at=clock(), created_by=actor.user_id))
    uow.session.flush()
    audit(
        uow,
        clock,
        actor,
        "placement.closing_costs",
        "placement",
        row.placement_id,
        before=before,
        after={"closing_costs_until": until},
    )
    uow.commit()


def closing_costs_until(uow: UnitOfWork, placement_pks: Sequence[int]) -> dict[int, date]:
    """R-SET-08: the newest recorded closing costs date per placement."""
    rows = _of_placements(uow, ClosingCostsRow, placement_pks, ClosingCostsRow.id)
    return {r.placement_id: r.until for r in rows}


IN_CHUNK = 5000  # placements per IN (...): a month of 100,000 stays far below SQLite's limit on bound parameters


def _of_placements(uow: UnitOfWork, row: Any, placement_pks: Sequence[int], then: Any) -> list[Any]:
    """The rows of ``row`` for these placements, ordered by placement and ``then``, in chunks of ``IN_CHUNK``."""
    return [
        found
        for i in range(0, len(placement_pks), IN_CHUNK)
        for found in uow.session.scalars(
            select(row)
            .where(row.placement_id.in_(list(placement_pks[i : i + IN_CHUNK])))
            .order_by(row.placement_id, then)
        ).all()
    ]


# --- used by the billing run ------------------------------------------------------------------------------


def schedules_of_operator(uow: UnitOfWork, operator_id: int) -> dict[int, tuple[CitizenSchedule, ...]]:
    """The § 13 schedules in force of every placement in the operator's offers that has one (few: Region
    Midtjylland's placements with a schedule), read before the run's placements so that a placement whose only
    tariff is its schedule is billed too."""
    pks = uow.session.scalars(
        select(CitizenScheduleRow.placement_id)
        .join(PlacementRow, PlacementRow.id == CitizenScheduleRow.placement_id)
        .where(PlacementRow.operator_id == operator_id)
        .distinct()
    ).all()
    return citizen_schedules(uow, list(pks))


def schedule_rates(schedules: dict[int, tuple[CitizenSchedule, ...]]) -> dict[int, tuple[TariffRate, ...]]:
    """Each placement's schedule daily rates from their effective dates (§ 13)."""
    return {pk: tuple(s.tariff_rate() for s in found) for pk, found in schedules.items()}


def with_schedules_and_closing_costs(
    uow: UnitOfWork, placements: Sequence[tuple[int, Placement]], schedules: dict[int, tuple[CitizenSchedule, ...]]
) -> list[tuple[int, Placement]]:
    """The billing run's placements with § 13 schedule rates from their effective dates (earlier tariffs kept
    before the first schedule; ``schedules`` from ``schedules_of_operator``) and the R-SET-08 closing costs date
    on an interim offer's notice."""
    pks = [pk for pk, _ in placements]
    closing = closing_costs_until(uow, pks)
    result = []
    for pk, p in placements:
        found = schedules.get(pk)
        if found:
            first = found[0].effective_from
            kept = tuple(t for t in p.tariffs if t.effective_from < first)
            p = dataclasses.replace(p, tariffs=kept + tuple(s.tariff_rate() for s in found))
        until = closing.get(pk)
        if until is not None and p.notice is not None and p.offer_kind is OfferKind.INTERIM:
            p = dataclasses.replace(p, notice=dataclasses.replace(p.notice, closing_costs_until=until))
        result.append((pk, p))
    return result
