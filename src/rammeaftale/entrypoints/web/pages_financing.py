"""Objective financing pages (handbook § 10, R-SET-12): the agreements a party sees, one agreement with its
shares, installments, invoices and true-up; the secretariat registers an agreement; the offer's operator
invoices the installments that have begun and trues the year up.

Thin: parse, call ``services/financing.py``, render. Who may see what is the service's business: another
organisation's agreement answers 404. Refusals come back on the page as Danish messages with their rule ids.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from rammeaftale.adapters.documents.formatting import format_kr
from rammeaftale.domain.financing import KEY_KIND_LABELS, KeyKind
from rammeaftale.entrypoints.deps import ClockDep, UowDep
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.charts import Bar, bar_chart_svg
from rammeaftale.entrypoints.web.flash import flash, refusal, take_flash
from rammeaftale.entrypoints.web.pages_billing import KIND_LABELS
from rammeaftale.entrypoints.web.rendering import Viewer, ViewerDep, render, see_other
from rammeaftale.services import financing
from rammeaftale.services.context import today
from rammeaftale.services.errors import InvalidSubmission

router = APIRouter()
PARTIES = [policy(Policy.AUTHENTICATED)]  # each role sees only the agreements it is party to
SECRETARIAT = [policy(Policy.SECRETARIAT)]
OPERATOR = [policy(Policy.OPERATOR)]
PURPOSE_LABELS = {"on_account": "A conto-rate", "true_up": "Årsafregning", "month": "Månedsfaktura"}
HELPERS: dict[str, Any] = {
    "key_kind_label": lambda kind: KEY_KIND_LABELS.get(KeyKind(kind), kind),
    "purpose_label": lambda purpose: PURPOSE_LABELS.get(purpose, purpose),
    "document_kind": lambda kind: KIND_LABELS.get(kind, str(kind)),
    "key_kinds": [(k.value, label) for k, label in KEY_KIND_LABELS.items()],
}


def _page(request: Request, viewer: Viewer, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return render(request, viewer, name, {**HELPERS, **context}, status_code=status_code)


def _back(request: Request, url: str, message: str, error: bool = False) -> Response:
    flash(request, message, error)
    return see_other(url)


def parse_key(text: str) -> list[tuple[str, str]]:
    """The key typed as lines 'kommunekode;vægt' (or tab/comma/space separated, as pasted from Excel); the
    service checks every value (R-OBJ-01). A line that cannot be split is kept whole, so it is a finding."""
    rows: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        for separator in (";", "\t", ",", " "):
            if separator in line.strip():
                code, _, weight = line.strip().partition(separator)
                rows.append((code.strip(), weight.strip()))
                break
        else:
            rows.append((line.strip(), ""))
    return rows


@router.get("/finansiering", response_class=HTMLResponse, dependencies=PARTIES)
def agreements_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    aar: Annotated[int | None, Query(ge=2000, le=2100, description="Året")] = None,
) -> Response:
    """The agreements the viewer is party to; the secretariat's registration form."""
    year = aar or today(clock).year - 1
    offers = (
        uow.offers.in_region(viewer.actor.region_code) if viewer.is_secretariat and viewer.actor.region_code else []
    )
    context = {
        "year": year,
        "agreements": financing.agreements(uow, viewer.actor, year),
        "offers": offers,
        "flash": take_flash(request),
        "form": request.session.pop("financing_form", None),
    }
    return _page(request, viewer, "financing.html", context)


@router.post("/finansiering", response_class=HTMLResponse, dependencies=SECRETARIAT)
def register_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    tilbud: Annotated[str, Form(max_length=40)],
    aar: Annotated[int, Form(ge=2000, le=2100)],
    beloeb: Annotated[str, Form(max_length=40)],
    noegle: Annotated[str, Form(max_length=30)],
    vaegte: Annotated[str, Form(max_length=20000)],
    traekningsret: Annotated[bool, Form()] = False,
) -> Response:
    """Register an agreement (R-OBJ-01 … R-OBJ-03); every finding at once and nothing saved when refused."""
    try:
        agreement = financing.register_agreement(
            uow, viewer.actor, clock, tilbud, aar, beloeb, noegle, parse_key(vaegte), traekningsret
        )
    except InvalidSubmission as exc:
        request.session["financing_form"] = {"tilbud": tilbud, "beloeb": beloeb, "noegle": noegle, "vaegte": vaegte}
        return _back(request, f"/finansiering?aar={aar}", refusal(exc), error=True)
    return _back(
        request,
        f"/finansiering/{agreement.id}",
        f"Aftalen for {agreement.offer_code} {agreement.year} er registreret: {format_kr(agreement.amount)}",
    )


@router.get("/finansiering/{agreement_id}", response_class=HTMLResponse, dependencies=PARTIES)
def agreement_page(
    request: Request, uow: UowDep, viewer: ViewerDep, agreement_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Response:
    """One agreement: shares (R-OBJ-02) with a chart, installments and invoices, the true-up (R-SET-12)."""
    detail = financing.agreement_detail(uow, viewer.actor, agreement_id)
    names = {o.kommunekode: o.name for o in uow.organisations.in_region(detail.agreement.region_code)}
    bars = [
        Bar(names.get(int(a.municipality), a.municipality), a.amount, format_kr(a.amount))
        for a in detail.distribution.allocations
    ]
    per_installment: dict[str, list[Any]] = {}
    for i in detail.installments:
        per_installment.setdefault(i.municipality, []).append(i.amount)
    context = {
        "d": detail,
        "a": detail.agreement,
        "names": names,
        "chart": bar_chart_svg(bars, "Andele af årets beløb (R-OBJ-02)", "kr."),
        "per_installment": per_installment,
        "is_operator": viewer.actor.is_operator and viewer.actor.organisation_id == detail.agreement.operator_id,
        "flash": take_flash(request),
    }
    return _page(request, viewer, "financing_agreement.html", context)


@router.post("/finansiering/{agreement_id}/rater", response_class=HTMLResponse, dependencies=OPERATOR)
def installments_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    agreement_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    """Invoice the installments that have begun (R-SET-12); again: nothing new."""
    url = f"/finansiering/{agreement_id}"
    try:
        result = financing.issue_installments(uow, viewer.actor, clock, agreement_id)
    except InvalidSubmission as exc:
        return _back(request, url, refusal(exc), error=True)
    if not result.issued:
        return _back(request, url, "Alle begyndte rater er faktureret; intet nyt udstedt.")
    return _back(
        request, url, f"{len(result.issued)} a conto-fakturaer udstedt: {format_kr(result.total_issued)} (R-SET-12)."
    )


@router.post("/finansiering/{agreement_id}/aarsafregning", response_class=HTMLResponse, dependencies=OPERATOR)
def true_up_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    agreement_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    faktisk: Annotated[str, Form(max_length=40)],
    vaegte: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    """True the year up against the actual amount (and key, when given): invoices and credit notes (R-SET-12)."""
    url = f"/finansiering/{agreement_id}"
    key = parse_key(vaegte) if vaegte.strip() else None
    try:
        result = financing.true_up_agreement(uow, viewer.actor, clock, agreement_id, faktisk, key)
    except InvalidSubmission as exc:
        return _back(request, url, refusal(exc), error=True)
    return _back(
        request,
        url,
        f"Året er afregnet: {len(result.issued)} fakturaer og kreditnotaer, netto {format_kr(result.total_issued)}",
    )
