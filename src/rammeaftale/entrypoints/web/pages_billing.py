"""Billing pages (handbook § 9, issue 5): the operator runs a month (with a progress page) and reads its
invoices; one invoice for its two parties with its lines, refund claims and disputes; the buyer disputes a
line and the operator resolves it with a correction run; the buyer's consolidated statement.

Thin: parse, call the billing use cases and queries (``services/billing*.py``), render. Who may see what is
the services' business: another organisation's invoice, statement or run answers 404. Downloads are the API's
routes (``/api/invoices/{id}/pdf`` …), which read the same session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from rammeaftale.adapters.documents.formatting import format_kr
from rammeaftale.domain.invoices import DocumentKind
from rammeaftale.domain.money import ZERO
from rammeaftale.entrypoints.deps import ClockDep, UowDep
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.billing_jobs import jobs_of
from rammeaftale.entrypoints.web.charts import Bar, bar_chart_svg
from rammeaftale.entrypoints.web.rendering import Viewer, ViewerDep, render, see_other
from rammeaftale.services import billing_queries
from rammeaftale.services.billing_disputes import dispute_line, resolve_dispute
from rammeaftale.services.context import today
from rammeaftale.services.errors import Forbidden, NotFound

router = APIRouter()
OPERATOR = [policy(Policy.OPERATOR)]
BUYER = [policy(Policy.BUYER)]
PARTIES = [policy(Policy.OPERATOR | Policy.BUYER)]
YEAR = Query(ge=2000, le=2100, description="Året")
MONTH = Query(ge=1, le=12, description="Måneden")
MONTH_NAMES = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)
KIND_LABELS = {DocumentKind.INVOICE: "Faktura", DocumentKind.CREDIT_NOTE: "Kreditnota"}
DISPUTE_STATUS = {"open": "Åben", "resolved": "Afgjort"}
HELPERS: dict[str, Any] = {
    "month_name": lambda m: MONTH_NAMES[m - 1],
    "document_kind": lambda kind: KIND_LABELS.get(kind, str(kind)),
    "dispute_status": lambda s: DISPUTE_STATUS.get(s, s),
    "is_credit_note": lambda kind: kind is DocumentKind.CREDIT_NOTE,
}


def page(request: Request, viewer: Viewer, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return render(request, viewer, name, {**HELPERS, **context}, status_code=status_code)


def previous_month(day: date) -> tuple[int, int]:
    """The month a run works on by default: the last month that has ended."""
    return (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)


def own_organisation(viewer: Viewer) -> int:
    if viewer.actor.organisation_id is None:
        raise NotFound("Organisationen findes ikke.")
    return viewer.actor.organisation_id


# --- the operator's month ------------------------------------------------------------------------------


@router.get("/afregning", response_class=HTMLResponse, dependencies=PARTIES)
def billing_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    aar: Annotated[int | None, YEAR] = None,
    maaned: Annotated[int | None, MONTH] = None,
) -> Response:
    """The operator's month: the run form and the month's invoices and credit notes (R-SET-01, R-SET-02).
    A buyer is sent to its statement."""
    if not viewer.actor.is_operator:
        return see_other("/afregning/opgoerelse")
    default_year, default_month = previous_month(today(clock))
    year, month = aar or default_year, maaned or default_month
    operator_id = own_organisation(viewer)
    invoices = billing_queries.operator_invoices(uow, viewer.actor, operator_id, year, month)
    runs = billing_queries.month_runs(uow, viewer.actor, operator_id, year, month)
    current = [v for v in invoices if v.invoice.current]
    context = {
        "year": year,
        "month": month,
        "invoices": invoices,
        "runs": runs,
        "current_total": sum((v.invoice.total for v in current), ZERO),
        "net_total": sum((v.invoice.total for v in invoices), ZERO),
        "years": range(today(clock).year - 2, today(clock).year + 1),
    }
    return page(request, viewer, "billing.html", context)


@router.post("/afregning", response_class=HTMLResponse, dependencies=OPERATOR)
def start_billing_run(
    request: Request,
    viewer: ViewerDep,
    clock: ClockDep,
    aar: Annotated[int, Form(ge=2000, le=2100)],
    maaned: Annotated[int, Form(ge=1, le=12)],
) -> Response:
    """Start the month's run in the background (R-SET-01, R-SET-02, R-SET-11) and show its progress."""
    operator_id = own_organisation(viewer)
    job = jobs_of(request.app).start(request.app.state.engine, viewer.actor, clock, operator_id, aar, maaned)
    return see_other(f"/afregning/koersler/{job.id}")


