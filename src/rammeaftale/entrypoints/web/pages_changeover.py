"""The changeover planner (handbook § 13): Region Midtjylland's operator checks that moving its enrolments to
the basis + service model is zero-sum, and sees each municipality's difference, before it agrees the new
citizen schedules. The planner opens with the operator's placements that have a schedule; the rows can be
edited or pasted from Excel and the new basis tariff set. It saves nothing.

Thin: parse, call ``services/changeover.py``, render.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from rammeaftale.adapters.documents.formatting import format_kr
from rammeaftale.domain.citizen_schedules import ChangeoverPlan
from rammeaftale.entrypoints.deps import ClockDep, UowDep
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.charts import Bar, bar_chart_svg
from rammeaftale.entrypoints.web.rendering import Viewer, ViewerDep, render
from rammeaftale.services import changeover
from rammeaftale.services.context import today
from rammeaftale.services.errors import InvalidSubmission
from rammeaftale.services.serialization import finding_to_data

router = APIRouter()
OPERATOR = [policy(Policy.OPERATOR)]


def _show(
    request: Request,
    uow: UowDep,
    viewer: Viewer,
    year: int,
    text: str,
    basis_after: str,
) -> HTMLResponse:
    citizens, findings = changeover.read_rows(text)
    result: ChangeoverPlan | None = None
    if citizens and not findings:
        try:
            result = changeover.plan(citizens, basis_after)
        except InvalidSubmission as exc:
            findings += exc.findings
    names = {o.kommunekode: o.name for o in uow.organisations.in_region(viewer.actor.region_code or 0)}
    chart = None
    if result is not None:
        bars = [
            Bar(
                names.get(m.municipality, str(m.municipality)),
                m.difference,
                format_kr(m.difference),
                "deficit" if m.difference > 0 else "surplus" if m.difference < 0 else "neutral",
            )
            for m in result.municipalities
        ]
        chart = bar_chart_svg(bars, "Hver kommunes forskel efter omlægningen (§ 13)", "kr.")
    context: dict[str, Any] = {
        "year": year,
        "rows": text,
        "basis_after": basis_after,
        "plan": result,
        "names": names,
        "chart": chart,
        "findings": [finding_to_data(f) for f in (*findings, *(result.findings if result else ()))],
        "columns": changeover.ROW_COLUMNS,
    }
    return render(request, viewer, "changeover.html", context, status_code=422 if findings else 200)


@router.get("/borgerskemaer/omlaegning", response_class=HTMLResponse, dependencies=OPERATOR)
def changeover_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    aar: Annotated[int | None, Query(ge=2000, le=2100, description="Året")] = None,
) -> Response:
    """The planner with the operator's placements that have a citizen schedule, at the zero-sum basis."""
    year = aar or today(clock).year
    citizens = changeover.changeover_citizens(uow, viewer.actor, clock, year)
    return _show(request, uow, viewer, year, changeover.rows_text(citizens), "")


@router.post("/borgerskemaer/omlaegning", response_class=HTMLResponse, dependencies=OPERATOR)
def changeover_plan_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    aar: Annotated[int, Form(ge=2000, le=2100)],
    raekker: Annotated[str, Form(max_length=200_000)] = "",
    basis: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """The plan of the rows and the basis as edited (nothing is saved)."""
    return _show(request, uow, viewer, aar, raekker, basis)
