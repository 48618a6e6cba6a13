"""The takstberegningsskema template: layout, Danish UI, dropdowns, preview formula and hidden meta sheet."""

from __future__ import annotations

import io
import json
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from rammeaftale.adapters.excel.layout import (
    FORMAT_ID,
    FORMAT_VERSION,
    GUIDE_SHEET,
    META_SHEET,
    PREVIEW_ROW,
    ROW_BY_FIELD,
    SHEET,
    VALUE_ROWS,
    cell_for_field,
    field_map,
)
from rammeaftale.adapters.excel.reader import read_template
from rammeaftale.adapters.excel.template import write_template
from rammeaftale.domain.submission import CATEGORIES

FIXTURE = Path(__file__).parents[1] / "fixtures" / "fjordgaarden-2026.json"


def fjordgaarden() -> dict[str, object]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"), parse_float=Decimal)
    assert isinstance(data, dict)
    return data


def open_sheet(raw: bytes, name: str = SHEET) -> Worksheet:
    sheet = load_workbook(io.BytesIO(raw))[name]
    assert isinstance(sheet, Worksheet)
    return sheet


def cell(field: str) -> str:
    return ROW_BY_FIELD[field].cell


class Blank(Decimal):
    """An empty cell: 0 in arithmetic (as in Excel), but not a number for COUNT and ISNUMBER."""


