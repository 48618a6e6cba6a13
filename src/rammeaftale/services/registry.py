"""Changing the offer registry. History is effective-dated: a change never overwrites the past."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.registry import OfferStatus, OfferVersion
from rammeaftale.services.access import can_manage_offer_submissions
from rammeaftale.services.audit import audit
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.retry import write_use_case

CHANGEABLE = (
    "name",
    "legal_basis",
    "target_groups",
    "kind",
    "category",
    "agreed_places",
    "physical_places",
    "status",
    "opening_date",
    "closing_date",
    "enhanced_collaboration",
    "address",
)


@write_use_case
def change_offer(
    uow: UnitOfWork,
    /,
    actor: Actor,
    clock: Clock,
    offer_id: int,
    valid_from: date,
    reason: str,
    **changes: object,
) -> OfferVersion:
    """Record a new version of an offer from ``valid_from``; the version before it is kept, closed.

    The operator records its own offers' changes, the region's secretariat those of its region.
    Permanent changes of places follow R-GOV-03/R-GOV-04 (board or executive committee); the
    reason should say which decision the change rests on. A write use case (``services/retry.py``): its
    own write transaction, retried on a transient conflict, ``Conflict`` when the retries are spent. The
    offer is locked before anything is checked, so of two changes from the same date one is a Conflict.
    """
    uow.offers.lock(offer_id)
    offer = uow.offers.get(offer_id)
    if offer is None:
        raise NotFound("Tilbuddet findes ikke.")
    secretariat = actor.is_secretariat and actor.region_code == offer.operator.region_code
    if not (secretariat or can_manage_offer_submissions(actor, offer)):
        raise Forbidden("Kun tilbuddets driftsherre eller regionens sekretariat kan ændre tilbuddet.")
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown or not changes:
        raise InvalidSubmission(f"Ukendte eller manglende felter: {', '.join(unknown) or 'ingen ændringer'}.", [])
    if not reason.strip():
        raise InvalidSubmission("En ændring af et tilbud kræver en begrundelse.", [])
    if valid_from <= offer.current.valid_from:
        raise Conflict(
            f"Ændringen skal gælde fra en dato efter den nuværende version ({offer.current.valid_from:%d-%m-%Y})."
        )
    values = dict(changes)
    if "status" in values:
        values["status"] = OfferStatus(str(values["status"]))
    for key in ("agreed_places", "physical_places"):
        if key in values:
            values[key] = Decimal(str(values[key]))
    if "target_groups" in values:
        values["target_groups"] = tuple(values["target_groups"])  # type: ignore[arg-type]
    new = replace(offer.current, valid_from=valid_from, valid_to=None, reason=reason.strip(), **values)  # type: ignore[arg-type]
    uow.offers.add_version(offer_id, new, clock())
    audit(
        uow,
        clock,
        actor,
        "offer.changed",
        "offer",
        offer_id,
        valid_from=valid_from.isoformat(),
        reason=reason.strip(),
        before={k: getattr(offer.current, k) for k in changes},
        after={k: values[k] for k in changes},
    )
    uow.commit()
    return new
