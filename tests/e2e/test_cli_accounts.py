"""`rammeaftale accounts …` as a user runs it: an accounts file assessed under § 7, and the empty template."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from rammeaftale.adapters.excel.accounts_layout import ROW_BY_FIELD, SHEET
from rammeaftale.entrypoints.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parents[1] / "fixtures"
EXAMPLE = FIXTURES / "fjordgaarden-accounts-2024.json"
KEYS = {
    "result",
    "kind",
    "percent",
    "within_limit",
    "excess",
    "tariff_effect",
    "due_year",
    "installments",
    "findings",
}


def accounts(*args: str):
    return runner.invoke(app, ["accounts", *args])


def example(**changes: object) -> dict[str, object]:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data.update(changes)
    return data


def written(tmp_path: Path, data: dict[str, object], name: str = "regnskab.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_r_sur_01_r_sur_03_compute_json_prints_the_consequence_of_the_fjordgaarden_example():
    result = accounts("compute", str(EXAMPLE), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == KEYS
    assert data == {
        "result": "947000.00",
        "kind": "surplus",
        "percent": "5.44",
        "within_limit": "870500.00",
        "excess": "76500.00",
        "tariff_effect": "-76500.00",
        "due_year": 2026,
        "installments": [{"budget_year": 2026, "amount": "-76500.00", "interest": "0.00"}],
        "findings": [],
    }


def test_compute_prints_danish_text_with_danish_numbers():
    result = accounts("compute", str(EXAMPLE))
    assert result.exit_code == 0, result.output
    assert "Overskud: 947.000,00 kr. = 5,44 % af takstberegningsgrundlaget 17.410.000,00 kr." in result.stdout
    assert "Må hensættes (R-SUR-01): 870.500,00 kr." in result.stdout
    assert "Ud over grænsen: 76.500,00 kr. skal nedsætte taksten senest i 2026 (R-SUR-03)" in result.stdout


def test_r_sur_01_a_reserve_above_the_limit_exits_1_with_the_json_path(tmp_path):
    result = accounts("compute", str(written(tmp_path, example(reserve_requested=900000))), "--json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "surplus"  # the consequence is still shown
    assert [(f["rule_id"], f["source"]) for f in data["findings"]] == [("R-SUR-01", "$.reserve_requested")]


def test_invalid_accounts_exit_1_with_every_finding_and_no_consequence(tmp_path):
    bad = example(accounts_year="2024", costs={"personnel": {"boss": 1}})
    result = accounts("compute", str(written(tmp_path, bad)), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == KEYS and data["kind"] is None and data["installments"] == []
    assert {(f["rule_id"], f["source"]) for f in data["findings"]} == {
        ("R-ACC-01", "$.accounts_year"),
        ("R-TAR-02", "$.costs.personnel.boss"),
    }


def test_r_cyc_01_a_rule_set_that_does_not_cover_the_accounts_year_is_an_error(tmp_path):
    result = accounts("compute", str(written(tmp_path, example(ruleset="nordjylland-2025-2026"))), "--json")
    assert result.exit_code == 1
    assert [(f["rule_id"], f["source"]) for f in json.loads(result.stdout)["findings"]] == [("R-CYC-01", "$.ruleset")]
    unknown = accounts("compute", str(written(tmp_path, example(ruleset="atlantis-2024"))), "--json")
    assert unknown.exit_code == 1
    assert json.loads(unknown.stdout)["findings"][0]["rule_id"] == "R-CYC-01"


def test_r_sur_01_without_a_cost_base_there_is_no_consequence_and_exit_1(tmp_path):
    data = example()
    del data["cost_base"]
    result = accounts("compute", str(written(tmp_path, data)), "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"][0]["source"] == "$.cost_base"


def test_template_then_fill_then_compute_an_xlsx_file(tmp_path):
    out = tmp_path / "regnskab.xlsx"
    made = accounts("template", "--offer", "N-851-01", "--year", "2024", "--out", str(out), "--cost-base", "10.000.000")
    assert made.exit_code == 0, made.output
    workbook = load_workbook(out)
    sheet = workbook[SHEET]
    assert sheet[ROW_BY_FIELD["ruleset"].cell].value == "nordjylland-2023-2024"
    sheet[ROW_BY_FIELD["costs.personnel.citizen_related_staff"].cell] = 10720000
    sheet[ROW_BY_FIELD["income.tariff_income"].cell] = "10.000.000"
    workbook.save(out)
    result = accounts("compute", str(out), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["kind"], data["percent"], data["within_limit"], data["tariff_effect"]) == (
        "deficit",
        "7.20",
        "500000.00",
        "220000.00",
    )


def test_an_xlsx_finding_names_the_sheet_and_cell(tmp_path):
    out = tmp_path / "regnskab.xlsx"
    accounts("template", "--offer", "N-851-01", "--year", "2024", "--out", str(out))
    workbook = load_workbook(out)
    workbook[SHEET][ROW_BY_FIELD["income.tariff_income"].cell] = "=SUM(A1:A2)"
    buffer = io.BytesIO()
    workbook.save(buffer)
    out.write_bytes(buffer.getvalue())
    result = accounts("compute", str(out))
    assert result.exit_code == 1
    assert f"[regnskab.xlsx, ark Regnskab, celle {ROW_BY_FIELD['income.tariff_income'].cell}]" in result.stdout


@pytest.mark.parametrize("name", ["macro-vbaproject.xlsx", "macro-template.xlsm"])
def test_a_macro_workbook_exits_2_with_a_danish_message(name: str):
    result = accounts("compute", str(FIXTURES / "hostile" / name))
    assert result.exit_code == 2
    assert "makroer" in result.stderr and "afvises" in result.stderr


@pytest.mark.parametrize("name", ["json-not-json.json", "json-deep-array.json", "json-array.json"])
def test_hostile_json_exits_2_with_a_danish_message(name: str):
    result = accounts("compute", str(FIXTURES / "hostile" / name))
    assert result.exit_code == 2
    assert result.stderr.startswith("Fejl: ")
    assert "JSON" in result.stderr


def test_a_missing_file_exits_2(tmp_path):
    assert accounts("compute", str(tmp_path / "findes-ikke.json")).exit_code == 2


def test_template_refuses_a_year_without_a_rule_set_and_a_bad_cost_base(tmp_path):
    out = tmp_path / "x.xlsx"
    assert accounts("template", "--offer", "N-851-01", "--year", "1999", "--out", str(out)).exit_code == 2
    bad = accounts("template", "--offer", "N-851-01", "--year", "2024", "--out", str(out), "--cost-base", "mange")
    assert bad.exit_code == 2 and "--cost-base" in bad.stderr
    assert not out.exists()
