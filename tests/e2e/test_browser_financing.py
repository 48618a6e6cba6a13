"""Objective financing in real headless Chromium, with the guides' screenshots (issue 5, handbook section 10).

The demo on 2026-11-22: the secretariat of Region Nordjylland (sekretariat.nord) registers the 2025 financing of
Rådgivningen Nord by population; the region's operator (drift.regionnord) invoices the installments on account
and trues the year up against a lower actual amount (R-SET-12); Thisted's case manager (koeb.thisted) reads its
share and its own invoices, and downloads one as PDF.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.browser import LiveServer, browser_required, login, logout, shoot

try:
    from playwright.sync_api import expect
except ImportError:  # the dev extra is not installed
    if browser_required():
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

KEY = "851;222000\n860;64000\n787;43000\n773;20000\n"


def test_r_obj_02_r_set_12_the_secretariat_registers_the_operator_invoices_and_the_buyer_reads_its_share(
    page: Any, live_server: LiveServer
) -> None:
    login(page, "sekretariat.nord")
    page.get_by_role("link", name="Objektiv finansiering").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Objektiv finansiering")
    page.locator("#fin-tilbud").select_option("N-1081-02")
    page.locator("#fin-aar-ny").fill("2025")
    page.locator("#fin-beloeb").fill("2.400.000")
    page.locator("#fin-vaegte").fill(KEY)
    page.get_by_role("button", name="Registrér aftalen").click()
    expect(page).to_have_url(re.compile(r"/finansiering/\d+$"))
    expect(page.get_by_role("status")).to_contain_text("er registreret: 2.400.000,00 kr.")
    expect(page.locator("svg.chart")).to_be_visible()
    shoot(page, "secretariat-financing.png")
    agreement_url = page.url.removeprefix(live_server.url)
    logout(page)

    login(page, "drift.regionnord")
    page.goto(agreement_url)
    page.get_by_role("button", name="Fakturér begyndte a conto-rater").click()
    expect(page.get_by_role("status")).to_contain_text("48 a conto-fakturaer udstedt: 2.400.000,00 kr. (R-SET-12)")
    page.locator("#fin-faktisk").fill("2.310.000")
    page.get_by_role("button", name="Foretag årsafregningen (R-SET-12)").click()
    expect(page.get_by_role("status")).to_contain_text("Året er afregnet: 4 fakturaer og kreditnotaer")
    expect(page.get_by_role("heading", level=2, name="Årsafregning (R-SET-12)")).to_be_visible()
    shoot(page, "operator-financing.png")
    logout(page)

    login(page, "koeb.thisted")
    page.get_by_role("link", name="Objektiv finansiering").click()
    page.locator("#fin-aar").fill("2025")
    page.get_by_role("button", name="Vis").click()
    page.get_by_role("link", name="N-1081-02").click()
    invoices = page.locator("table", has_text="A conto-rate")
    expect(invoices).to_contain_text("Thisted Kommune")
    expect(invoices).not_to_contain_text("Aalborg Kommune")  # only its own invoices
    expect(page.get_by_role("button", name="Fakturér begyndte a conto-rater")).to_have_count(0)
    shoot(page, "buyer-financing.png")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF").first.click()
    assert download_info.value.suggested_filename.endswith(".pdf")
    logout(page)
