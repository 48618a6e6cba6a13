"""Text that wraps in table cells, for the PDF documents (appendix, invoices): one FPDF base for both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fpdf import FPDF

WrappedLines = list[tuple[str, float]]  # each line of a cell with its width


class WrappingPdf(FPDF):
    """FPDF with a cache of word widths per font and a cell text wrapper."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._widths: dict[tuple[str, float, str], float] = {}

    def _width(self, word: str) -> float:
        key = (self.font_style, self.font_size_pt, word)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = self.get_string_width(word)
        return found

    def wrap(self, text: str, column_width: float) -> WrappedLines:
        """Lines (with widths) that fit the column; breaks between words, a too long word by characters."""
        room = column_width - 2 * self.c_margin
        space = self._width(" ")
        lines: WrappedLines = []
        current: list[str] = []
        used = 0.0
        for word in text.split(" "):
            width = self._width(word)
            needed = width if not current else used + space + width
            if needed <= room:
                current.append(word)
                used = needed
                continue
            if current:
                lines.append((" ".join(current), used))
                current, used = [], 0.0
            if width <= room:
                current, used = [word], width
                continue
            piece = ""
            for ch in word:
                if piece and self._width(piece + ch) > room:
                    lines.append((piece, self._width(piece)))
                    piece = ""
                piece += ch
            current, used = [piece], self._width(piece)
        lines.append((" ".join(current), used))
        return lines


def row_height(lines: Sequence[WrappedLines], line_height: float, padding: float) -> float:
    """The height of a table row: its tallest cell's lines plus the padding above and below."""
    return max(len(cell_lines) for cell_lines in lines) * line_height + 2 * padding
