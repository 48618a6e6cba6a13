"""The monthly billing in real headless Chromium, with the billing guides' screenshots (issue 5).

The demo on 2026-11-22: Aalborg Kommune's operator (drift.aalborg) bills March 2025 from the web page and
watches the run finish; Thisted Kommune's case manager (koeb.thisted) reads the consolidated statement across
operators, downloads it, opens Aalborg's invoice and disputes a line; the operator answers the dispute, which
runs the month again (R-SET-02: a credit note and a new invoice only if something changed).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.e2e.browser import LiveServer, browser_required, login, logout, shoot

try:
    from playwright.sync_api import expect
except ImportError:  # the dev extra is not installed
    if browser_required():
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser


def test_r_set_01_r_set_02_the_operator_bills_march_and_the_buyer_reads_downloads_and_disputes_its_statement(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    login(page, "drift.aalborg")
    page.get_by_role("link", name="Afregning", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Afregning")
    page.locator("#koersel-maaned").select_option("3")
    page.locator("#koersel-aar").fill("2025")
    page.get_by_role("button", name="Kør faktureringen").click()
    expect(page).to_have_url(re.compile(r"/afregning/koersler/[A-Za-z0-9_-]+$"))
    expect(page.get_by_text("Kørslen er færdig.")).to_be_visible(timeout=30_000)
    expect(page.locator("dl.facts")).to_contain_text("851-")
    shoot(page, "operator-billing-run.png")
    page.get_by_role("link", name="Til månedens fakturaer").click()
    expect(page.get_by_role("heading", level=2, name="Fakturaer for marts 2025")).to_be_visible()
    rows = page.locator("table tbody tr")
    expect(rows.first).to_contain_text("Gældende")
    expect(page.locator("table tbody", has_text="Thisted Kommune")).to_be_visible()
    shoot(page, "operator-billing.png")
    logout(page)

    login(page, "koeb.thisted")
    page.get_by_role("link", name="Afregning", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Samlet opgørelse")
    expect(page.locator("svg.chart")).to_be_visible()
    shoot(page, "buyer-statement.png")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Hent Excel (XLSX)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("opgoerelse-thisted-kommune")
    workbook_path = tmp_path / download.suggested_filename
    download.save_as(workbook_path)
    sheet = load_workbook(workbook_path).active
    totals = [row for row in sheet.iter_rows(values_only=True) if row and "Sum i alt" in [str(c) for c in row if c]]
    assert totals, "the statement's total row"
    amounts = [c for c in totals[-1] if isinstance(c, (int, float, Decimal))]
    assert amounts and all(a > 0 for a in amounts)

    march = page.locator("table tbody tr", has_text="01-03-2025").filter(has_text="Aalborg")
    march.first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Faktura 851-")
    expect(page.locator("main")).to_contain_text("R-SET-03")
    page.locator("#grund-0").fill("Borgeren var indlagt 3.–5. marts (fiktivt).")
    page.get_by_role("button", name="Gør indsigelse (R-SET-02)").first.click()
    expect(page.locator("main")).to_contain_text("Borgeren var indlagt 3.–5. marts (fiktivt).")
    shoot(page, "buyer-invoice-dispute.png")
    invoice_url = page.url
    logout(page)

    login(page, "drift.aalborg")
    page.goto(invoice_url.removeprefix(live_server.url))
    page.get_by_label("Afgørelse").first.fill("Indlæggelsen gav ikke ophør af betaling; fakturaen står ved magt.")
    page.get_by_role("button", name="Afgør og kør måneden igen").first.click()
    expect(page.locator("main")).to_contain_text("Indlæggelsen gav ikke ophør af betaling")
    shoot(page, "operator-billing-dispute.png")
    logout(page)
