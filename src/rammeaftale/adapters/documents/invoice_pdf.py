"""An invoice or a credit note as a printable PDF (portrait A4), in Danish.

The first page has the document's kind ("Faktura" / "Kreditnota"), number, dates (dd-mm-yyyy), the period,
the due date or the credited invoice's number, and the seller and buyer with address, CVR, EAN and
kommunekode. The table lists every line: the placement's pseudonymous id (never a CPR number: such a
document is refused), the service, the period, days × daily tariff, the amount and the rule that produced
the line; the table header repeats on every page and no row is split. Then the total in kroner, the VAT
exemption (momsfri), the payment terms (R-SET-11) and the EAN the e-invoice goes to (R-SET-13).

Like the appendix PDF, rows are laid out by hand with fpdf2's core font Helvetica (latin-1: æ, ø, å print as
they are; other characters via ``latin1``), so a large invoice renders quickly.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf.enums import XPos, YPos

from rammeaftale.adapters.documents.appendix_pdf import latin1
from rammeaftale.adapters.documents.formatting import format_date, format_kr
from rammeaftale.adapters.documents.invoice_rows import (
    INVOICE_COLUMNS,
    KIND_TITLES,
    VAT_EXEMPTION_REASON,
    check_document,
    document_title,
    invoice_table,
    payment_terms_text,
    period_text,
)
from rammeaftale.adapters.documents.parties import Party
from rammeaftale.adapters.documents.pdf_text import WrappingPdf, row_height
from rammeaftale.domain.invoices import DocumentKind, Invoice, PaymentTerms

PDF_MEDIA_TYPE = "application/pdf"
PAGE_COUNT_ALIAS = "{sider}"
FICTITIOUS_NOTICE = "FIKTIVE DEMODATA – ikke en rigtig faktura"

FONT = "Helvetica"
MARGIN = 10.0  # mm
COLUMN_WIDTHS = (24.0, 46.0, 36.0, 18.0, 26.0, 22.0, 18.0)  # 190 mm between the margins of portrait A4
TABLE_FONT_SIZE = 8.0
LINE_HEIGHT = 3.6  # mm, for 8 pt text
ROW_PADDING = 0.8
HEADER_FILL = (217, 217, 217)
STRIPE_FILL = (244, 244, 244)
WARNING_COLOUR = (192, 0, 0)


class _InvoicePdf(WrappingPdf):
    def __init__(self, invoice: Invoice, seller: Party) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.running_title = latin1(f"{document_title(invoice)} – {seller.name}")
        self.headers = [latin1(c.header) for c in INVOICE_COLUMNS]
        self.numeric = [c.numeric for c in INVOICE_COLUMNS]
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)  # rows are placed by hand so none is split across pages
        self.bottom = self.h - MARGIN - 6.0
        self.set_title(latin1(document_title(invoice)))
        self.set_author(latin1(seller.name))
        self.set_creator("Rammeaftale")
        self.set_lang("da")
        self.alias_nb_pages(PAGE_COUNT_ALIAS)

    # --- page furniture -------------------------------------------------------------------------

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(FONT, "B", 9.0)
            self.cell(0, 5.0, self.running_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1.0)
            self.table_header()

    def footer(self) -> None:
        self.set_font(FONT, "", 7.0)
        self.set_text_color(90, 90, 90)
        self.set_xy(self.l_margin, self.h - MARGIN - 4.0)
        self.cell(0, 4.0, self.running_title)
        self.set_x(self.w - self.r_margin - self.get_string_width("Side 0000 af 0000"))
        self.cell(0, 4.0, f"Side {self.page_no()} af {PAGE_COUNT_ALIAS}")
        self.set_text_color(0, 0, 0)

    def line_of_text(self, text: str, style: str = "", size: float = 9.0, height: float = 4.5) -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, height, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label: value pairs, the values aligned."""
        for label, value in rows:
            self.set_font(FONT, "", 9.0)
            self.cell(38.0, 4.8, latin1(label))
            self.set_font(FONT, "B", 9.0)
            self.cell(0, 4.8, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def parties(self, seller: Party, buyer: Party) -> None:
        """Seller and buyer side by side."""
        top = self.get_y()
        half = (self.w - 2 * MARGIN) / 2
        bottoms = []
        for left, heading, party in ((self.l_margin, "Fra", seller), (self.l_margin + half, "Til", buyer)):
            self.set_xy(left, top)
            self.set_font(FONT, "", 8.0)
            self.set_text_color(90, 90, 90)
            self.cell(half, 4.0, heading, new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_text_color(0, 0, 0)
            self.set_font(FONT, "B", 10.0)
            self.multi_cell(half - 4.0, 4.8, latin1(party.name), new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_font(FONT, "", 9.0)
            for text in (*party.address(), *_identifiers(party)):
                self.multi_cell(half - 4.0, 4.4, latin1(text), new_x=XPos.LEFT, new_y=YPos.NEXT)
            bottoms.append(self.get_y())
        self.set_xy(self.l_margin, max(bottoms) + 4.0)

    # --- the table ------------------------------------------------------------------------------

    def table_header(self) -> None:
        self.set_font(FONT, "B", TABLE_FONT_SIZE)
        self.set_fill_color(*HEADER_FILL)
        self._draw([self.wrap(t, w) for t, w in zip(self.headers, COLUMN_WIDTHS, strict=True)], fill=True)

    def table_row(self, texts: Sequence[str], stripe: bool) -> None:
        self.set_font(FONT, "", TABLE_FONT_SIZE)
        lines = [self.wrap(latin1(t), w) for t, w in zip(texts, COLUMN_WIDTHS, strict=True)]
        if self.get_y() + row_height(lines, LINE_HEIGHT, ROW_PADDING) > self.bottom:
            self.add_page()  # header() repeats the table header
            self.set_font(FONT, "", TABLE_FONT_SIZE)
        if stripe:
            self.set_fill_color(*STRIPE_FILL)
        self._draw(lines, fill=stripe)

    def room_for(self, height: float) -> None:
        """A new page when less than ``height`` mm is left (the totals block stays together)."""
        if self.get_y() + height > self.bottom:
            self.add_page()

    def _draw(self, lines: Sequence[list[tuple[str, float]]], fill: bool) -> None:
        top = self.get_y()
        left = self.l_margin
        height = row_height(lines, LINE_HEIGHT, ROW_PADDING)
        width = sum(COLUMN_WIDTHS)
        if fill:
            self.rect(left, top, width, height, style="F")
        baseline = top + ROW_PADDING + 0.5 * LINE_HEIGHT + 0.3 * self.font_size
        x = left
        for cell_lines, numeric, column_width in zip(lines, self.numeric, COLUMN_WIDTHS, strict=True):
            y = baseline
            for text, text_width in cell_lines:
                if text:
                    start = x + column_width - self.c_margin - text_width if numeric else x + self.c_margin
                    self.text(start, y, text)
                y += LINE_HEIGHT
            x += column_width
        self.set_draw_color(160, 160, 160)
        self.line(left, top + height, left + width, top + height)
        self.set_xy(left, top + height)


def _identifiers(party: Party) -> list[str]:
    found = [f"CVR: {party.cvr}", f"EAN: {party.ean}"]
    if party.municipality_code is not None:
        found.append(f"Kommunekode: {party.municipality_code}")
    if party.reference.strip():
        found.append(f"Reference: {party.reference.strip()}")
    return found


def _facts(invoice: Invoice) -> list[tuple[str, str]]:
    kind = KIND_TITLES[invoice.kind]
    rows = [
        (f"{kind}nummer", invoice.number or "(ikke udstedt)"),
        (f"{kind}dato", format_date(invoice.issued_on)),
    ]
    if invoice.kind is DocumentKind.CREDIT_NOTE:
        rows.append(("Krediterer faktura nr.", invoice.credits))
    else:
        rows.append(("Forfaldsdato", format_date(invoice.due_on)))
    rows.append(("Periode", period_text(invoice.month)))
    return rows


def render_invoice_pdf(
    invoice: Invoice,
    seller: Party,
    buyer: Party,
    *,
    terms: PaymentTerms | None = None,
    fictitious: bool = False,
    compress: bool = True,
) -> bytes:
    """The invoice or credit note as PDF bytes.

    ``terms``: the rule set's payment terms (R-SET-11), to state the agreement's bound next to the due date;
    ``fictitious``: demo data, marked so on the page; ``compress=False`` leaves the page content readable
    (for tests). Raises ``DocumentError`` when the parties do not match the invoice or a line shows a CPR number.
    """
    check_document(invoice, seller, buyer)
    pdf = _InvoicePdf(invoice, seller)
    pdf.set_compression(compress)
    pdf.add_page()
    pdf.line_of_text(KIND_TITLES[invoice.kind], "B", 18.0, 9.0)
    if fictitious:
        pdf.set_text_color(*WARNING_COLOUR)
        pdf.line_of_text(FICTITIOUS_NOTICE, "B")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2.0)
    pdf.facts(_facts(invoice))
    pdf.ln(4.0)
    pdf.parties(seller, buyer)
    _, rows = invoice_table(invoice)
    pdf.table_header()
    empty = True
    for index, texts in enumerate(rows):
        pdf.table_row(texts, stripe=index % 2 == 1)
        empty = False
    if empty:
        pdf.line_of_text("Dokumentet har ingen linjer.")
    pdf.room_for(40.0)
    pdf.ln(3.0)
    pdf.set_font(FONT, "B", 11.0)
    label = "I alt (krediteret)" if invoice.kind is DocumentKind.CREDIT_NOTE else "I alt"
    pdf.cell(sum(COLUMN_WIDTHS[:-2]), 6.0, label)
    pdf.cell(sum(COLUMN_WIDTHS[-2:]), 6.0, latin1(format_kr(invoice.total)), align="R")
    pdf.ln(8.0)
    pdf.line_of_text(f"{VAT_EXEMPTION_REASON}. Moms 0,00 kr.")
    pdf.line_of_text(payment_terms_text(invoice, terms))
    pdf.line_of_text(f"Sendes elektronisk (OIOUBL, NemHandel) til køberens EAN-nummer {buyer.ean}.")
    return bytes(pdf.output())
