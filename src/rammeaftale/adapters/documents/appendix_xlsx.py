"""The tariff appendix (takstbilag) as an xlsx workbook.

openpyxl (``write_only=True``) builds the workbook: styles, title block, header row, column widths,
frozen header, autofilter, print setup. The data rows are then streamed into the sheet by a small
serializer here, because openpyxl without lxml serialises each cell through ElementTree at about
12 µs a cell: 3–5 s for a national appendix of 20 000 rows × 13 columns, most of the benchmark's
5 s budget. The fast path writes exactly what openpyxl would (inline strings, numbers with a style
id that openpyxl registered) and keeps numbers exact: ``Decimal('8.12')`` is stored as ``8.12``,
where openpyxl's ``'%.16g'`` would store ``8.119999999999999``.

Numbers are real numbers with locale-independent Excel formats (``#,##0.00``, ``0.00``); the
spreadsheet shows them in the reader's locale. Every text cell, the footer and the document title
property go through ``xlsx_text``: neutralised against formula injection (``neutralise_cell``) and without
characters XML cannot carry.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from rammeaftale.adapters.documents.appendix_rows import (
    APPENDIX_COLUMNS,
    Cell,
    ColumnKind,
    TitleRole,
    appendix_table,
    document_title,
    title_lines,
)
from rammeaftale.adapters.documents.formatting import neutralise_cell
from rammeaftale.domain.appendix import TariffAppendix

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

AMOUNT_FORMAT = "#,##0.00"
DECIMAL_FORMAT = "0.00"
WHOLE_FORMAT = "#,##0"
MAX_CELL_TEXT = 32_767  # Excel's limit on the characters in one cell

COLUMN_WIDTHS = (24, 34, 12, 14, 30, 32, 9, 11, 13, 14, 15, 11, 14)
_SHEET_PATH = "xl/worksheets/sheet1.xml"
_SHEET_DATA_END = "</sheetData>"
_ROWS_PER_CHUNK = 1_000

# Characters XML 1.0 cannot carry (openpyxl refuses them with IllegalCharacterError).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TITLE_FONTS = {
    TitleRole.TITLE: Font(name="Calibri", bold=True, size=14),
    TitleRole.HEADING: Font(name="Calibri", bold=True, size=12),
    TitleRole.META: Font(name="Calibri", size=11),
    TitleRole.WARNING: Font(name="Calibri", bold=True, size=11, color="C00000"),
}


def xlsx_text(text: str) -> str:
    """A text as it may go into a cell: neutralised, without XML-illegal characters, within the limit."""
    return _NOT_XML.sub("", neutralise_cell(text))[:MAX_CELL_TEXT]


def render_appendix_xlsx(appendix: TariffAppendix) -> bytes:
    """The appendix as xlsx bytes: title block, header row, one row per appendix row."""
    wb = Workbook(write_only=True)
    wb.properties.creator = "Rammeaftale"
    wb.properties.title = xlsx_text(document_title(appendix))  # docProps/core.xml: the same cleaning as a cell
    ws = wb.create_sheet(f"Takstbilag {appendix.year}")
    last_column = get_column_letter(len(APPENDIX_COLUMNS))
    titles = title_lines(appendix)
    header_row = len(titles) + 2  # a blank row between the title block and the table
    last_row = header_row + len(appendix.rows)

    # sheet-level settings must be in place before the first row is written
    for index, width in enumerate(COLUMN_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.row_dimensions[header_row].height = 45
    ws.freeze_panes = f"A{header_row + 1}"
    ws.auto_filter.ref = f"A{header_row}:{last_column}{last_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.left.text = xlsx_text(document_title(appendix)).replace("&", "&&")
    ws.oddFooter.right.text = "Side &P af &N"

    for line in titles:
        cell = WriteOnlyCell(ws, value=xlsx_text(line.text))
        cell.font = _TITLE_FONTS[line.role]
        ws.append([cell])
    ws.append([])
    headers, rows = appendix_table(appendix)
    ws.append([_header_cell(ws, text) for text in headers])
    styles = _NumberStyles(ws)

    template = io.BytesIO()
    wb.save(template)
    return with_rows(template.getvalue(), _rows_xml(rows, header_row + 1, styles))


def _header_cell(ws: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=xlsx_text(text))
    cell.font = Font(name="Calibri", bold=True, size=11)
    cell.fill = PatternFill("solid", fgColor="D9D9D9")
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    cell.border = Border(bottom=Side(style="thin"))
    return cell


class _NumberStyles:
    """The style ids (cellXfs indexes) openpyxl registered for the number formats the rows use."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.amount = self._register(ws, AMOUNT_FORMAT)
        self.decimal = self._register(ws, DECIMAL_FORMAT)
        self.whole = self._register(ws, WHOLE_FORMAT)

    @staticmethod
    def _register(ws: WriteOnlyWorksheet, number_format: str) -> int:
        cell = WriteOnlyCell(ws)
        cell.number_format = number_format
        return int(cell.style_id)  # reading the id adds the style to the workbook

    def for_value(self, kind: ColumnKind, value: Decimal) -> int:
        if kind is ColumnKind.AMOUNT:
            return self.amount
        if kind is ColumnKind.COUNT:
            return self.whole if value == value.to_integral_value() else self.amount
        return self.decimal


