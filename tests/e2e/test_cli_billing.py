"""`rammeaftale bill` as a user runs it (issue 5): the month billed once, its invoices printed as JSON."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.entrypoints.cli import app
from tests.integration.billing_world import AALBORG, HJOERRING, THISTED, World, build_world

runner = CliRunner()


@pytest.fixture
def world(tmp_path, monkeypatch) -> World:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("RAMMEAFTALE_DATABASE_URL", url)
    engine = make_engine(url)
    migrate(engine)
    return build_world(engine)


def bill(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["bill", *args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.exit_code == 0 else {"error": result.output}


def test_r_set_01_r_set_11_bill_runs_the_month_once_and_prints_one_invoice_per_payer_with_its_total(world):
    world.place(acting=HJOERRING, paying=HJOERRING)
    world.place(acting=THISTED, paying=THISTED, start=date(2025, 3, 11))

    code, data = bill("--operator", str(AALBORG), "--month", "2025-03")

    assert code == 0, data
    assert (data["operator"], data["month"], data["ran"]) == ("851", "2025-03", True)
    assert [(i["number"], i["payer"], i["total"]) for i in data["invoices"]] == [
        ("851-000001", "787", "43475.25"),  # 21 days × 2.070,25 kr.
        ("851-000002", "860", "64177.75"),  # the handbook's full March
    ]
    assert data["total"] == "107653.00" and data["issued"] == ["851-000001", "851-000002"]
    issued_on = date.fromisoformat(data["invoices"][0]["issued_on"])
    assert data["invoices"][0]["due_on"] == (issued_on + timedelta(days=30)).isoformat()

    code, again = bill("--operator", "851", "--month", "2025-03")
    assert code == 0 and again["ran"] is False and again["invoices"] == data["invoices"]


def test_r_set_02_bill_rerun_after_a_change_issues_a_credit_note_and_a_new_invoice(world):
    pk = world.place(acting=HJOERRING, paying=HJOERRING)
    bill("--operator", "851", "--month", "2025-03")
    world.change(pk, negotiated_tariff=Decimal("2100.00"))

    code, data = bill("--operator", "851", "--month", "2025-03", "--rerun")

    assert code == 0, data
    assert data["issued"] == ["851-000002", "851-000003"]
    assert [(i["number"], i["total"]) for i in data["invoices"]] == [("851-000003", "65100.00")]


def test_bill_names_a_region_by_its_code_and_refuses_unknown_operators_and_months(world):
    world.place(1081, acting=HJOERRING, paying=HJOERRING, tariff="1000.00")
    code, data = bill("--operator", "1081", "--month", "2025-02")
    assert code == 0 and data["total"] == "28000.00" and data["invoices"][0]["number"] == "1081-000001"
    assert runner.invoke(app, ["bill", "--operator", "999", "--month", "2025-03"]).exit_code == 2
    assert runner.invoke(app, ["bill", "--operator", "851", "--month", "marts"]).exit_code == 2
    refused = runner.invoke(app, ["bill", "--operator", "851", "--month", "2001-01"])
    assert refused.exit_code == 1 and "regelsæt" in refused.output
