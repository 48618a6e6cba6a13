"""Health refund pages (R-REF-01): the municipality where an offer lies registers the municipal health services
(home care, dental care, physiotherapy …) it gave a resident, names the placement by its pseudonymous id, and
raises the month's claims on the paying municipalities; both parties read the claims of a year.

Thin: parse, call ``services/refunds.py``, render. The services decide who may do what (a buyer only; the
paying municipality cannot claim from itself; a claim is seen by its claimant and debtor only).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from rammeaftale.domain.money import ZERO
from rammeaftale.entrypoints.deps import ClockDep, UowDep
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.flash import flash, refusal, take_flash
from rammeaftale.entrypoints.web.pages_billing import MONTH_NAMES
from rammeaftale.entrypoints.web.rendering import ViewerDep, render, see_other
from rammeaftale.services import refunds
from rammeaftale.services.context import today
from rammeaftale.services.errors import Conflict, InvalidSubmission, NotFound
from rammeaftale.services.placements_access import buyer_kommunekode

router = APIRouter()
BUYER = [policy(Policy.BUYER)]


def _back(request: Request, year: int, message: str, error: bool = False) -> Response:
    flash(request, message, error)
    return see_other(f"/refusion?aar={year}")


@router.get("/refusion", response_class=HTMLResponse, dependencies=BUYER)
def refunds_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    aar: Annotated[int | None, Query(ge=2000, le=2100, description="Året")] = None,
) -> Response:
    """The year's health refund claims the municipality raised and owes, and the forms to register and claim."""
    year = aar or today(clock).year - 1
    code = buyer_kommunekode(uow, viewer.actor)
    claims = refunds.health_refund_claims(uow, viewer.actor, year)
    raised = [c for c in claims if c.claimant_kommunekode == code]
    owed = [c for c in claims if c.debtor_kommunekode == code]
    context: dict[str, Any] = {
        "year": year,
        "raised": raised,
        "owed": owed,
        "raised_total": sum((c.amount for c in raised), ZERO),
        "owed_total": sum((c.amount for c in owed), ZERO),
        "months": list(enumerate(MONTH_NAMES, start=1)),
        "month_name": lambda m: MONTH_NAMES[m - 1],
        "flash": take_flash(request),
    }
    return render(request, viewer, "refunds.html", context)


@router.post("/refusion/ydelser", response_class=HTMLResponse, dependencies=BUYER)
def register_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    indskrivning: Annotated[str, Form(max_length=20)],
    aar: Annotated[int, Form(ge=2000, le=2100)],
    maaned: Annotated[int, Form(ge=1, le=12)],
    ydelse: Annotated[str, Form(max_length=200)],
    timer: Annotated[str, Form(max_length=20)] = "",
    udgift: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Register a health service given to a placement's citizen in a month: hours or a documented cost."""
    try:
        refunds.register_health_service(
            uow, viewer.actor, clock, indskrivning.strip(), aar, maaned, ydelse, hours=timer, documented_cost=udgift
        )
    except (InvalidSubmission, Conflict, NotFound) as exc:
        return _back(request, aar, refusal(exc), error=True)
    return _back(
        request, aar, f"{ydelse.strip()} for {indskrivning.strip()} i {MONTH_NAMES[maaned - 1]} {aar} er registreret."
    )


@router.post("/refusion/krav", response_class=HTMLResponse, dependencies=BUYER)
def claims_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    aar: Annotated[int, Form(ge=2000, le=2100)],
    maaned: Annotated[int, Form(ge=1, le=12)],
) -> Response:
    """Raise the month's claims (one per placement; none below the minimum claim); again: nothing new."""
    try:
        run = refunds.run_health_refunds(uow, viewer.actor, clock, aar, maaned)
    except (InvalidSubmission, Conflict, NotFound) as exc:
        return _back(request, aar, refusal(exc), error=True)
    month = f"{MONTH_NAMES[maaned - 1]} {aar}"
    parts = [f"{run.raised} krav rejst for {month}", f"{run.already} var rejst før"]
    if run.below_minimum:
        parts.append(f"{run.below_minimum} under bagatelgrænsen blev ikke rejst (R-REF-01)")
    return _back(request, aar, ", ".join(parts) + ".")
