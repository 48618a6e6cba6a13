"""Use cases: a buyer disputes an invoice line; the operator resolves it with a correction run (R-SET-02).

A dispute never changes the invoice. The operator corrects what was wrong (a placement, a notice, a tariff)
and resolves the dispute: that runs the month again in the same transaction (``bill_operator_month``), so a
changed invoice is cancelled by a credit note and replaced by a new one, and the resolution records which.
An operator who finds the invoice right resolves it with its answer and the run issues nothing. One
transaction and one audit entry each; the operator's billing lock is taken first, so a dispute and a run
of the same operator never cross.
"""

from __future__ import annotations

from dataclasses import dataclass

from rammeaftale.adapters.db.billing_repositories import MONTH, StoredDispute, StoredInvoice
from rammeaftale.adapters.db.models import DisputeRow
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.invoices import DocumentKind, dispute
from rammeaftale.services.audit import audit
from rammeaftale.services.billing import RunResult, bill_operator_month, domain_invoice
from rammeaftale.services.billing_queries import invoice_for_party
from rammeaftale.services.context import Actor, Clock, today
from rammeaftale.services.errors import Conflict, Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.retry import write_use_case

MAX_TEXT = 2000


@write_use_case
def dispute_line(
    uow: UnitOfWork, actor: Actor, clock: Clock, invoice_id: int, line_index: int, reason: str
) -> StoredDispute:
    """R-SET-02: the paying municipality objects to one line of a current invoice, with a reason."""
    invoice, party = invoice_for_party(uow, actor, invoice_id)
    if party != "buyer":
        raise Forbidden("Kun den kommune, fakturaen er stilet til, kan gøre indsigelse mod den.")
    uow.billing.lock(invoice.operator_id)
    invoice, _ = invoice_for_party(uow, actor, invoice_id)  # as committed, after the lock
    if invoice.kind is DocumentKind.CREDIT_NOTE:
        raise Conflict("Der kan ikke gøres indsigelse mod en kreditnota.")
    if invoice.purpose != MONTH:  # its amounts follow the agreement, and its correction is the year's true-up
        raise Conflict(
            "En a conto- eller årsafregningsfaktura følger aftalen om objektiv finansiering (R-SET-12); "
            "kontakt sekretariatet om aftalen."
        )
    if not invoice.current:
        raise Conflict(f"Fakturaen er krediteret med {invoice.credited_by}; gør indsigelse mod den nye faktura.")
    lines = uow.billing.lines([invoice.id])[invoice.id]
    operator = uow.organisations.get(invoice.operator_id)
    assert operator is not None
    raised, findings = dispute(domain_invoice(operator, invoice, lines), line_index, reason[:MAX_TEXT], today(clock))
    if raised is None:
        raise InvalidSubmission("Indsigelsen er ikke gemt.", list(findings))
    line = lines[line_index]
    if uow.billing.open_dispute_of_line(invoice.id, line_index) is not None:
        raise Conflict("Der er allerede en åben indsigelse mod denne linje.")
    assert actor.organisation_id is not None
    dispute_id = uow.billing.add_dispute(
        DisputeRow(
            invoice_id=invoice.id,
            line_index=line_index,
            buyer_id=actor.organisation_id,
            reason=raised.reason,
            raised_on=raised.raised_on,
            raised_at=clock(),
            raised_by=actor.user_id,
            status="open",
            resolution="",
        )
    )
    audit(
        uow,
        clock,
        actor,
        "invoice.disputed",
        "dispute",
        dispute_id,
        invoice=invoice.number,
        line_index=line_index,
        rule_id=line.line.rule_id,
        before=None,
        after={"status": "open", "reason": raised.reason},
    )
    uow.commit()
    stored = uow.billing.dispute(dispute_id)
    assert stored is not None
    return stored


@dataclass(frozen=True)
class Resolution:
    dispute: StoredDispute
    run: RunResult
    credit_note: StoredInvoice | None  # the credit note that cancelled the disputed invoice, if the run did
    new_invoice: StoredInvoice | None  # the payer's current invoice of the month after the run


@write_use_case
def resolve_dispute(uow: UnitOfWork, actor: Actor, clock: Clock, dispute_id: int, resolution: str) -> Resolution:
    """R-SET-02: the operator answers a dispute and corrects by running the month again (same transaction)."""
    found = uow.billing.dispute(dispute_id)
    invoice, party = invoice_for_party(uow, actor, found.invoice_id) if found else (None, None)
    if found is None or invoice is None:
        raise NotFound("Indsigelsen findes ikke.")
    if party != "operator":
        raise Forbidden("Kun driftsherren kan afgøre en indsigelse.")
    answer = resolution.strip()[:MAX_TEXT]
    if not answer:
        raise InvalidSubmission("Afgørelsen skal have en begrundelse.", [])
    uow.billing.lock(invoice.operator_id)
    current = uow.billing.dispute(dispute_id, for_update=True)
    if current is None or current.status != "open":
        raise Conflict("Indsigelsen er allerede afgjort.")
    run = bill_operator_month(uow, actor, clock, invoice.operator_id, invoice.year, invoice.month)
    after = uow.billing.get(invoice.id)
    assert after is not None
    # the disputed invoice's credit note (this run's, or an earlier correction's) and its replacement
    credit = uow.billing.get(after.credited_by_id) if after.credited_by_id is not None else None
    new_invoice = next((i for i in run.invoices if i.payer == invoice.payer), None) if credit else None
    uow.billing.resolve_dispute(
        dispute_id,
        resolution=answer,
        resolved_at=clock(),
        resolved_by=actor.user_id,
        resolution_run_id=run.run_id,
        credit_note_id=credit.id if credit else None,
        new_invoice_id=new_invoice.id if new_invoice else None,
    )
    audit(
        uow,
        clock,
        actor,
        "dispute.resolved",
        "dispute",
        dispute_id,
        invoice=invoice.number,
        run_id=run.run_id,
        credit_note=credit.number if credit else None,
        new_invoice=new_invoice.number if new_invoice else None,
        before={"status": "open"},
        after={"status": "resolved", "resolution": answer},
    )
    uow.commit()
    resolved = uow.billing.dispute(dispute_id)
    assert resolved is not None
    return Resolution(resolved, run, credit, new_invoice)
