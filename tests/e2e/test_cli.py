"""The CLI as a user runs it: real files, real exit codes, amounts as decimal strings."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from rammeaftale.entrypoints.cli import app

runner = CliRunner()
FIXTURE = Path(__file__).parents[1] / "fixtures" / "fjordgaarden-2026.json"


@pytest.fixture
def database(tmp_path, monkeypatch):
    monkeypatch.setenv("RAMMEAFTALE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    return tmp_path


def test_tariff_compute_json_prints_the_handbook_tariff_and_exits_0():
    result = runner.invoke(app, ["tariff", "compute", str(FIXTURE), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    service = data["services"][0]
    assert service["cost_base"] == "17410000"
    assert service["daily_tariff"] == "2070.25"
    assert service["annual_tariff_per_place"] == "755641.25"
    assert service["direct_support_hours_per_place_per_week"] == "35.79"
    assert data["findings"] == []


def test_tariff_compute_exits_1_with_errors_and_names_the_json_path(tmp_path):
    data = json.loads(FIXTURE.read_text())
    data["occupancy"]["percent"] = "80"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = runner.invoke(app, ["tariff", "compute", str(bad), "--json"])
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert {"rule_id": "R-OCC-01", "severity": "error", "source": "$.occupancy.percent"}.items() <= findings[0].items()


def test_tariff_compute_exits_2_for_unreadable_input(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    assert runner.invoke(app, ["tariff", "compute", str(junk)]).exit_code == 2
    assert runner.invoke(app, ["tariff", "compute", str(tmp_path / "missing.json")]).exit_code == 2


def test_r_sup_02_ata_json():
    result = runner.invoke(
        app,
        [
            "ata",
            "--hourly-cost",
            "220",
            "--absence",
            "0.30",
            "--time-coefficient",
            "0.40",
            "--variable-costs",
            "0.05",
            "--hours",
            "10.5",
            "--json",
        ],
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"hourly_rate": "385.00", "amount": "4042.50"}


def test_template_round_trip_through_compute(database):
    out = database / "fjordgaarden.xlsx"
    result = runner.invoke(app, ["tariff", "template", "--offer", "N-851-01", "--year", "2027", "--out", str(out)])
    assert result.exit_code == 0, result.output
    computed = runner.invoke(app, ["tariff", "compute", str(out), "--json"])
    assert computed.exit_code == 0, computed.output
    assert json.loads(computed.stdout)["services"][0]["daily_tariff"] == "2070.25"


@pytest.mark.parametrize("fmt", ["xlsx", "pdf", "html"])
def test_appendix_is_written_in_each_format(database, fmt):
    out = database / f"takstbilag.{fmt}"
    result = runner.invoke(app, ["appendix", "--region", "1081", "--year", "2026", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.output
    content = out.read_bytes()
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(out).active
        assert any(2070.25 in row for row in sheet.iter_rows(values_only=True))
    elif fmt == "pdf":
        assert content.startswith(b"%PDF")
    else:
        assert "2.070,25" in content.decode()


def test_r_set_01_r_set_02_r_set_12_the_demo_command_bills_january_to_june_2025_and_its_financing_once(
    database,
):
    from rammeaftale.adapters.db.engine import make_engine
    from rammeaftale.adapters.db.uow import UnitOfWork

    engine = make_engine()
    with UnitOfWork(engine) as uow:
        documents = uow.billing.to_payer(787)
    months = sorted({(i.year, i.month) for i in documents if i.purpose == "month"})
    assert months == [(2025, m) for m in range(1, 7)]
    on_account = sorted(i.installment for i in documents if i.purpose == "on_account")
    assert on_account == list(range(1, 13))  # Rådgivningen Nord's 2025 installments (demo_financing.py)
    (true_up,) = [i for i in documents if i.purpose == "true_up"]
    assert true_up.kind.value == "credit_note" and true_up.total < 0  # the actual amount was lower
    again = runner.invoke(app, ["demo"])
    assert again.exit_code == 0 and "bilag udstedt" not in again.output
    with UnitOfWork(engine) as uow:
        assert all(i.kind.value == "invoice" and i.current for i in uow.billing.to_payer(787) if i.purpose == "month")
        assert len(uow.billing.to_payer(787)) == len(documents)
    engine.dispose()
