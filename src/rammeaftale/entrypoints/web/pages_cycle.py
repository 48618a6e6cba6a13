"""The secretariat's yearly cycle (R-CYC-02, R-CYC-04) and publishing the tariff appendix (R-CYC-03)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.rendering import Viewer, ViewerDep, render, see_other
from rammeaftale.services import appendix, cycle
from rammeaftale.services.context import today
from rammeaftale.services.errors import InvalidSubmission, NotFound

router = APIRouter()


def _cycle_page(
    request: Request,
    uow: UowDep,
    viewer: Viewer,
    region_code: int,
    year: int,
    day: date,
    *,
    message: str = "",
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    view = cycle.overview(uow, viewer.actor, region_code, year, day)
    published = uow.appendices.versions(region_code, year)
    region = uow.organisations.region(region_code)
    context = {
        "view": view,
        "region_name": region.name if region is not None else str(region_code),
        "published": published,
        "message": message,
        "reason": reason,
    }
    return render(request, viewer, "cycle.html", context, status_code=status_code)


@router.get("/takstcyklus", response_class=HTMLResponse, dependencies=[policy(Policy.SECRETARIAT)])
def cycle_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    region: Annotated[int | None, Query(description="Regionskode, fx 1081")] = None,
    aar: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> HTMLResponse:
    region_code = region if region is not None else actor.region_code
    if region_code is None:
        raise NotFound("Vælg en region.")
    day = today(clock)
    return _cycle_page(request, uow, viewer, region_code, aar or day.year + 1, day)


@router.post(
    "/takstbilag/{region_code}/{year}/offentliggoer",
    response_class=HTMLResponse,
    dependencies=[policy(Policy.SECRETARIAT)],
)
def publish(
    region_code: int,
    year: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        version = appendix.publish(uow, actor, clock, region_code, year, reason)
    except InvalidSubmission as exc:
        return _cycle_page(
            request, uow, viewer, region_code, year, today(clock), message=exc.message, reason=reason, status_code=422
        )
    return see_other(f"/takstbilag/{region_code}/{year}?version={version}")
