"""JSON API of the monthly billing (handbook § 9, issue 5). Thin: parse, call the services, build the response
field by field. Amounts are decimal strings with øre.

Who: an operator runs its months, reads the invoices it issued and resolves disputes; a buyer reads its
statement (every operator's invoices to it) and disputes lines; one invoice only its two parties. Other roles
are refused (403), anonymous callers 401, and objects of another organisation answer 404
(``services/billing*.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from rammeaftale.adapters.db.billing_repositories import StoredDispute, StoredLine
from rammeaftale.entrypoints.api.accounts_schema import NoFields
from rammeaftale.entrypoints.api.billing_schema import (
    ClaimOut,
    DisputeIn,
    DisputeOut,
    InvoiceDetailOut,
    InvoiceOut,
    LineOut,
    OperatorTotalOut,
    ResolutionIn,
    ResolutionOut,
    RunOut,
    StatementOut,
)
from rammeaftale.entrypoints.api.routes import ERROR_RESPONSES, FindingOut
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep, integers_in_range
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.services import billing_documents, billing_queries
from rammeaftale.services.billing import RunResult, run_month
from rammeaftale.services.billing_disputes import dispute_line, resolve_dispute
from rammeaftale.services.billing_documents import Download
from rammeaftale.services.billing_queries import ClaimView, InvoiceView
from rammeaftale.services.serialization import finding_to_data

router = APIRouter(tags=["afregning"], responses=ERROR_RESPONSES, dependencies=[Depends(integers_in_range)])
Year = Annotated[int, Path(ge=2000, le=2100)]
Month = Annotated[int, Path(ge=1, le=12)]
YearFilter = Annotated[int | None, Query(ge=2000, le=2100)]
MonthFilter = Annotated[int | None, Query(ge=1, le=12)]
OPERATOR_OR_BUYER = Policy.OPERATOR | Policy.BUYER


def _kr(value: Decimal) -> str:
    return f"{value:.2f}"


def invoice_out(v: InvoiceView) -> InvoiceOut:
    i = v.invoice
    return InvoiceOut(
        id=i.id,
        number=i.number,
        kind=i.kind.value,
        operator_id=v.operator.id,
        operator=v.operator.name,
        payer=i.payer,
        payer_name=v.payer_name,
        year=i.year,
        month=i.month,
        period_start=i.period.start,
        period_end=i.period.end,
        issued_on=i.issued_on,
        due_on=i.due_on,
        total=_kr(i.total),
        line_count=i.line_count,
        credits=i.credits_number or None,
        credited_by=i.credited_by,
        current=i.current,
        open_disputes=v.open_disputes,
        ruleset_id=i.ruleset_id,
        purpose=i.purpose,
    )


def _line(s: StoredLine) -> LineOut:
    line = s.line
    return LineOut(
        position=s.position,
        placement=line.placement_id,
        kind=line.kind.value,
        label=line.label,
        period_start=line.period.start,
        period_end=line.period.end,
        quantity=f"{line.quantity.normalize():f}",  # 31, 10.5: as exact as stored, never an exponent
        unit=line.unit,
        unit_price=_kr(line.unit_price),
        amount=_kr(line.amount),
        rule_id=line.rule_id,
    )


def _claim(c: ClaimView) -> ClaimOut:
    return ClaimOut(
        invoice=c.invoice.number,
        claimant=c.claim.claimant,
        debtor=c.claim.debtor,
        placement=c.claim.placement_id,
        period_start=c.claim.period.start,
        period_end=c.claim.period.end,
        amount=_kr(c.claim.amount),
        rule_id=c.claim.rule_id,
    )


def _dispute(d: StoredDispute) -> DisputeOut:
    return DisputeOut(
        id=d.id,
        invoice_id=d.invoice_id,
        line_index=d.line_index,
        reason=d.reason,
        raised_on=d.raised_on,
        status=d.status,
        resolution=d.resolution,
        resolved_at=d.resolved_at,
        resolution_run_id=d.resolution_run_id,
        credit_note_id=d.credit_note_id,
        new_invoice_id=d.new_invoice_id,
    )


def _invoices(views: Sequence[InvoiceView]) -> list[InvoiceOut]:
    return [invoice_out(v) for v in views]


def _run(uow: UowDep, run: RunResult) -> RunOut:
    return RunOut(
        run_id=run.run_id,
        operator_id=run.operator.id,
        operator=run.operator.name,
        year=run.year,
        month=run.month,
        placements=run.placements,
        unchanged=run.unchanged,
        issued=_invoices(billing_queries.views_of(uow, run.issued)),
        invoices=_invoices(billing_queries.views_of(uow, run.invoices)),
        total=_kr(run.total),
        findings=[FindingOut(**finding_to_data(f)) for f in run.findings],
    )


# --- routes ------------------------------------------------------------------------------------------------


@router.post("/operators/{organisation_id}/billing/{year}/{month}", dependencies=[policy(Policy.OPERATOR)])
def run_billing_month(
    organisation_id: int, year: Year, month: Month, body: NoFields, uow: UowDep, actor: UserDep, clock: ClockDep
) -> RunOut:
    """Bill the month: one invoice per payer (R-SET-01); a second run issues nothing unless something changed,
    and then a credit note and a new invoice (R-SET-02); due dates by the rule set (R-SET-11)."""
    return _run(uow, run_month(uow, actor, clock, organisation_id, year, month))


@router.get("/operators/{organisation_id}/invoices", dependencies=[policy(Policy.OPERATOR)])
def operator_invoices(
    organisation_id: int, uow: UowDep, actor: UserDep, year: YearFilter = None, month: MonthFilter = None
) -> list[InvoiceOut]:
    """Every invoice and credit note the operator issued (of a year or month), in number order."""
    return _invoices(billing_queries.operator_invoices(uow, actor, organisation_id, year, month))


@router.get("/buyers/{organisation_id}/statement", dependencies=[policy(Policy.BUYER)])
def buyer_statement(
    organisation_id: int, uow: UowDep, actor: UserDep, year: YearFilter = None, month: MonthFilter = None
) -> StatementOut:
    """The buyer's statement: every operator's invoices and credit notes to it, totals, refund claims."""
    s = billing_queries.buyer_statement(uow, actor, organisation_id, year, month)
    assert s.buyer.kommunekode is not None
    return StatementOut(
        buyer_id=s.buyer.id,
        buyer=s.buyer.name,
        kommunekode=s.buyer.kommunekode,
        year=s.year,
        month=s.month,
        invoices=_invoices(s.invoices),
        by_operator=[
            OperatorTotalOut(operator_id=t.operator.id, operator=t.operator.name, total=_kr(t.total))
            for t in s.by_operator
        ],
        total=_kr(s.total),
        recovers=[_claim(c) for c in s.recovers],
        owes_refunds=[_claim(c) for c in s.owes_refunds],
    )


@router.get("/invoices/{invoice_id}", dependencies=[policy(OPERATOR_OR_BUYER)])
def get_invoice(invoice_id: int, uow: UowDep, actor: UserDep, clock: ClockDep) -> InvoiceDetailOut:
    """One invoice or credit note with its lines (each with the rule that produced it), claims and disputes."""
    d = billing_queries.invoice_detail(uow, actor, clock, invoice_id)
    return InvoiceDetailOut(
        **invoice_out(d.view).model_dump(),
        lines=[_line(s) for s in d.lines],
        claims=[_claim(ClaimView(d.view.invoice, c)) for c in d.claims],
        disputes=[_dispute(x) for x in d.disputes],
    )


@router.post("/invoices/{invoice_id}/disputes", status_code=201, dependencies=[policy(Policy.BUYER)])
def dispute_invoice_line(invoice_id: int, body: DisputeIn, uow: UowDep, actor: UserDep, clock: ClockDep) -> DisputeOut:
    """R-SET-02: the paying municipality disputes one line; the invoice itself is never changed."""
    return _dispute(dispute_line(uow, actor, clock, invoice_id, body.line_index, body.reason))


@router.post("/disputes/{dispute_id}/resolve", dependencies=[policy(Policy.OPERATOR)])
def resolve_invoice_dispute(
    dispute_id: int, body: ResolutionIn, uow: UowDep, actor: UserDep, clock: ClockDep
) -> ResolutionOut:
    """R-SET-02: the operator answers and corrects by a run of the month (credit note + new invoice if changed)."""
    r = resolve_dispute(uow, actor, clock, dispute_id, body.resolution)
    views = {
        v.invoice.id: invoice_out(v)
        for v in billing_queries.views_of(uow, [i for i in (r.credit_note, r.new_invoice) if i])
    }
    return ResolutionOut(
        dispute=_dispute(r.dispute),
        run=_run(uow, r.run),
        credit_note=views.get(r.credit_note.id) if r.credit_note else None,
        new_invoice=views.get(r.new_invoice.id) if r.new_invoice else None,
    )


# --- downloads ---------------------------------------------------------------------------------------------


def download(d: Download) -> Response:
    """A document as an attachment with its Danish file name (ASCII: 'faktura-851-000001.pdf')."""
    return Response(
        d.content,
        media_type=d.media_type,
        headers={"Content-Disposition": f'attachment; filename="{d.filename}"', "Cache-Control": "no-store"},
    )


@router.get("/invoices/{invoice_id}/pdf", dependencies=[policy(OPERATOR_OR_BUYER)], response_class=Response)
def invoice_pdf(invoice_id: int, uow: UowDep, actor: UserDep, clock: ClockDep) -> Response:
    """The invoice or credit note as PDF (R-SET-02, R-SET-11); only its two parties."""
    return download(billing_documents.invoice_pdf(uow, actor, clock, invoice_id))


@router.get("/invoices/{invoice_id}/einvoice.xml", dependencies=[policy(OPERATOR_OR_BUYER)], response_class=Response)
def invoice_einvoice(invoice_id: int, uow: UowDep, actor: UserDep, clock: ClockDep) -> Response:
    """R-SET-13: the invoice or credit note as OIOUBL 2.1 XML; only its two parties."""
    return download(billing_documents.invoice_einvoice(uow, actor, clock, invoice_id))


@router.get("/buyers/{organisation_id}/statement.xlsx", dependencies=[policy(Policy.BUYER)], response_class=Response)
def buyer_statement_xlsx(
    organisation_id: int,
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
    year: YearFilter = None,
    month: MonthFilter = None,
) -> Response:
    """The buyer's consolidated statement as a workbook (amounts exact, sums per operator and in all)."""
    return download(billing_documents.statement_document(uow, actor, clock, organisation_id, year, month, "xlsx"))


@router.get("/buyers/{organisation_id}/statement.csv", dependencies=[policy(Policy.BUYER)], response_class=Response)
def buyer_statement_csv(
    organisation_id: int,
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
    year: YearFilter = None,
    month: MonthFilter = None,
) -> Response:
    """The buyer's consolidated statement as Danish CSV (; between fields, decimal comma)."""
    return download(billing_documents.statement_document(uow, actor, clock, organisation_id, year, month, "csv"))
