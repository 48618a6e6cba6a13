"""Objective financing over HTTP (issue 5 item 4, handbook section 10): the secretariat registers an agreement on
the page and over the API, the operator invoices the installments and trues the year up, each municipality sees
its own invoices; another organisation gets 404; bad input is a Danish message with its rule id.

The demo database (fixed clock 2026-11-22): Region Nordjylland's Rådgivningen Nord (N-1081-02).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import xmlschema

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.documents.einvoice import check_einvoice
from rammeaftale.demo import DEMO_PASSWORD
from tests.e2e.test_policies import Demo, demo, demo_database

__all__ = ["demo", "demo_database"]  # the shared fixtures

SECRETARIAT = ("sekretariat.nord", DEMO_PASSWORD)
OPERATOR = ("drift.regionnord", DEMO_PASSWORD)
THISTED = ("koeb.thisted", DEMO_PASSWORD)
HERNING = ("koeb.herning", DEMO_PASSWORD)
XSD = Path(__file__).resolve().parents[1] / "fixtures" / "ubl-2.1" / "xsd"
KEY = "851;222000\n860;64000\n787;43000\n"


def _register_on_page(demo: Demo, amount: str = "1.000.000", key: str = KEY) -> tuple[int, str]:
    client = demo.client("sekretariat.nord")
    form = {
        "tilbud": "N-1081-02",
        "aar": "2025",
        "beloeb": amount,
        "noegle": "population",
        "vaegte": key,
        "traekningsret": "true",
        "csrf_token": demo.csrf(client),
    }
    answer = client.post("/finansiering", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    found = re.fullmatch(r"/finansiering/(\d+)", location)
    return (int(found.group(1)) if found else 0), client.get(location).text


def test_r_obj_01_r_obj_02_the_secretariat_registers_on_the_page_and_sees_the_shares(demo: Demo) -> None:
    agreement_id, page = _register_on_page(demo)
    assert agreement_id and "er registreret: 1.000.000,00 kr." in page
    assert "Aalborg Kommune (851)" in page and "674.772,00 kr." in page  # 1,000,000 × 222,000 / 329,000
    assert "<svg" in page and "Andele af årets beløb (R-OBJ-02)" in page
    assert "Fakturér begyndte a conto-rater" not in page  # only the operator invoices
    listed = demo.client("sekretariat.nord").get("/finansiering?aar=2025").text
    assert "N-1081-02" in listed and "Registrér en aftale" in listed


def test_r_obj_01_a_bad_key_is_refused_on_the_page_with_the_rule_and_nothing_is_saved(demo: Demo) -> None:
    agreement_id, page = _register_on_page(demo, amount="12,5", key="851;x\n999;3\n")
    assert agreement_id == 0
    assert "Aftalen om objektiv finansiering er ikke gemt." in page and "(R-OBJ-02)" in page
    assert "Kommunekode 999 er ikke en kommune i regionen. (R-OBJ-01)" in page
    assert "851;x" in page  # the form keeps what was typed
    assert "Ingen aftaler om objektiv finansiering for 2025." in page


def test_r_set_12_the_operator_invoices_and_trues_up_and_each_municipality_sees_its_own(demo: Demo) -> None:
    agreement_id, _ = _register_on_page(demo)
    operator = demo.client("drift.regionnord")
    page = operator.get(f"/finansiering/{agreement_id}").text
    csrf = demo.csrf(operator)
    issued = operator.post(f"/finansiering/{agreement_id}/rater", data={"csrf_token": csrf})
    assert "36 a conto-fakturaer udstedt: 1.000.000,00 kr. (R-SET-12)." in issued.text
    again = operator.post(f"/finansiering/{agreement_id}/rater", data={"csrf_token": csrf})
    assert "intet nyt udstedt" in again.text
    settled = operator.post(
        f"/finansiering/{agreement_id}/aarsafregning", data={"faktisk": "900.000", "csrf_token": csrf}
    )
    assert "Året er afregnet: 3 fakturaer og kreditnotaer, netto -100.000,00 kr." in settled.text
    assert "Årsafregning (R-SET-12)" in settled.text and "Fakturér begyndte" not in settled.text
    assert page

    client = demo.client()
    detail = client.get(f"/api/financing/agreements/{agreement_id}", auth=THISTED).json()
    assert {i["payer"] for i in detail["invoices"]} == {787}  # Thisted sees its own documents only
    assert sum(Decimal(i["total"]) for i in detail["invoices"]) == Decimal(
        next(t["final_share"] for t in detail["true_up"] if t["municipality"] == 787)
    )
    assert client.get(f"/api/financing/agreements/{agreement_id}", auth=HERNING).status_code == 404
    assert client.get(f"/finansiering/{agreement_id}", auth=HERNING).status_code in (401, 404)
    credit = next(i for i in detail["invoices"] if i["purpose"] == "true_up")
    assert credit["kind"] == "credit_note" and credit["credits"]
    xml = client.get(f"/api/invoices/{credit['id']}/einvoice.xml", auth=THISTED)
    assert xml.status_code == 200
    xmlschema.XMLSchema10(str(XSD / "maindoc" / "UBL-CreditNote-2.1.xsd")).validate(xml.content.decode())
    assert check_einvoice(xml.content) == []  # line sums and totals agree to the øre (R-SET-13)
    with UnitOfWork(demo.engine) as uow:
        assert uow.financing.get(agreement_id) is not None


def test_r_obj_03_the_api_registers_lists_and_refuses_other_roles(demo: Demo) -> None:
    client = demo.client()
    body = {
        "offer": "N-1081-02",
        "year": 2026,
        "amount": "500000",
        "key_kind": "historical_use",
        "weights": [{"municipality": 851, "weight": "120"}, {"municipality": 787, "weight": "30"}],
        "drawing_right": False,
    }
    assert client.post("/api/financing/agreements", json=body, auth=OPERATOR).status_code == 403
    assert client.post("/api/financing/agreements", json={**body, "id": 7}, auth=SECRETARIAT).status_code == 422
    created = client.post("/api/financing/agreements", json=body, auth=SECRETARIAT)
    assert created.status_code == 201, created.text
    agreement = created.json()
    assert (agreement["amount"], agreement["drawing_right"], agreement["actual_amount"]) == ("500000", False, None)
    shares = client.get(f"/api/financing/agreements/{agreement['id']}", auth=OPERATOR).json()["shares"]
    assert [(s["municipality"], s["amount"]) for s in shares] == [(851, "400000"), (787, "100000")]
    assert [a["id"] for a in client.get("/api/financing/agreements?year=2026", auth=THISTED).json()] == [
        agreement["id"]
    ]
    assert client.get("/api/financing/agreements?year=2026", auth=HERNING).json() == []
    refused = client.post(
        f"/api/financing/agreements/{agreement['id']}/installments", json={"through": 12}, auth=OPERATOR
    )
    assert refused.status_code == 422 and "Rate 12 kan faktureres fra 01-12-2026" in refused.text
    again = client.post("/api/financing/agreements", json=body, auth=SECRETARIAT)
    assert again.status_code == 422 and "allerede en aftale" in again.text
