"""Reserve and overview pages (handbook § 7, issue 4): the operator's reserve ledger with the use form
(R-SUR-02), and the secretariat's overview of a region's accounts year: offers beyond ±5 %, regulations due
per budget year, expiring reserves, late and missing accounts (R-CYC-01), and expiring unused reserves.

Thin like ``pages_accounts``: the ledger and the overview are the services' (``reserves.operator_ledger``,
``accounts_queries.region_accounts``); another organisation's ledger or region answers 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from rammeaftale.adapters.documents.formatting import format_kr
from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep
from rammeaftale.entrypoints.web.charts import Bar, bar_chart_svg
from rammeaftale.entrypoints.web.pages_accounts import (
    OPERATOR,
    PATH_YEAR,
    READERS,
    SECRETARIAT,
    findings_view,
    limit_lines,
    page,
    percent_bar,
)
from rammeaftale.entrypoints.web.rendering import Viewer, ViewerDep, see_other
from rammeaftale.entrypoints.web.submission_form import danish_number_text
from rammeaftale.services import accounts_pages, accounts_queries, reserves
from rammeaftale.services.context import today
from rammeaftale.services.errors import InvalidSubmission

router = APIRouter()


# --- the operator's reserve ledger -------------------------------------------------------------------------


def _ledger_page(
    request: Request,
    uow: UowDep,
    viewer: Viewer,
    organisation_id: int,
    year: int,
    *,
    message: str = "",
    findings: list[dict[str, Any]] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = reserves.operator_ledger(uow, viewer.actor, organisation_id)
    may_use = viewer.actor.is_operator and viewer.actor.organisation_id == organisation_id
    offers = accounts_pages.reserve_offers(uow, viewer.actor, organisation_id) if may_use else []
    expiry = {lot.origin_year: lot.expiry_year for lot in view.lots}
    chart = bar_chart_svg(
        [
            Bar(
                f"{origin}" + (f" (senest {expiry[origin]})" if origin in expiry else ""),
                balance,
                format_kr(balance),
                "beyond-surplus",
            )
            for origin, balance in view.by_origin_year.items()
        ],
        f"Hensættelsernes saldo pr. oprindelsesår, {view.operator.name}",
        "Saldo i kr. pr. oprindelsesår (sidste år, hensættelsen kan bruges)",
    )
    context = {
        "view": view,
        "chart": chart,
        "expiry": expiry,
        "names": {line.offer_id: line.offer_name for line in view.lines if line.offer_name},
        "may_use": may_use,
        "offers": offers,
        "year": year,
        "message": message,
        "findings": findings or [],
        "form": form or {},
    }
    return page(request, viewer, "reserves.html", context, status_code)


@router.get("/driftsherre/{organisation_id}/reserver", response_class=HTMLResponse, dependencies=READERS)
def ledger_page(
    organisation_id: int, request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep, clock: ClockDep
) -> HTMLResponse:
    return _ledger_page(request, uow, viewer, organisation_id, today(clock).year)


@router.post("/driftsherre/{organisation_id}/reserver/brug", response_class=HTMLResponse, dependencies=OPERATOR)
def use_reserve(
    organisation_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    offer_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    beloeb: Annotated[str, Form()] = "",
    aar: Annotated[int | None, Form(ge=2000, le=2100)] = None,
    note: Annotated[str, Form()] = "",
) -> Response:
    """R-SUR-02: use reserves in one of the operator's covered offers; refused beyond the balance."""
    year = aar if aar is not None else today(clock).year
    form = {"offer_id": str(offer_id), "beloeb": beloeb, "aar": str(year), "note": note}
    reserves.operator_ledger(uow, actor, organisation_id)  # another organisation's ledger: 404
    try:
        try:
            value = amount(danish_number_text(beloeb))
        except (MoneyError, ValueError) as exc:
            raise InvalidSubmission("Beløbet kan ikke læses: skriv fx 250.000 eller 250000,50.", []) from exc
        reserves.use_reserve(uow, actor, clock, offer_id, value, note, year)
    except InvalidSubmission as exc:
        return _ledger_page(
            request,
            uow,
            viewer,
            organisation_id,
            year,
            message=exc.message,
            findings=findings_view(exc.findings),
            form=form,
            status_code=422,
        )
    return see_other(f"/driftsherre/{organisation_id}/reserver")


