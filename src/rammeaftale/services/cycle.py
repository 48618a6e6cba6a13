"""The secretariat's view of the yearly cycle: submitted, missing and late per operator (R-CYC-02, R-CYC-04)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.rulesets import get_ruleset, ruleset_for
from rammeaftale.services.access import require_secretariat_of
from rammeaftale.services.context import Actor


@dataclass
class ServiceStatus:
    offer_id: int
    offer_code: str
    offer_name: str
    service_id: int
    service_name: str
    status: str  # missing | draft | submitted | returned | approved | published
    submission_id: int | None
    late: bool
    daily_tariff: str | None


@dataclass
class OperatorStatus:
    operator_id: int
    operator: str
    services: list[ServiceStatus] = field(default_factory=list)

    def count(self, *statuses: str) -> int:
        return sum(1 for s in self.services if s.status in statuses)

    @property
    def late(self) -> int:
        return sum(1 for s in self.services if s.late)


@dataclass
class CycleOverview:
    region_code: int
    year: int
    deadline: date
    days_to_deadline: int
    operators: list[OperatorStatus]
    ruleset_id: str = ""
    assumed: list[tuple[str, str]] = field(default_factory=list)  # (label, rule id) still to be confirmed

    @property
    def missing_operators(self) -> list[str]:
        """R-CYC-04: operators with at least one service not submitted."""
        return [o.operator for o in self.operators if o.count("missing", "draft", "returned")]


def overview(uow: UnitOfWork, actor: Actor, region_code: int, year: int, today: date) -> CycleOverview:
    require_secretariat_of(actor, region_code)
    ruleset_id = uow.organisations.period_ruleset(region_code, year)
    rules = get_ruleset(ruleset_id) if ruleset_id else ruleset_for(region_code, year)
    deadline = rules.tariff_submission_deadline(year)
    offers = [o for o in uow.offers.in_region(region_code) if o.covered and o.current.status.value != "closed"]
    rows = uow.submissions.for_year(sorted({o.operator.id for o in offers}), year)
    latest = {row.service_id: row for row in rows}  # ordered by version: the last one wins
    operators: dict[int, OperatorStatus] = {}
    for offer in offers:
        op = operators.setdefault(offer.operator.id, OperatorStatus(offer.operator.id, offer.operator.name))
        for service in offer.services:
            row = latest.get(service.id)
            op.services.append(
                ServiceStatus(
                    offer.id,
                    offer.code,
                    offer.current.name,
                    service.id,
                    service.name,
                    row.status if row else "missing",
                    row.id if row else None,
                    bool(row and row.late) or (row is None and today > deadline),
                    str(row.daily_tariff) if row and row.daily_tariff is not None else None,
                )
            )
    assumed = [(rules.parameters[n].spec.label, rules.parameters[n].spec.rule_id) for n in rules.assumed_parameters]
    return CycleOverview(
        region_code,
        year,
        deadline,
        (deadline - today).days,
        sorted(operators.values(), key=lambda o: o.operator),
        rules.id,
        assumed,
    )
