"""The accounts and reserve-ledger API over HTTP (issue 4): JSON in, amounts as strings out, scoped reads.

The demo database without the demo's own accounts, with the fixed clock 2026-11-22; the handbook's § 7
surplus for Fjordgården's 2023 accounts (late by then: R-CYC-01).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.demo import DEMO_PASSWORD, load_demo
from tests.e2e.test_policies import Demo, demo

__all__ = ["demo"]  # the shared fixture, on this module's database


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo without its accounts (``accounts=False``): Fjordgården's 2023 accounts are the first here."""
    path = tmp_path_factory.mktemp("accounts-api") / "demo.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    load_demo(engine, accounts=False)
    engine.dispose()
    return path


OPERATOR = ("drift.aalborg", DEMO_PASSWORD)
SECRETARIAT = ("sekretariat.nord", DEMO_PASSWORD)


def accounts_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ruleset": "nordjylland-2023-2024",
        "accounts_year": 2023,
        "offer_code": "N-851-01",
        "costs": {"personnel": {"citizen_related_staff": 11050000}},
        "income": {"tariff_income": "12000000"},
        "cost_base": 12000000,
    }
    body.update(changes)
    return body


def test_r_sur_01_accounts_posted_as_json_answer_with_their_consequence_and_the_ledger_shows_the_reserve(
    demo: Demo,
) -> None:
    offer_id, _ = demo.ids("N-851-01")
    client = demo.client()
    response = client.post(f"/api/offers/{offer_id}/accounts", json=accounts_body(), auth=OPERATOR)
    assert response.status_code == 201, response.text
    saved = response.json()
    assert (saved["result"], saved["percent"], saved["kind"]) == ("950000.00", "7.92", "surplus")
    assert (saved["within_limit"], saved["excess"], saved["tariff_effect"]) == ("600000.00", "350000.00", "-350000.00")
    assert (saved["reserved"], saved["due_year"], saved["late"], saved["current"]) == ("600000.00", 2025, True, True)
    assert "R-CYC-01" in {f["rule_id"] for f in saved["findings"]}
    assert [(r["kind"], r["budget_year"], r["total"]) for r in saved["regulations"]] == [("tariff", 2025, "-350000.00")]
    versions = client.get(f"/api/offers/{offer_id}/accounts", auth=SECRETARIAT).json()["versions"]
    assert [v["id"] for v in versions] == [saved["id"]]
    assert client.get(f"/api/accounts/{saved['id']}", auth=SECRETARIAT).json()["data"]["offer_code"] == "N-851-01"
    org = client.get(f"/api/offers/{offer_id}").json()["operator"]["id"]
    ledger = client.get(f"/api/operators/{org}/reserves", auth=OPERATOR).json()
    assert ledger["balance"] == "600000.00"
    assert ledger["by_origin_year"] == [{"origin_year": 2023, "balance": "600000.00"}]
    assert [(e["kind"], e["amount"], e["expiry_year"]) for e in ledger["entries"]] == [("created", "600000.00", 2028)]
    overview = client.get("/api/regions/1081/accounts/2023", auth=SECRETARIAT).json()
    assert [line["offer"]["offer_code"] for line in overview["beyond_limit"]] == ["N-851-01"]
    assert overview["regulations_due"][0]["total"] == "-350000.00" and overview["deadline_passed"]
    assert "N-851-01" not in {r["offer_code"] for r in overview["missing"]}


def test_r_acc_01_an_unknown_field_in_the_accounts_body_is_refused_with_422_and_nothing_is_saved(demo: Demo) -> None:
    offer_id, _ = demo.ids("N-851-01")
    before = demo.counts()
    body = accounts_body(status="approved", reserved="9999999")
    response = demo.client().post(f"/api/offers/{offer_id}/accounts", json=body, auth=OPERATOR)
    assert response.status_code == 422
    assert {(f["rule_id"], f["source"]) for f in response.json()["findings"]} >= {
        ("R-ACC-01", "$.status"),
        ("R-ACC-01", "$.reserved"),
    }
    assert demo.counts() == before


