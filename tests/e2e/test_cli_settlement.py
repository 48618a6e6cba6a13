"""`rammeaftale notice` and `rammeaftale distribute` as a user runs them: handbook §§ 9–10 through the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rammeaftale.entrypoints.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def weights_file(tmp_path, text: str, name: str = "vaegte.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HANDBOOK_KEY = "municipality,weight\nMorsø,12345\nThisted,23456\nBrønderslev,34567\n"


def test_r_set_05_notice_prints_exactly_the_issues_json():
    result = run("notice", "--notice-date", "2025-05-20", "--kind", "standard", "--json")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == '{"paid_until": "2025-06-30", "supplements_until": "2025-05-20"}'


@pytest.mark.parametrize(
    ("kind", "paid_until"),
    [("special", "2025-05-20"), ("substitution", "2025-06-03")],
)
def test_r_set_06_r_set_07_notice_in_a_shelter_and_in_substitution_treatment(kind, paid_until):
    result = run("notice", "--notice-date", "2025-05-20", "--kind", kind, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"paid_until": paid_until, "supplements_until": "2025-05-20"}


def test_r_set_05_notice_with_a_later_final_date_and_danish_output():
    result = run("notice", "--notice-date", "2025-05-20", "--final-date", "2025-05-31")
    assert result.exit_code == 0, result.output
    assert "Ydelsen betales til og med 30-06-2025 (R-SET-05)" in result.stdout
    assert "Tillægsydelser betales til og med 31-05-2025" in result.stdout
    assert "nordjylland-2025-2026" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--notice-date", "20-05-2025"),
        ("--notice-date", "2025-05-20", "--final-date", "i morgen"),
        ("--notice-date", "2025-05-20", "--region", "1083"),
        ("--notice-date", "1990-05-20"),
    ],
)
def test_notice_bad_input_exits_2_with_a_danish_message(args):
    result = run("notice", *args, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Fejl: ")
    assert "Traceback" not in result.output


def test_r_obj_02_distribute_prints_the_handbook_shares_as_json(tmp_path):
    path = weights_file(tmp_path, HANDBOOK_KEY)
    result = run("distribute", "--amount", "1000000", "--weights", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "allocations": [
            {"municipality": "Morsø", "amount": "175435"},
            {"municipality": "Thisted", "amount": "333333"},
            {"municipality": "Brønderslev", "amount": "491232"},
        ],
        "total": "1000000",
    }


def test_r_obj_02_distribute_reads_semicolons_and_a_bom_and_prints_danish_amounts(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffMunicipality;Weight\r\nMorsø;12345\r\nThisted;23456\r\n\r\nBrønderslev;34567\r\n".encode())
    result = run("distribute", "--amount", "1.000.000", "--weights", str(path))
    assert result.exit_code == 0, result.output
    assert "Morsø: 175.435,00 kr." in result.stdout
    assert "Brønderslev: 491.232,00 kr." in result.stdout
    assert "I alt: 1.000.000,00 kr." in result.stdout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kommune,vægt\nMorsø,1\n", "linje 1"),
        ("municipality,weight\nMorsø,12x\n", "linje 2, kolonne 2 (weight)"),
        ("municipality,weight\nMorsø,1\nThisted,-5\n", "linje 3, kolonne 2 (weight)"),
        ("municipality,weight\nMorsø,1\n,5\n", "linje 3, kolonne 1 (municipality)"),
        ("municipality,weight\nMorsø,1\nMorsø,2\n", "linje 3, kolonne 1 (municipality)"),
        ("municipality,weight\nMorsø,1,2\n", "linje 2"),
        ("municipality,weight\n", "ingen kommuner"),
        ("municipality,weight\nMorsø,0\n", "over 0"),
        ("", "linje 1"),
    ],
)
def test_r_obj_02_bad_weights_exit_2_naming_the_file_line_and_column(tmp_path, text, expected):
    path = weights_file(tmp_path, text)
    result = run("distribute", "--amount", "1000000", "--weights", str(path), "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Fejl: ") and "vaegte.csv" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("amount", ["1000000,50", "en million", "NaN"])
def test_r_obj_02_an_amount_that_is_not_whole_kroner_exits_2(tmp_path, amount):
    path = weights_file(tmp_path, HANDBOOK_KEY)
    result = run("distribute", "--amount", amount, "--weights", str(path), "--json")
    assert result.exit_code == 2
    assert result.stderr.startswith("Fejl: --amount")


def test_distribute_a_missing_or_binary_file_exits_2_naming_it(tmp_path):
    missing = run("distribute", "--amount", "1000", "--weights", str(tmp_path / "mangler.csv"))
    assert missing.exit_code == 2 and "mangler.csv" in missing.stderr
    binary = tmp_path / "binaer.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    result = run("distribute", "--amount", "1000", "--weights", str(binary))
    assert result.exit_code == 2 and "binaer.csv" in result.stderr