def evaluate_preview(sheet: Worksheet, formula: str) -> Decimal:
    """Evaluate the preview formula's small Excel subset (IF, COUNT, SUM, N, ISNUMBER, ROUND) in Python."""

    def value(ref: str) -> object:
        v = sheet[ref].value
        if v is None:
            return Blank(0)
        return Decimal(str(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    def cells(first: str, last: str) -> list[object]:
        return [value(c.coordinate) for row in sheet[f"{first}:{last}"] for c in row]

    def is_number(v: object) -> bool:
        return isinstance(v, Decimal) and not isinstance(v, Blank)

    def numbers(values: list[object]) -> list[Decimal]:
        return [v for v in values if isinstance(v, Decimal) and is_number(v)]

    functions = {
        "IF": lambda condition, yes, no: yes if condition else no,
        "COUNT": lambda values: len(numbers(values)),
        "SUM": lambda values: sum(numbers(values), Decimal(0)),
        "N": lambda v: v if isinstance(v, Decimal) else Decimal(0),
        "ISNUMBER": is_number,
        "ROUND": lambda v, places: v.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP),
        "rng": lambda first, last: cells(first, last),
        "ref": value,
    }
    expression = formula.removeprefix("=")
    expression = re.sub(r"\b([A-Z]+\d+):([A-Z]+\d+)\b", r'rng("\1","\2")', expression)
    expression = re.sub(r'(?<!")\b([A-Z]{1,2}\d+)\b(?!")', r'ref("\1")', expression)
    expression = re.sub(r"(?<![\w.])(\d+)(?![\w.])", r'Decimal("\1")', expression)
    expression = expression.replace(',Decimal("2"))', ",2)")
    result = eval(expression, {"Decimal": Decimal, **functions})
    assert isinstance(result, Decimal)
    return result


def test_the_workbook_has_the_takstberegning_sheet_a_danish_guide_and_a_hidden_meta_sheet() -> None:
    workbook = load_workbook(io.BytesIO(write_template(fjordgaarden())))
    assert workbook.sheetnames == [SHEET, GUIDE_SHEET, META_SHEET]
    assert workbook[META_SHEET].sheet_state == "hidden"
    meta = workbook[META_SHEET]
    assert (meta["A1"].value, meta["B1"].value) == ("format", FORMAT_ID)
    assert (meta["A2"].value, meta["B2"].value) == ("version", FORMAT_VERSION)
    guide = " ".join(str(c.value) for row in workbook[GUIDE_SHEET].iter_rows() for c in row if c.value)
    for phrase in ("komma", "positivt", "+ for underskud, − for overskud", "R-OCC-03", "R-TAR-07", "R-TAR-13"):
        assert phrase in guide


def test_the_meta_sheet_carries_the_field_map_the_reader_checks() -> None:
    meta = load_workbook(io.BytesIO(write_template({})))[META_SHEET]
    rows = {str(a): str(b) for a, b in meta.iter_rows(min_row=6, max_col=2, values_only=True) if a}
    assert rows == field_map()
    assert rows["occupancy.percent"] == cell_for_field("occupancy.percent")


def test_the_title_names_the_offer_and_the_budget_year() -> None:
    sheet = open_sheet(write_template(fjordgaarden()))
    assert sheet["A1"].value == "Takstberegningsskema Fjordgården 2026"


def test_a_fictitious_template_shows_the_fiktive_demodata_banner_on_both_sheets() -> None:
    raw = write_template(fjordgaarden(), fictitious=True)
    assert "FIKTIVE DEMODATA" in str(open_sheet(raw)["A2"].value)
    assert "FIKTIVE DEMODATA" in str(open_sheet(raw, GUIDE_SHEET)["A1"].value)
    assert "FIKTIVE DEMODATA" not in str(open_sheet(write_template(fjordgaarden()))["A2"].value)


def test_prefill_fills_column_c_with_danish_labels_and_numbers() -> None:
    sheet = open_sheet(write_template(fjordgaarden()))
    assert sheet[cell("offer.name")].value == "Fjordgården"
    assert sheet[cell("offer.kind")].value == "Døgntilbud"
    assert sheet[cell("offer.new")].value == "Nej"
    assert sheet[cell("occupancy.method")].value == "Forventet belægning med begrundelse"
    assert sheet[cell("occupancy.percent")].value == 96
    assert sheet[cell("costs.personnel.top_management")].value == 1100000
    assert sheet[cell("costs.activities")].value == 600000  # a category given as one number goes in its heading
    assert sheet[cell("costs.regulation")].value == -250000


def test_last_year_fills_column_d_grey_and_locked_with_category_totals() -> None:
    last_year = fjordgaarden()
    sheet = open_sheet(write_template(fjordgaarden(), last_year))
    row = ROW_BY_FIELD["costs.personnel"].number
    assert sheet[f"D{row}"].value == 13900000
    assert sheet[f"D{row + 1}"].value == 1100000
    assert sheet[f"D{row}"].fill.fgColor.rgb.endswith("D9D9D9")
    assert sheet[f"D{row}"].protection.locked
    assert not sheet[f"C{row}"].protection.locked
    assert sheet.protection.sheet


def test_amount_cells_use_a_thousands_number_format_with_two_decimals() -> None:
    sheet = open_sheet(write_template(fjordgaarden()))
    assert sheet[cell("costs.personnel.top_management")].number_format == "#,##0.00"
    assert sheet[cell("last_year.tariff")].number_format == "#,##0.00"


@pytest.mark.parametrize(
    ("field", "options"),
    [
        ("offer.kind", "Døgntilbud"),
        ("occupancy.method", "Gennemsnit af de to foregående års faktiske belægning"),
        ("service.type", "Basistakst + ydelsesniveauer"),
        ("offer.new", "Ja,Nej"),
        ("health_services.included", "Ja,Nej"),
    ],
)
def test_choice_fields_have_a_dropdown_with_danish_options(field: str, options: str) -> None:
    sheet = open_sheet(write_template({}))
    validations = [dv for dv in sheet.data_validations.dataValidation if cell(field) in dv.sqref]
    assert len(validations) == 1
    assert validations[0].type == "list"
    assert options in str(validations[0].formula1)


def test_the_cost_base_preview_formula_gives_the_worked_example_r_tar_03() -> None:
    sheet = open_sheet(write_template(fjordgaarden(), fjordgaarden()))
    for column in ("C", "D"):
        formula = sheet[f"{column}{PREVIEW_ROW.number}"].value
        assert str(formula).startswith("=")
        assert evaluate_preview(sheet, str(formula)) == Decimal("17410000")


def test_the_preview_applies_the_rule_set_pension_rate_to_a_salary_basis_r_tar_07() -> None:
    data = fjordgaarden()
    costs = data["costs"]
    assert isinstance(costs, dict)
    costs["civil_servant_pension"] = {"salary_basis": 400000}
    sheet = open_sheet(write_template(data))
    assert evaluate_preview(sheet, str(sheet[PREVIEW_ROW.cell].value)) == Decimal("17410000")


def test_the_preview_formula_is_not_read_back_as_an_input() -> None:
    _, findings = read_template(write_template(fjordgaarden()), "indberetning.xlsx")
    assert findings == []


def test_text_starting_with_equals_is_written_as_text_never_as_a_formula() -> None:
    data = fjordgaarden()
    data["remarks"] = '=HYPERLINK("http://example.invalid","klik")'
    raw = write_template(data)
    sheet = open_sheet(raw)
    assert sheet[cell("remarks")].data_type == "s"
    submission, findings = read_template(raw, "indberetning.xlsx")
    assert findings == []
    assert submission is not None
    assert submission.remarks == data["remarks"]


def test_a_blank_template_has_no_values_in_column_c() -> None:
    sheet = open_sheet(write_template({}))
    assert sheet["A1"].value == "Takstberegningsskema"
    assert all(sheet[row.cell].value is None for row in VALUE_ROWS)


def test_every_cost_line_of_every_category_has_a_cell() -> None:
    for spec in CATEGORIES:
        assert cell_for_field(f"costs.{spec.key}") is not None
        for line, _ in spec.lines:
            expected = f"costs.{spec.key}" if line == "total" else f"costs.{spec.key}.{line}"
            assert expected in ROW_BY_FIELD
    assert "costs.civil_servant_pension.salary_basis" in ROW_BY_FIELD


@pytest.mark.parametrize(
    ("field", "expected_field"),
    [
        ("occupancy.percent", "occupancy.percent"),
        ("costs.personnel.top_management", "costs.personnel.top_management"),
        ("costs.personnel", "costs.personnel"),
        ("costs.activities.total", "costs.activities"),
        ("costs", "costs"),
        ("service.levels", "service.levels[0].name"),
        ("service.levels[9].hours_per_week", "service.levels[0].name"),
        ("offer", "offer.id"),
    ],
)
def test_cell_for_field_finds_the_cell_or_the_nearest_enclosing_one(field: str, expected_field: str) -> None:
    assert cell_for_field(field) == f"{SHEET}!{ROW_BY_FIELD[expected_field].cell}"


def test_cell_for_field_gives_none_for_an_unknown_field() -> None:
    assert cell_for_field("nonsense.field") is None
    assert cell_for_field("") is None


def test_the_cost_base_field_points_at_the_preview_cell() -> None:
    assert cell_for_field("costs") == f"{SHEET}!C{PREVIEW_ROW.number}"


def test_the_template_opens_in_libreoffice_with_its_danish_labels_and_prefilled_figures(tmp_path, libreoffice_csv):
    prefill = json.loads((Path(__file__).parents[1] / "fixtures" / "fjordgaarden-2026.json").read_text())
    source = tmp_path / "skabelon.xlsx"
    source.write_bytes(write_template(prefill, None, fictitious=True))
    text = libreoffice_csv(source)
    assert "Fjordgården" in text
    assert "11400000" in text.replace(".", "").replace(",", "")
