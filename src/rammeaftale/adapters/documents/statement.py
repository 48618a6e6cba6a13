"""A buyer's consolidated statement (samlet opgørelse): everything one municipality is billed, across operators.

Input: the buyer and a list of (operator, invoices) – invoices and credit notes alike. ``statement_rows`` is the
exporter: it yields typed rows (``Decimal`` amounts, ``date`` dates, texts), one per invoice line, a sum row
after each operator's lines and a total row at the end. Credit notes carry negative lines (R-SET-02), so the
sums are what is owed after corrections. Every amount is exact: the sums are ``Decimal`` sums, and the xlsx
stores the exact decimal text.

One renderer module writes both formats (architecture example 11), localising only there:

- ``render_statement_xlsx``: a real workbook (openpyxl builds the sheet; the rows are streamed in by the
  appendix's fast path so numbers stay exact); amounts are numbers with the format ``#,##0.00``, dates real
  dates shown dd-mm-yyyy; sum rows in bold.
- ``render_statement_csv``: Danish CSV: ``;`` between fields, UTF-8 with a byte order mark (so Excel reads
  æ, ø, å), decimal comma without thousands separators ("64177,75"), dates dd-mm-yyyy, CRLF line ends.

Every text cell in both formats passes ``neutralise_cell``: a text starting with = + - @, tab, CR or NUL gets a
leading apostrophe, so no spreadsheet runs it as a formula. Numbers are numbers: a negative amount stays -1,00.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from rammeaftale.adapters.documents.appendix_xlsx import (
    XLSX_MEDIA_TYPE,
    inline_string,
    number_text,
    with_rows,
    xlsx_text,
)
from rammeaftale.adapters.documents.formatting import format_date, neutralise_cell
from rammeaftale.adapters.documents.invoice_rows import KIND_TITLES, check_document, period_text
from rammeaftale.adapters.documents.parties import Party
from rammeaftale.domain.invoices import DocumentKind, Invoice
from rammeaftale.domain.money import ORE, ZERO
from rammeaftale.domain.periods import Period

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = [
    "CSV_MEDIA_TYPE",
    "STATEMENT_COLUMNS",
    "XLSX_MEDIA_TYPE",
    "OperatorSection",
    "RowKind",
    "Statement",
    "StatementRow",
    "build_statement",
    "render_statement_csv",
    "render_statement_xlsx",
    "statement_rows",
    "statement_title_lines",
]

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
FICTITIOUS_NOTICE = "FIKTIVE DEMODATA – ikke rigtige fakturaer"

Cell = Decimal | str | date | None


class ColumnKind(StrEnum):
    TEXT = "text"
    DATE = "date"
    QUANTITY = "quantity"
    AMOUNT = "amount"


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind
    width: int


STATEMENT_COLUMNS: tuple[Column, ...] = (
    Column("Linjetype", ColumnKind.TEXT, 18),
    Column("Driftsherre", ColumnKind.TEXT, 26),
    Column("Driftsherrens CVR", ColumnKind.TEXT, 11),
    Column("Dokument", ColumnKind.TEXT, 11),
    Column("Nummer", ColumnKind.TEXT, 13),
    Column("Dato", ColumnKind.DATE, 11),
    Column("Forfaldsdato", ColumnKind.DATE, 11),
    Column("Krediterer faktura", ColumnKind.TEXT, 13),
    Column("Indskrivning", ColumnKind.TEXT, 14),
    Column("Ydelse", ColumnKind.TEXT, 34),
    Column("Fra", ColumnKind.DATE, 11),
    Column("Til", ColumnKind.DATE, 11),
    Column("Antal", ColumnKind.QUANTITY, 8),
    Column("Enhed", ColumnKind.TEXT, 7),
    Column("Pris", ColumnKind.AMOUNT, 12),
    Column("Beløb", ColumnKind.AMOUNT, 14),
    Column("Regel", ColumnKind.TEXT, 10),
)
AMOUNT_COLUMN = 15  # index of "Beløb"


class RowKind(StrEnum):
    LINE = "Linje"
    OPERATOR_TOTAL = "Sum for driftsherre"
    TOTAL = "Sum i alt"


@dataclass(frozen=True)
class StatementRow:
    kind: RowKind
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class OperatorSection:
    operator: Party
    invoices: tuple[Invoice, ...]

    @property
    def total(self) -> Decimal:
        return sum((invoice.total for invoice in self.invoices), ZERO)


@dataclass(frozen=True)
class Statement:
    """One buyer's invoices and credit notes from every operator; ``total`` is what the buyer owes in all."""

    buyer: Party
    sections: tuple[OperatorSection, ...]
    fictitious: bool = False

    @property
    def total(self) -> Decimal:
        return sum((section.total for section in self.sections), ZERO)

    @property
    def period(self) -> Period | None:
        months = [invoice.month for section in self.sections for invoice in section.invoices]
        if not months:
            return None
        return Period(min(m.start for m in months), max(m.end for m in months))

    @property
    def document_count(self) -> int:
        return sum(len(section.invoices) for section in self.sections)


