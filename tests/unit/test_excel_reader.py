"""Reading a filled-in takstberegningsskema: values, Danish numbers, formulas and findings by sheet and cell."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference

from rammeaftale.adapters.excel.layout import FORMAT_ID, FORMAT_VERSION, META_SHEET, ROW_BY_FIELD, SHEET, field_map
from rammeaftale.adapters.excel.reader import NOT_OUR_TEMPLATE, locate_xlsx, read_template
from rammeaftale.adapters.excel.template import write_template
from rammeaftale.adapters.rulesets import get_ruleset
from rammeaftale.domain.findings import Finding, Severity
from rammeaftale.domain.submission import (
    OccupancyMethod,
    OfferKind,
    TariffSubmission,
    TariffType,
    submission_to_data,
)
from rammeaftale.domain.validation import Assessment, assess

FIXTURE = Path(__file__).parents[1] / "fixtures" / "fjordgaarden-2026.json"
FILENAME = "indberetning.xlsx"
NORDJYLLAND = "nordjylland-2025-2026"


def fjordgaarden() -> dict[str, object]:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"), parse_float=Decimal)
    assert isinstance(data, dict)
    return data


def cell(field: str) -> str:
    return ROW_BY_FIELD[field].cell


def source(field: str) -> str:
    return f"{FILENAME}, ark {SHEET}, celle {cell(field)}"


def edited(raw: bytes, changes: dict[str, object], number_formats: dict[str, str] | None = None) -> bytes:
    """The template as an operator saves it after typing ``changes`` (cell -> value) into the sheet."""
    workbook = load_workbook(io.BytesIO(raw))
    sheet = workbook[SHEET]
    for ref, value in changes.items():
        sheet[ref] = value
    for ref, number_format in (number_formats or {}).items():
        sheet[ref].number_format = number_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fjordgaarden_with(changes: dict[str, object], number_formats: dict[str, str] | None = None) -> bytes:
    return edited(write_template(fjordgaarden()), changes, number_formats)


def read(raw: bytes) -> tuple[TariffSubmission, list[Finding]]:
    submission, findings = read_template(raw, FILENAME)
    assert submission is not None
    return submission, findings


def assessed(raw: bytes) -> Assessment:
    submission, findings = read(raw)
    assert findings == []
    assessment = assess(submission, get_ruleset(NORDJYLLAND))
    return Assessment(assessment.result, tuple(locate_xlsx(assessment.findings, FILENAME)))


def test_the_fjordgaarden_round_trip_gives_the_worked_example_daily_tariff_r_tar_03() -> None:
    assessment = assessed(write_template(fjordgaarden(), fjordgaarden(), fictitious=True))
    assert assessment.findings == ()
    assert assessment.result is not None
    assert assessment.result.cost_base == Decimal("17410000")
    assert assessment.result.main.tariff == Decimal("2070.25")


def test_the_round_trip_keeps_the_offer_and_occupancy_facts() -> None:
    submission, _ = read(write_template(fjordgaarden()))
    assert submission.ruleset_id == NORDJYLLAND
    assert submission.budget_year == 2026
    assert submission.offer.name == "Fjordgården"
    assert submission.offer.kind is OfferKind.RESIDENTIAL_24H
    assert submission.offer.new is False
    assert submission.offer.places == Decimal("24")
    assert submission.occupancy.method is OccupancyMethod.EXPECTED
    assert submission.occupancy.reason == "Venteliste og stabil efterspørgsel"
    assert submission.direct_support_hours_per_year == Decimal("43000")


def test_occupancy_of_80_percent_is_an_r_occ_01_error_at_the_occupancy_cell() -> None:
    assessment = assessed(fjordgaarden_with({cell("occupancy.percent"): 80}))
    errors = [f for f in assessment.findings if f.rule_id == "R-OCC-01"]
    assert len(errors) == 1
    assert errors[0].severity is Severity.ERROR
    assert errors[0].source == source("occupancy.percent")
    assert "ark Takstberegning" in errors[0].source


def test_a_negative_personnel_line_is_an_r_tar_02_error_at_its_cell() -> None:
    assessment = assessed(fjordgaarden_with({cell("costs.personnel.top_management"): -1100000}))
    errors = [f for f in assessment.findings if f.rule_id == "R-TAR-02"]
    assert [f.source for f in errors] == [source("costs.personnel.top_management")]


def test_a_missing_required_category_r_tar_02_points_at_the_category_heading() -> None:
    personnel_lines = [f for f in ROW_BY_FIELD if f.startswith("costs.personnel.")]
    assessment = assessed(fjordgaarden_with(dict.fromkeys((cell(f) for f in personnel_lines), None)))
    errors = [f for f in assessment.findings if f.rule_id == "R-TAR-02"]
    assert [f.source for f in errors] == [source("costs.personnel")]


def test_a_formula_typed_into_an_input_cell_is_an_r_tar_02_finding_asking_for_the_value() -> None:
    submission, findings = read(fjordgaarden_with({cell("costs.personnel.top_management"): "=1000000+100000"}))
    assert len(findings) == 1
    assert findings[0].rule_id == "R-TAR-02"
    assert findings[0].is_error
    assert findings[0].source == source("costs.personnel.top_management")
    assert "formel" in findings[0].message and "værdien" in findings[0].message
    assert "top_management" not in submission.costs["personnel"]


def test_a_formula_in_a_required_field_gives_one_finding_not_also_a_missing_value() -> None:
    _, findings = read(fjordgaarden_with({cell("offer.places"): "=20+4"}))
    assert [(f.rule_id, f.source) for f in findings] == [("R-TAR-02", source("offer.places"))]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1.100.000,00", Decimal("1100000")),
        ("1.100.000", Decimal("1100000")),
        ("1100000,5", Decimal("1100000.5")),
        ("1 100 000 kr.", Decimal("1100000")),
        (1100000.0000000002, Decimal("1100000")),
        (1100000.505, Decimal("1100000.51")),
    ],
)
def test_danish_text_numbers_and_excel_floats_read_as_exact_amounts(typed: object, expected: Decimal) -> None:
    submission, findings = read(fjordgaarden_with({cell("costs.personnel.top_management"): typed}))
    assert findings == []
    assert submission.costs["personnel"]["top_management"] == expected


def test_a_typographic_minus_in_the_regulation_reads_as_a_surplus() -> None:
    submission, findings = read(fjordgaarden_with({cell("costs.regulation"): "−250.000"}))
    assert findings == []
    assert submission.costs["regulation"] == {"total": Decimal("-250000")}


def test_text_that_is_not_a_number_is_an_r_tar_02_finding_at_its_cell() -> None:
    _, findings = read(fjordgaarden_with({cell("costs.personnel.top_management"): "en million"}))
    assert [(f.rule_id, f.source) for f in findings] == [("R-TAR-02", source("costs.personnel.top_management"))]


def test_occupancy_typed_as_a_percentage_cell_reads_as_96_not_0_96_r_occ_01() -> None:
    raw = fjordgaarden_with({cell("occupancy.percent"): 0.96}, {cell("occupancy.percent"): "0%"})
    submission, findings = read(raw)
    assert findings == []
    assert submission.occupancy.percent == Decimal("96")


def test_ja_and_nej_read_as_yes_and_no_r_new_01() -> None:
    submission, _ = read(fjordgaarden_with({cell("offer.new"): "ja"}))
    assert submission.offer.new is True
    _, findings = read(fjordgaarden_with({cell("offer.new"): "Måske"}))
    assert [(f.rule_id, f.source) for f in findings] == [("R-NEW-01", source("offer.new"))]


def test_dropdown_labels_read_as_codes_and_an_unknown_label_is_a_finding() -> None:
    submission, _ = read(
        fjordgaarden_with({cell("offer.kind"): "Korttidsophold", cell("service.type"): "Gennemsnitstakst"})
    )
    assert submission.offer.kind is OfferKind.SHORT_STAY
    assert submission.service.tariff_type is TariffType.AVERAGE
    _, findings = read(fjordgaarden_with({cell("offer.kind"): "Botilbud"}))
    assert [f.source for f in findings] == [source("offer.kind")]
    assert "Døgntilbud" in findings[0].message


def test_a_category_heading_that_disagrees_with_its_lines_is_an_r_tar_02_finding() -> None:
    _, agree = read(fjordgaarden_with({cell("costs.personnel"): 13900000}))
    assert agree == []
    _, disagree = read(fjordgaarden_with({cell("costs.personnel"): 14000000}))
    assert [(f.rule_id, f.source) for f in disagree] == [("R-TAR-02", source("costs.personnel"))]


def test_pension_as_a_salary_basis_gives_the_same_cost_base_r_tar_07() -> None:
    raw = fjordgaarden_with(
        {cell("costs.civil_servant_pension"): None, cell("costs.civil_servant_pension.salary_basis"): 400000}
    )
    assessment = assessed(raw)
    assert assessment.result is not None
    assert assessment.result.cost_base == Decimal("17410000")


def test_pension_given_both_as_cost_and_salary_basis_is_an_r_tar_07_finding() -> None:
    _, findings = read(fjordgaarden_with({cell("costs.civil_servant_pension.salary_basis"): 400000}))
    assert [(f.rule_id, f.source) for f in findings] == [("R-TAR-07", source("costs.civil_servant_pension"))]


def test_a_service_level_without_hours_points_at_its_own_row_even_after_an_empty_level_r_tar_04() -> None:
    raw = fjordgaarden_with(
        {
            cell("service.type"): "Basistakst + ydelsesniveauer",
            cell("service.levels[0].name"): "A",
            cell("service.levels[0].hours_per_week"): 10,
            cell("service.levels[2].name"): "C",
        }
    )
    submission, findings = read(raw)
    assert [level.name for level in submission.service.levels] == ["A", "C"]
    assert [(f.rule_id, f.source) for f in findings] == [("R-TAR-04", source("service.levels[2].hours_per_week"))]


def test_last_year_and_remarks_are_read_for_r_tar_13_and_r_gov_03() -> None:
    raw = fjordgaarden_with(
        {cell("last_year.tariff"): 1900, cell("last_year.places"): 22, cell("remarks"): "Udvidelse med 2 pladser"}
    )
    submission, _ = read(raw)
    assert submission.last_year is not None
    assert (submission.last_year.tariff, submission.last_year.places) == (Decimal("1900"), Decimal("22"))
    assessment = assess(submission, get_ruleset(NORDJYLLAND))
    located = {f.rule_id: f.source for f in locate_xlsx(assessment.findings, FILENAME)}
    assert located["R-GOV-03"] == source("offer.places")
    assert located["R-TAR-13"] == source("costs")


def test_a_submission_in_canonical_json_shape_survives_the_template_round_trip() -> None:
    original, _ = read(write_template(fjordgaarden()))
    again, findings = read(write_template(submission_to_data(original)))
    assert findings == []
    assert again == original


def test_an_excel_error_value_in_an_input_cell_is_a_finding_at_its_cell() -> None:
    _, findings = read(fjordgaarden_with({cell("offer.places"): "#DIV/0!"}))
    assert [(f.rule_id, f.source) for f in findings] == [("R-TAR-02", source("offer.places"))]
    assert "#DIV/0!" in findings[0].message


def test_a_workbook_from_another_tool_is_not_our_template() -> None:
    buffer = io.BytesIO()
    Workbook().save(buffer)
    submission, findings = read_template(buffer.getvalue(), "eget-skema.xlsx")
    assert submission is None
    assert len(findings) == 1
    assert findings[0].message.startswith(NOT_OUR_TEMPLATE)
    assert findings[0].severity is Severity.ERROR
    assert findings[0].source == "eget-skema.xlsx"


def test_a_template_with_an_unknown_format_version_is_not_our_template() -> None:
    workbook = load_workbook(io.BytesIO(write_template(fjordgaarden())))
    workbook[META_SHEET]["B2"] = "2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    submission, findings = read_template(buffer.getvalue(), FILENAME)
    assert submission is None
    assert findings[0].message.startswith(NOT_OUR_TEMPLATE)


def test_a_chart_sheet_named_takstberegning_is_not_our_template() -> None:
    workbook = Workbook()
    data = workbook.active
    assert data is not None
    data.append([1])
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=1))
    workbook.create_chartsheet(SHEET).add_chart(chart)
    meta = workbook.create_sheet(META_SHEET)
    meta.append(["format", FORMAT_ID])
    meta.append(["version", FORMAT_VERSION])
    meta.append(["fictitious", "Nej"])
    meta.append([])
    meta.append(["field", "cell"])
    for field, ref in field_map().items():
        meta.append([field, ref])
    buffer = io.BytesIO()
    workbook.save(buffer)
    submission, findings = read_template(buffer.getvalue(), FILENAME)
    assert submission is None
    assert findings[0].message.startswith(NOT_OUR_TEMPLATE)


def test_an_inserted_row_is_reported_instead_of_reading_shifted_values() -> None:
    workbook = load_workbook(io.BytesIO(write_template(fjordgaarden())))
    workbook[SHEET].insert_rows(ROW_BY_FIELD["offer.places"].number)
    buffer = io.BytesIO()
    workbook.save(buffer)
    submission, findings = read_template(buffer.getvalue(), FILENAME)
    assert submission is None
    assert findings[0].is_error
    assert findings[0].source == f"{FILENAME}, ark {SHEET}, celle A{ROW_BY_FIELD['offer.places'].number}"


def test_a_blank_template_reads_back_with_every_missing_field_located() -> None:
    submission, findings = read(write_template({}))
    assert submission.offer.name == ""
    assert {f.field for f in findings} >= {"offer.name", "offer.places", "occupancy.percent", "budget_year"}
    assert all(f.source.startswith(f"{FILENAME}, ark {SHEET}, celle C") for f in findings)


def test_locate_xlsx_falls_back_to_the_sheet_and_keeps_an_existing_source() -> None:
    findings = [
        Finding("R-CYC-02", Severity.WARNING, "Sent", ""),
        Finding("R-TAR-02", Severity.ERROR, "Fejl", "offer.name", "allerede.xlsx"),
    ]
    assert [f.source for f in locate_xlsx(findings, FILENAME)] == [f"{FILENAME}, ark {SHEET}", "allerede.xlsx"]
