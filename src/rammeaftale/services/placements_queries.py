"""Reads of placements (issue 5): scoped to the parties, and every read of citizen data logged.

Each placement a read hands out (a list page, one placement, a search hit, the revealed CPR number) is
logged with ``record_read`` under its pseudonymous placement id before it leaves the use case
(``services/audit.py``). Responses carry the CPR number masked (``DDMMYY-xxxx``); only ``reveal_cpr`` gives
the full number, and only to the two parties (the acting municipality and the operator).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rammeaftale.adapters.db.placements_repositories import StoredPlacement, tariff_rates
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.cpr import CprError, parse_cpr
from rammeaftale.domain.periods import TariffRate
from rammeaftale.domain.registry import Offer
from rammeaftale.services.audit import record_read
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Forbidden, InvalidSubmission
from rammeaftale.services.placements_access import (
    Party,
    buyer_kommunekode,
    party_of,
    require_party_role,
    visible_placement,
)
from rammeaftale.services.placements_input import GENERAL, error

MAX_PAGE = 500
STATUSES = ("registered", "confirmed", "refused")


@dataclass(frozen=True)
class PlacementView:
    """A placement as a party sees it: names of offer, service and municipalities, its tariffs, and how the
    actor stands to it (``party``). The CPR number only masked."""

    placement: StoredPlacement
    offer_code: str
    offer_name: str
    service_name: str
    operator_name: str
    acting_name: str
    paying_name: str | None
    tariffs: tuple[TariffRate, ...]
    party: Party


@dataclass(frozen=True)
class PlacementPage:
    views: tuple[PlacementView, ...]
    total: int
    limit: int
    offset: int
    offers: tuple[tuple[str, str], ...] = ()  # (code, name) of the offers on the page before ``keep``


def _views(uow: UnitOfWork, actor: Actor, placements: Sequence[StoredPlacement]) -> list[PlacementView]:
    offers: dict[int, Offer] = {}
    names: dict[int, str] = {}
    for p in placements:
        if p.offer_id not in offers:
            offer = uow.offers.get(p.offer_id)
            assert offer is not None
            offers[p.offer_id] = offer
        for code in (p.acting_municipality, p.paying_municipality):
            if code is not None and code not in names:
                organisation = uow.organisations.by_kommunekode(code)
                names[code] = organisation.name if organisation else str(code)
    published = uow.placements.published_daily_tariffs({p.service_id for p in placements})
    views = []
    for p in placements:
        offer = offers[p.offer_id]
        service = next((s.name for s in offer.services if s.id == p.service_id), "")
        views.append(
            PlacementView(
                placement=p,
                offer_code=offer.code,
                offer_name=offer.current.name,
                service_name=service,
                operator_name=offer.operator.name,
                acting_name=names[p.acting_municipality],
                paying_name=None if p.paying_municipality is None else names[p.paying_municipality],
                tariffs=tariff_rates(published, p.service_id, p.level, p.start, p.negotiated_tariff),
                party=party_of(uow, actor, p),
            )
        )
    return views


def _logged(uow: UnitOfWork, clock: Clock, actor: Actor, views: Sequence[PlacementView], purpose: str) -> None:
    """One read row per placement handed out, committed together before the data leaves."""
    for view in views:
        record_read(uow, clock, actor, view.placement.placement_id, purpose, commit=False)
    uow.commit()


def list_placements(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    *,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
    keep: Callable[[PlacementView], bool] | None = None,
) -> PlacementPage:
    """The actor's placements, newest start first: a buyer's where its municipality acts or pays, an
    operator's in its offers. ``keep`` narrows the page further (the web page's offer and month filters).
    Every placement handed out is logged as read, and only those."""
    require_party_role(actor)
    if status is not None and status not in STATUSES:
        raise InvalidSubmission(
            "Ukendt status.", [error(GENERAL, "status", f"Status skal være {', '.join(STATUSES)}.")]
        )
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, offset)
    if actor.role == "operator":
        assert actor.organisation_id is not None
        found, total = uow.placements.for_operator(actor.organisation_id, status=status, limit=limit, offset=offset)
    else:
        code = buyer_kommunekode(uow, actor)
        if code is None:
            raise Forbidden("Din organisation er ingen kommune.")
        found, total = uow.placements.for_municipality(code, status=status, limit=limit, offset=offset)
    views = _views(uow, actor, found)
    offers = tuple(sorted({(v.offer_code, v.offer_name) for v in views}))
    if keep is not None:
        views = [v for v in views if keep(v)]
    _logged(uow, clock, actor, views, "placement.list")
    return PlacementPage(tuple(views), total, limit, offset, offers)


def get_placement(uow: UnitOfWork, actor: Actor, clock: Clock, placement_id: str) -> PlacementView:
    """One placement of a party (NotFound for anybody else), logged as read."""
    placement, _ = visible_placement(uow, actor, placement_id)
    view = _views(uow, actor, [placement])[0]
    _logged(uow, clock, actor, [view], "placement.view")
    return view


def find_placements(uow: UnitOfWork, actor: Actor, clock: Clock, cpr: object) -> list[PlacementView]:
    """A citizen's placements that the actor is a party to, found by the CPR number's HMAC (nothing is
    decrypted to search). The number given is never repeated; each hit is logged as read."""
    require_party_role(actor)
    try:
        wanted = parse_cpr(cpr)
    except CprError as exc:
        message = "CPR-nummeret " + (
            "begynder ikke med en gyldig dato (DDMMÅÅ)."
            if exc.reason == "date"
            else "skal skrives som DDMMÅÅ-SSSS eller som 10 cifre."
        )
        raise InvalidSubmission(message, [error(GENERAL, "cpr", message).located("$.cpr")]) from None
    mine = [p for p in uow.placements.with_cpr(wanted) if party_of(uow, actor, p).sees]
    mine.sort(key=lambda p: (p.start, p.placement_id), reverse=True)
    views = _views(uow, actor, mine)
    _logged(uow, clock, actor, views, "placement.search")
    return views


def reveal_cpr(uow: UnitOfWork, actor: Actor, clock: Clock, placement_id: str) -> str:
    """The full CPR number (``DDMMYY-SSSS``) for one of the two parties: the acting municipality or the
    operator. The paying municipality sees the placement but not the number (Forbidden); anybody else gets
    NotFound. The read is logged before the number leaves."""
    placement, party = visible_placement(uow, actor, placement_id)
    if not party.may_reveal_cpr:
        raise Forbidden("Kun handlekommunen og tilbuddets driftsherre kan se det fulde CPR-nummer.")
    number = uow.placements.reveal(placement).formatted
    record_read(uow, clock, actor, placement.placement_id, "placement.cpr_reveal")
    return number
