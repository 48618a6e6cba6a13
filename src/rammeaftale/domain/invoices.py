"""Invoices (handbook § 9): one per payer and month (R-SET-01) with the rule set's payment terms (R-SET-11);
issued invoices are immutable and corrected by a credit note and a new invoice (R-SET-02); disputes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import ZERO
from rammeaftale.domain.periods import (
    Period,
    SettlementError,
)
from rammeaftale.domain.rules import RuleSet
from rammeaftale.domain.settlement import (
    InvoiceLine,
    MonthBill,
)

# ---------------------------------------------------------------------------------------------------
# Invoices: payment terms (R-SET-11), immutable, corrected by credit note and a new invoice (R-SET-02)


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class PaymentTerms:
    """R-SET-11: ``days`` to pay, a most (KL's standard contract) or a least (Midtjylland) number of days."""

    days: int
    bound: str  # "at_most" | "at_least"
    in_advance_allowed: bool

    @classmethod
    def of(cls, rules: RuleSet) -> PaymentTerms:
        return cls(
            rules.integer("payment_days"), rules.text("payment_days_bound"), rules.flag("billing_in_advance_allowed")
        )


def due_date(issued_on: date, rules: RuleSet, days: int | None = None) -> tuple[date, tuple[Finding, ...]]:
    """R-SET-11: the due date ``days`` after the invoice (default: the rule set's ``payment_days``); a term
    longer than a maximum or shorter than a minimum is an error."""
    terms = PaymentTerms.of(rules)
    chosen = terms.days if days is None else days
    findings: tuple[Finding, ...] = ()
    if (terms.bound == "at_most" and chosen > terms.days) or (terms.bound == "at_least" and chosen < terms.days):
        word = "højst" if terms.bound == "at_most" else "mindst"
        findings = (
            Finding(
                "R-SET-11",
                Severity.ERROR,
                f"Betalingsfristen skal være {word} {terms.days} dage efter fakturaen, ikke {chosen}.",
                "due_on",
            ),
        )
    return issued_on + timedelta(days=chosen), findings


@dataclass(frozen=True)
class Invoice:
    """An invoice or credit note to one payer for one month. Immutable once issued (R-SET-02): a change is a
    credit note that ``credits`` the original's number, and a new invoice. ``total`` is the sum of the lines."""

    operator: int
    payer: int
    month: Period
    issued_on: date
    due_on: date
    lines: tuple[InvoiceLine, ...]
    total: Decimal
    kind: DocumentKind = DocumentKind.INVOICE
    number: str = ""
    credits: str = ""

    def __post_init__(self) -> None:
        if sum((line.amount for line in self.lines), ZERO) != self.total:
            raise SettlementError("Fakturaens total skal være summen af linjerne.")
        if (self.kind is DocumentKind.CREDIT_NOTE) != bool(self.credits):
            raise SettlementError("En kreditnota skal henvise til den faktura, den krediterer, og kun den.")


def _invoice(
    operator: int,
    payer: int,
    month: Period,
    issued_on: date,
    due_on: date,
    lines: Sequence[InvoiceLine],
    kind: DocumentKind = DocumentKind.INVOICE,
    credits: str = "",
) -> Invoice:
    total = sum((line.amount for line in lines), ZERO)
    return Invoice(operator, payer, month, issued_on, due_on, tuple(lines), total, kind, "", credits)


def invoices_for_month(
    operator: int, bills: Sequence[MonthBill], issued_on: date, rules: RuleSet
) -> tuple[tuple[Invoice, ...], tuple[Finding, ...]]:
    """R-SET-01: one invoice per payer per month, lines per placement and period; R-SET-11: due by the rule
    set's term, and billed in advance (issued before the month's last day) only where the rule set allows.
    Bills with no lines make no invoice; the invoices have no number until the service issues them."""
    findings: list[Finding] = []
    months = {b.month for b in bills}
    if len(months) > 1:
        raise SettlementError("En kørsel fakturerer én måned ad gangen.")
    due, terms = due_date(issued_on, rules)
    findings += terms
    if months and issued_on < next(iter(months)).end and not rules.flag("billing_in_advance_allowed"):
        findings.append(
            Finding("R-SET-11", Severity.ERROR, "Regelsættet tillader ikke fakturering forud for måneden.", "issued_on")
        )
    by_payer: dict[int, list[InvoiceLine]] = {}
    for bill in sorted(bills, key=lambda b: b.placement_id):
        if bill.lines:
            by_payer.setdefault(bill.payer.municipality, []).extend(bill.lines)
    invoices = tuple(
        _invoice(operator, payer, next(iter(months)), issued_on, due, lines)
        for payer, lines in sorted(by_payer.items())
    )
    return invoices, tuple(findings)


def credit_note(invoice: Invoice, issued_on: date) -> Invoice:
    """R-SET-02: the credit note that cancels an issued invoice: every line negated, referencing its number."""
    if not invoice.number or invoice.kind is not DocumentKind.INVOICE:
        raise SettlementError("Kun en udstedt faktura kan krediteres.")
    lines = [line.negated() for line in invoice.lines]
    return _invoice(
        invoice.operator,
        invoice.payer,
        invoice.month,
        issued_on,
        issued_on,
        lines,
        DocumentKind.CREDIT_NOTE,
        invoice.number,
    )


def _line_key(line: InvoiceLine) -> tuple[str, date, str, str, str, Decimal]:
    return (line.placement_id, line.period.start, line.kind.value, line.rule_id, line.label, line.amount)


def same_lines(a: Iterable[InvoiceLine], b: Iterable[InvoiceLine]) -> bool:
    """The same lines, in any order: a re-run that finds them needs to issue nothing."""
    return sorted(a, key=_line_key) == sorted(b, key=_line_key)


def correction(
    issued: Invoice, recomputed: Sequence[InvoiceLine], issued_on: date, rules: RuleSet
) -> tuple[Invoice, Invoice] | None:
    """R-SET-02: None when the recomputed lines equal the issued ones (a re-run creates nothing); otherwise
    a credit note for the issued invoice and a new invoice with the recomputed lines. Nothing is edited."""
    if same_lines(issued.lines, recomputed):
        return None
    due, _ = due_date(issued_on, rules)
    return credit_note(issued, issued_on), _invoice(
        issued.operator, issued.payer, issued.month, issued_on, due, sorted(recomputed, key=_line_key)
    )


@dataclass(frozen=True)
class Dispute:
    """R-SET-02: a buyer's objection to an invoice line. It changes nothing on the invoice."""

    invoice_number: str
    line_index: int
    reason: str
    raised_on: date


def dispute(
    invoice: Invoice, line_index: int, reason: str, raised_on: date
) -> tuple[Dispute | None, tuple[Finding, ...]]:
    """R-SET-02: a buyer disputes a line of an issued invoice; the operator answers with a correction."""
    problems: list[Finding] = []
    if not invoice.number:
        problems.append(
            Finding("R-SET-02", Severity.ERROR, "Kun en udstedt faktura kan gøres indsigelse mod.", "invoice")
        )
    if not 0 <= line_index < len(invoice.lines):
        problems.append(Finding("R-SET-02", Severity.ERROR, "Fakturaen har ingen sådan linje.", "line_index"))
    if not reason.strip():
        problems.append(Finding("R-SET-02", Severity.ERROR, "Indsigelsen skal have en begrundelse.", "reason"))
    if problems:
        return None, tuple(problems)
    return Dispute(invoice.number, line_index, reason.strip(), raised_on), ()
