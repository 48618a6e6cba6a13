"""The tariff appendix as a table of typed cells: exporters yield rows, one renderer writes each format.

Cells stay typed (``Decimal`` / ``str`` / ``None``) so the xlsx writer stores real numbers and the
html and pdf renderers localise them (architecture example 11). The title block shared by all three
formats lives here too, so every format says the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from rammeaftale.adapters.documents.formatting import (
    MISSING,
    format_amount,
    format_date,
    format_number,
    unit_label,
)
from rammeaftale.domain.appendix import AppendixRow, TariffAppendix

Cell = Decimal | str | None

FICTITIOUS_NOTICE = "FIKTIVE DEMODATA – ikke rigtige tilbud eller takster"


class ColumnKind(StrEnum):
    """How a column's values are shown: text, kroner, a count, a percentage or hours."""

    TEXT = "text"
    AMOUNT = "amount"  # kroner with 2 decimals
    COUNT = "count"  # places: as many decimals as the value needs
    PERCENT = "percent"  # 2 decimals (handbook § 15); the header carries the % sign
    HOURS = "hours"  # 2 decimals (R-TAR-12)


@dataclass(frozen=True)
class Column:
    header: str
    kind: ColumnKind


APPENDIX_COLUMNS: tuple[Column, ...] = (
    Column("Driftsherre", ColumnKind.TEXT),
    Column("Tilbud", ColumnKind.TEXT),
    Column("Tilbuds-id", ColumnKind.TEXT),
    Column("Lovgrundlag", ColumnKind.TEXT),
    Column("Målgruppe", ColumnKind.TEXT),
    Column("Ydelse", ColumnKind.TEXT),
    Column("Pladser", ColumnKind.COUNT),
    Column("Belægning %", ColumnKind.PERCENT),
    Column("Takst", ColumnKind.AMOUNT),
    Column("Enhed", ColumnKind.TEXT),
    Column("Årstakst pr. plads", ColumnKind.AMOUNT),
    Column("Direkte timer pr. uge", ColumnKind.HOURS),  # R-TAR-12
    Column("Ændring i forhold til sidste år %", ColumnKind.PERCENT),
)


def appendix_cells(row: AppendixRow) -> list[Cell]:
    """One appendix row as typed cells, in the order of ``APPENDIX_COLUMNS``."""
    return [
        row.operator,
        row.offer,
        row.offer_id,
        row.legal_basis,
        row.target_group,
        row.service,
        row.places,
        row.occupancy_pct,
        row.tariff,
        unit_label(row.unit),
        row.annual_tariff_per_place,
        row.direct_support_hours_per_week,
        row.change_pct,
    ]


def appendix_table(appendix: TariffAppendix) -> tuple[list[str], Iterator[list[Cell]]]:
    """The headers and, lazily, one list of typed cells per appendix row."""
    headers = [column.header for column in APPENDIX_COLUMNS]
    return headers, (appendix_cells(row) for row in appendix.rows)


def format_cell(value: Cell, kind: ColumnKind) -> str:
    """A cell as Danish text for html and pdf: '2.070,25', '24', '-1,58'; a missing value is '–'."""
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    if kind is ColumnKind.COUNT:
        return format_number(value)
    return format_amount(value, 2)


class TitleRole(StrEnum):
    TITLE = "title"  # the agreement
    HEADING = "heading"  # "Takstbilag 2026"
    META = "meta"  # region, version, date, reason
    WARNING = "warning"  # fictitious data, operators left out


@dataclass(frozen=True)
class TitleLine:
    text: str
    role: TitleRole


def title_lines(appendix: TariffAppendix) -> list[TitleLine]:
    """The title block above the table, the same in xlsx, pdf and html."""
    published = (
        f"Offentliggjort {format_date(appendix.published_on)}"
        if appendix.published_on is not None
        else "Ikke offentliggjort (udkast)"
    )
    lines = [
        TitleLine(appendix.agreement_name, TitleRole.TITLE),
        TitleLine(appendix.region_name, TitleRole.META),
        TitleLine(f"Takstbilag {appendix.year}", TitleRole.HEADING),
        TitleLine(f"Version {appendix.version}", TitleRole.META),
        TitleLine(published, TitleRole.META),
    ]
    if appendix.reason.strip():
        lines.append(TitleLine(f"Årsag til denne version: {appendix.reason.strip()}", TitleRole.META))
    if appendix.fictitious:
        lines.append(TitleLine(FICTITIOUS_NOTICE, TitleRole.WARNING))
    if appendix.missing_operators:
        # R-CYC-04: a late operator is left out of the appendix, and the appendix says so
        missing = ", ".join(appendix.missing_operators)
        lines.append(TitleLine(f"Ikke medtaget (ingen godkendt indberetning, R-CYC-04): {missing}", TitleRole.WARNING))
    return lines


def document_title(appendix: TariffAppendix) -> str:
    """A one-line name for the document: 'Nordjysk Socialaftale – Takstbilag 2026, version 2'."""
    return f"{appendix.agreement_name} – Takstbilag {appendix.year}, version {appendix.version}"
