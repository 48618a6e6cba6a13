"""Who may see and do what (issue 2: simple roles; scoped to the caller's organisation from the start).

Objects outside the caller's scope answer NotFound, so their existence does not leak.
"""

from __future__ import annotations

from rammeaftale.domain.registry import Offer
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import Forbidden, NotFound


def can_manage_offer_submissions(actor: Actor, offer: Offer) -> bool:
    """Operators work on their own organisation's offers; the secretariat reads its region's."""
    return actor.is_operator and actor.organisation_id == offer.operator.id


def can_read_submissions(actor: Actor, offer: Offer) -> bool:
    return can_manage_offer_submissions(actor, offer) or (
        actor.is_secretariat and actor.region_code == offer.operator.region_code
    )


def require_operator_of(actor: Actor, offer: Offer) -> None:
    if not can_read_submissions(actor, offer):
        raise NotFound("Tilbuddet findes ikke.")
    if not can_manage_offer_submissions(actor, offer):
        raise Forbidden("Kun tilbuddets driftsherre kan indberette takster.")


def require_secretariat_of(actor: Actor, region_code: int) -> None:
    if not actor.is_secretariat:
        raise Forbidden("Kun rammeaftalesekretariatet kan gøre dette.")
    if actor.region_code != region_code:
        raise NotFound("Regionen findes ikke for dig.")


def require_secretariat_or_system(actor: Actor, region_code: int) -> None:
    """Account administration: the secretariat of the person's region, or the system (the command line)."""
    if actor.role != "system":
        require_secretariat_of(actor, region_code)
