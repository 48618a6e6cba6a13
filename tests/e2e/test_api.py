"""The JSON API over HTTP (in process), with the same services as the pages and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import load_demo
from rammeaftale.entrypoints.app import create_app
from tests.conftest import fixed_clock
from tests.unit.test_excel_safety import HOSTILE

FIXTURE = Path(__file__).parents[1] / "fixtures" / "fjordgaarden-2026.json"


@pytest.fixture
def client(sqlite_engine):
    load_demo(sqlite_engine)
    return TestClient(create_app(sqlite_engine, fixed_clock()))


def fjordgaarden(client) -> dict:
    return next(o for o in client.get("/api/offers", params={"q": "Fjordgården"}).json())


def body_2027(**changes) -> bytes:
    data = json.loads(FIXTURE.read_text())
    data.update(ruleset="nordjylland-2027-2028", budget_year=2027, **changes)
    return json.dumps(data).encode()


def test_offers_are_public_and_filterable(client):
    offers = client.get("/api/offers", params={"region": 1082, "kind": "day"}).json()
    assert [o["name"] for o in offers] == ["Vestervang"]


def test_offer_detail_has_history_and_a_trace_with_rule_ids(client):
    detail = client.get(f"/api/offers/{fjordgaarden(client)['id']}").json()
    assert {"year": 2026, "tariff": "2070.25"}.items() <= next(
        h for h in detail["tariff_history"] if h["year"] == 2026
    ).items()
    assert any(step["rule_id"] == "R-TAR-03" for step in detail["trace"])


def test_compute_needs_no_login_and_keeps_amounts_exact(client):
    response = client.post("/api/tariff/compute", content=FIXTURE.read_bytes())
    assert response.status_code == 200
    assert response.json()["services"][0]["daily_tariff"] == "2070.25"


def test_submissions_need_a_login(client):
    service_id = fjordgaarden(client)["services"][0]["id"]
    assert client.post(f"/api/services/{service_id}/submissions", content=body_2027()).status_code == 401


def test_operator_saves_submits_and_secretariat_approves_and_publishes(client):
    service_id = fjordgaarden(client)["services"][0]["id"]
    operator, secretariat = ("drift.aalborg", "demo1234"), ("sekretariat.nord", "demo1234")
    bad = client.post(
        f"/api/services/{service_id}/submissions",
        content=body_2027(occupancy={"percent": "80", "method": "expected", "reason": "x"}),
        auth=operator,
    )
    assert bad.status_code == 422
    assert bad.json()["findings"][0]["source"] == "$.occupancy.percent"
    saved = client.post(f"/api/services/{service_id}/submissions", content=body_2027(), auth=operator)
    assert saved.status_code == 201, saved.text
    submission_id = saved.json()["id"]
    assert saved.json()["result"]["services"][0]["tariff"] == "2070.25"
    assert (
        client.post(f"/api/submissions/{submission_id}/submit", json={}, auth=operator).json()["status"] == "submitted"
    )
    assert client.post(f"/api/submissions/{submission_id}/approve", json={}, auth=operator).status_code == 403
    assert client.get(f"/api/submissions/{submission_id}", auth=("drift.hjoerring", "demo1234")).status_code == 404
    assert (
        client.post(f"/api/submissions/{submission_id}/approve", json={}, auth=secretariat).json()["status"]
        == "approved"
    )
    assert client.post("/api/appendices/1081/2027/publish", json={}, auth=secretariat).status_code == 201
    appendix = client.get("/api/appendices/1081/2027").json()
    assert "Fjordgården" in {r["offer"] for r in appendix["rows"]}
    assert "Aalborg Kommune" not in appendix["missing_operators"]


def test_cycle_overview_is_for_the_regions_secretariat_only(client):
    assert client.get("/api/cycle/1081/2027", auth=("sekretariat.nord", "demo1234")).status_code == 200
    assert client.get("/api/cycle/1081/2027", auth=("sekretariat.midt", "demo1234")).status_code == 404
    assert client.get("/api/cycle/1081/2027", auth=("koeb.thisted", "demo1234")).status_code == 403


def test_ata_endpoint(client):
    response = client.get(
        "/api/ata", params={"hourly_cost": "220", "absence": "0.30", "time_coefficient": "0.40", "hours": "10.5"}
    )
    assert response.json() == {"hourly_rate": "385.00", "amount": "4042.50"}


def test_openapi_schema_is_served(client):
    assert client.get("/api/openapi.json").json()["info"]["title"] == "Rammeaftale API"


def test_offer_changes_are_effective_dated_through_the_api(client):
    offer_id = fjordgaarden(client)["id"]
    body = {"valid_from": "2027-01-01", "reason": "DAS-beslutning", "agreed_places": "26"}
    assert client.post(f"/api/offers/{offer_id}/versions", json=body).status_code == 401
    changed = client.post(f"/api/offers/{offer_id}/versions", json=body, auth=("drift.aalborg", "demo1234"))
    assert changed.status_code == 201, changed.text
    versions = changed.json()["versions"]
    assert [(v["valid_from"], v["valid_to"]) for v in versions] == [("2023-01-01", "2027-01-01"), ("2027-01-01", None)]


def test_an_approved_submission_is_corrected_by_a_new_version_with_a_reason(client):
    service_id = fjordgaarden(client)["services"][0]["id"]
    operator, secretariat = ("drift.aalborg", "demo1234"), ("sekretariat.nord", "demo1234")
    first = client.post(f"/api/services/{service_id}/submissions", content=body_2027(), auth=operator).json()["id"]
    client.post(f"/api/submissions/{first}/submit", json={}, auth=operator)
    client.post(f"/api/submissions/{first}/approve", json={}, auth=secretariat)
    again = client.post(f"/api/services/{service_id}/submissions", content=body_2027(), auth=operator)
    assert again.status_code == 409
    corrected = client.post(
        f"/api/submissions/{first}/corrections",
        params={"reason": "Forkert husleje"},
        content=body_2027(),
        auth=operator,
    )
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["version"] == 2 and corrected.json()["status"] == "draft"
    assert client.get(f"/api/submissions/{first}", auth=operator).json()["status"] == "approved"


@pytest.mark.parametrize("case", sorted(HOSTILE), ids=sorted(HOSTILE))
def test_a_hostile_upload_over_http_is_refused_with_a_danish_4xx_and_saves_nothing(client, case):
    service_id = fjordgaarden(client)["services"][0]["id"]
    make, _ = HOSTILE[case]
    response = client.post(
        f"/api/services/{service_id}/submissions/file",
        files={"file": ("indberetning.xlsx", make(), "application/octet-stream")},
        auth=("drift.aalborg", "demo1234"),
    )
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]
    with UnitOfWork(client.app.state.engine) as uow:
        assert uow.submissions.latest(service_id, 2027) is None


@pytest.mark.parametrize("text", ["1e400", "NaN", "-Infinity"])
def test_a_json_submission_with_an_amount_string_beyond_the_money_limits_is_a_danish_422_and_saves_nothing(
    client, text
):
    service_id = fjordgaarden(client)["services"][0]["id"]
    data = json.loads(body_2027())
    data["costs"]["activities"] = text
    response = client.post(f"/api/services/{service_id}/submissions", json=data, auth=("drift.aalborg", "demo1234"))
    assert response.status_code == 422
    errors = [f for f in response.json()["findings"] if f["severity"] == "error"]
    assert [(f["rule_id"], f["source"]) for f in errors] == [("R-TAR-02", "$.costs.activities")]
    assert errors[0]["message"].startswith("Tallet ") and "<class" not in response.text
    with UnitOfWork(client.app.state.engine) as uow:
        assert uow.submissions.latest(service_id, 2027) is None


def test_a_json_number_with_an_exponent_beyond_what_decimal_holds_is_refused_in_danish_not_a_server_error(client):
    service_id = fjordgaarden(client)["services"][0]["id"]
    body = body_2027().replace(b'"activities": 600000', b'"activities": 1e9999999999999999999')
    assert b"1e9999999999999999999" in body
    response = client.post(f"/api/services/{service_id}/submissions", content=body, auth=("drift.aalborg", "demo1234"))
    assert response.status_code == 422
    assert "for stort eller har for mange cifre" in response.json()["detail"]
    with UnitOfWork(client.app.state.engine) as uow:
        assert uow.submissions.latest(service_id, 2027) is None


@pytest.mark.parametrize("text", ["1e400", "NaN", "1000000000000000"])
def test_the_ata_endpoint_answers_a_number_beyond_the_money_limits_with_a_danish_422_not_a_server_error(client, text):
    response = client.get("/api/ata", params={"hourly_cost": text, "absence": "0.30", "time_coefficient": "0.40"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert ("for stort" in detail or "ikke et endeligt tal" in detail) and "<class" not in detail, detail
