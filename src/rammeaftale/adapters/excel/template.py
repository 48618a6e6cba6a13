"""Writes the tariff submission workbook (takstberegningsskema) from the layout.

``write_template`` fills column C from ``prefill`` and column D from ``last_year`` (both in the public
JSON shape, possibly partial) and adds the Danish guide, dropdowns, number formats, a cost-base
preview formula and a hidden ``_meta`` sheet that lets the reader recognise its own template.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from rammeaftale.adapters.excel.layout import (
    BANNER_ROW,
    COLUMN_HEADINGS,
    FORMAT_ID,
    FORMAT_VERSION,
    GUIDE_SHEET,
    HEADER_ROW,
    LAST_YEAR_COLUMN,
    META_SHEET,
    NO,
    PENSION_KEY,
    PREVIEW_ROW,
    ROWS,
    SALARY_BASIS_LINE,
    SHEET,
    TITLE_ROW,
    VALUE_COLUMN,
    VALUE_ROWS,
    YES,
    Row,
    RowKind,
    ValueKind,
    category_row,
    field_map,
    line_rows,
)
from rammeaftale.adapters.excel.paths import get_path
from rammeaftale.adapters.rulesets import UnknownRuleSet, get_ruleset
from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.domain.rules import RuleSet, RuleSetError
from rammeaftale.domain.submission import CATEGORIES, CATEGORY_BY_KEY

AMOUNT_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00"
YEAR_FORMAT = "0"
TEXT_FORMAT = "@"
NUMBER_FORMATS = {
    ValueKind.AMOUNT: AMOUNT_FORMAT,
    ValueKind.NUMBER: AMOUNT_FORMAT,
    ValueKind.PERCENT: PERCENT_FORMAT,
    ValueKind.YEAR: YEAR_FORMAT,
    ValueKind.TEXT: TEXT_FORMAT,
}
NUMERIC_KINDS = (ValueKind.AMOUNT, ValueKind.NUMBER, ValueKind.PERCENT)

FICTITIOUS_BANNER = "FIKTIVE DEMODATA – alle tilbud, takster og beløb i dette skema er opdigtede."
INSTRUCTION_BANNER = "Udfyld de hvide felter i kolonne C. Læs arket 'Vejledning' først."

_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_BANNER_FONT = Font(bold=True, color="FFFFFF", size=12)
_HEADER_FILL = PatternFill("solid", fgColor="BDD7EE")
_SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
_CATEGORY_FILL = PatternFill("solid", fgColor="EDF3FA")
_LAST_YEAR_FILL = PatternFill("solid", fgColor="D9D9D9")
_PREVIEW_FILL = PatternFill("solid", fgColor="FFF2CC")
_BANNER_FILL = PatternFill("solid", fgColor="C00000")
_THIN = Side(style="thin", color="808080")
_INPUT_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_UNLOCKED = Protection(locked=False)
_LOCKED = Protection(locked=True)
COLUMN_WIDTHS = {"A": 48, "B": 62, "C": 24, "D": 18}


def write_template(
    prefill: Mapping[str, object],
    last_year: Mapping[str, object] | None = None,
    *,
    fictitious: bool = False,
) -> bytes:
    """The takstberegningsskema as XLSX bytes, prefilled from ``prefill``, last year's figures from ``last_year``."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = SHEET
    _write_heading(sheet, prefill, fictitious)
    for row in ROWS:
        write_row(sheet, row, prefill, last_year)
    ruleset = _ruleset_for(prefill)
    _write_preview(sheet, ruleset.decimal("civil_servant_pension_pct") if ruleset else None)
    _add_dropdowns(sheet)
    _finish_sheet(sheet)
    _write_guide(workbook.create_sheet(GUIDE_SHEET), ruleset, fictitious)
    _write_meta(workbook.create_sheet(META_SHEET), fictitious)
    workbook.active = 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- heading and rows ---------------------------------------------------------------------------


