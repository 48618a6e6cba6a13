"""Downloads of the billing (handbook § 9, issue 5): an invoice or credit note as PDF and as e-invoice
(OIOUBL 2.1, R-SET-13), and a buyer's consolidated statement as xlsx or Danish CSV.

Who: exactly as the reads (``services/billing_queries.py``): one invoice only its two parties, a statement only
the buyer itself; anyone else gets NotFound. Every document names placements by their pseudonymous id, so
each download is logged per placement like the invoice page (``record_read``); no CPR number is ever printed
(the writers refuse a line that looks like one).

Decisions (where the registry is silent): an organisation's CVR number and postal address come from the
registry (migration 0010); where the CVR is not known the documents carry the placeholder ``00000000``, and
they are marked as fictitious demo data (as every page of this demo is). An organisation without a valid EAN (GLN) number
cannot be addressed (R-SET-13): the download answers Conflict with a Danish message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rammeaftale.adapters.db.billing_repositories import StoredInvoice
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.documents.einvoice import XML_MEDIA_TYPE, OioublWriter
from rammeaftale.adapters.documents.invoice_pdf import PDF_MEDIA_TYPE, render_invoice_pdf
from rammeaftale.adapters.documents.invoice_rows import DocumentError
from rammeaftale.adapters.documents.parties import Party, PartyError, is_valid_gln
from rammeaftale.adapters.documents.statement import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    build_statement,
    render_statement_csv,
    render_statement_xlsx,
)
from rammeaftale.domain.invoices import DocumentKind, Invoice
from rammeaftale.domain.registry import Organisation
from rammeaftale.services import billing_queries
from rammeaftale.services.billing import domain_invoice, operator_code
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Conflict

PLACEHOLDER_CVR = "00000000"  # an organisation whose CVR the registry does not know (see the module's decisions)
FICTITIOUS = True  # every organisation, placement and amount of this installation is demo data
KIND_FILE_NAMES = {DocumentKind.INVOICE: "faktura", DocumentKind.CREDIT_NOTE: "kreditnota"}


@dataclass(frozen=True)
class Download:
    """A document to send: its bytes, media type and the Danish file name it is saved as."""

    content: bytes
    media_type: str
    filename: str


def file_name_part(text: str) -> str:
    """'Thisted Kommune' -> 'thisted-kommune', 'Aabenrå' -> 'aabenraa': ASCII for a Content-Disposition."""
    danish = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    ascii_text = unicodedata.normalize("NFKD", danish).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-") or "dokument"


def party(organisation: Organisation | None, code: int, fallback_name: str = "") -> Party:
    """An organisation as documents address it (R-SET-13: by its EAN number)."""
    name = organisation.name if organisation is not None else (fallback_name or f"Kommune {code}")
    ean = organisation.ean if organisation is not None else None
    if not ean or not is_valid_gln(ean):
        raise Conflict(f"{name} har intet gyldigt EAN-nummer; dokumentet kan ikke adresseres (R-SET-13).")
    cvr = organisation.cvr if organisation is not None and organisation.cvr else PLACEHOLDER_CVR
    street = (organisation.street,) if organisation is not None and organisation.street else ()
    postal_code, city = (organisation.postal_code, organisation.city) if organisation is not None else ("", "")
    try:
        return Party(name, street, postal_code, city, ean, cvr, municipality_code=code)
    except PartyError as exc:
        raise Conflict(str(exc)) from exc


def _invoice_and_parties(
    uow: UnitOfWork, actor: Actor, clock: Clock, invoice_id: int
) -> tuple[StoredInvoice, Invoice, Party, Party]:
    detail = billing_queries.invoice_detail(uow, actor, clock, invoice_id)  # scope check + read log
    view = detail.view
    invoice = domain_invoice(view.operator, view.invoice, detail.lines)
    seller = party(view.operator, operator_code(view.operator))
    buyer = party(view.payer, view.invoice.payer, view.payer_name)
    return view.invoice, invoice, seller, buyer


def invoice_pdf(uow: UnitOfWork, actor: Actor, clock: Clock, invoice_id: int) -> Download:
    """The invoice or credit note as PDF (R-SET-02, R-SET-11: the due date and payment terms on the page)."""
    stored, invoice, seller, buyer = _invoice_and_parties(uow, actor, clock, invoice_id)
    try:
        content = render_invoice_pdf(invoice, seller, buyer, fictitious=FICTITIOUS)
    except DocumentError as exc:
        raise Conflict(str(exc)) from exc
    return Download(content, PDF_MEDIA_TYPE, f"{KIND_FILE_NAMES[stored.kind]}-{file_name_part(stored.number)}.pdf")


def invoice_einvoice(uow: UnitOfWork, actor: Actor, clock: Clock, invoice_id: int) -> Download:
    """R-SET-13: the invoice or credit note as OIOUBL 2.1 XML, addressed by the buyer's EAN number."""
    stored, invoice, seller, buyer = _invoice_and_parties(uow, actor, clock, invoice_id)
    try:
        content = OioublWriter().write(invoice, seller, buyer)
    except DocumentError as exc:
        raise Conflict(str(exc)) from exc
    name = f"e-{KIND_FILE_NAMES[stored.kind]}-{file_name_part(stored.number)}.xml"
    return Download(content, XML_MEDIA_TYPE, name)


def _period_part(year: int | None, month: int | None) -> str:
    if year is None:
        return "alle"
    return f"{year}-{month:02d}" if month is not None else str(year)


def statement_document(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    buyer_id: int,
    year: int | None,
    month: int | None,
    file_format: str,
) -> Download:
    """The buyer's consolidated statement across operators as ``xlsx`` or ``csv`` (R-SET-01, R-SET-02: credit
    notes carry negative lines, so the total is the net owed)."""
    s = billing_queries.buyer_statement(uow, actor, buyer_id, year, month)
    assert s.buyer.kommunekode is not None
    stored = [v.invoice for v in s.invoices]
    lines = uow.billing.lines([i.id for i in stored])
    by_operator: dict[int, list[Invoice]] = {}
    operators: dict[int, Organisation] = {}
    for v in s.invoices:
        operators[v.operator.id] = v.operator
        by_operator.setdefault(v.operator.id, []).append(domain_invoice(v.operator, v.invoice, lines[v.invoice.id]))
    entries: Sequence[tuple[Party, list[Invoice]]] = [
        (party(operators[t.operator.id], operator_code(t.operator)), by_operator[t.operator.id]) for t in s.by_operator
    ]
    try:
        statement = build_statement(party(s.buyer, s.buyer.kommunekode), entries, fictitious=FICTITIOUS)
    except DocumentError as exc:
        raise Conflict(str(exc)) from exc
    billing_queries.log_reads(uow, clock, actor, (line.line.placement_id for i in stored for line in lines[i.id]))
    base = f"opgoerelse-{file_name_part(s.buyer.name)}-{_period_part(year, month)}"
    if file_format == "csv":
        return Download(render_statement_csv(statement), CSV_MEDIA_TYPE, f"{base}.csv")
    return Download(render_statement_xlsx(statement), XLSX_MEDIA_TYPE, f"{base}.xlsx")