# --- the secretariat's region overview ---------------------------------------------------------------------


def _overview(
    request: Request,
    uow: UowDep,
    viewer: Viewer,
    region_code: int,
    year: int,
    day: date,
    expired: tuple[int, int] | None,
) -> HTMLResponse:
    view = accounts_queries.region_accounts(uow, viewer.actor, region_code, year, day)
    limits = accounts_pages.accounts_limits(uow, region_code, year)
    received = sorted(view.received, key=lambda line: (-line.accounts.excess, line.offer.offer_name))
    percent_chart = bar_chart_svg(
        [percent_bar(line.offer.offer_name, line.accounts) for line in received],
        f"Resultat {year} i procent af takstberegningsgrundlaget pr. tilbud",
        "Resultat i % af takstberegningsgrundlaget (+ overskud, − underskud)",
        limit_lines(uow, region_code, year),
    )
    due_chart = bar_chart_svg(
        [
            Bar(str(d.budget_year), d.total, format_kr(d.total), "beyond-surplus" if d.total < 0 else "beyond-deficit")
            for d in view.regulations_due
        ],
        "Reguleringer der skal i taksten pr. budgetår",
        "Regulering i kr. (− nedsætter, + forhøjer taksten)",
    )
    years = accounts_pages.accounts_years(
        uow, region_code, range(min(year, day.year - 1) - 3, max(year, day.year - 1) + 2)
    )
    context = {
        "view": view,
        "limits": limits,
        "region_name": accounts_pages.region_name(uow, region_code),
        "percent_chart": percent_chart,
        "due_chart": due_chart,
        "received": received,
        "years": years,
        "expired": expired,
        "this_year": day.year,
    }
    return page(request, viewer, "accounts_overview.html", context)


@router.get("/regnskab", response_class=HTMLResponse, dependencies=SECRETARIAT)
def overview_default(request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep, clock: ClockDep) -> HTMLResponse:
    """The secretariat's own region and last year (the accounts due this spring)."""
    region_code = actor.region_code if actor.region_code is not None else 0
    day = today(clock)
    return _overview(request, uow, viewer, region_code, day.year - 1, day, None)


@router.get("/regnskab/{region_code}/{year}", response_class=HTMLResponse, dependencies=SECRETARIAT)
def overview(
    region_code: int,
    year: Annotated[int, PATH_YEAR],
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    actor: UserDep,
    clock: ClockDep,
    udloebet: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
    udloebsaar: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> HTMLResponse:
    expired = (udloebet, udloebsaar) if udloebet is not None and udloebsaar is not None else None
    return _overview(request, uow, viewer, region_code, year, today(clock), expired)


@router.post("/regnskab/{region_code}/udloeb", response_class=HTMLResponse, dependencies=SECRETARIAT)
def expire(
    region_code: int,
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
    aar: Annotated[int | None, Form(ge=2000, le=2100)] = None,
    tilbage: Annotated[int | None, Form(ge=2000, le=2100)] = None,
) -> Response:
    """R-SUR-02: in year ``aar`` (this year by default), every reserve of the region's operators whose last
    year of use has passed expires and lowers its offer's tariff; back to the overview of ``tilbage``."""
    day = today(clock)
    year = aar if aar is not None else day.year
    expired = reserves.expire_reserves(uow, actor, clock, region_code, year)
    back = tilbage if tilbage is not None else day.year - 1
    return see_other(f"/regnskab/{region_code}/{back}?udloebet={len(expired)}&udloebsaar={year}")
