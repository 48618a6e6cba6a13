"""The regnskabsskema (handbook § 7): written from plain data, filled in with openpyxl, read back exactly."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from rammeaftale.adapters.excel.accounts_layout import BUDGET_COLUMN, ROW_BY_FIELD, SHEET, VALUE_ROWS
from rammeaftale.adapters.excel.accounts_reader import (
    NOT_OUR_TEMPLATE,
    locate_accounts_xlsx,
    read_accounts_data,
    read_accounts_template,
)
from rammeaftale.adapters.excel.accounts_template import write_accounts_template
from rammeaftale.adapters.excel.reader import NOT_OUR_TEMPLATE as NOT_A_TARIFF_TEMPLATE
from rammeaftale.adapters.excel.reader import read_template
from rammeaftale.adapters.excel.safety import UnsafeUpload
from rammeaftale.adapters.excel.template import write_template
from rammeaftale.adapters.rulesets import get_ruleset
from rammeaftale.domain.accounts import AccountsLevel
from rammeaftale.domain.accounts_submission import accounts_consequence, build_accounts_submission
from rammeaftale.domain.findings import Finding, Severity

FIXTURES = Path(__file__).parents[1] / "fixtures"
FILENAME = "regnskab.xlsx"
PREFILL = {"offer_code": "N-851-01", "accounts_year": 2024, "ruleset": "nordjylland-2023-2024"}


def fjordgaarden() -> dict[str, object]:
    data = json.loads((FIXTURES / "fjordgaarden-accounts-2024.json").read_text(encoding="utf-8"), parse_float=Decimal)
    assert isinstance(data, dict)
    return data


def cell(field: str) -> str:
    return ROW_BY_FIELD[field].cell


def source(field: str) -> str:
    return f"{FILENAME}, ark {SHEET}, celle {cell(field)}"


def edited(raw: bytes, changes: dict[str, object]) -> bytes:
    """The workbook as an operator saves it after typing ``changes`` (cell -> value) into the sheet."""
    workbook = load_workbook(io.BytesIO(raw))
    sheet = workbook[SHEET]
    for ref, value in changes.items():
        sheet[ref] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filled_values(data: dict[str, object]) -> dict[str, object]:
    """Every value of the JSON example in its cell, as an operator would type it (numbers as numbers)."""
    changes: dict[str, object] = {}
    costs = data["costs"]
    assert isinstance(costs, dict)
    for key, value in costs.items():
        if isinstance(value, dict):
            for line, amount in value.items():
                changes[cell(f"costs.{key}.{line}")] = int(amount)
        else:
            changes[cell(f"costs.{key}")] = int(value)
    income = data["income"]
    assert isinstance(income, dict)
    for key, value in income.items():
        changes[cell(f"income.{key}")] = int(value)
    for field in ("cost_base", "reserve_requested", "early_repayment"):
        changes[cell(field)] = int(data[field])  # type: ignore[call-overload]
    changes[cell("level")] = "pr. tilbud"
    changes[cell("new_offer")] = "Nej"
    changes[cell("remarks")] = data["remarks"]
    return changes


def filled(**extra: object) -> bytes:
    raw = write_accounts_template(PREFILL, offer_name="Fjordgården")
    return edited(raw, {**filled_values(fjordgaarden()), **extra})


def errors(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule_id, f.source) for f in findings if f.severity is Severity.ERROR]


# --- the template -------------------------------------------------------------------------------


def test_the_template_is_danish_with_the_offer_year_and_rule_set_filled_in():
    raw = write_accounts_template(
        {**PREFILL, "cost_base": Decimal("17410000")},
        {"personnel": {"top_management": "1100000"}},
        offer_name="Fjordgården",
    )
    sheet = load_workbook(io.BytesIO(raw))[SHEET]
    assert sheet["A1"].value == "Regnskabsskema Fjordgården (N-851-01) 2024"
    assert [sheet.cell(3, c).value for c in range(1, 5)] == [
        "Felt",
        "Vejledning",
        "Regnskab (faktisk)",
        "Budget (takstberegning)",
    ]
    assert sheet[cell("offer_code")].value == "N-851-01"
    assert sheet[cell("accounts_year")].value == 2024
    assert sheet[cell("ruleset")].value == "nordjylland-2023-2024"
    assert sheet[cell("cost_base")].value == 17410000
    assert sheet[cell("costs.personnel.top_management")].value is None  # the actual figure is the operator's


def test_the_budget_column_shows_the_tariffs_lines_and_category_totals_locked():
    budget = {"personnel": {"top_management": "1100000", "citizen_related_staff": "11400000"}, "activities": 600000}
    sheet = load_workbook(io.BytesIO(write_accounts_template(PREFILL, budget)))[SHEET]
    row = ROW_BY_FIELD["costs.personnel.top_management"].number
    assert sheet[f"{BUDGET_COLUMN}{row}"].value == 1100000
    assert sheet[f"{BUDGET_COLUMN}{ROW_BY_FIELD['costs.personnel'].number}"].value == 12500000
    assert sheet[f"{BUDGET_COLUMN}{ROW_BY_FIELD['costs.activities'].number}"].value == 600000
    assert sheet[f"{BUDGET_COLUMN}{row}"].protection.locked
    assert not sheet[cell("costs.personnel.top_management")].protection.locked


def test_an_empty_template_reads_back_as_the_prefill_with_the_missing_figures_as_findings():
    data, findings = read_accounts_data(write_accounts_template(PREFILL), FILENAME)
    assert data == PREFILL and findings == []
    submission, findings = read_accounts_template(write_accounts_template(PREFILL), FILENAME)
    assert submission is None
    assert errors(findings) == [("R-TAR-02", source("costs.personnel")), ("R-ACC-01", source("income.tariff_income"))]


def test_a_prefilled_text_is_written_as_text_never_as_a_formula():
    sheet = load_workbook(io.BytesIO(write_accounts_template({**PREFILL, "offer_code": "=cmd|' /c calc'!A0"})))[SHEET]
    assert sheet[cell("offer_code")].data_type == "s"


# --- reading back -------------------------------------------------------------------------------


def test_the_filled_template_reads_as_the_same_accounts_as_the_json_example():
    submission, findings = read_accounts_template(filled(), FILENAME)
    assert findings == []
    expected, _ = build_accounts_submission(fjordgaarden())
    assert submission == expected


def test_the_reader_gives_the_data_mapping_of_the_json_shape():
    data, findings = read_accounts_data(filled(), FILENAME)
    assert findings == [] and data is not None
    example = fjordgaarden()
    del example["format"]
    example["level"] = "offer"
    assert build_accounts_submission(data) == build_accounts_submission(example)
    assert data["income"] == {"tariff_income": Decimal("18700000"), "other_income": Decimal("40000")}
    assert data["costs"]["personnel"]["top_management"] == Decimal("1100000")  # type: ignore[index]
    assert data["new_offer"] is False


def test_r_acc_01_the_level_reads_its_danish_label_and_the_target_group():
    submission, findings = read_accounts_template(
        filled(**{cell("level"): "pr. målgruppe", cell("target_group"): "Unge"}), FILENAME
    )
    assert findings == [] and submission is not None
    assert (submission.level, submission.target_group) == (AccountsLevel.TARGET_GROUP, "Unge")


def test_r_acc_01_a_target_group_level_without_the_target_group_points_at_its_cell():
    _, findings = read_accounts_template(filled(**{cell("level"): "pr. målgruppe"}), FILENAME)
    assert errors(findings) == [("R-ACC-01", source("target_group"))]


def test_r_new_02_the_new_offer_cell_reads_ja():
    submission, _ = read_accounts_template(filled(**{cell("new_offer"): "Ja"}), FILENAME)
    assert submission is not None and submission.new_offer is True


def test_a_formula_in_an_input_cell_is_a_finding_with_its_cell_and_no_accounts():
    submission, findings = read_accounts_template(filled(**{cell("income.other_income"): "=20000+20000"}), FILENAME)
    assert submission is None
    assert errors(findings) == [("R-TAR-02", source("income.other_income"))]
    assert "formel" in findings[0].message


def test_danish_text_numbers_are_read_exactly():
    submission, findings = read_accounts_template(
        filled(
            **{
                cell("income.tariff_income"): "18.700.000,50",
                cell("income.other_income"): "40.000",
                cell("costs.regulation"): "\u2212250.000",
                cell("cost_base"): "17410000 kr.",
            }
        ),
        FILENAME,
    )
    assert findings == [] and submission is not None
    assert submission.income == {"tariff_income": Decimal("18700000.50"), "other_income": Decimal("40000")}
    assert submission.costs["regulation"] == {"total": Decimal("-250000")}
    assert submission.cost_base == Decimal("17410000")


def test_an_ambiguous_text_number_is_a_finding_and_never_guessed():
    _, findings = read_accounts_template(filled(**{cell("income.tariff_income"): "18,700,000.50"}), FILENAME)
    assert errors(findings) == [("R-ACC-01", source("income.tariff_income"))]


def test_excel_numbers_become_exact_amounts_in_ore():
    submission, _ = read_accounts_template(filled(**{cell("income.other_income"): 40000.1}), FILENAME)
    assert submission is not None and submission.income["other_income"] == Decimal("40000.1")


def test_r_tar_02_a_category_total_that_differs_from_its_lines_is_a_finding():
    _, findings = read_accounts_template(filled(**{cell("costs.personnel"): 1}), FILENAME)
    assert errors(findings) == [("R-TAR-02", source("costs.personnel"))]


def test_r_tar_02_a_category_given_only_as_its_total_is_read():
    changes = {cell(f"costs.personnel.{line}"): None for line in ("top_management", "citizen_related_staff")}
    changes |= {cell("costs.personnel.temporary_staff"): None, cell("costs.personnel.technical_staff"): None}
    submission, findings = read_accounts_template(filled(**changes, **{cell("costs.personnel"): 14270000}), FILENAME)
    assert findings == [] and submission is not None
    assert submission.costs["personnel"] == {"total": Decimal("14270000")}
    assert submission.costs_total == Decimal("17793000")


def test_the_budget_column_and_the_previews_are_never_read():
    row = ROW_BY_FIELD["costs.personnel.top_management"].number
    raw = filled(**{f"{BUDGET_COLUMN}{row}": "=1/0", cell("result"): "noget andet"})
    submission, findings = read_accounts_template(raw, FILENAME)
    assert findings == [] and submission is not None


def test_a_finding_of_the_consequence_is_located_at_its_cell():
    submission, _ = read_accounts_template(filled(**{cell("reserve_requested"): 900000}), FILENAME)
    assert submission is not None
    _, findings = accounts_consequence(submission, get_ruleset("nordjylland-2023-2024"), submission.cost_base)
    assert errors(locate_accounts_xlsx(findings, FILENAME)) == [("R-SUR-01", source("reserve_requested"))]


# --- refused workbooks --------------------------------------------------------------------------


def test_a_tariff_template_is_not_an_accounts_template_and_the_other_way_round():
    submission, findings = read_accounts_template(write_template({"budget_year": 2026}), FILENAME)
    assert submission is None and findings[0].message.startswith(NOT_OUR_TEMPLATE)
    tariff, findings = read_template(write_accounts_template(PREFILL), FILENAME)
    assert tariff is None and findings[0].message.startswith(NOT_A_TARIFF_TEMPLATE)


def test_an_inserted_row_is_a_finding_naming_the_row():
    workbook = load_workbook(io.BytesIO(filled()))
    workbook[SHEET].insert_rows(10)
    buffer = io.BytesIO()
    workbook.save(buffer)
    submission, findings = read_accounts_template(buffer.getvalue(), FILENAME)
    assert submission is None
    assert "række 10" in findings[0].message and findings[0].source.endswith("celle A10")


@pytest.mark.parametrize("name", ["macro-vbaproject.xlsx", "macro-template.xlsm", "renamed-pdf.xlsx"])
def test_every_upload_goes_through_the_safety_checks_first(name: str):
    with pytest.raises(UnsafeUpload):
        read_accounts_template((FIXTURES / "hostile" / name).read_bytes(), name)


def test_every_value_row_has_its_own_cell_on_the_accounts_sheet():
    refs = [row.ref for row in VALUE_ROWS]
    assert len(refs) == len(set(refs)) and all(ref.startswith(f"{SHEET}!C") for ref in refs)
