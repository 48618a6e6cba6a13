"""Reads of the billing (handbook § 9, issue 5): an operator's invoices, a buyer's statement across every
operator, one invoice with its lines, refund claims and disputes.

Who: an operator reads the invoices it issued, a buyer the invoices addressed to it (its statement); one
invoice only its two parties. Anyone else gets NotFound, exactly as for an invoice that does not exist. The
lines name placements (by their pseudonymous id): every read of them is logged (``record_read``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rammeaftale.adapters.db.billing_repositories import StoredDispute, StoredInvoice, StoredLine, StoredRun
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.money import ZERO
from rammeaftale.domain.refund_claims import RefundClaim
from rammeaftale.domain.registry import Organisation
from rammeaftale.services.audit import record_read
from rammeaftale.services.billing import billing_operator
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Forbidden, NotFound

READ_PURPOSE = "invoice.view"


@dataclass(frozen=True)
class InvoiceView:
    invoice: StoredInvoice
    operator: Organisation
    payer: Organisation | None  # the paying municipality, when it is registered
    open_disputes: int = 0

    @property
    def payer_name(self) -> str:
        return self.payer.name if self.payer is not None else f"Kommune {self.invoice.payer}"


@dataclass(frozen=True)
class InvoiceDetail:
    view: InvoiceView
    lines: tuple[StoredLine, ...]
    claims: tuple[RefundClaim, ...]
    disputes: tuple[StoredDispute, ...]


@dataclass(frozen=True)
class OperatorTotal:
    operator: Organisation
    total: Decimal


@dataclass(frozen=True)
class ClaimView:
    """A refund claim (R-SET-01) as billed on a current invoice."""

    invoice: StoredInvoice
    claim: RefundClaim


@dataclass(frozen=True)
class Statement:
    """A buyer's statement: every invoice and credit note addressed to it by any operator; the net it owes
    (invoices less credit notes), per operator and in all; and the refund claims it makes or owes."""

    buyer: Organisation
    year: int | None
    month: int | None
    invoices: tuple[InvoiceView, ...]
    by_operator: tuple[OperatorTotal, ...]
    recovers: tuple[ClaimView, ...]  # it paid as acting municipality and claims from the paying one
    owes_refunds: tuple[ClaimView, ...]  # another (acting) municipality claims from it

    @property
    def total(self) -> Decimal:
        return sum((v.invoice.total for v in self.invoices), ZERO)


class _Names:
    """Organisations by id and by kommunekode, each looked up once."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.ids: dict[int, Organisation | None] = {}
        self.codes: dict[int, Organisation | None] = {}

    def by_id(self, organisation_id: int) -> Organisation:
        if organisation_id not in self.ids:
            self.ids[organisation_id] = self.uow.organisations.get(organisation_id)
        found = self.ids[organisation_id]
        assert found is not None  # invoices reference organisations by foreign key
        return found

    def by_code(self, kommunekode: int) -> Organisation | None:
        if kommunekode not in self.codes:
            self.codes[kommunekode] = self.uow.organisations.by_kommunekode(kommunekode)
        return self.codes[kommunekode]

    def views(self, uow: UnitOfWork, invoices: Sequence[StoredInvoice]) -> tuple[InvoiceView, ...]:
        open_disputes = uow.billing.open_disputes_by_invoice([i.id for i in invoices])
        return tuple(
            InvoiceView(i, self.by_id(i.operator_id), self.by_code(i.payer), open_disputes.get(i.id, 0))
            for i in invoices
        )


def views_of(uow: UnitOfWork, invoices: Sequence[StoredInvoice]) -> tuple[InvoiceView, ...]:
    """Invoices with their operator, payer and open disputes (e.g. what a run issued)."""
    return _Names(uow).views(uow, invoices)


def operator_invoices(
    uow: UnitOfWork, actor: Actor, operator_id: int, year: int | None = None, month: int | None = None
) -> tuple[InvoiceView, ...]:
    """Every invoice and credit note the operator issued (of a year or month), in number order."""
    billing_operator(uow, actor, operator_id)
    return _Names(uow).views(uow, uow.billing.of_operator(operator_id, year, month))


def month_runs(uow: UnitOfWork, actor: Actor, operator_id: int, year: int, month: int) -> tuple[StoredRun, ...]:
    """The runs of the operator's month, oldest first (none: the month has not been billed)."""
    billing_operator(uow, actor, operator_id)
    return tuple(uow.billing.runs(operator_id, year, month))