def number_text(value: Decimal) -> str:
    """The exact decimal text of a number cell ('2070.25'; never an exponent, never '-0')."""
    return "0" if value.is_zero() else format(value, "f")


def inline_string(text: str) -> str:
    """The ``<is>`` body of a text cell; empty when nothing is left to show."""
    safe = xlsx_text(text)
    if not safe:
        return ""
    space = ' xml:space="preserve"' if safe != safe.strip() else ""
    return f"<is><t{space}>{escape(safe)}</t></is>"


def _rows_xml(rows: Iterable[list[Cell]], first_row: int, styles: _NumberStyles) -> Iterator[str]:
    """SpreadsheetML ``<row>`` elements for the data rows, as openpyxl's write-only writer makes them."""
    letters = [get_column_letter(i) for i in range(1, len(APPENDIX_COLUMNS) + 1)]
    kinds = [column.kind for column in APPENDIX_COLUMNS]
    # operators, legal bases, target groups and units repeat on most rows: prepare each text once
    strings: dict[str, str] = {}
    for row_number, cells in enumerate(rows, start=first_row):
        parts = [f'<row r="{row_number}">']
        for letter, kind, value in zip(letters, kinds, cells, strict=True):
            if value is None:
                continue
            if isinstance(value, Decimal):
                style = styles.for_value(kind, value)
                parts.append(f'<c r="{letter}{row_number}" s="{style}"><v>{number_text(value)}</v></c>')
                continue
            body = strings.get(value)
            if body is None:
                body = strings[value] = inline_string(value)
            if body:
                parts.append(f'<c r="{letter}{row_number}" t="inlineStr">{body}</c>')
        parts.append("</row>")
        yield "".join(parts)


def with_rows(template: bytes, rows: Iterator[str]) -> bytes:
    """Copy openpyxl's workbook, streaming the data rows into the sheet just before ``</sheetData>``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(template)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename != _SHEET_PATH:
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            head, marker, tail = data.decode("utf-8").partition(_SHEET_DATA_END)
            if not marker:
                raise RuntimeError("openpyxl wrote a sheet without <sheetData>; the xlsx writer needs updating")
            sheet_info = zipfile.ZipInfo(_SHEET_PATH, info.date_time)
            sheet_info.compress_type = zipfile.ZIP_DEFLATED
            with target.open(sheet_info, "w") as sheet:
                sheet.write(head.encode("utf-8"))
                for chunk in _chunks(rows):
                    sheet.write(chunk.encode("utf-8"))
                sheet.write((marker + tail).encode("utf-8"))
    return out.getvalue()


def _chunks(rows: Iterator[str]) -> Iterator[str]:
    batch: list[str] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _ROWS_PER_CHUNK:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)
