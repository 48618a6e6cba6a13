"""The billing pages (issue 5 items 3, 5, 7): the operator runs a month with a progress page, reads its
invoices; an invoice for its two parties with lines, claims and disputes; the buyer disputes a line and the
operator resolves it; the buyer's consolidated statement with a chart and downloads.

The demo database (fixed clock 2026-11-22) with its 2025 placements; Aalborg's Fjordgården bills Thisted.
"""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.billing import run_month
from rammeaftale.services.context import SYSTEM
from tests.conftest import fixed_clock
from tests.e2e.test_policies import Demo, demo, demo_database

__all__ = ["demo", "demo_database"]  # the shared fixtures

JOB_URL = re.compile(r"^/afregning/koersler/([A-Za-z0-9_-]{20,})$")


def organisation_of(demo: Demo, username: str) -> int:
    with UnitOfWork(demo.engine) as uow:
        user = uow.users.by_username(username)
        assert user is not None
        return user.organisation_id


def run_on_page(demo: Demo, client: TestClient, year: int, month: int) -> tuple[str, str]:
    """POST the run form, follow the status page until it stops refreshing; (job url, final page)."""
    started = client.post(
        "/afregning",
        data={"aar": str(year), "maaned": str(month), "csrf_token": demo.csrf(client)},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    url = started.headers["location"]
    assert JOB_URL.match(url), url
    for _ in range(300):
        page = client.get(url)
        assert page.status_code == 200, page.text
        if 'http-equiv="refresh"' not in page.text:
            return url, page.text
        assert "<progress" in page.text
        time.sleep(0.1)
    raise AssertionError("the run did not finish")


def test_r_set_01_r_set_02_the_operator_runs_a_month_with_progress_and_a_second_run_issues_nothing(
    demo: Demo,
) -> None:
    client = demo.client("drift.aalborg")
    assert "Måneden er ikke faktureret endnu" in client.get("/afregning?aar=2025&maaned=3").text

    url, done = run_on_page(demo, client, 2025, 3)

    assert "Kørslen er færdig" in done and "<progress" in done and "851-" in done
    month = client.get("/afregning?aar=2025&maaned=3").text
    numbers = set(re.findall(r'href="/afregning/fakturaer/\d+">(851-\d{6})<', month))
    assert numbers and "Gældende fakturaer i alt" in month and " kr." in month
    _, again = run_on_page(demo, client, 2025, 3)
    assert "Intet – måneden var uændret" in again
    assert (
        set(
            re.findall(r'href="/afregning/fakturaer/\d+">(851-\d{6})<', client.get("/afregning?aar=2025&maaned=3").text)
        )
        == numbers
    )
    # the job is bound to Aalborg: another operator, a buyer or a guessed id get nothing
    assert demo.client("drift.hjoerring").get(url).status_code == 404
    assert demo.client("koeb.thisted").get(url).status_code == 403
    assert client.get("/afregning/koersler/gaettet-id-0000000000000").status_code == 404


def test_r_set_01_a_run_of_a_month_that_has_not_begun_shows_the_danish_error(demo: Demo) -> None:
    _, page = run_on_page(demo, demo.client("drift.aalborg"), 2027, 5)

    assert "Kørslen mislykkedes" in page and "er ikke begyndt" in page and "Intet er faktureret" in page


def test_r_set_01_the_run_form_refuses_a_post_without_the_csrf_token(demo: Demo) -> None:
    client = demo.client("drift.aalborg")

    refused = client.post("/afregning", data={"aar": "2025", "maaned": "3"}, follow_redirects=False)

    assert refused.status_code == 403
    assert "Måneden er ikke faktureret endnu" in client.get("/afregning?aar=2025&maaned=3").text


def billed(demo: Demo) -> int:
    """Aalborg's March 2025 billed; the id of its invoice to Thisted."""
    aalborg = organisation_of(demo, "drift.aalborg")
    with UnitOfWork(demo.engine) as uow:
        run = run_month(uow, SYSTEM, fixed_clock(), aalborg, 2025, 3)
    (invoice,) = [i for i in run.invoices if i.payer == 787]
    return invoice.id


def test_r_set_02_r_set_11_the_buyer_disputes_a_line_and_the_operator_resolves_it_on_the_invoice_page(
    demo: Demo,
) -> None:
    invoice_id = billed(demo)
    buyer, operator = demo.client("koeb.thisted"), demo.client("drift.aalborg")
    page = buyer.get(f"/afregning/fakturaer/{invoice_id}")
    assert page.status_code == 200
    assert "R-SET-11" in page.text and "Forfaldsdato" in page.text and "EAN" in page.text
    assert "R-SET-03" in page.text and f"/api/invoices/{invoice_id}/pdf" in page.text
    assert f"/api/invoices/{invoice_id}/einvoice.xml" in page.text and "Gør indsigelse" in page.text
    assert demo.client("koeb.herning").get(f"/afregning/fakturaer/{invoice_id}").status_code == 404
    assert demo.client("drift.hjoerring").get(f"/afregning/fakturaer/{invoice_id}").status_code == 404
    form = {"linje": "0", "begrundelse": "Borgeren var på ferie."}
    assert buyer.post(f"/afregning/fakturaer/{invoice_id}/indsigelse", data=form).status_code == 403  # no token

    raised = buyer.post(
        f"/afregning/fakturaer/{invoice_id}/indsigelse",
        data={**form, "csrf_token": demo.csrf(buyer)},
        follow_redirects=False,
    )

    assert raised.status_code == 303
    assert "Indsigelsen er registreret" in buyer.get(raised.headers["location"]).text
    seen = operator.get(f"/afregning/fakturaer/{invoice_id}").text
    assert "Borgeren var på ferie." in seen and "Afgør og kør måneden igen" in seen
    (dispute_id,) = re.findall(r'action="/afregning/indsigelser/(\d+)/afgoerelse"', seen)
    answer = {"afgoerelse": "Fravær betales."}
    assert operator.post(f"/afregning/indsigelser/{dispute_id}/afgoerelse", data=answer).status_code == 403

    resolved = operator.post(
        f"/afregning/indsigelser/{dispute_id}/afgoerelse", data={**answer, "csrf_token": demo.csrf(operator)}
    )

    assert resolved.status_code == 200, resolved.text
    assert "Indsigelsen er afgjort" in resolved.text and "Fravær betales." in resolved.text
    again = operator.post(
        f"/afregning/indsigelser/{dispute_id}/afgoerelse", data={**answer, "csrf_token": demo.csrf(operator)}
    )
    assert again.status_code == 409


def test_r_set_01_the_buyer_sees_its_statement_with_a_chart_totals_and_downloads(demo: Demo) -> None:
    billed(demo)
    buyer = demo.client("koeb.thisted")
    thisted = organisation_of(demo, "koeb.thisted")
    statement = buyer.get(f"/api/buyers/{thisted}/statement?year=2025").json()

    page = buyer.get("/afregning/opgoerelse?aar=2025")

    assert page.status_code == 200
    assert "<svg" in page.text and "Pr. driftsherre" in page.text
    total = f"{statement['total']}".replace(".", ",")
    whole, decimals = total.split(",")
    assert f"{int(whole):,}".replace(",", ".") + "," + decimals + " kr." in page.text
    assert f"/api/buyers/{thisted}/statement.xlsx?year=2025" in page.text
    assert f"/api/buyers/{thisted}/statement.csv?year=2025" in page.text
    assert "/pdf" in page.text and "Refusionskrav" in page.text
    assert buyer.get("/afregning", follow_redirects=False).headers["location"] == "/afregning/opgoerelse"
    assert demo.client("drift.aalborg").get("/afregning/opgoerelse").status_code == 403
    assert 'href="/afregning/opgoerelse"' in page.text  # the navigation's "Afregning"


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_r_set_02_the_billing_pages_keep_the_csp_and_every_form_carries_the_sessions_token(demo: Demo) -> None:
    invoice_id = billed(demo)
    buyer, operator = demo.client("koeb.thisted"), demo.client("drift.aalborg")
    job_url, _ = run_on_page(demo, operator, 2025, 4)
    buyer.post(
        f"/afregning/fakturaer/{invoice_id}/indsigelse",
        data={"linje": "0", "begrundelse": "Prøve", "csrf_token": demo.csrf(buyer)},
    )
    for client, urls in (
        (operator, ["/afregning?aar=2025&maaned=3", job_url, f"/afregning/fakturaer/{invoice_id}"]),
        (buyer, ["/afregning/opgoerelse?aar=2025", f"/afregning/fakturaer/{invoice_id}"]),
    ):
        token = demo.csrf(client)
        for url in urls:
            text = client.get(url).text
            assert INLINE.search(text) is None, url
            forms = text.count('method="post"')
            assert forms and TOKEN.findall(text) == [token] * forms, url  # the logout form and the page's own