def test_r_sur_07_purchases_by_kommunekode_share_an_early_repayment_among_the_buyers(demo: Demo) -> None:
    offer_id, _ = demo.ids("N-851-01")
    base = demo.submission("N-851-01", 2025, "published").cost_base  # the 2025 tariff's: the accounts' base
    body = accounts_body(
        ruleset="nordjylland-2025-2026",
        accounts_year=2025,
        costs={"personnel": {"citizen_related_staff": str(base)}},
        income={"tariff_income": str(base + base // 10)},
        early_repayment="90000",
        purchases={"787": "2000000", "860": 1000000},
    )
    body.pop("cost_base")
    response = demo.client().post(f"/api/offers/{offer_id}/accounts", json=body, auth=OPERATOR)
    assert response.status_code == 201, response.text
    saved = response.json()
    assert saved["cost_base_source"] == "tariff"
    repaid = {
        r["buyer"]: (r["amount"], r["purchases"], r["budget_year"])
        for r in saved["regulations"]
        if r["kind"] == "repayment"
    }
    assert repaid == {
        "Thisted Kommune": ("-60000.00", "2000000.00", 2026),
        "Hjørring Kommune": ("-30000.00", "1000000.00", 2026),
    }
    unknown = accounts_body(purchases={"9999": "1"})
    refused = demo.client().post(f"/api/offers/{offer_id}/accounts", json=unknown, auth=OPERATOR)
    assert refused.status_code == 422
    assert [f["source"] for f in refused.json()["findings"]] == ["$.purchases.9999"]


def test_accounts_as_a_json_file_upload_and_a_correction_with_a_reason(demo: Demo) -> None:
    offer_id, _ = demo.ids("N-851-01")
    client = demo.client()
    upload = {"file": ("regnskab.json", json.dumps(accounts_body()).encode(), "application/json")}
    first = client.post(f"/api/offers/{offer_id}/accounts/file", files=upload, auth=OPERATOR)
    assert first.status_code == 201, first.text
    assert first.json()["source"] == "json"
    again = client.post(f"/api/offers/{offer_id}/accounts", json=accounts_body(), auth=OPERATOR)
    assert again.status_code == 422 and again.json()["findings"][0]["field"] == "reason"
    corrected = client.post(
        f"/api/offers/{offer_id}/accounts",
        params={"reason": "Revisionen"},
        json=accounts_body(costs={"personnel": {"citizen_related_staff": 11000000}}),
        auth=OPERATOR,
    )
    assert corrected.status_code == 201, corrected.text
    assert (corrected.json()["version"], corrected.json()["supersedes_id"]) == (2, first.json()["id"])
    versions = client.get(f"/api/offers/{offer_id}/accounts", auth=OPERATOR).json()["versions"]
    assert [(v["version"], v["current"]) for v in versions] == [(2, True), (1, False)]


def test_r_sur_02_and_r_clo_01_reserves_are_used_over_the_api_and_a_transfer_needs_a_closing_offer(demo: Demo) -> None:
    offer_id, _ = demo.ids("N-851-01")
    client = demo.client()
    assert client.post(f"/api/offers/{offer_id}/accounts", json=accounts_body(), auth=OPERATOR).status_code == 201
    used = client.post(f"/api/offers/{offer_id}/reserves/use", json={"amount": "100000", "year": 2025}, auth=OPERATOR)
    assert used.status_code == 200, used.text
    assert used.json()["balance"] == "500000.00"
    too_much = client.post(f"/api/offers/{offer_id}/reserves/use", json={"amount": "500000.01"}, auth=OPERATOR)
    assert too_much.status_code == 422 and too_much.json()["findings"][0]["rule_id"] == "R-SUR-02"
    transfer = client.post(f"/api/offers/{offer_id}/reserves/transfer", json={"to_offer_id": offer_id}, auth=OPERATOR)
    assert transfer.status_code == 422 and transfer.json()["findings"][0]["rule_id"] == "R-CLO-01"
    extra = client.post(f"/api/offers/{offer_id}/reserves/use", json={"amount": "1", "kind": "created"}, auth=OPERATOR)
    assert extra.status_code == 422


def test_buyers_get_403_anonymous_401_and_another_region_404_on_the_accounts_routes(demo: Demo) -> None:
    offer_id, _ = demo.ids("N-851-01")
    client = demo.client()
    assert client.post(f"/api/offers/{offer_id}/accounts", json=accounts_body(), auth=OPERATOR).status_code == 201
    buyer, anonymous = ("koeb.thisted", DEMO_PASSWORD), None
    for url in (f"/api/offers/{offer_id}/accounts", "/api/operators/1/reserves", "/api/regions/1081/accounts/2023"):
        assert client.get(url, auth=buyer).status_code == 403
        assert client.get(url, auth=anonymous).status_code == 401
    assert client.get("/api/regions/1081/accounts/2023", auth=("sekretariat.midt", DEMO_PASSWORD)).status_code == 404
    assert client.get(f"/api/offers/{offer_id}/accounts", auth=("drift.hjoerring", DEMO_PASSWORD)).status_code == 404
