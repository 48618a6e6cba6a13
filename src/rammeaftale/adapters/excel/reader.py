"""Reads a filled-in takstberegningsskema back into a tariff submission, with findings by sheet and cell.

``read_template`` refuses unsafe files (``UnsafeUpload``; also sheet data over ``safety.MAX_CELL_XML_BYTES``), recognises its own template by the hidden
``_meta`` sheet, reads the VALUES of column C (a formula typed into an input cell is a finding, never
evaluated), turns them into the public JSON shape and builds the submission with the domain's
``build_submission``. Floats from Excel become ``Decimal`` here, at the boundary.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from rammeaftale.adapters.excel.layout import (
    FORMAT_ID,
    FORMAT_VERSION,
    META_SHEET,
    NO,
    PENSION_KEY,
    ROWS,
    SALARY_BASIS_LINE,
    SHEET,
    VALUE_ROWS,
    YES,
    Row,
    ValueKind,
    category_row,
    cell_for_field,
    field_map,
    line_rows,
)
from rammeaftale.adapters.excel.safety import SAVE_AS_XLSX, UnsafeUpload, check_xlsx_upload
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.money import ORE, MoneyError, amount, reckonable
from rammeaftale.domain.submission import CATEGORIES, TariffSubmission, build_submission

NOT_OUR_TEMPLATE = "Filen er ikke et takstberegningsskema fra Rammeaftale"
TEMPLATE_RULE_ID = "R-TAR-02"
FORMULA_RULE_ID = "R-TAR-02"
META_FIELD_MAP_FIRST_ROW = 6
FINE = Decimal("0.0001")

_YES_NO = {"ja": True, "j": True, "nej": False, "n": False, "true": True, "false": False}
_DANISH_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
# A number typed as text: Danish ("1.234.567,89", "1234,5", "1.100.000") or a plain point decimal ("96.5").
# Anything else ("1,234.50", "12e3", "1.1.2027", "NaN") is ambiguous or not a number, and is never guessed.
_TEXT_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$|^[+-]?\d+\.\d+$")
_TEXT_SUFFIX = re.compile(r"(kr\.?|%)$", re.IGNORECASE)
_BLANKS = re.compile(r"[\s\u00a0\u202f]")
_LEVEL_INDEX = re.compile(r"^service\.levels\[(\d+)\]")


@dataclass(frozen=True)
class TemplateSpec:
    """What makes a workbook one of our templates: its sheet, format id and version, rows and field map."""

    sheet: str
    format_id: str
    version: str
    rows: tuple[Row, ...]
    fields: Mapping[str, str]
    not_ours: str  # "Filen er ikke et takstberegningsskema fra Rammeaftale"
    hint: str  # how to get a fresh template


TARIFF_TEMPLATE = TemplateSpec(
    SHEET,
    FORMAT_ID,
    FORMAT_VERSION,
    ROWS,
    field_map(),
    NOT_OUR_TEMPLATE,
    "Hent takstberegningsskemaet i Rammeaftale, udfyld det og upload det igen.",
)


def xlsx_source(filename: str, ref: str | None, sheet: str = SHEET) -> str:
    """``Takstberegning!C12`` -> ``indberetning.xlsx, ark Takstberegning, celle C12``."""
    if not ref:
        return f"{filename}, ark {sheet}"
    sheet, _, cell = ref.partition("!")
    return f"{filename}, ark {sheet}, celle {cell}"


def locate_xlsx(findings: tuple[Finding, ...] | list[Finding], filename: str) -> list[Finding]:
    """Give findings without a source (e.g. from ``domain.validation.assess``) their sheet and cell."""
    return [f if f.source else f.located(xlsx_source(filename, cell_for_field(f.field))) for f in findings]


def read_template(raw: bytes, filename: str) -> tuple[TariffSubmission | None, list[Finding]]:
    """Read an uploaded takstberegningsskema. Raises ``UnsafeUpload`` for files that are refused outright."""
    check_xlsx_upload(raw, filename)
    workbook = open_workbook(raw, filename)
    try:
        sheet, refusal = template_sheet(workbook, filename, TARIFF_TEMPLATE)
        if sheet is None:
            return None, refusal
        sink = CellSink(filename)
        values = read_values(sheet, VALUE_ROWS, sink)
        data, level_index = _assemble(values, sink)
    finally:
        workbook.close()
    submission, domain_findings = build_submission(data)
    return submission, [*sink.findings, *_locate_domain(domain_findings, sink, level_index)]


def _locate_domain(findings: list[Finding], sink: CellSink, level_index: Mapping[int, int]) -> list[Finding]:
    """Domain findings with their cell; dropped where the reader already flagged the same field."""
    flagged = {f.field for f in sink.findings}
    located = []
    for f in findings:
        field = _original_field(f.field, level_index)
        if field in flagged:
            continue
        source = xlsx_source(sink.filename, cell_for_field(field))
        located.append(Finding(f.rule_id, f.severity, f.message, field, source, f.needs_remark))
    return located


# --- opening and recognising the workbook --------------------------------------------------------


def open_workbook(raw: bytes, filename: str) -> Workbook:
    """Open a workbook that passed ``check_xlsx_upload``: values and formulas as written, no macros or links."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops; they are not ours
            return load_workbook(io.BytesIO(raw), read_only=False, data_only=False, keep_vba=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on odd but harmless files
        raise UnsafeUpload(f"Filen '{filename}' kunne ikke læses som Excel-projektmappe. {SAVE_AS_XLSX}") from exc


def template_sheet(
    workbook: Workbook, filename: str, spec: TemplateSpec
) -> tuple[Worksheet, list[Finding]] | tuple[None, list[Finding]]:
    """The template's input sheet, or None and the one finding that refuses the workbook."""
    problem = _template_problem(workbook, spec)
    if problem is not None:
        return None, [Finding(TEMPLATE_RULE_ID, Severity.ERROR, problem, "", filename)]
    sheet = workbook[spec.sheet]
    assert isinstance(sheet, Worksheet)  # checked by _template_problem
    moved = _moved_row(sheet, filename, spec)
    if moved is not None:
        return None, [moved]
    return sheet, []


def _template_problem(workbook: Workbook, spec: TemplateSpec) -> str | None:
    """Why the workbook is not our template (format id, version, field map), or None."""
    not_ours, hint = spec.not_ours, spec.hint
    if META_SHEET not in workbook.sheetnames or spec.sheet not in workbook.sheetnames:
        return f"{not_ours}. {hint}"
    meta = workbook[META_SHEET]
    if not isinstance(meta, Worksheet) or not isinstance(workbook[spec.sheet], Worksheet):  # e.g. a chart sheet
        return f"{not_ours}. {hint}"
    if meta["A1"].value != "format" or meta["B1"].value != spec.format_id:
        return f"{not_ours}. {hint}"
    version = str(meta["B2"].value or "").strip()
    if version != spec.version:
        return f"{not_ours} i en kendt version (skemaversion '{version}'). {hint}"
    if _meta_field_map(meta) != spec.fields:
        return f"{not_ours}: skemaets feltoversigt er ændret. {hint}"
    return None


def _meta_field_map(meta: Worksheet) -> dict[str, str]:
    found: dict[str, str] = {}
    for field, ref in meta.iter_rows(min_row=META_FIELD_MAP_FIRST_ROW, max_col=2, values_only=True):
        if field is None:
            break
        found[str(field)] = str(ref)
    return found


def _moved_row(sheet: Worksheet, filename: str, spec: TemplateSpec) -> Finding | None:
    """Rows inserted or deleted by hand would shift every value: check the labels in column A."""
    for row in spec.rows:
        label = sheet.cell(row.number, 1).value
        if str(label or "").strip() != row.label:
            return Finding(
                TEMPLATE_RULE_ID,
                Severity.ERROR,
                f"Skemaets opbygning er ændret: række {row.number} skulle hedde '{row.label}'. Indsæt eller slet "
                "ikke rækker; hent et nyt skema i Rammeaftale og overfør tallene.",
                "",
                f"{filename}, ark {spec.sheet}, celle A{row.number}",
            )
    return None


# --- reading cells -------------------------------------------------------------------------------


class CellSink:
    """Collects the reader's own findings, each with its cell."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.findings: list[Finding] = []

    def flag(self, row: Row, message: str, rule_id: str | None = None) -> None:
        source = xlsx_source(self.filename, row.ref)
        self.findings.append(Finding(rule_id or row.rule_id, Severity.ERROR, message, row.field, source))


def read_values(sheet: Worksheet, rows: tuple[Row, ...], sink: CellSink) -> dict[str, object]:
    """The non-empty values of ``rows`` by field, in the public JSON shape (numbers ``Decimal``)."""
    return {row.field: value for row in rows if (value := _read_cell(sheet[row.cell], row, sink)) is not None}


def _read_cell(cell: Cell, row: Row, sink: CellSink) -> object | None:
    """The cell's value in the public JSON shape, or None when empty or unreadable (then a finding)."""
    value = cell.value
    if cell.data_type == "f":  # data_only=False: a formula arrives as its text, never as a value
        sink.flag(
            row,
            f"Cellen {cell.coordinate} indeholder en formel. Skriv selve værdien i cellen i stedet for en formel.",
            FORMULA_RULE_ID,
        )
        return None
    if cell.data_type == "e":
        sink.flag(row, f"Cellen {cell.coordinate} indeholder fejlværdien {value}. Skriv den rigtige værdi.")
        return None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _PARSERS[row.value](value, cell, row, sink)


def _text(value: object, cell: Cell, row: Row, sink: CellSink) -> object | None:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


def _year(value: object, cell: Cell, row: Row, sink: CellSink) -> object | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    return int(text) if text.isdigit() else text  # build_submission reports a year it cannot read


def _number(value: object, cell: Cell, row: Row, sink: CellSink) -> object | None:
    if isinstance(value, (bool, datetime, date, time)):
        sink.flag(row, f"Cellen {cell.coordinate} skal indeholde et tal.")
        return None
    try:
        number = _to_decimal(value, row.value)
    except MoneyError as exc:
        sink.flag(row, f"Cellen {cell.coordinate}: {exc}")
        return None
    if number.is_zero():
        number = Decimal(0)  # "-0" is 0
    if row.value is ValueKind.PERCENT and not isinstance(value, str) and "%" in str(cell.number_format):
        number = _trim(number * 100)  # typed as "96 %": Excel stores 0.96
    return number


def _to_decimal(value: object, kind: ValueKind) -> Decimal:
    """Excel numbers are floats: ``Decimal(repr(v))``, rounded (amounts to øre); text goes through ``amount``.

    Both meet the money limits (``domain.money.reckonable``): no NaN or infinity, below 10^15, at most 28 digits.
    """
    if isinstance(value, float):
        exact = reckonable(Decimal(repr(value)))  # before rounding: 1e400 cannot even be quantized
        rounded = exact.quantize(ORE if kind is ValueKind.AMOUNT else FINE, rounding=ROUND_HALF_UP)
        return reckonable(_trim(rounded))  # rounding may carry up to 10^15
    if isinstance(value, str):
        return amount(_danish_text(value))
    return amount(value)


def _danish_text(text: str) -> str:
    """Danish text numbers: '1.100.000' is thousands (not 1.1); a typographic minus is a minus.

    Text that is not plainly a number ('1,234.50', '12e3', '1.1.2027', 'NaN') raises ``MoneyError``.
    """
    cleaned = text.strip().replace("\u2212", "-")
    compact = _TEXT_SUFFIX.sub("", _BLANKS.sub("", cleaned))
    if not _TEXT_NUMBER.match(compact):  # the text is not echoed: it may hold anything, also personal data
        raise MoneyError(
            "Teksten kan ikke læses entydigt som et tal. Skriv tallet med komma som decimaltegn, fx 1234,50."
        )
    return compact.replace(".", "") if _DANISH_THOUSANDS.match(compact) else compact


def _trim(number: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (1100000.00 -> 1100000)."""
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def _yes_no(value: object, cell: Cell, row: Row, sink: CellSink) -> object | None:
    if isinstance(value, bool):
        return value
    answer = _YES_NO.get(str(value).strip().casefold())
    if answer is None:
        sink.flag(row, f"Cellen {cell.coordinate} skal indeholde {YES} eller {NO}, ikke '{value}'.")
    return answer


def _choice(value: object, cell: Cell, row: Row, sink: CellSink) -> object | None:
    wanted = str(value).strip().casefold()
    for code, label in row.choices:
        if wanted in (code.casefold(), label.casefold()):
            return code
    options = ", ".join(f"'{label}'" for _, label in row.choices)
    sink.flag(row, f"Cellen {cell.coordinate}: '{value}' er ikke en af mulighederne {options}.")
    return None


_Parser = Callable[[object, Cell, Row, CellSink], object | None]
_PARSERS: dict[ValueKind, _Parser] = {
    ValueKind.TEXT: _text,
    ValueKind.YEAR: _year,
    ValueKind.AMOUNT: _number,
    ValueKind.NUMBER: _number,
    ValueKind.PERCENT: _number,
    ValueKind.YES_NO: _yes_no,
    ValueKind.CHOICE: _choice,
}


# --- from cell values to the public JSON shape ---------------------------------------------------


def _assemble(values: Mapping[str, object], sink: CellSink) -> tuple[dict[str, object], dict[int, int]]:
    """Nest the read values; returns the data and, for service levels, read index -> template index."""
    data: dict[str, object] = {}
    for field, value in values.items():
        if not field.startswith(("costs.", "service.levels[", "occupancy.previous_years[")):
            _set(data, field, value)
    previous = [values.get(f"occupancy.previous_years[{i}]") for i in range(2)]
    while previous and previous[-1] is None:
        previous.pop()
    if previous:
        _set(data, "occupancy.previous_years", previous)
    levels, level_index = _levels(values)
    if levels:
        _set(data, "service.levels", levels)
    costs = assemble_costs(values, sink)
    if costs:
        data["costs"] = costs
    return data, level_index


def _set(data: dict[str, object], field: str, value: object) -> None:
    *parents, last = field.split(".")
    node = data
    for key in parents:
        child = node.setdefault(key, {})
        assert isinstance(child, dict)
        node = child
    node[last] = value


def _levels(values: Mapping[str, object]) -> tuple[list[dict[str, object]], dict[int, int]]:
    """Filled service levels, empty ones skipped; remembers which template row each came from."""
    levels: list[dict[str, object]] = []
    level_index: dict[int, int] = {}
    for row in VALUE_ROWS:
        match = _LEVEL_INDEX.match(row.field)
        if match is None or not row.field.endswith(".name"):
            continue
        i = int(match.group(1))
        level = {
            key: values[f"service.levels[{i}].{key}"]
            for key in ("name", "hours_per_week")
            if f"service.levels[{i}].{key}" in values
        }
        if level:
            level_index[len(levels)] = i
            levels.append(level)
    return levels, level_index


def assemble_costs(
    values: Mapping[str, object],
    sink: CellSink,
    heading_of: Callable[[str], Row] = category_row,
    lines_of: Callable[[str], tuple[Row, ...]] = line_rows,
) -> dict[str, object]:
    """The ``costs`` object from the read cells: per category its lines, else its heading's total.

    ``heading_of`` and ``lines_of`` give a category's rows in the template being read (tariff by default).
    """
    costs: dict[str, object] = {}
    for spec in CATEGORIES:
        heading = heading_of(spec.key)
        total = values.get(heading.field)
        lines = {row.field.rsplit(".", 1)[1]: values[row.field] for row in lines_of(spec.key) if row.field in values}
        if spec.key == PENSION_KEY:
            value = _pension(total, values.get(f"costs.{PENSION_KEY}.{SALARY_BASIS_LINE}"), heading, sink)
        elif lines:
            if total is not None and total != _line_sum(lines):
                sink.flag(
                    heading,
                    f"Kategoriens samlede beløb i {heading.cell} svarer ikke til summen af linjerne. Udfyld enten "
                    "linjerne eller kun det samlede beløb.",
                )
            value = lines
        else:
            value = total
        if value is not None:
            costs[spec.key] = value
    return costs


def _line_sum(lines: Mapping[str, object]) -> Decimal:
    return sum((v for v in lines.values() if isinstance(v, Decimal)), Decimal(0))


def _pension(total: object, salary: object, heading: Row, sink: CellSink) -> object:
    """R-TAR-07: actual pension cost, or the salary it is a percentage of; not both."""
    if salary is None:
        return total
    if total is not None:
        sink.flag(
            heading,
            "Angiv enten den faktiske udgift til tjenestemandspension eller lønsummen, ikke begge.",
            "R-TAR-07",
        )
        return total
    return {SALARY_BASIS_LINE: salary}


def _original_field(field: str, level_index: Mapping[int, int]) -> str:
    """``service.levels[0]`` of the read data may be the template's third level: point at its row."""
    match = _LEVEL_INDEX.match(field)
    if match is None:
        return field
    i = level_index.get(int(match.group(1)), int(match.group(1)))
    return f"service.levels[{i}]{field[match.end() :]}"
