"""The billing API over HTTP (issue 5): a month run by the operator, invoices and statements scoped to their
parties, disputes and their resolution; amounts as decimal strings with øre.

The demo database (fixed clock 2026-11-22) with its 2025 placements; Aalborg's Fjordgården bills Thisted.
"""

from __future__ import annotations

from decimal import Decimal

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import DEMO_PASSWORD
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
