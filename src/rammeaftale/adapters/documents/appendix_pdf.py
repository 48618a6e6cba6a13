"""The tariff appendix (takstbilag) as a printable PDF: landscape A4, the table header on every page.

fpdf2's core font Helvetica covers latin-1, so æ, ø, å and § print as they are; other characters
are replaced by a latin-1 look-alike ("–" -> "-") or "?". Numbers are Danish ("2.070,25").
Rows are laid out by hand (word wrap from cached word widths) rather than with ``FPDF.table``, so a
large appendix renders in reasonable time and a row is never split across pages.
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf.enums import XPos, YPos

from rammeaftale.adapters.documents.appendix_rows import (
    APPENDIX_COLUMNS,
    Cell,
    ColumnKind,
    TitleRole,
    appendix_table,
    document_title,
    format_cell,
    title_lines,
)
from rammeaftale.adapters.documents.pdf_text import WrappingPdf, row_height
from rammeaftale.domain.appendix import TariffAppendix

PDF_MEDIA_TYPE = "application/pdf"
PAGE_COUNT_ALIAS = "{sider}"  # replaced by the page count; its length reserves room for 7 digits

FONT = "Helvetica"
MARGIN = 10.0  # mm
# Column widths in mm; they fill the 277 mm between the margins of a landscape A4 page.
COLUMN_WIDTHS = (24.0, 32.0, 16.0, 18.0, 28.0, 32.0, 12.0, 15.0, 20.0, 19.0, 23.0, 16.0, 22.0)
TABLE_FONT_SIZE = 7.0
LINE_HEIGHT = 3.2  # mm, for 7 pt text
ROW_PADDING = 0.8  # mm above and below the text of a row
HEADER_FILL = (217, 217, 217)
STRIPE_FILL = (244, 244, 244)
WARNING_COLOUR = (192, 0, 0)

_TO_LATIN1 = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‒": "-",
        "−": "-",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "…": "...",
        "•": "-",
        "€": "EUR",
        "\t": " ",
        "\r": " ",
        "\n": " ",
    }
)
_TITLE_STYLE = {
    TitleRole.TITLE: ("B", 14.0, 7.0),
    TitleRole.HEADING: ("B", 12.0, 6.5),
    TitleRole.META: ("", 9.0, 4.5),
    TitleRole.WARNING: ("B", 9.0, 4.5),
}


def latin1(text: str) -> str:
    """Text the core font can print: look-alikes for common typography, '?' for the rest."""
    printable = "".join(ch for ch in text.translate(_TO_LATIN1) if ch >= " " and ch != "\x7f")
    return printable.encode("latin-1", "replace").decode("latin-1")


class _AppendixPdf(WrappingPdf):
    def __init__(self, appendix: TariffAppendix, headers: Sequence[str]) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.running_title = latin1(document_title(appendix))
        self.headers = [latin1(h) for h in headers]
        self.kinds = [column.kind for column in APPENDIX_COLUMNS]
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)  # rows are placed by hand so none is split across pages
        self.bottom = self.h - MARGIN - 6.0  # room for the footer
        self.set_title(self.running_title)
        self.set_author("Rammeaftale")
        self.set_creator("Rammeaftale")
        self.set_lang("da")
        self.alias_nb_pages(PAGE_COUNT_ALIAS)

    # --- page furniture -------------------------------------------------------------------------

    def header(self) -> None:
        if self.page_no() > 1:  # the first page starts with the title block
            self.table_header()

    def footer(self) -> None:
        self.set_font(FONT, "", 7.0)
        self.set_text_color(90, 90, 90)
        self.set_xy(self.l_margin, self.h - MARGIN - 4.0)
        self.cell(0, 4.0, self.running_title)
        # left-aligned from a fixed point, so the page count's width does not matter; cell() (not
        # text()) because only cell() substitutes the page-count alias
        self.set_x(self.w - self.r_margin - self.get_string_width("Side 0000 af 0000"))
        self.cell(0, 4.0, f"Side {self.page_no()} af {PAGE_COUNT_ALIAS}")
        self.set_text_color(0, 0, 0)

    def title_block(self, appendix: TariffAppendix) -> None:
        for line in title_lines(appendix):
            style, size, height = _TITLE_STYLE[line.role]
            self.set_font(FONT, style, size)
            if line.role is TitleRole.WARNING:
                self.set_text_color(*WARNING_COLOUR)
            self.multi_cell(0, height, latin1(line.text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0, 0, 0)
        self.ln(3.0)

    # --- the table ------------------------------------------------------------------------------

    def table_header(self) -> None:
        self.set_font(FONT, "B", TABLE_FONT_SIZE)
        self.set_fill_color(*HEADER_FILL)
        texts = self.headers
        lines = [self.wrap(text, width) for text, width in zip(texts, COLUMN_WIDTHS, strict=True)]
        self._draw(lines, [ColumnKind.TEXT] * len(texts), fill=True)

    def table_row(self, cells: Sequence[Cell], stripe: bool) -> None:
        self.set_font(FONT, "", TABLE_FONT_SIZE)
        texts = [latin1(format_cell(value, kind)) for value, kind in zip(cells, self.kinds, strict=True)]
        lines = [self.wrap(text, width) for text, width in zip(texts, COLUMN_WIDTHS, strict=True)]
        if self.get_y() + row_height(lines, LINE_HEIGHT, ROW_PADDING) > self.bottom:
            self.add_page()  # header() repeats the table header
            self.set_font(FONT, "", TABLE_FONT_SIZE)
        if stripe:
            self.set_fill_color(*STRIPE_FILL)
        self._draw(lines, self.kinds, fill=stripe)

    def _draw(self, lines: Sequence[list[tuple[str, float]]], kinds: Sequence[ColumnKind], fill: bool) -> None:
        """Draw one row at the current y. ``FPDF.text`` is used rather than ``cell``: ten times faster."""
        top = self.get_y()
        left = self.l_margin
        height = row_height(lines, LINE_HEIGHT, ROW_PADDING)
        table_width = sum(COLUMN_WIDTHS)
        if fill:
            self.rect(left, top, table_width, height, style="F")
        baseline = top + ROW_PADDING + 0.5 * LINE_HEIGHT + 0.3 * self.font_size
        x = left
        for cell_lines, kind, width in zip(lines, kinds, COLUMN_WIDTHS, strict=True):
            y = baseline
            for text, text_width in cell_lines:
                if text:
                    right_aligned = kind is not ColumnKind.TEXT
                    start = x + width - self.c_margin - text_width if right_aligned else x + self.c_margin
                    self.text(start, y, text)
                y += LINE_HEIGHT
            x += width
        self.set_draw_color(160, 160, 160)
        self.line(left, top + height, left + table_width, top + height)
        self.set_xy(left, top + height)


def render_appendix_pdf(appendix: TariffAppendix, *, compress: bool = True) -> bytes:
    """The appendix as PDF bytes. ``compress=False`` leaves the page content readable (for tests)."""
    headers, rows = appendix_table(appendix)
    pdf = _AppendixPdf(appendix, headers)
    pdf.set_compression(compress)
    pdf.add_page()
    pdf.title_block(appendix)
    pdf.table_header()
    empty = True
    for index, cells in enumerate(rows):
        pdf.table_row(cells, stripe=index % 2 == 1)
        empty = False
    if empty:
        pdf.set_font(FONT, "", 9.0)
        pdf.ln(2.0)
        pdf.cell(0, 5.0, "Bilaget indeholder ingen takster.")
    return bytes(pdf.output())