def title_for(prefill: Mapping[str, object]) -> str:
    name = get_path(prefill, "offer.name")
    year = get_path(prefill, "budget_year")
    parts = ["Takstberegningsskema", str(name or "").strip(), str(year or "").strip()]
    return " ".join(part for part in parts if part)


def _write_heading(sheet: Worksheet, prefill: Mapping[str, object], fictitious: bool) -> None:
    write_heading(sheet, title_for(prefill), FICTITIOUS_BANNER if fictitious else INSTRUCTION_BANNER, COLUMN_HEADINGS)


def write_heading(sheet: Worksheet, title: str, banner_text: str, headings: Sequence[str]) -> None:
    """Title, the banner (the fictitious-demo warning, highlighted, or the instruction) and the column headings."""
    _set_text(sheet.cell(TITLE_ROW, 1), title).font = _TITLE_FONT
    banner = sheet.cell(BANNER_ROW, 1, banner_text)
    if banner_text == FICTITIOUS_BANNER:
        banner.font = _BANNER_FONT
        for column in range(1, 5):
            sheet.cell(BANNER_ROW, column).fill = _BANNER_FILL
    else:
        banner.font = Font(italic=True)
    for column, heading in enumerate(headings, start=1):
        cell = sheet.cell(HEADER_ROW, column, heading)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL


def write_row(
    sheet: Worksheet,
    row: Row,
    prefill: Mapping[str, object],
    comparison: Mapping[str, object] | None,
    *,
    compare_categories_only: bool = False,
) -> None:
    """One row: label, help, the input in column C and the locked comparison figure (last year's, or the
    budget of the accounts template, which compares cost lines only) in column D."""
    label = sheet.cell(row.number, 1, row.label)
    help_cell = sheet.cell(row.number, 2, row.help)
    help_cell.alignment = _WRAP
    if row.kind is RowKind.SECTION:
        for column in range(1, 5):
            sheet.cell(row.number, column).fill = _SECTION_FILL
        label.font = _BOLD
        return
    if row.kind is RowKind.CATEGORY:
        label.font = _BOLD
        for column in (1, 2):
            sheet.cell(row.number, column).fill = _CATEGORY_FILL
    elif row.category:
        label.alignment = Alignment(indent=2)
    if row.kind is RowKind.PREVIEW:
        label.font = _BOLD
        return
    _write_input(sheet.cell(row.number, 3), row, _value_for(row, prefill, summarise=False))
    compared = comparison is not None and (bool(row.category) or not compare_categories_only)
    last = _value_for(row, comparison, summarise=True) if compared and comparison is not None else None
    _write_last_year(sheet.cell(row.number, 4), row, last)


def _write_input(cell: Cell, row: Row, value: object) -> None:
    excel_value = to_excel(row, value)
    if isinstance(excel_value, str):
        _set_text(cell, excel_value)
    else:
        cell.value = excel_value
    cell.number_format = NUMBER_FORMATS.get(row.value, "General")
    cell.border = _INPUT_BORDER
    cell.protection = _UNLOCKED
    if row.field == "remarks" or row.field.endswith(("reason", "description")):
        cell.alignment = _WRAP


def _write_last_year(cell: Cell, row: Row, value: object) -> None:
    excel_value = to_excel(row, value)
    if isinstance(excel_value, str):
        _set_text(cell, excel_value)
    else:
        cell.value = excel_value
    cell.number_format = NUMBER_FORMATS.get(row.value, "General")
    cell.fill = _LAST_YEAR_FILL
    cell.protection = _LOCKED


def _set_text(cell: Cell, text: str) -> Cell:
    """Write text as text: a leading '=' must never become a formula (formula injection)."""
    cell.value = text
    cell.data_type = "s"
    return cell


