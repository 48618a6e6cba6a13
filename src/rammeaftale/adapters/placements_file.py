"""Reads a list of placements to import from CSV or XLSX: one header row, one placement per row.

XLSX goes through ``excel.safety.check_xlsx_upload`` first (``UnsafeUpload``), like every uploaded workbook;
then the first sheet (or the one named "Indskrivninger") is read for VALUES only: a formula is a finding in
its cell, never evaluated. CSV is UTF-8 (with or without BOM) or Windows-1252, separated by semicolons,
commas or tabs (found from the header row). Columns are recognised by their header (Danish or the JSON
field name, case and punctuation ignored); an unknown header is a warning and its column is not read.

Every value keeps its source for findings: "fil.csv, række 3, kolonne startdato" or "fil.xlsx, ark
Indskrivninger, celle D3". No cell value is ever put into a message here.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from openpyxl.worksheet.worksheet import Worksheet

from rammeaftale.adapters.excel.reader import open_workbook
from rammeaftale.adapters.excel.safety import MAX_UPLOAD_BYTES, UnsafeUpload, check_xlsx_upload
from rammeaftale.domain.findings import Finding, Severity

SHEET = "Indskrivninger"
MAX_ROWS = 10_000
MAX_COLUMNS = 100
RULE = "§ 9"
HEADERS: dict[str, tuple[str, ...]] = {
    "cpr": ("cpr", "cprnummer", "cprnr"),
    "offer_code": ("offercode", "tilbud", "tilbudskode", "tilbudsid"),
    "service": ("service", "ydelse"),
    "service_id": ("serviceid", "ydelsesid"),
    "level": ("level", "niveau"),
    "acting_municipality": ("actingmunicipality", "handlekommune"),
    "paying_municipality": ("payingmunicipality", "betalingskommune"),
    "contract": ("contract", "kontrakt", "kontrakttype"),
    "offer_kind": ("offerkind", "tilbudstype"),
    "start_date": ("startdate", "startdato", "start"),
    "respite_granted_days": ("respitegranteddays", "aflastningsdøgn", "bevilgedeaflastningsdøgn", "aflastning"),
    "negotiated_tariff": ("negotiatedtariff", "forhandlettakst"),
    "agreed_notice_months": ("agreednoticemonths", "aftaltopsigelsemåneder", "aftaltopsigelse", "opsigelsesvarsel"),
}
REQUIRED = ("cpr", "acting_municipality", "start_date")
_BY_HEADER = {alias: f for f, aliases in HEADERS.items() for alias in aliases}
_NOT_LETTERS = re.compile(r"[^0-9a-zæøå]")
_CPR_SHAPED = re.compile(r"\d{6}-?\d{4}")


class UnreadableFile(ValueError):
    """The file is not a list of placements at all; the Danish message names no content."""


@dataclass(frozen=True)
class FileRow:
    """One data row: field -> raw value (text, number, date) and field -> where it is in the file."""

    number: int  # 1-based row number in the file (the header is row 1)
    values: dict[str, object]
    sources: dict[str, str]
    source: str  # the row itself


@dataclass
class FileRead:
    rows: list[FileRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    xlsx: bool = False


def normalise_header(text: object) -> str:
    return _NOT_LETTERS.sub("", str(text or "").casefold().replace("oe", "ø").replace("aa", "å"))


def _header_name(text: object) -> str:
    """A header as a message may show it (a header could be anything, even a CPR number)."""
    shown = _CPR_SHAPED.sub("xxxxxx-xxxx", str(text or "").strip())
    return shown[:40]


def is_xlsx(raw: bytes, filename: str) -> bool:
    return raw[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm", ".xls", ".xlsb"))


def read_placements_file(raw: bytes, filename: str) -> FileRead:
    """The rows of an import file with their sources, and the reader's own findings.

    Raises ``UnsafeUpload`` for a workbook refused outright and ``UnreadableFile`` for anything that is not
    a CSV or XLSX list at all.
    """
    if not raw.strip():
        raise UnreadableFile(f"Filen '{filename}' er tom.")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise UnreadableFile("Filen er for stor (højst 5 MB).")
    if is_xlsx(raw, filename):
        return _read_xlsx(raw, filename)
    return _read_csv(raw, filename)


def _columns(headers: list[object], where: str, read: FileRead) -> dict[int, str]:
    """Column index -> field; findings for unknown, repeated and missing headers (at the header row)."""
    columns: dict[int, str] = {}
    for index, header in enumerate(headers):
        if header is None or not str(header).strip():
            continue
        name = _BY_HEADER.get(normalise_header(header))
        if name is None:
            read.findings.append(
                Finding(
                    RULE, Severity.WARNING, f"Kolonnen '{_header_name(header)}' kendes ikke og læses ikke.", "", where
                )
            )
        elif name in columns.values():
            read.findings.append(
                Finding(RULE, Severity.ERROR, f"Kolonnen '{_header_name(header)}' står der to gange.", name, where)
            )
        else:
            columns[index] = name
    for name in REQUIRED:
        if name not in columns.values():
            read.findings.append(
                Finding(
                    RULE, Severity.ERROR, f"Filen mangler kolonnen '{HEADERS[name][1]}' i første række.", name, where
                )
            )
    if "offer_code" not in columns.values() and "service_id" not in columns.values():
        read.findings.append(
            Finding(RULE, Severity.ERROR, "Filen mangler kolonnen 'tilbud' i første række.", "offer_code", where)
        )
    return columns


def _too_many(read: FileRead, where: str) -> None:
    read.findings.append(
        Finding(RULE, Severity.ERROR, f"Filen har flere end {MAX_ROWS} indskrivninger; del den op.", "", where)
    )


# --- CSV ----------------------------------------------------------------------------------------------------


def _decode(raw: bytes, filename: str) -> str:
    if b"\x00" in raw or raw[:4] in (b"\xd0\xcf\x11\xe0", b"%PDF"):
        raise UnreadableFile(f"Filen '{filename}' er hverken en CSV-fil eller en .xlsx-fil.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _read_csv(raw: bytes, filename: str) -> FileRead:
    text = _decode(raw, filename)
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableFile(f"Filen '{filename}' kan ikke læses som CSV.") from exc
    read = FileRead()
    if not rows:
        raise UnreadableFile(f"Filen '{filename}' er tom.")
    header_names = {i: str(h).strip() for i, h in enumerate(rows[0])}
    columns = _columns(list(rows[0]), f"{filename}, række 1", read)
    data_rows = 0
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            _too_many(read, f"{filename}, række {number}")
            break
        values: dict[str, object] = {columns[i]: c for i, c in enumerate(cells) if i in columns and c.strip()}
        sources = {
            columns[i]: f"{filename}, række {number}, kolonne {_header_name(header_names.get(i, ''))}" for i in columns
        }
        read.rows.append(FileRow(number, values, sources, f"{filename}, række {number}"))
    return read


# --- XLSX ---------------------------------------------------------------------------------------------------


def _read_xlsx(raw: bytes, filename: str) -> FileRead:
    check_xlsx_upload(raw, filename)
    workbook = open_workbook(raw, filename)
    try:
        sheets = [s for s in workbook.worksheets if isinstance(s, Worksheet)]
        if not sheets:
            raise UnsafeUpload(f"Filen '{filename}' har intet regneark med indskrivninger.")
        sheet = next((s for s in sheets if s.title.strip().casefold() == SHEET.casefold()), sheets[0])
        return _read_sheet(sheet, filename)
    finally:
        workbook.close()


def _read_sheet(sheet: Worksheet, filename: str) -> FileRead:
    """Only the cells under the header's columns, and at most ``MAX_ROWS`` rows: a sheet whose used range
    is larger (a stray cell at XFD1048576) is refused before a single row is read."""
    read = FileRead(xlsx=True)
    where = f"{filename}, ark {sheet.title}"
    if sheet.max_row > MAX_ROWS + 1 or sheet.max_column > MAX_COLUMNS:
        raise UnreadableFile(
            f"Arket {sheet.title} i '{filename}' er for stort: højst {MAX_ROWS} indskrivninger og {MAX_COLUMNS} "
            "kolonner. Slet tomme rækker og kolonner under og til højre for listen."
        )
    header = next(sheet.iter_rows(min_row=1, max_row=1), None)
    if header is None:
        raise UnreadableFile(f"Filen '{filename}' har ingen rækker.")
    columns = _columns([c.value for c in header], f"{where}, række 1", read)
    rows = sheet.iter_rows(min_row=2, max_col=max(columns, default=0) + 1)
    data_rows = 0
    for cells in rows:
        if not any(c.value is not None and str(c.value).strip() for c in cells):
            continue
        number = cells[0].row
        data_rows += 1
        if data_rows > MAX_ROWS:
            _too_many(read, f"{where}, række {number}")
            break
        values: dict[str, object] = {}
        sources: dict[str, str] = {}
        for index, name in columns.items():
            cell = cells[index] if index < len(cells) else None
            ref = f"{where}, celle {cell.coordinate}" if cell is not None else f"{where}, række {number}"
            sources[name] = ref
            if cell is None or cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
                continue
            if cell.data_type == "f":  # a formula arrives as its text, never evaluated
                read.findings.append(
                    Finding(
                        RULE,
                        Severity.ERROR,
                        f"Cellen {cell.coordinate} indeholder en formel. Skriv selve værdien i cellen.",
                        name,
                        ref,
                    )
                )
                continue
            if cell.data_type == "e":
                read.findings.append(
                    Finding(RULE, Severity.ERROR, f"Cellen {cell.coordinate} indeholder en fejlværdi.", name, ref)
                )
                continue
            values[name] = cell.value
        read.rows.append(FileRow(number, values, sources, f"{where}, række {number}"))
    return read
