"""The billing API over HTTP (issue 5): a month run by the operator, invoices and statements scoped to their
parties, disputes and their resolution; amounts as decimal strings with øre.

The demo database (fixed clock 2026-11-22) with its 2025 placements; Aalborg's Fjordgården bills Thisted.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xmlschema

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import DEMO_PASSWORD, demo_cvr
from tests.e2e.test_policies import Demo, demo, demo_database

__all__ = ["demo", "demo_database"]  # the shared fixtures

OPERATOR = ("drift.aalborg", DEMO_PASSWORD)
THISTED = ("koeb.thisted", DEMO_PASSWORD)
HERNING = ("koeb.herning", DEMO_PASSWORD)


def organisation_of(demo: Demo, username: str) -> int:
    with UnitOfWork(demo.engine) as uow:
        user = uow.users.by_username(username)
        assert user is not None
        return user.organisation_id


def test_r_set_01_r_set_11_the_operator_runs_a_month_over_the_api_and_a_second_run_issues_nothing(demo: Demo) -> None:
    client, aalborg = demo.client(), organisation_of(demo, "drift.aalborg")

    first = client.post(f"/api/operators/{aalborg}/billing/2025/3", json={}, auth=OPERATOR)

    assert first.status_code == 200, first.text
    run = first.json()
    assert run["issued"] and [i["number"] for i in run["issued"]] == [i["number"] for i in run["invoices"]]
    assert all(i["kind"] == "invoice" and i["due_on"] == "2026-12-22" for i in run["issued"])  # R-SET-11: 30 days
    assert all(i["number"].startswith("851-") and i["total"] == f"{Decimal(i['total']):.2f}" for i in run["issued"])
    assert run["total"] == f"{sum(Decimal(i['total']) for i in run['invoices']):.2f}"
    assert len({i["payer"] for i in run["invoices"]}) == len(run["invoices"])  # one invoice per payer
    again = client.post(f"/api/operators/{aalborg}/billing/2025/3", json={}, auth=OPERATOR).json()
    assert again["issued"] == [] and again["unchanged"] == len(run["invoices"])
    listed = client.get(f"/api/operators/{aalborg}/invoices?year=2025&month=3", auth=OPERATOR).json()
    assert [i["number"] for i in listed] == [i["number"] for i in run["invoices"]]
    assert (
        client.post(f"/api/operators/{aalborg}/billing/2025/3", json={"status": "x"}, auth=OPERATOR).status_code == 422
    )


def test_r_set_02_the_payer_sees_its_statement_disputes_a_line_and_the_operator_resolves_it(demo: Demo) -> None:
    client = demo.client()
    aalborg, thisted = organisation_of(demo, "drift.aalborg"), organisation_of(demo, "koeb.thisted")
    client.post(f"/api/operators/{aalborg}/billing/2025/3", json={}, auth=OPERATOR)

    statement = client.get(f"/api/buyers/{thisted}/statement?year=2025", auth=THISTED).json()
    (invoice,) = [i for i in statement["invoices"] if i["operator_id"] == aalborg]
    assert (invoice["payer"], invoice["payer_name"], invoice["current"]) == (787, "Thisted Kommune", True)
    assert statement["total"] == f"{sum(Decimal(i['total']) for i in statement['invoices']):.2f}"
    detail = client.get(f"/api/invoices/{invoice['id']}", auth=THISTED).json()
    assert detail["lines"] and {line["rule_id"] for line in detail["lines"]} <= {"R-SET-03", "R-SET-05", "R-SUP-02"}
    assert f"{sum(Decimal(line['amount']) for line in detail['lines']):.2f}" == detail["total"]
    assert client.get(f"/api/invoices/{invoice['id']}", auth=HERNING).status_code == 404
    assert client.get(f"/api/buyers/{thisted}/statement", auth=HERNING).status_code == 404

    body = {"line_index": 0, "reason": "Borgeren var på ferie."}
    assert (
        client.post(
            f"/api/invoices/{invoice['id']}/disputes", json={**body, "status": "resolved"}, auth=THISTED
        ).status_code
        == 422
    )
    raised = client.post(f"/api/invoices/{invoice['id']}/disputes", json=body, auth=THISTED)
    assert raised.status_code == 201, raised.text
    dispute = raised.json()
    assert (dispute["status"], dispute["reason"]) == ("open", "Borgeren var på ferie.")
    assert client.get(f"/api/invoices/{invoice['id']}", auth=OPERATOR).json()["open_disputes"] == 1
    assert (
        client.post(f"/api/disputes/{dispute['id']}/resolve", json={"resolution": "x"}, auth=THISTED).status_code == 403
    )

    resolved = client.post(
        f"/api/disputes/{dispute['id']}/resolve", json={"resolution": "Fravær betales."}, auth=OPERATOR
    )

    assert resolved.status_code == 200, resolved.text
    answer = resolved.json()
    assert answer["dispute"]["status"] == "resolved" and answer["run"]["issued"] == []
    assert answer["credit_note"] is None and answer["new_invoice"] is None
    again = client.post(f"/api/disputes/{dispute['id']}/resolve", json={"resolution": "Igen"}, auth=OPERATOR)
    assert again.status_code == 409


# --- downloads (issue 5 items 3, 5, 7) ------------------------------------------------------------------

XSD = Path(__file__).resolve().parents[1] / "fixtures" / "ubl-2.1" / "xsd"


@pytest.fixture(scope="module")
def ubl() -> xmlschema.XMLSchema10:
    """The OASIS UBL 2.1 Invoice and CreditNote schemas, as tests/unit/test_einvoice.py loads them."""
    return xmlschema.XMLSchema10(
        [str(XSD / "maindoc" / "UBL-Invoice-2.1.xsd"), str(XSD / "maindoc" / "UBL-CreditNote-2.1.xsd")]
    )


def billed_invoice(demo: Demo) -> tuple[int, int, dict[str, object]]:
    """Aalborg's March 2025 billed; Thisted's invoice from it (id, Thisted's organisation id, the invoice)."""
    client = demo.client()
    aalborg, thisted = organisation_of(demo, "drift.aalborg"), organisation_of(demo, "koeb.thisted")
    assert client.post(f"/api/operators/{aalborg}/billing/2025/3", json={}, auth=OPERATOR).status_code == 200
    statement = client.get(f"/api/buyers/{thisted}/statement?year=2025&month=3", auth=THISTED).json()
    (invoice,) = [i for i in statement["invoices"] if i["operator_id"] == aalborg]
    return int(invoice["id"]), thisted, invoice


def test_r_set_02_r_set_11_an_invoice_downloads_as_pdf_for_its_two_parties_only(demo: Demo) -> None:
    invoice_id, _, invoice = billed_invoice(demo)
    client = demo.client()

    for auth in (THISTED, OPERATOR):
        pdf = client.get(f"/api/invoices/{invoice_id}/pdf", auth=auth)
        assert pdf.status_code == 200, pdf.text
        assert pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == f'attachment; filename="faktura-{invoice["number"]}.pdf"'
    assert client.get(f"/api/invoices/{invoice_id}/pdf", auth=HERNING).status_code == 404
    assert client.get("/api/invoices/999999/pdf", auth=THISTED).status_code == 404
    assert client.get(f"/api/invoices/{invoice_id}/pdf").status_code == 401


def test_r_set_13_an_invoice_downloads_as_oioubl_xml_that_validates_against_ubl_2_1(
    demo: Demo, ubl: xmlschema.XMLSchema10
) -> None:
    invoice_id, _, invoice = billed_invoice(demo)
    client = demo.client()

    xml = client.get(f"/api/invoices/{invoice_id}/einvoice.xml", auth=THISTED)

    assert xml.status_code == 200, xml.text
    assert xml.headers["content-type"].startswith("application/xml")
    assert xml.headers["content-disposition"] == f'attachment; filename="e-faktura-{invoice["number"]}.xml"'
    errors = [str(e).splitlines()[0] for e in ubl.iter_errors(xml.content.decode("utf-8"))]
    assert errors == []
    assert f'<cbc:PayableAmount currencyID="DKK">{invoice["total"]}</cbc:PayableAmount>' in xml.text
    assert client.get(f"/api/invoices/{invoice_id}/einvoice.xml", auth=HERNING).status_code == 404
    # the parties by the registry's CVR numbers and postal addresses (migration 0010), not a placeholder
    assert f'schemeID="DK:CVR">DK{demo_cvr(851)}<' in xml.text and f'schemeID="DK:CVR">DK{demo_cvr(787)}<' in xml.text
    assert "<cbc:PostalZone>9000</cbc:PostalZone>" in xml.text and "<cbc:CityName>Thisted</cbc:CityName>" in xml.text
    assert "00000000" not in xml.text


def test_r_set_01_the_statement_downloads_as_xlsx_and_csv_with_the_statement_total_exactly(demo: Demo) -> None:
    _, thisted, _ = billed_invoice(demo)
    client = demo.client()
    statement = client.get(f"/api/buyers/{thisted}/statement?year=2025", auth=THISTED).json()

    xlsx = client.get(f"/api/buyers/{thisted}/statement.xlsx?year=2025", auth=THISTED)

    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.headers["content-disposition"] == 'attachment; filename="opgoerelse-thisted-kommune-2025.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    (total_row,) = [r for r in rows if "Sum i alt" in r]
    amounts = [c for c in total_row if isinstance(c, (int, float)) and not isinstance(c, bool)]
    assert Decimal(str(amounts[-1])).quantize(Decimal("0.01")) == Decimal(statement["total"])

    csv_file = client.get(f"/api/buyers/{thisted}/statement.csv?year=2025&month=3", auth=THISTED)
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.headers["content-disposition"] == 'attachment; filename="opgoerelse-thisted-kommune-2025-03.csv"'
    month = client.get(f"/api/buyers/{thisted}/statement?year=2025&month=3", auth=THISTED).json()
    lines = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig")), delimiter=";"))
    (total_line,) = [r for r in lines if "Sum i alt" in r]
    assert month["total"].replace(".", ",") in total_line

    assert client.get(f"/api/buyers/{thisted}/statement.xlsx", auth=HERNING).status_code == 404
    assert client.get(f"/api/buyers/{thisted}/statement.csv", auth=OPERATOR).status_code == 403