def _value_for(row: Row, data: Mapping[str, object] | None, *, summarise: bool) -> object:
    """The value of a row's field in ``data``; a category heading shows the category total."""
    if data is None:
        return None
    if row.kind is RowKind.CATEGORY:
        return _category_value(get_path(data, "costs"), row.category, summarise)
    if row.category:
        costs = get_path(data, "costs")
        lines = costs.get(row.category) if isinstance(costs, Mapping) else None
        line = row.field.rsplit(".", 1)[1]
        return lines.get(line) if isinstance(lines, Mapping) else None
    return get_path(data, row.field)


def _category_value(costs: object, key: str, summarise: bool) -> object:
    value = costs.get(key) if isinstance(costs, Mapping) else None
    if not isinstance(value, Mapping):
        return value
    if "total" in value:
        return value["total"]
    if not summarise or key == PENSION_KEY:
        return None
    known = {name for name, _ in CATEGORY_BY_KEY[key].lines}
    parsed = [_decimal_or_none(v) for line, v in value.items() if line in known]
    numbers = [d for d in parsed if d is not None]
    return sum(numbers, Decimal(0)) if numbers else None


def _decimal_or_none(value: object) -> Decimal | None:
    if isinstance(value, float):
        value = Decimal(repr(value))
    try:
        return amount(value)
    except MoneyError:
        return None


def to_excel(row: Row, value: object) -> object:
    """A public-shape value as the cell should show it (Danish labels, numbers as numbers)."""
    if value is None or value == "":
        return None
    if row.value is ValueKind.YES_NO:
        return (YES if value else NO) if isinstance(value, bool) else str(value)
    if row.value is ValueKind.CHOICE:
        return dict(row.choices).get(str(value), str(value))
    if row.value is ValueKind.YEAR:
        return value if isinstance(value, int) and not isinstance(value, bool) else str(value)
    if row.value in NUMERIC_KINDS:
        number = _decimal_or_none(value) if not isinstance(value, bool) else None
        if number is None:
            return str(value)
        return int(number) if number == number.to_integral_value() else number
    return str(value)


# --- preview, dropdowns, protection -------------------------------------------------------------


def _ruleset_for(prefill: Mapping[str, object]) -> RuleSet | None:
    """The rule set the prefill names, when it is known (for R-TAR-07's rate and the guide's limits)."""
    ruleset_id = prefill.get("ruleset")
    if not isinstance(ruleset_id, str) or not ruleset_id:
        return None
    try:
        return get_ruleset(ruleset_id)
    except (UnknownRuleSet, RuleSetError):
        return None


def cost_base_formula(column: str, pension_pct: Decimal | None) -> str:
    """R-TAR-03 as an Excel formula: per category its lines if any are filled, else its heading total."""
    terms: list[str] = []
    for spec in CATEGORIES:
        heading = f"{column}{category_row(spec.key).number}"
        lines = line_rows(spec.key)
        if lines:
            cells = f"{column}{lines[0].number}:{column}{lines[-1].number}"
            term = f"IF(COUNT({cells})>0,SUM({cells}),N({heading}))"
        else:
            term = f"N({heading})"
        if spec.key == PENSION_KEY and pension_pct is not None:
            salary = f"{column}{_salary_row().number}"
            term = f"IF(ISNUMBER({salary}),ROUND({salary}*{pension_pct}/100,2),N({heading}))"
        terms.append(("-" if spec.sign < 0 else "+") + term)
    return "=" + "".join(terms).lstrip("+")


def _salary_row() -> Row:
    return next(row for row in VALUE_ROWS if row.field == f"costs.{PENSION_KEY}.{SALARY_BASIS_LINE}")


def _write_preview(sheet: Worksheet, pension_pct: Decimal | None) -> None:
    for column, fill in ((VALUE_COLUMN, _PREVIEW_FILL), (LAST_YEAR_COLUMN, _LAST_YEAR_FILL)):
        cell = sheet[f"{column}{PREVIEW_ROW.number}"]
        cell.value = cost_base_formula(column, pension_pct)
        cell.number_format = AMOUNT_FORMAT
        cell.font = _BOLD
        cell.fill = fill
        cell.protection = _LOCKED
    if pension_pct is None:
        note = " Tjenestemandspension ud fra lønsum indgår ikke, fordi regelsættet ikke er kendt."
        help_cell = sheet.cell(PREVIEW_ROW.number, 2)
        help_cell.value = f"{help_cell.value}{note}"


