"""The ATA hourly rate calculator for supplementary services (R-SUP-02, R-SUP-03)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.domain.supplements import AtaPrice, ata_price
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.rendering import ViewerDep, render
from rammeaftale.entrypoints.web.submission_form import danish_number_text

router = APIRouter()
HUNDRED = Decimal(100)
FIELDS = (
    ("hourly_cost", "Timelønsomkostning", "kr./time", "For personalegruppen, inkl. feriepenge og pension."),
    ("absence", "Fraværskorrektion", "%", "Ferie, sygdom, pauser, møder og kurser, fx 30."),
    ("time_coefficient", "Tidskoefficient", "%", "Højere uden for normal arbejdstid (R-SUP-03), fx 40 om aftenen."),
    ("variable_costs", "Variable følgeomkostninger", "%", "5 % efter styringsaftalen (R-SUP-02)."),
    ("hours", "Antal ATA-timer", "timer", "Fx 1,5 time hver aften i en uge = 10,5."),
)
DEFAULTS = {"hourly_cost": "", "absence": "", "time_coefficient": "", "variable_costs": "5", "hours": "1"}


def _parse(values: dict[str, str]) -> tuple[dict[str, Decimal], dict[str, str]]:
    parsed: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    for name, label, _unit, _help in FIELDS:
        text = danish_number_text(values.get(name, ""))
        if not text:
            errors[name] = f"{label} mangler."
            continue
        try:
            number = amount(text)
        except MoneyError:
            errors[name] = f"{label}: '{values[name]}' er ikke et tal (brug fx 1.234,50)."
            continue
        if number < 0:
            errors[name] = f"{label} må ikke være negativ."
            continue
        parsed[name] = number
    return parsed, errors


def _page(request: Request, viewer: ViewerDep, values: dict[str, str], *, computed: bool) -> HTMLResponse:
    price: AtaPrice | None = None
    parsed: dict[str, Decimal] = {}
    errors: dict[str, str] = {}
    if computed:
        parsed, errors = _parse(values)
        if not errors:
            price = ata_price(
                parsed["hourly_cost"],
                parsed["absence"] / HUNDRED,
                parsed["time_coefficient"] / HUNDRED,
                parsed["variable_costs"] / HUNDRED,
                parsed["hours"],
            )
    context = {"fields": FIELDS, "values": values, "errors": errors, "price": price, "parsed": parsed}
    return render(request, viewer, "ata.html", context, status_code=422 if errors else 200)


@router.get("/ata", response_class=HTMLResponse, dependencies=[policy(Policy.PUBLIC)])
def ata_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    return _page(request, viewer, dict(DEFAULTS), computed=False)


@router.post("/ata", response_class=HTMLResponse, dependencies=[policy(Policy.PUBLIC, csrf=False)])
def ata_compute(
    request: Request,
    viewer: ViewerDep,
    hourly_cost: Annotated[str, Form()] = "",
    absence: Annotated[str, Form()] = "",
    time_coefficient: Annotated[str, Form()] = "",
    variable_costs: Annotated[str, Form()] = "",
    hours: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """A calculation only: nothing is saved, so no CSRF token is needed (``csrf=False``)."""
    values = {
        "hourly_cost": hourly_cost,
        "absence": absence,
        "time_coefficient": time_coefficient,
        "variable_costs": variable_costs,
        "hours": hours,
    }
    return _page(request, viewer, values, computed=True)
