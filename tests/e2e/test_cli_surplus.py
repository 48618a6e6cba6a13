"""`rammeaftale surplus` as a user runs it: handbook § 7 through the CLI, amounts as decimal strings."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rammeaftale.entrypoints.cli import app

runner = CliRunner()


def surplus(*args: str):
    return runner.invoke(app, ["surplus", *args])


def test_r_sur_01_r_sur_03_the_issue_example_8_000_000_770_000_2023_as_json():
    result = surplus("--cost-base", "8000000", "--result", "770000", "--year", "2023", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "kind": "surplus",
        "percent": "9.63",
        "within_limit": "400000.00",
        "excess": "370000.00",
        "tariff_effect": "-370000.00",
        "due_year": 2025,
    }


def test_r_sur_04_r_sur_05_the_handbook_deficit_as_json_with_a_danish_cost_base():
    result = surplus("--cost-base", "10.000.000", "--result", "-720000", "--year", "2025", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "kind": "deficit",
        "percent": "7.20",
        "within_limit": "500000.00",
        "excess": "220000.00",
        "tariff_effect": "220000.00",
        "due_year": 2027,
    }


def test_r_new_02_a_new_offers_first_year_deficit_is_due_over_three_years():
    args = ("--cost-base", "10000000", "--result=-720000", "--year", "2025", "--new-offer")
    data = json.loads(surplus(*args, "--json").stdout)
    assert (data["tariff_effect"], data["due_year"]) == ("220000.00", 2029)
    text = surplus(*args).stdout
    assert "2027: 73.333,34 kr." in text and "2029: 73.333,33 kr." in text and "R-NEW-02" in text


def test_r_sur_01_the_human_output_is_danish_with_danish_numbers():
    result = surplus("--cost-base", "12000000", "--result", "950000", "--year", "2025", "--region", "1081")
    assert result.exit_code == 0, result.output
    assert "Overskud: 950.000,00 kr. = 7,92 % af takstberegningsgrundlaget 12.000.000,00 kr." in result.stdout
    assert "Må hensættes (R-SUR-01): 600.000,00 kr." in result.stdout
    assert "350.000,00 kr. skal nedsætte taksten senest i 2027 (R-SUR-03)" in result.stdout
    assert "nordjylland-2025-2026" in result.stdout


def test_the_rule_set_is_the_regions_for_the_accounts_year_and_assumed_values_are_pointed_out():
    midt = surplus("--cost-base", "8000000", "--result", "770000", "--year", "2023", "--region", "1082")
    assert "midtjylland-2023-2024" in midt.stdout and "antaget" not in midt.stdout
    nord = surplus("--cost-base", "8000000", "--result", "770000", "--year", "2023")
    assert "nordjylland-2023-2024" in nord.stdout and "antaget værdi" in nord.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--cost-base", "0", "--result", "1", "--year", "2023"),
        ("--cost-base", "-5", "--result", "1", "--year", "2023"),
        ("--cost-base", "otte mio", "--result", "1", "--year", "2023"),
        ("--cost-base", "8000000", "--result", "NaN", "--year", "2023"),
        ("--cost-base", "8000000", "--result", "1,001", "--year", "2023"),
        ("--cost-base", "8000000", "--result", "1", "--year", "i fjor"),
        ("--cost-base", "8000000", "--result", "1", "--year", "1990"),
        ("--cost-base", "8000000", "--result", "1", "--year", "2023", "--region", "1083"),
    ],
)
def test_bad_input_exits_2_with_a_danish_message(args):
    result = surplus(*args, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Fejl: ")
    assert "Traceback" not in result.output