def build_statement(
    buyer: Party, entries: Iterable[tuple[Party, Iterable[Invoice]]], *, fictitious: bool = False
) -> Statement:
    """The statement for ``buyer`` from (operator, invoices) pairs, the operators in the order given and each
    operator's documents by date and number. Raises ``DocumentError`` when an invoice is not the buyer's or the
    operator's (by kommunekode), or a line would show a CPR number."""
    sections = []
    for operator, invoices in entries:
        ordered = tuple(sorted(invoices, key=lambda i: (i.issued_on, i.number, i.kind.value)))
        for invoice in ordered:
            check_document(invoice, operator, buyer)
        sections.append(OperatorSection(operator, ordered))
    return Statement(buyer, tuple(sections), fictitious)


def statement_title_lines(statement: Statement) -> list[str]:
    """The block above the table (xlsx): whose statement, for which period, from how many operators."""
    buyer = statement.buyer
    identifiers = f"EAN {buyer.ean} · CVR {buyer.cvr}"
    if buyer.municipality_code is not None:
        identifiers += f" · kommunekode {buyer.municipality_code}"
    period = statement.period
    lines = [
        f"Samlet opgørelse for {buyer.name}",
        identifiers,
        f"Periode: {period_text(period)}" if period is not None else "Periode: ingen fakturaer",
        f"{len(statement.sections)} driftsherrer, {statement.document_count} fakturaer og kreditnotaer",
    ]
    if statement.fictitious:
        lines.append(FICTITIOUS_NOTICE)
    return lines


def statement_rows(statement: Statement) -> Iterator[StatementRow]:
    """The exporter: one row per line, a sum row per operator, a total row; cells typed as ``STATEMENT_COLUMNS``."""
    blank: list[Cell] = [None] * len(STATEMENT_COLUMNS)
    for section in statement.sections:
        operator = section.operator
        for invoice in section.invoices:
            credit = invoice.kind is DocumentKind.CREDIT_NOTE
            for line in invoice.lines:
                yield StatementRow(
                    RowKind.LINE,
                    (
                        RowKind.LINE.value,
                        operator.name,
                        operator.cvr,
                        KIND_TITLES[invoice.kind],
                        invoice.number,
                        invoice.issued_on,
                        None if credit else invoice.due_on,
                        invoice.credits or None,
                        line.placement_id,
                        line.label,
                        line.period.start,
                        line.period.end,
                        line.quantity,
                        line.unit,
                        line.unit_price,
                        line.amount,
                        line.rule_id,
                    ),
                )
        cells = list(blank)
        cells[0], cells[1], cells[2], cells[AMOUNT_COLUMN] = (
            RowKind.OPERATOR_TOTAL.value,
            operator.name,
            operator.cvr,
            section.total,
        )
        yield StatementRow(RowKind.OPERATOR_TOTAL, tuple(cells))
    cells = list(blank)
    cells[0], cells[1], cells[AMOUNT_COLUMN] = RowKind.TOTAL.value, "Alle driftsherrer", statement.total
    yield StatementRow(RowKind.TOTAL, tuple(cells))


# ---------------------------------------------------------------------------------------------------
# CSV


def _csv_number(value: Decimal, kind: ColumnKind) -> str:
    """Decimal comma, no thousands separator: amounts '64177,75', '-2070,25'; quantities '31', '12,5'."""
    if kind is ColumnKind.AMOUNT:
        return "0,00" if value.is_zero() else format(value.quantize(ORE), "f").replace(".", ",")
    return number_text(value.normalize()).replace(".", ",")


def _csv_cell(value: Cell, kind: ColumnKind) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _csv_number(value, kind)
    if isinstance(value, date):
        return format_date(value)
    return neutralise_cell(value.replace("\x00", ""))