def buyer_organisation(uow: UnitOfWork, actor: Actor, buyer_id: int) -> Organisation:
    """The buying municipality when the actor is it (or the system); another answers NotFound."""
    if actor.role not in ("buyer", "system"):
        raise Forbidden("Kun den købende kommune kan se sit kontoudtog.")
    buyer = uow.organisations.get(buyer_id)
    if buyer is None or buyer.kommunekode is None or (actor.role != "system" and actor.organisation_id != buyer_id):
        raise NotFound("Kommunen findes ikke.")
    return buyer


def buyer_statement(
    uow: UnitOfWork, actor: Actor, buyer_id: int, year: int | None = None, month: int | None = None
) -> Statement:
    """The buyer's statement across all operators (R-SET-01: invoices go to the paying party)."""
    buyer = buyer_organisation(uow, actor, buyer_id)
    assert buyer.kommunekode is not None
    names = _Names(uow)
    views = names.views(uow, uow.billing.to_payer(buyer.kommunekode, year, month))
    totals: dict[int, Decimal] = {}
    for v in views:
        totals[v.operator.id] = totals.get(v.operator.id, ZERO) + v.invoice.total
    by_operator = tuple(
        OperatorTotal(names.by_id(i), t) for i, t in sorted(totals.items(), key=lambda x: names.by_id(x[0]).name)
    )
    claims = uow.billing.current_claims(buyer.kommunekode, year, month)
    recovers = tuple(ClaimView(i, c) for i, c in claims if c.claimant == buyer.kommunekode)
    owes = tuple(ClaimView(i, c) for i, c in claims if c.debtor == buyer.kommunekode)
    return Statement(buyer, year, month, views, by_operator, recovers, owes)


def latest_statement_year(uow: UnitOfWork, actor: Actor, buyer_id: int) -> int | None:
    """The last year the buyer was invoiced in, for the statement page to open on (None: never invoiced)."""
    buyer = buyer_organisation(uow, actor, buyer_id)
    assert buyer.kommunekode is not None
    return max((i.year for i in uow.billing.to_payer(buyer.kommunekode)), default=None)


def party_of(uow: UnitOfWork, actor: Actor, invoice: StoredInvoice) -> str | None:
    """'operator' or 'buyer' when the actor is one of the invoice's two parties (or the system), else None."""
    if actor.role == "system":
        return "operator"
    if actor.is_operator and actor.organisation_id == invoice.operator_id:
        return "operator"
    if actor.role == "buyer" and actor.organisation_id is not None:
        buyer = uow.organisations.get(actor.organisation_id)
        if buyer is not None and buyer.kommunekode == invoice.payer:
            return "buyer"
    return None


def invoice_for_party(uow: UnitOfWork, actor: Actor, invoice_id: int) -> tuple[StoredInvoice, str]:
    invoice = uow.billing.get(invoice_id)
    party = party_of(uow, actor, invoice) if invoice is not None else None
    if invoice is None or party is None:
        raise NotFound("Fakturaen findes ikke.")
    return invoice, party


def invoice_detail(uow: UnitOfWork, actor: Actor, clock: Clock, invoice_id: int) -> InvoiceDetail:
    """One invoice or credit note with its lines, refund claims and disputes; the read is logged per placement."""
    invoice, _ = invoice_for_party(uow, actor, invoice_id)
    names = _Names(uow)
    lines = tuple(uow.billing.lines([invoice.id])[invoice.id])
    detail = InvoiceDetail(
        names.views(uow, [invoice])[0],
        lines,
        tuple(uow.billing.claims([invoice.id])[invoice.id]),
        tuple(uow.billing.disputes([invoice.id])),
    )
    log_reads(uow, clock, actor, (s.line.placement_id for s in lines))
    return detail


def log_reads(uow: UnitOfWork, clock: Clock, actor: Actor, placement_refs: Iterable[str]) -> None:
    """Log one read per placement on the lines handed out (the invoice page and the downloads alike); lines of
    objective financing name no placement."""
    refs = sorted(set(placement_refs) - {""})
    for ref in refs:
        record_read(uow, clock, actor, ref, READ_PURPOSE, commit=False)
    if refs:
        uow.commit()
