"""Issue 5, placements over HTTP: the CPR number masked in every answer, whole only from POST .../cpr to a party.

The demo database (its 2025 placements) through the real app in process, HTTP Basic as the API scripts use it.
Every CPR number here is invented.
"""

from __future__ import annotations

import io
import json
import logging
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from rammeaftale.demo import DEMO_PASSWORD
from rammeaftale.demo_placements import PLACEMENTS, demo_placement_id
from tests.e2e.test_policies import Demo, demo, demo_database

__all__ = ["demo", "demo_database"]  # the shared fixtures

CPR_PATTERN = re.compile(r"\b[0-3]\d[01]\d\d{2}-?\d{4}\b")  # as tests/security/conftest.py scans
THISTED = ("koeb.thisted", DEMO_PASSWORD)
HERNING = ("koeb.herning", DEMO_PASSWORD)
AALBORG = ("drift.aalborg", DEMO_PASSWORD)
HJOERRING = ("drift.hjoerring", DEMO_PASSWORD)
SECRETARIAT = ("sekretariat.nord", DEMO_PASSWORD)
NEW = {"cpr": "111280-1234", "offer_code": "N-851-01", "acting_municipality": 787, "start_date": "2026-03-01"}
FJORDGAARDEN = demo_placement_id(1)  # Thisted's citizen in Fjordgården (Aalborg)


def api(demo: Demo) -> TestClient:
    return TestClient(demo.app)


def no_cpr(text: str) -> None:
    assert CPR_PATTERN.findall(text) == [], text[:300]


def test_a_buyer_registers_over_json_and_every_answer_shows_the_cpr_number_only_masked(demo: Demo) -> None:
    client = api(demo)
    created = client.post("/api/placements", json={**NEW, "paying_municipality": None}, auth=THISTED)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["cpr_masked"], body["status"], body["paying_municipality"]) == ("111280-xxxx", "registered", None)
    assert body["acting_municipality"] == {"kommunekode": 787, "name": "Thisted Kommune"}
    assert body["placement_id"].startswith("P-") and len(body["placement_id"]) == 12
    assert body["you"] == {
        "operator": False,
        "acting_municipality": True,
        "paying_municipality": False,
        "may_reveal_cpr": True,
    }
    assert body["tariffs"][-1] == {
        "effective_from": "2026-01-01",
        "daily": "2070.25",
        "label": "Længerevarende botilbud, takstbilag 2026",
    }
    no_cpr(created.text)
    listed = client.get("/api/placements", auth=THISTED)
    assert listed.status_code == 200 and listed.json()["total"] == 1 + sum(
        787 in (p.acting, p.paying) for p in PLACEMENTS
    )
    no_cpr(listed.text)
    no_cpr(client.get("/api/placements?limit=500", auth=AALBORG).text)
    no_cpr(client.get(f"/api/placements/{body['placement_id']}", auth=AALBORG).text)


def test_a_refused_registration_names_the_cpr_field_without_repeating_any_number(demo: Demo) -> None:
    client = api(demo)
    for body in (
        {**NEW, "cpr": "311380-1234"},
        {**NEW, "cpr": 1112801234},
        {**NEW, "status": "confirmed", "operator_id": 1, "0101901234": "x"},
        {**NEW, "acting_municipality": "0101901234"},
    ):
        refused = client.post("/api/placements", json=body, auth=THISTED)
        assert refused.status_code == 422, refused.text
        no_cpr(refused.text)
        assert refused.json()["detail"] == "Indskrivningen har fejl og er ikke gemt."
    fields = {
        f["source"]
        for f in client.post("/api/placements", json={**NEW, "status": "x"}, auth=THISTED).json()["findings"]
    }
    assert fields == {"$.status"}
    broken = client.post("/api/placements", content=b'{"cpr": "111280-1234", ', auth=THISTED)
    assert broken.status_code == 422 and "111280" not in broken.text
    assert client.post("/api/placements", json=NEW, auth=AALBORG).status_code == 403
    assert client.get("/api/placements", auth=THISTED).json()["total"] == sum(
        787 in (p.acting, p.paying) for p in PLACEMENTS
    )