def _add_dropdowns(sheet: Worksheet, rows: tuple[Row, ...] = VALUE_ROWS) -> None:
    for row in rows:
        if row.value is ValueKind.CHOICE:
            options = [label for _, label in row.choices]
        elif row.value is ValueKind.YES_NO:
            options = [YES, NO]
        else:
            continue
        assert all("," not in option for option in options), "list validation items cannot contain commas"
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(options) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Ugyldig værdi",
            error="Vælg en værdi fra listen.",
        )
        sheet.add_data_validation(validation)
        validation.add(row.cell)


def _finish_sheet(sheet: Worksheet) -> None:
    for column, width in COLUMN_WIDTHS.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    # Labels, help and last year's figures are locked; only column C's input cells are open.
    # No password: the protection guards against accidental edits, not against the operator.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


# --- guide and meta -----------------------------------------------------------------------------

GUIDE: tuple[tuple[str, str], ...] = (
    ("Sådan udfylder du takstberegningsskemaet", ""),
    (
        "",
        "Skemaet er tilbuddets takstindberetning for ét budgetår. Udfyld de hvide felter i kolonne C på arket "
        "'Takstberegning'. Kolonne D viser sidste års tal til sammenligning og kan ikke ændres. Upload derefter "
        "filen i Rammeaftale; alle fejl og advarsler vises samlet med ark og celle.",
    ),
    ("Beløb", ""),
    (
        "",
        "Beløb angives i hele kroner (fx 1100000) eller med komma som decimaltegn (fx 1.100.000,50). Skriv "
        "tal, ikke formler: en celle med en formel afvises, og du bliver bedt om at skrive værdien (R-TAR-02).",
    ),
    (
        "",
        "En kategori kan fordeles på linjer, eller du kan skrive kategoriens samlede beløb i kategoriens "
        "overskriftsrække. Udfyld ikke begge dele med forskellige beløb (R-TAR-02).",
    ),
    (
        "",
        "Ingen omkostningslinje må være negativ, undtagen regulering. Finansieringsindtægter (kategori 7) "
        "indtastes positivt; de trækkes fra i takstberegningsgrundlaget (R-TAR-03).",
    ),
    (
        "",
        "Finansiel leasing angives enten som leasingydelser eller som afskrivning og renter, ikke begge (R-TAR-10).",
    ),
    (
        "",
        "Tjenestemandspension angives som den faktiske udgift. Kendes den ikke, angives lønsummen, og "
        "pensionen beregnes som regelsættets procent af lønnen (R-TAR-07).",
    ),
    (
        "",
        "Regulering af tidligere års over- og underskud: + for underskud, − for overskud. Et overskud eller "
        "underskud ud over regelsættets grænse skal indregnes senest i regnskabsåret + 2 (R-SUR-03, R-SUR-05).",
    ),
    ("Belægning", ""),
    (
        "",
        "Belægningen angives i procent, fx 96. Dag- og døgntilbud skal budgettere inden for regelsættets "
        "grænser (R-OCC-01); korttidsophold, akuttilbud og aflastning har deres egen nedre grænse (R-OCC-02).",
    ),
    (
        "",
        "Metoder (R-OCC-03): 'Gennemsnit af de to foregående års faktiske belægning' – udfyld begge års "
        "faktiske belægning; 'Forventet belægning med begrundelse' – skriv begrundelsen; 'Nyt tilbud: forventet "
        "belægning første år' – kun for nye tilbud (R-NEW-01).",
    ),
    ("Ydelse og takstmodel", ""),
    (
        "",
        "Døgntaksten er takstberegningsgrundlaget divideret med pladser × dage i takståret × belægning (R-TAR-01, "
        "R-TAR-03). Ved basistakst + ydelsesniveauer angives hvert niveau i timer pr. uge; ydelsestaksten er "
        "timer × timepris / 7 (R-TAR-04). Direkte borgerrettede timer pr. år viser, hvor meget støtte taksten "
        "indeholder (R-TAR-12).",
    ),
    (
        "",
        "Time- og enhedstakster kræver budgetterede timer eller enheder (R-TAR-03). Sundhedsydelser, der "
        "indgår i taksten, skal beskrives (R-TAR-09).",
    ),
    ("Sidste år og bemærkninger", ""),
    (
        "",
        "Ændres taksten mere end regelsættets grænse i forhold til sidste år, eller ændres antallet af "
        "pladser, skal du begrunde det i feltet Bemærkninger (R-TAR-13, R-GOV-03). Indberetningen skal være "
        "modtaget inden fristen (R-CYC-02).",
    ),
    ("Regler", ""),
    (
        "",
        "Regel-id'erne (R-…) i skemaet og i fejlmeddelelserne henviser til håndbogen for rammeaftalen og "
        "styringsaftalens regelsæt for regionen og perioden.",
    ),
)