def render_statement_csv(statement: Statement) -> bytes:
    """The statement as Danish CSV bytes (UTF-8 with BOM, ';', decimal comma): the header and every row."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise_cell(c.header) for c in STATEMENT_COLUMNS])
    kinds = [c.kind for c in STATEMENT_COLUMNS]
    for row in statement_rows(statement):
        writer.writerow([_csv_cell(value, kind) for value, kind in zip(row.cells, kinds, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ---------------------------------------------------------------------------------------------------
# XLSX

AMOUNT_FORMAT = "#,##0.00"
WHOLE_FORMAT = "#,##0"
DATE_FORMAT = "dd-mm-yyyy"
_EXCEL_EPOCH = date(1899, 12, 30)


class _Styles:
    """The style ids (cellXfs indexes) openpyxl registered for the cells the rows use."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        bold = Font(name="Calibri", bold=True, size=11)
        self.amount = self._register(ws, AMOUNT_FORMAT)
        self.whole = self._register(ws, WHOLE_FORMAT)
        self.date = self._register(ws, DATE_FORMAT)
        self.bold_amount = self._register(ws, AMOUNT_FORMAT, bold)
        self.bold_text = self._register(ws, "General", bold)

    @staticmethod
    def _register(ws: WriteOnlyWorksheet, number_format: str, font: Font | None = None) -> int:
        cell = WriteOnlyCell(ws)
        cell.number_format = number_format
        if font is not None:
            cell.font = font
        return int(cell.style_id)  # reading the id adds the style to the workbook


def _xlsx_rows(rows: Iterable[StatementRow], first_row: int, styles: _Styles) -> Iterator[str]:
    letters = [get_column_letter(i) for i in range(1, len(STATEMENT_COLUMNS) + 1)]
    kinds = [c.kind for c in STATEMENT_COLUMNS]
    strings: dict[str, str] = {}
    for row_number, row in enumerate(rows, start=first_row):
        total = row.kind is not RowKind.LINE
        parts = [f'<row r="{row_number}">']
        for letter, kind, value in zip(letters, kinds, row.cells, strict=True):
            ref = f"{letter}{row_number}"
            if value is None:
                continue
            if isinstance(value, Decimal):
                if kind is ColumnKind.AMOUNT:
                    style = styles.bold_amount if total else styles.amount
                else:
                    style = styles.whole if value == value.to_integral_value() else styles.amount
                parts.append(f'<c r="{ref}" s="{style}"><v>{number_text(value)}</v></c>')
            elif isinstance(value, date):
                parts.append(f'<c r="{ref}" s="{styles.date}"><v>{(value - _EXCEL_EPOCH).days}</v></c>')
            else:
                body = strings.get(value)
                if body is None:
                    body = strings[value] = inline_string(value)
                if body:
                    bold = f' s="{styles.bold_text}"' if total else ""
                    parts.append(f'<c r="{ref}"{bold} t="inlineStr">{body}</c>')
        parts.append("</row>")
        yield "".join(parts)


def render_statement_xlsx(statement: Statement) -> bytes:
    """The statement as xlsx bytes: title block, header row, the rows with sums per operator and in total."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "Rammeaftale"
    wb.properties.title = xlsx_text(f"Samlet opgørelse for {statement.buyer.name}")
    ws = wb.create_sheet("Opgørelse")
    titles = statement_title_lines(statement)
    header_row = len(titles) + 2
    last_column = get_column_letter(len(STATEMENT_COLUMNS))
    for index, column in enumerate(STATEMENT_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = f"A{header_row + 1}"
    row_count = sum(len(i.lines) for s in statement.sections for i in s.invoices) + len(statement.sections) + 1
    ws.auto_filter.ref = f"A{header_row}:{last_column}{header_row + row_count}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.left.text = xlsx_text(titles[0]).replace("&", "&&")
    ws.oddFooter.right.text = "Side &P af &N"
    for number, text in enumerate(titles):
        cell = WriteOnlyCell(ws, value=xlsx_text(text))
        if number == 0:
            cell.font = Font(name="Calibri", bold=True, size=14)
        elif text == FICTITIOUS_NOTICE:
            cell.font = Font(name="Calibri", bold=True, size=11, color="C00000")
        ws.append([cell])
    ws.append([])
    header = []
    for column in STATEMENT_COLUMNS:
        cell = WriteOnlyCell(ws, value=xlsx_text(column.header))
        cell.font = Font(name="Calibri", bold=True, size=11)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = Border(bottom=Side(style="thin"))
        header.append(cell)
    ws.append(header)
    styles = _Styles(ws)
    template = io.BytesIO()
    wb.save(template)
    return with_rows(template.getvalue(), _xlsx_rows(statement_rows(statement), header_row + 1, styles))
