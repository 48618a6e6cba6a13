"""Request and response models of the billing API (``routes_billing.py``): explicit fields, amounts as decimal
strings with øre, request bodies that refuse unknown fields."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from rammeaftale.entrypoints.api.routes import Body, FindingOut


class InvoiceOut(BaseModel):
    id: int
    number: str
    kind: str  # invoice | credit_note
    operator_id: int
    operator: str
    payer: int  # the paying municipality's kommunekode
    payer_name: str
    year: int
    month: int
    period_start: date
    period_end: date
    issued_on: date
    due_on: date
    total: str
    line_count: int
    credits: str | None  # a credit note: the number of the invoice it cancels
    credited_by: str | None  # an invoice: the number of the credit note that cancelled it
    current: bool
    open_disputes: int
    ruleset_id: str
    purpose: str = "month"  # month | on_account | true_up (objective financing, R-SET-12)


class LineOut(BaseModel):
    position: int
    placement: str  # the pseudonymous placement id
    kind: str
    label: str
    period_start: date
    period_end: date
    quantity: str
    unit: str
    unit_price: str
    amount: str
    rule_id: str


class ClaimOut(BaseModel):
    invoice: str
    claimant: int
    debtor: int
    placement: str
    period_start: date
    period_end: date
    amount: str
    rule_id: str


class DisputeOut(BaseModel):
    id: int
    invoice_id: int
    line_index: int
    reason: str
    raised_on: date
    status: str  # open | resolved
    resolution: str
    resolved_at: datetime | None
    resolution_run_id: int | None
    credit_note_id: int | None
    new_invoice_id: int | None


class InvoiceDetailOut(InvoiceOut):
    lines: list[LineOut]
    claims: list[ClaimOut]
    disputes: list[DisputeOut]


class RunOut(BaseModel):
    run_id: int
    operator_id: int
    operator: str
    year: int
    month: int
    placements: int
    unchanged: int
    issued: list[InvoiceOut]
    invoices: list[InvoiceOut]
    total: str
    findings: list[FindingOut]


class OperatorTotalOut(BaseModel):
    operator_id: int
    operator: str
    total: str


class StatementOut(BaseModel):
    buyer_id: int
    buyer: str
    kommunekode: int
    year: int | None
    month: int | None
    invoices: list[InvoiceOut]
    by_operator: list[OperatorTotalOut]
    total: str
    recovers: list[ClaimOut]
    owes_refunds: list[ClaimOut]


class ResolutionOut(BaseModel):
    dispute: DisputeOut
    run: RunOut
    credit_note: InvoiceOut | None
    new_invoice: InvoiceOut | None


class DisputeIn(Body):
    line_index: int = Field(ge=0, le=1_000_000)
    reason: str = Field(min_length=1, max_length=2000)


class ResolutionIn(Body):
    resolution: str = Field(min_length=1, max_length=2000)
