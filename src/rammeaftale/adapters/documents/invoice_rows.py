"""Invoices and credit notes in Danish words, and the guards every invoice document applies.

The PDF's table rows (placement, service, period, days × daily tariff, amount, rule) and the texts the PDF and
the e-invoice share (title, period, payment terms, the VAT exemption) are made here; the statement keeps its
cells typed (``statement.py``). The guards every writer applies live here too: a document is refused when its parties do not
match the invoice (the seller is the invoice's operator, the buyer its payer, by kommunekode) and when a
placement id looks like a CPR number (placements are pseudonymous; a CPR number never leaves the database).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rammeaftale.adapters.documents.formatting import format_amount, format_date, format_number, unit_label
from rammeaftale.adapters.documents.parties import Party
from rammeaftale.domain.invoices import DocumentKind, Invoice, PaymentTerms
from rammeaftale.domain.periods import Period
from rammeaftale.domain.settlement import InvoiceLine

KIND_TITLES = {DocumentKind.INVOICE: "Faktura", DocumentKind.CREDIT_NOTE: "Kreditnota"}
# The specialised social services are exempt from VAT (momsfri): social care and the goods and services closely
# linked to it, momsloven § 13, stk. 1, nr. 2. Every document says so; the e-invoice uses a 0 % category.
VAT_EXEMPTION_REASON = "Momsfri: ydelser på det specialiserede socialområde (momslovens § 13, stk. 1, nr. 2)"
NOT_ISSUED = "ikke udstedt"
_PLURALS = {"dag": "dage", "time": "timer", "enhed": "enheder"}
# ddmmyy-xxxx or ddmmyyxxxx with a plausible day and month: how a CPR number looks, wherever it appears.
_CPR_LIKE = re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}[- ]?\d{4}(?!\d)")


class DocumentError(ValueError):
    """A document that must not be made from this input; the message is Danish."""


def looks_like_cpr(text: str) -> bool:
    """True when ``text`` contains something shaped like a CPR number (ddmmyy-xxxx)."""
    return bool(_CPR_LIKE.search(text))


def check_document(invoice: Invoice, seller: Party, buyer: Party) -> None:
    """Refuse a document whose parties do not match the invoice, or whose lines would show a CPR number."""
    if seller.municipality_code is not None and seller.municipality_code != invoice.operator:
        raise DocumentError(
            f"Sælgeren ({seller.name}, kode {seller.municipality_code}) er ikke fakturaens driftsherre ({invoice.operator})."
        )
    if buyer.municipality_code is not None and buyer.municipality_code != invoice.payer:
        raise DocumentError(
            f"Køberen ({buyer.name}, kode {buyer.municipality_code}) er ikke fakturaens betaler ({invoice.payer})."
        )
    for index, line in enumerate(invoice.lines, start=1):
        if looks_like_cpr(line.placement_id) or looks_like_cpr(line.label):
            raise DocumentError(
                f"Linje {index} ligner et CPR-nummer; dokumenter viser kun det pseudonyme indskrivnings-id."
            )


def document_title(invoice: Invoice) -> str:
    """'Faktura 2025-0001', 'Kreditnota 2025-0002', or 'Faktura (ikke udstedt)' before it has a number."""
    number = invoice.number or f"({NOT_ISSUED})"
    return f"{KIND_TITLES[invoice.kind]} {number}"


def period_text(period: Period) -> str:
    """'01-03-2025 – 31-03-2025'; one day is shown once."""
    if period.start == period.end:
        return format_date(period.start)
    return f"{format_date(period.start)} – {format_date(period.end)}"


def quantity_text(line: InvoiceLine) -> str:
    """'31 dage', '1 dag', '12,5 timer'."""
    unit = line.unit if abs(line.quantity) == 1 else _PLURALS.get(line.unit, line.unit)
    return f"{format_number(line.quantity)} {unit}"


def price_text(line: InvoiceLine) -> str:
    """'2.070,25 kr./dag'."""
    return f"{format_amount(line.unit_price)} {unit_label(line.unit)}"


def payment_terms_text(invoice: Invoice, terms: PaymentTerms | None = None) -> str:
    """R-SET-11 in words: the due date and the term in days (and the agreement's bound, when given)."""
    if invoice.kind is DocumentKind.CREDIT_NOTE:
        return f"Kreditnotaen krediterer faktura nr. {invoice.credits}; beløbet modregnes eller tilbagebetales."
    days = (invoice.due_on - invoice.issued_on).days
    text = f"Betales senest {format_date(invoice.due_on)}: netto {days} dage efter fakturadatoen."
    if terms is not None:
        word = "højst" if terms.bound == "at_most" else "mindst"
        text += f" Aftalen giver en betalingsfrist på {word} {terms.days} dage (R-SET-11)."
    return text


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = False


INVOICE_COLUMNS: tuple[Column, ...] = (
    Column("Indskrivning"),
    Column("Ydelse"),
    Column("Periode"),
    Column("Antal", numeric=True),
    Column("Pris", numeric=True),
    Column("Beløb (kr.)", numeric=True),
    Column("Regel"),
)


def invoice_line_texts(line: InvoiceLine) -> list[str]:
    """One line as the Danish texts of ``INVOICE_COLUMNS``: days × daily tariff, the amount, the rule."""
    return [
        line.placement_id,
        line.label,
        period_text(line.period),
        quantity_text(line),
        price_text(line),
        format_amount(line.amount),
        line.rule_id,
    ]


def invoice_table(invoice: Invoice) -> tuple[list[str], Iterator[list[str]]]:
    """The headers and, lazily, the texts of each line."""
    return [c.header for c in INVOICE_COLUMNS], (invoice_line_texts(line) for line in invoice.lines)