def test_the_full_number_comes_only_from_a_post_for_the_two_parties_and_no_cache_keeps_it(demo: Demo) -> None:
    client = api(demo)
    for auth in (THISTED, AALBORG):
        revealed = client.post(f"/api/placements/{FJORDGAARDEN}/cpr", json={}, auth=auth)
        assert revealed.status_code == 200
        assert revealed.json() == {"placement_id": FJORDGAARDEN, "cpr": "150372-0101"}
        assert revealed.headers["cache-control"] == "no-store"
    older = demo_placement_id(2)  # Thisted acts, Morsø pays: Morsø has no login, Herning is no party
    assert client.post(f"/api/placements/{older}/cpr", json={}, auth=HERNING).status_code == 404
    for auth, status in ((HERNING, 404), (HJOERRING, 404), (SECRETARIAT, 403), (None, 401)):
        assert client.post(f"/api/placements/{FJORDGAARDEN}/cpr", json={}, auth=auth).status_code == status
        assert client.get(f"/api/placements/{FJORDGAARDEN}", auth=auth).status_code == status
    assert client.get(f"/api/placements/{FJORDGAARDEN}/cpr", auth=THISTED).status_code == 405
    assert client.post("/api/placements/P-AAAAAAAAAA/cpr", json={}, auth=THISTED).status_code == 404


def test_the_operator_confirms_and_adds_supplements_and_the_buyer_gives_notice_over_http_r_set_04(demo: Demo) -> None:
    client = api(demo)
    placement_id = client.post("/api/placements", json={**NEW, "paying_municipality": 773}, auth=THISTED).json()[
        "placement_id"
    ]
    assert client.post(f"/api/placements/{placement_id}/confirm", json={}, auth=HJOERRING).status_code == 404
    assert client.post(f"/api/placements/{placement_id}/confirm", json={}, auth=THISTED).status_code == 403
    confirmed = client.post(f"/api/placements/{placement_id}/confirm", json={}, auth=AALBORG)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert client.post(f"/api/placements/{placement_id}/confirm", json={}, auth=AALBORG).status_code == 409
    ata = {
        "kind": "ata",
        "name": "Ekstra støtte",
        "start": "2026-04-01",
        "hours_per_day": "1.5",
        "hourly_cost": "220.00",
        "absence_pct": "30",
        "time_coefficient_pct": "40",
        "time_of_day": "aften",
    }
    added = client.post(f"/api/placements/{placement_id}/supplements", json=ata, auth=AALBORG)
    assert added.status_code == 201, added.text
    assert added.json()["placement"]["supplements"][0]["hourly_rate"] == "385.00"
    assert [f["rule_id"] for f in added.json()["findings"]] == ["R-SUP-04"]
    supplement_id = added.json()["supplement_id"]
    ended = client.post(
        f"/api/placements/{placement_id}/supplements/{supplement_id}/end", json={"end": "2026-09-30"}, auth=AALBORG
    )
    assert ended.status_code == 200 and ended.json()["supplements"][0]["end"] == "2026-09-30"
    bad = client.post(f"/api/placements/{placement_id}/supplements", json={**ata, "hourly_cost": "mange"}, auth=AALBORG)
    assert bad.status_code == 422 and bad.json()["findings"][0]["source"] == "$.hourly_cost"
    notice = client.post(
        f"/api/placements/{placement_id}/notice", json={"final_date": "2026-12-31", "kind": "final"}, auth=THISTED
    )
    assert notice.status_code == 200
    assert notice.json()["notice"] == {
        "given_on": "2026-11-22",
        "final_date": "2026-12-31",
        "kind": "final",
        "operator_agrees": False,
        "counts": True,
    }
    assert (
        client.post(
            f"/api/placements/{placement_id}/notice", json={"final_date": "2026-12-31"}, auth=THISTED
        ).status_code
        == 409
    )
    other = client.post("/api/placements", json={**NEW, "cpr": "020280-1111"}, auth=THISTED).json()["placement_id"]
    assert client.post(f"/api/placements/{other}/refuse", json={"reason": ""}, auth=AALBORG).status_code == 422
    refused = client.post(f"/api/placements/{other}/refuse", json={"reason": "Ingen plads"}, auth=AALBORG)
    assert (refused.json()["status"], refused.json()["refusal_reason"]) == ("refused", "Ingen plads")
    assert (
        client.post(
            f"/api/placements/{other}/refuse", json={"reason": "x", "status": "registered"}, auth=AALBORG
        ).status_code
        == 422
    )