def ruleset_guide(ruleset: RuleSet) -> tuple[tuple[str, str], ...]:
    """The limits of the rule set the template is made for, in the operator's words."""

    def pct(name: str) -> str:
        return f"{ruleset.decimal(name):f}".replace(".", ",") + " %"

    text = (
        f"{ruleset.agreement_name} ({ruleset.id}): budgetteret belægning for dag- og døgntilbud "
        f"{pct('occupancy_min_pct')}–{pct('occupancy_max_pct')}, anbefalet {pct('occupancy_recommended_min_pct')}–"
        f"{pct('occupancy_recommended_max_pct')} (R-OCC-01); korttid, akut og aflastning mindst "
        f"{pct('occupancy_min_pct_short_stay')} (R-OCC-02); tjenestemandspension {pct('civil_servant_pension_pct')} "
        f"af lønsummen (R-TAR-07); væsentlig takstændring over {pct('significant_tariff_change_pct')} (R-TAR-13); "
        f"{ruleset.days_in_year} dage i takståret (R-TAR-01)."
    )
    return (("Regelsættets grænser", ""), ("", text))


def _write_guide(sheet: Worksheet, ruleset: RuleSet | None, fictitious: bool) -> None:
    write_guide(sheet, GUIDE + (ruleset_guide(ruleset) if ruleset else ()), fictitious)


def write_guide(sheet: Worksheet, guide: tuple[tuple[str, str], ...], fictitious: bool) -> None:
    """A guide sheet: (heading, "") rows in bold (the first as title), ("", text) rows wrapped."""
    sheet.column_dimensions["A"].width = 110
    row = 1
    if fictitious:
        cell = sheet.cell(row, 1, FICTITIOUS_BANNER)
        cell.font = _BANNER_FONT
        cell.fill = _BANNER_FILL
        row += 2
    for index, (heading, text) in enumerate(guide):
        cell = sheet.cell(row, 1, heading or text)
        if heading:
            cell.font = _TITLE_FONT if index == 0 else _BOLD
        else:
            cell.alignment = _WRAP
        row += 1
    sheet.protection.sheet = True


META_FIELD_HEADER_ROW = 5


def _write_meta(
    sheet: Worksheet,
    fictitious: bool,
    format_id: str = FORMAT_ID,
    version: str = FORMAT_VERSION,
    fields: Mapping[str, str] | None = None,
) -> None:
    """The hidden sheet the reader recognises its template by: format id, version and the field map."""
    sheet.sheet_state = "hidden"
    sheet.append(["format", format_id])
    sheet.append(["version", version])
    sheet.append(["fictitious", YES if fictitious else NO])
    sheet.append([])
    sheet.append(["field", "cell"])
    for field, ref in (field_map() if fields is None else fields).items():
        sheet.append([field, ref])
    sheet.protection.sheet = True