@router.get("/afregning/koersler/{job_id}", response_class=HTMLResponse, dependencies=OPERATOR)
def billing_run_status(
    request: Request,
    viewer: ViewerDep,
    job_id: Annotated[str, Path(min_length=1, max_length=64)],
) -> HTMLResponse:
    """The run's progress (the page refreshes itself while it runs) and, when done, its result or error."""
    job = jobs_of(request.app).get(job_id, viewer.actor.organisation_id)
    with job.lock:
        context = {
            "job": job,
            "done": job.done,
            "total": job.total,
            "state": job.state,
            "result": job.result,
            "error": job.error,
        }
    return page(request, viewer, "billing_run.html", context)


# --- one invoice ---------------------------------------------------------------------------------------


def _invoice_page(
    request: Request,
    uow: UowDep,
    viewer: Viewer,
    clock: ClockDep,
    invoice_id: int,
    *,
    message: str = "",
    resolution: Any = None,
) -> HTMLResponse:
    detail = billing_queries.invoice_detail(uow, viewer.actor, clock, invoice_id)
    party = billing_queries.party_of(uow, viewer.actor, detail.view.invoice)
    open_lines = {d.line_index for d in detail.disputes if d.status == "open"}
    context = {
        "detail": detail,
        "v": detail.view,
        "invoice": detail.view.invoice,
        "party": party,
        "open_lines": open_lines,
        "message": message,
        "resolution": resolution,
        "resolution_views": billing_queries.views_of(
            uow, [i for i in (resolution.credit_note, resolution.new_invoice) if i] if resolution else []
        ),
    }
    return page(request, viewer, "billing_invoice.html", context)


@router.get("/afregning/fakturaer/{invoice_id}", response_class=HTMLResponse, dependencies=PARTIES)
def invoice_page(
    invoice_id: int, request: Request, uow: UowDep, viewer: ViewerDep, clock: ClockDep, besked: str = ""
) -> HTMLResponse:
    """One invoice or credit note: header, lines each with its rule id, refund claims, disputes (R-SET-02)."""
    message = {"indsigelse": "Indsigelsen er registreret. Driftsherren afgør den (R-SET-02)."}.get(besked, "")
    return _invoice_page(request, uow, viewer, clock, invoice_id, message=message)


@router.post("/afregning/fakturaer/{invoice_id}/indsigelse", response_class=HTMLResponse, dependencies=BUYER)
def dispute_page(
    invoice_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    linje: Annotated[int, Form(ge=0, le=1_000_000)],
    begrundelse: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """R-SET-02: the paying municipality disputes one line; the invoice itself is never changed."""
    dispute_line(uow, viewer.actor, clock, invoice_id, linje, begrundelse)
    return see_other(f"/afregning/fakturaer/{invoice_id}?besked=indsigelse")


@router.post("/afregning/indsigelser/{dispute_id}/afgoerelse", response_class=HTMLResponse, dependencies=OPERATOR)
def resolve_page(
    dispute_id: int,
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    afgoerelse: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """R-SET-02: the operator answers and corrects by running the month again; shows what was issued."""
    resolved = resolve_dispute(uow, viewer.actor, clock, dispute_id, afgoerelse)
    issued = ", ".join(i.number for i in resolved.run.issued)
    message = (
        f"Indsigelsen er afgjort. Kørslen udstedte {issued}."
        if issued
        else "Indsigelsen er afgjort. Måneden var uændret; der er ikke udstedt noget."
    )
    return _invoice_page(request, uow, viewer, clock, resolved.dispute.invoice_id, message=message, resolution=resolved)


# --- the buyer's statement -------------------------------------------------------------------------------


def statement_chart(by_operator: Sequence[billing_queries.OperatorTotal]) -> Any:
    bars = [Bar(t.operator.name, t.total, format_kr(t.total), "neutral") for t in by_operator]
    return bar_chart_svg(bars, "Fakturabeløb pr. driftsherre", "Beløb i kr. (fakturaer minus kreditnotaer)")


@router.get("/afregning/opgoerelse", response_class=HTMLResponse, dependencies=BUYER)
def statement_page(
    request: Request,
    uow: UowDep,
    viewer: ViewerDep,
    clock: ClockDep,
    aar: Annotated[int | None, YEAR] = None,
    maaned: Annotated[int | None, MONTH] = None,
) -> HTMLResponse:
    """The buyer's consolidated statement across operators (R-SET-01), with refund claims (R-SET-01)."""
    if viewer.actor.role != "buyer":
        raise Forbidden("Kun den købende kommune har en samlet opgørelse.")
    buyer_id = own_organisation(viewer)
    latest = billing_queries.latest_statement_year(uow, viewer.actor, buyer_id)
    year = aar or latest or previous_month(today(clock))[0]
    s = billing_queries.buyer_statement(uow, viewer.actor, buyer_id, year, maaned)
    query = f"?year={year}" + (f"&month={maaned}" if maaned else "")
    context = {
        "s": s,
        "year": year,
        "month": maaned,
        "chart": statement_chart(s.by_operator),
        "query": query,
        "years": range(today(clock).year - 2, today(clock).year + 1),
    }
    return page(request, viewer, "billing_statement.html", context)
