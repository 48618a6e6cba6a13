"""`rammeaftale financing` as a user runs it (issue 5, handbook section 10): register, invoice on account, true
up; JSON output; bad input refused with a Danish message and exit 1 or 2."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from rammeaftale.entrypoints.cli import app
from tests.e2e.test_cli_billing import world
from tests.integration.billing_world import AALBORG, HJOERRING, THISTED

runner = CliRunner()
__all__ = ["world"]  # the fixture of test_cli_billing.py: the billing world in a SQLite file the CLI opens


def financing(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["financing", *args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.exit_code == 0 else {"error": result.output}


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "key.csv"
    path.write_text(f"municipality,weight\n{AALBORG},12345\n{HJOERRING},23456\n{THISTED},34567\n", encoding="utf-8")
    return path


def test_r_obj_02_r_set_12_register_invoice_and_true_up_from_the_command_line(world, key, tmp_path):
    code, registered = financing(
        "register", "--offer", "N-851-01", "--year", "2025", "--amount", "1000000", "--weights", str(key)
    )
    assert code == 0, registered
    assert registered["shares"] == [
        {"municipality": "851", "amount": "175435"},
        {"municipality": "860", "amount": "333333"},
        {"municipality": "787", "amount": "491232"},
    ]
    code, invoiced = financing("invoice", "--offer", "N-851-01", "--year", "2025")
    assert code == 0, invoiced
    assert len(invoiced["issued"]) == 36 and invoiced["total_invoiced"] == "1000000.00"
    code, again = financing("invoice", "--offer", "N-851-01", "--year", "2025")
    assert code == 0 and again["issued"] == [] and again["invoices"] == invoiced["invoices"]

    code, settled = financing("true-up", "--offer", "N-851-01", "--year", "2025", "--actual", "1100000")
    assert code == 0, settled
    assert settled["actual_amount"] == "1100000" and len(settled["issued"]) == 3
    assert Decimal(settled["total_invoiced"]) == Decimal(1100000)
    true_ups = [i for i in settled["invoices"] if i["purpose"] == "true_up"]
    assert {i["kind"] for i in true_ups} == {"invoice"}

    code, shown = financing("show", "--offer", "N-851-01", "--year", "2025")
    assert code == 0 and shown["invoices"] == settled["invoices"]


def test_r_obj_01_bad_input_is_refused_in_danish(world, key, tmp_path):
    result = runner.invoke(app, ["financing", "show", "--offer", "N-851-01", "--year", "2025"])
    assert result.exit_code == 1 and "ingen aftale om objektiv finansiering" in result.output
    result = runner.invoke(
        app,
        ["financing", "register", "--offer", "N-851-01", "--year", "2025", "--amount", "12,5", "--weights", str(key)],
    )
    assert result.exit_code == 1 and "R-OBJ-02 [amount]" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("kommune,vægt\n851,1\n", encoding="utf-8")
    result = runner.invoke(
        app, ["financing", "register", "--offer", "N-851-01", "--year", "2025", "--amount", "1", "--weights", str(bad)]
    )
    assert result.exit_code == 2 and "kolonnerne skal være municipality,weight" in result.output
