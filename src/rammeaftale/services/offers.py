"""Reading the offer registry: lists with filters, an offer with its tariffs, history and trace."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rammeaftale.adapters.db.models import AppendixLine, TariffSubmissionRow
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.registry import Offer, OfferVersion
from rammeaftale.services.access import can_manage_offer_submissions, can_read_submissions
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import NotFound
from rammeaftale.services.submissions import regulation_due_for_service, ruleset_for_offer


@dataclass(frozen=True)
class OfferFilter:
    region_code: int | None = None
    operator_id: int | None = None
    kind: str | None = None
    legal_basis: str | None = None
    status: str | None = None
    query: str = ""

    def matches(self, offer: Offer) -> bool:
        v = offer.current
        text = " ".join([v.name, offer.code, offer.operator.name, v.legal_basis, *v.target_groups]).lower()
        return (
            (self.region_code is None or offer.operator.region_code == self.region_code)
            and (self.operator_id is None or offer.operator.id == self.operator_id)
            and (not self.kind or v.kind == self.kind)
            and (not self.legal_basis or v.legal_basis == self.legal_basis)
            and (not self.status or v.status.value == self.status)
            and all(word in text for word in self.query.lower().split())
        )


def list_offers(uow: UnitOfWork, filters: OfferFilter) -> list[Offer]:
    """The registry itself (names, places, legal basis) is public within the agreement."""
    return [o for o in uow.offers.all() if filters.matches(o)]


@dataclass(frozen=True)
class TariffPoint:
    year: int
    service: str
    tariff: Decimal | None
    unit: str


@dataclass(frozen=True)
class OfferDetail:
    offer: Offer
    versions: tuple[OfferVersion, ...]
    history: tuple[TariffPoint, ...]
    current_lines: tuple[AppendixLine, ...]
    current_year: int | None
    trace_submission: TariffSubmissionRow | None  # the published calculation behind the current tariffs
    submissions: tuple[TariffSubmissionRow, ...]  # only for the operator and its secretariat
    may_submit: bool


def offer_detail(uow: UnitOfWork, actor: Actor, offer_id: int) -> OfferDetail:
    offer = uow.offers.get(offer_id)
    if offer is None:
        raise NotFound("Tilbuddet findes ikke.")
    history = uow.appendices.offer_history(offer_id)
    current_year = max((year for year, _ in history), default=None)
    current = tuple(line for year, line in history if year == current_year)
    trace = uow.submissions.get(current[0].submission_id) if current else None
    submissions = tuple(uow.submissions.for_offer(offer_id)) if can_read_submissions(actor, offer) else ()
    return OfferDetail(
        offer=offer,
        versions=uow.offers.versions(offer_id),
        history=tuple(TariffPoint(year, line.service, line.tariff, line.unit) for year, line in history),
        current_lines=current,
        current_year=current_year,
        trace_submission=trace,
        submissions=submissions,
        may_submit=can_manage_offer_submissions(actor, offer),
    )


def template_prefill(
    uow: UnitOfWork, actor: Actor, service_id: int, year: int
) -> tuple[Offer, dict[str, Any], dict[str, Any] | None]:
    """The template's prefill: the offer's registry data, and last year's figures for comparison."""
    service = uow.offers.service(service_id)
    offer = uow.offers.get(service.offer_id) if service else None
    if service is None or offer is None or not can_read_submissions(actor, offer):
        raise NotFound("Ydelsen findes ikke.")
    rules = ruleset_for_offer(uow, offer, year)
    v = offer.current
    previous = uow.submissions.latest(service_id, year - 1, ("approved", "published"))
    prefill: dict[str, Any] = {
        "ruleset": rules.id,
        "budget_year": year,
        "offer": {
            "id": offer.code,
            "name": v.name,
            "kind": v.kind,
            "new": False,
            "places": str(v.agreed_places),
            "legal_basis": v.legal_basis,
            "target_group": "; ".join(v.target_groups),
        },
        "service": {"name": service.name, "type": service.tariff_type},
    }
    last_year = None
    if previous is not None:
        last_year = dict(previous.payload)
        prefill["costs"] = previous.payload.get("costs", {})
        prefill["occupancy"] = previous.payload.get("occupancy", {})
        prefill["direct_support_hours_per_year"] = previous.payload.get("direct_support_hours_per_year")
        prefill["service"] = previous.payload.get("service", prefill["service"])
        if previous.daily_tariff is not None:
            prefill["last_year"] = {"tariff": str(previous.daily_tariff), "places": previous.payload["offer"]["places"]}
    # R-SUR-03 / R-SUR-05: the regulation due this year from the accounts, never last year's regulation
    due = regulation_due_for_service(uow, offer, service_id, year)
    costs = {key: lines for key, lines in prefill.get("costs", {}).items() if key != "regulation"}
    if due is not None:
        prefill["regulation_due"] = str(due)
        costs["regulation"] = {"total": str(due)}
    if costs or "costs" in prefill:
        prefill["costs"] = costs
    return offer, prefill, last_year
