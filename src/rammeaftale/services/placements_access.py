"""Who may see and do what with a placement: citizen data, so only the parties (decision 0007).

* The operator of the offer (role operator, its organisation runs the offer): reads, confirms, refuses, adds
  supplements, closes acutely, and may see the CPR number.
* The acting municipality (role buyer, its kommunekode is the acting one): registers, gives notice, and may
  see the CPR number.
* The paying municipality, when it is another (role buyer): reads the placement with the CPR number masked,
  since it pays or refunds (R-SET-01); it changes nothing and never sees the full number.
* Everybody else, the secretariat and board members included, sees nothing: the routes refuse their role
  (403) and a placement of another organisation answers NotFound (404), like one that does not exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rammeaftale.adapters.db.models import PlacementRow
from rammeaftale.adapters.db.placements_repositories import StoredPlacement
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import Forbidden, NotFound

PLACEMENT_ID = re.compile(r"P-[A-Z2-7]{10}")
NOT_FOUND = "Indskrivningen findes ikke."


@dataclass(frozen=True)
class Party:
    """How the actor stands to one placement."""

    operator: bool = False  # runs the offer
    acting: bool = False  # the acting municipality's buyer
    paying: bool = False  # the paying municipality's buyer (when it is not the acting one)

    @property
    def sees(self) -> bool:
        return self.operator or self.acting or self.paying

    @property
    def may_reveal_cpr(self) -> bool:
        """The two parties of the placement: the buyer (acting municipality) and the operator."""
        return self.operator or self.acting


def buyer_kommunekode(uow: UnitOfWork, actor: Actor) -> int | None:
    """The kommunekode of a buyer's municipality; None for any other role."""
    if actor.role != "buyer" or actor.organisation_id is None:
        return None
    organisation = uow.organisations.get(actor.organisation_id)
    return organisation.kommunekode if organisation is not None else None


def party_of(uow: UnitOfWork, actor: Actor, placement: StoredPlacement | PlacementRow) -> Party:
    if actor.role == "operator":
        return Party(operator=actor.organisation_id is not None and actor.organisation_id == placement.operator_id)
    code = buyer_kommunekode(uow, actor)
    if code is None:
        return Party()
    acting = code == placement.acting_municipality
    return Party(acting=acting, paying=not acting and code == placement.paying_municipality)


def require_buyer(actor: Actor) -> None:
    if actor.role != "buyer":
        raise Forbidden("Kun en køberkommune kan registrere indskrivninger.")


def require_party_role(actor: Actor) -> None:
    """Placements are for buyers and operators only; the secretariat and the board see no citizen data."""
    if actor.role not in ("buyer", "operator"):
        raise Forbidden("Din rolle giver ikke adgang til borgerdata.")


def visible_placement(uow: UnitOfWork, actor: Actor, placement_id: str) -> tuple[StoredPlacement, Party]:
    """The placement and how the actor stands to it; NotFound when the actor is no party (or it is missing)."""
    require_party_role(actor)
    found = uow.placements.get(placement_id) if PLACEMENT_ID.fullmatch(placement_id) else None
    party = party_of(uow, actor, found) if found is not None else Party()
    if found is None or not party.sees:
        raise NotFound(NOT_FOUND)
    return found, party


def placement_for_update(uow: UnitOfWork, actor: Actor, placement_id: str) -> tuple[PlacementRow, Party]:
    """The placement's row, locked for a change, and how the actor stands to it; NotFound for a non-party."""
    require_party_role(actor)
    row = uow.placements.row_for_update(placement_id) if PLACEMENT_ID.fullmatch(placement_id) else None
    party = party_of(uow, actor, row) if row is not None else Party()
    if row is None or not party.sees:
        raise NotFound(NOT_FOUND)
    return row, party
