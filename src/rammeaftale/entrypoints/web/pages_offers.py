"""The offer registry pages: the list with filters, one offer with its tariffs, trace and history,
and the operator's template download."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from rammeaftale.adapters.excel.template import write_template
from rammeaftale.domain.registry import CATEGORY_LABELS, OFFER_STATUS_LABELS, Offer
from rammeaftale.domain.submission import OFFER_KIND_LABELS
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.charts import Series, tariff_history_svg
from rammeaftale.entrypoints.web.rendering import ViewerDep, render
from rammeaftale.services import offers, submissions
from rammeaftale.services.access import can_read_submissions
from rammeaftale.services.context import today
from rammeaftale.services.errors import NotFound

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int_or_none(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


@dataclass(frozen=True)
class FilterOptions:
    regions: list[tuple[int, str]]
    operators: list[tuple[int, str]]
    kinds: list[tuple[str, str]]
    legal_bases: list[str]
    statuses: list[tuple[str, str]]


def _options(uow: UowDep, everything: list[Offer]) -> FilterOptions:
    operators = sorted({(o.operator.id, o.operator.name) for o in everything}, key=lambda item: item[1])
    return FilterOptions(
        regions=[(r.region_code, r.name) for r in uow.organisations.regions()],
        operators=operators,
        kinds=[(str(code), label) for code, label in OFFER_KIND_LABELS.items()],
        legal_bases=sorted({o.current.legal_basis for o in everything}),
        statuses=[(str(code), label) for code, label in OFFER_STATUS_LABELS.items()],
    )


@router.get("/tilbud", response_class=HTMLResponse, dependencies=[policy(Policy.PUBLIC)])
def offer_list(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    region: str = "",
    operator: str = "",
    kind: str = "",
    legal_basis: str = "",
    status: str = "",
    q: str = "",
) -> HTMLResponse:
    filters = offers.OfferFilter(
        _int_or_none(region), _int_or_none(operator), kind or None, legal_basis or None, status or None, q.strip()
    )
    everything = offers.list_offers(uow, offers.OfferFilter())
    found = [o for o in everything if filters.matches(o)]
    context = {"offers": found, "total": len(everything), "filters": filters, "options": _options(uow, everything)}
    return render(request, viewer, "offers.html", {**context, "category_labels": CATEGORY_LABELS})


def history_charts(history: tuple[offers.TariffPoint, ...], offer_name: str) -> list[Any]:
    """One SVG chart per tariff unit, one line per service (a daily and an hourly tariff never share an axis)."""
    by_unit: dict[str, dict[str, list[tuple[int, Any]]]] = defaultdict(lambda: defaultdict(list))
    for point in history:
        if point.tariff is not None:
            by_unit[point.unit][point.service].append((point.year, point.tariff))
    charts = []
    for unit, services in by_unit.items():
        series = [Series(name, unit, tuple(points)) for name, points in services.items()]
        chart = tariff_history_svg(series, f"Takstudvikling for {offer_name}")
        if chart is not None:
            charts.append(chart)
    return charts


@router.get("/tilbud/{offer_id}", response_class=HTMLResponse, dependencies=[policy(Policy.PUBLIC)])
def offer_page(offer_id: int, request: Request, uow: UowDep, viewer: ViewerDep, clock: ClockDep) -> HTMLResponse:
    detail = offers.offer_detail(uow, viewer.actor, offer_id)
    trace = detail.trace_submission.result if detail.trace_submission is not None else None
    year = today(clock).year + 1
    submissions_by_service = {
        s.id: [row for row in detail.submissions if row.service_id == s.id] for s in detail.offer.services
    }
    # the newest version of next year's submission per service; a pending or approved one cannot be replaced
    cycle_rows = {
        service_id: next((row for row in rows if row.budget_year == year), None)
        for service_id, rows in submissions_by_service.items()
    }
    context = {
        "detail": detail,
        "offer": detail.offer,
        "current": detail.offer.current,
        "result": trace,
        "charts": history_charts(detail.history, detail.offer.current.name),
        "submissions_by_service": submissions_by_service,
        "cycle_rows": cycle_rows,
        "editable_statuses": submissions.EDITABLE,
        "cycle_year": year,
        "category_labels": CATEGORY_LABELS,
        "may_read_accounts": can_read_submissions(viewer.actor, detail.offer),  # its operator, its region's secretariat
    }
    return render(request, viewer, "offer.html", context)


@router.get(
    "/tilbud/{offer_id}/ydelser/{service_id}/skabelon", dependencies=[policy(Policy.OPERATOR | Policy.SECRETARIAT)]
)
def template_download(
    offer_id: int,
    service_id: int,
    uow: UowDep,
    actor: UserDep,
    aar: Annotated[int, Query(ge=2000, le=2100)],
) -> Response:
    """The prefilled takstberegningsskema for a budget year (the filename holds no personal data)."""
    offer, prefill, last_year = offers.template_prefill(uow, actor, service_id, aar)
    if offer.id != offer_id:
        raise NotFound("Ydelsen findes ikke.")
    content = write_template(prefill, last_year, fictitious=True)
    filename = re.sub(r"[^A-Za-z0-9._-]", "-", f"takstberegning-{offer.code}-{aar}.xlsx")
    return Response(content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