def test_an_import_over_http_registers_all_rows_or_none_and_refuses_a_macro_workbook(demo: Demo) -> None:
    client = api(demo)
    csv = b"cpr;tilbud;handlekommune;startdato\n010280-1111;N-851-01;787;01-03-2026\n310280-2222;N-787-01;787;01-03-2026\n"
    refused = client.post("/api/placements/import", files={"file": ("liste.csv", csv, "text/csv")}, auth=THISTED)
    assert refused.status_code == 422
    assert refused.json()["findings"][0]["source"] == "liste.csv, række 3, kolonne cpr"
    no_cpr(refused.text)
    fixed = csv.replace(b"310280-2222", b"030380-2222")
    saved = client.post("/api/placements/import", files={"file": ("liste.csv", fixed, "text/csv")}, auth=THISTED)
    assert saved.status_code == 201 and saved.json()["count"] == 2
    workbook = Workbook()
    raw = io.BytesIO()
    workbook.save(raw)
    macro = client.post(
        "/api/placements/import",
        files={"file": ("liste.xlsm", raw.getvalue(), "application/octet-stream")},
        auth=THISTED,
    )
    assert macro.status_code == 422
    assert (
        client.post("/api/placements/import", files={"file": ("l.csv", csv, "text/csv")}, auth=AALBORG).status_code
        == 403
    )


def test_a_search_by_cpr_number_is_a_post_and_finds_only_the_callers_placements(demo: Demo) -> None:
    client = api(demo)
    found = client.post("/api/placements/search", json={"cpr": "1503720101"}, auth=THISTED)
    assert found.status_code == 200 and [p["placement_id"] for p in found.json()["placements"]] == [FJORDGAARDEN]
    no_cpr(found.text)
    assert client.post("/api/placements/search", json={"cpr": "150372-0101"}, auth=HERNING).json()["placements"] == []
    wrong = client.post("/api/placements/search", json={"cpr": "150372-010"}, auth=THISTED)
    assert wrong.status_code == 422 and "150372" not in wrong.text
    assert client.post("/api/placements/search", json={"cpr": "150372-0101", "x": 1}, auth=THISTED).status_code == 422
    assert client.post("/api/placements/search", json={"cpr": "150372-0101"}, auth=SECRETARIAT).status_code == 403


def test_no_route_takes_a_cpr_number_in_its_address_and_no_log_line_shows_one(
    demo: Demo, caplog: pytest.LogCaptureFixture
) -> None:
    schema = api(demo).get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        assert "cpr" not in re.sub(r"/cpr$", "", path)
        for operation in operations.values():
            assert all("cpr" not in p["name"].lower() for p in operation.get("parameters", [])), path
    caplog.set_level(logging.DEBUG)
    client = api(demo)
    client.post("/api/placements", json={**NEW, "cpr": "311380-1234"}, auth=THISTED)
    client.post("/api/placements", json=NEW, auth=THISTED)
    client.post("/api/placements/search", json={"cpr": "150372-0101"}, auth=THISTED)
    client.post(f"/api/placements/{FJORDGAARDEN}/cpr", json={}, auth=THISTED)
    client.post(f"/api/placements/{FJORDGAARDEN}/cpr", json={}, auth=HERNING)
    client.post(
        "/api/placements/import", files={"file": ("010190-1234.csv", b"cpr\n0101901234\n", "text/csv")}, auth=THISTED
    )
    assert caplog.records
    no_cpr("\n".join(r.getMessage() for r in caplog.records))


def test_every_hostile_file_of_the_corpus_is_refused_by_the_import_and_saves_nothing(demo: Demo) -> None:
    """The upload guard (``excel/safety.py``) stands before the import too: the whole hostile corpus of issue 3."""
    corpus = Path(__file__).parents[1] / "fixtures" / "hostile"
    files = [entry["file"] for entry in json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))]
    client = api(demo)
    before = demo.counts()
    slow = []
    for name in files:
        started = time.perf_counter()
        answer = client.post(
            "/api/placements/import", files={"file": (name, (corpus / name).read_bytes())}, auth=THISTED
        )
        assert answer.status_code == 422, (name, answer.text[:200])
        assert answer.json()["detail"], name
        no_cpr(answer.text)
        if time.perf_counter() - started > 5:
            slow.append(name)
    assert len(files) >= 100 and slow == []
    assert demo.counts() == before
