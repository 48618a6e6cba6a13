"""Accounts, surplus and deficit and the reserve ledger in real headless Chromium, with the guides' screenshots.

The demo on 2026-11-22 (issue 4): Fjordgården (N-851-01, drift.aalborg) has accounts for 2023–2025; its
2025 surplus is 6,46 % of the 2025 tariff's cost base, 250.000 kr. beyond the 5 % limit, due in the 2027
tariff (R-SUR-03). The operator corrects the 2025 accounts with a filled regnskabsskema, reads the
consequences and uses a reserve; the secretariat reads the overview of Region Nordjylland's 2025 accounts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rammeaftale.adapters.excel.accounts_layout import ROW_BY_FIELD
from tests.e2e.browser import LiveServer, browser_required, login, logout, shoot

try:
    from playwright.sync_api import expect
except ImportError:  # the dev extra is not installed
    if browser_required():
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

FJORDGAARDEN = "N-851-01"
ACTIVITIES = ROW_BY_FIELD["costs.activities"].ref  # "Regnskab!C18"


def edit(template: Path, out: Path, **cells: object) -> Path:
    """The downloaded regnskabsskema with some fields changed, as a finance officer would edit it."""
    workbook = load_workbook(template)
    for field, value in cells.items():
        sheet, cell = ROW_BY_FIELD[field.replace("__", ".")].ref.split("!")
        workbook[sheet][cell] = value
    workbook.save(out)
    return out


def cell_value(template: Path, field: str) -> Any:
    sheet, cell = ROW_BY_FIELD[field].ref.split("!")
    return load_workbook(template)[sheet][cell].value


def test_operator_corrects_the_accounts_with_the_template_reads_the_consequences_and_uses_a_reserve(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    offer_id, _ = live_server.ids(FJORDGAARDEN)
    login(page, "drift.aalborg")
    page.goto(f"/tilbud/{offer_id}")
    page.get_by_role("link", name="Regnskab for Fjordgården").click()
    expect(page).to_have_url(f"{live_server.url}/tilbud/{offer_id}/regnskab")
    expect(page.get_by_role("heading", level=1)).to_have_text("Regnskab og resultat")
    rows = page.locator("table.accounts tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("2025")
    expect(rows.first).to_contain_text("6,46 %")
    expect(rows.first).to_contain_text("-250.000,00 kr. senest 2027")
    expect(page.locator("svg.chart.bars")).to_be_visible()
    shoot(page, "operator-accounts.png")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Hent regnskabsskema for 2025 (.xlsx)").click()
    download = download_info.value
    assert download.suggested_filename == "regnskab-N-851-01-2025.xlsx"
    template = tmp_path / download.suggested_filename
    download.save_as(template)
    activities = int(cell_value(template, "costs.activities"))  # the current 2025 figures are prefilled

    # an invoice of 100.000 kr. was missing, typed in with a minus by mistake: the cell is pointed out
    wrong = edit(template, tmp_path / "fjordgaarden-2025-fejl.xlsx", costs__activities=-activities)
    page.set_input_files("#regnskab-fil", wrong)
    page.get_by_role("button", name="Upload og kontrollér").click()
    expect(page.get_by_text("Regnskabet har fejl og er ikke gemt.")).to_be_visible()
    sheet, cell = ACTIVITIES.split("!")
    finding = page.locator("table.findings tr", has_text="R-TAR-02").first
    expect(finding).to_contain_text("Fejl")
    expect(finding).to_contain_text(f"ark {sheet}, celle {cell}")
    shoot(page, "operator-accounts-findings.png")

    right = edit(template, tmp_path / "fjordgaarden-2025.xlsx", costs__activities=activities + 100_000)
    page.set_input_files("#regnskab-fil", right)
    page.get_by_label("Begrundelse for rettelsen").fill("Revisionen fandt en faktura på 100.000 kr. fra december.")
    page.get_by_role("button", name="Upload og kontrollér").click()
    expect(page).to_have_url(re.compile(r"/regnskaber/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Regnskab 2025, version 2")
    consequences = page.locator("ul.consequences")
    expect(consequences).to_contain_text("150.000,00 kr. ud over grænsen skal nedsætte taksten senest i 2027")
    for rule in ("R-SUR-01", "R-SUR-02", "R-SUR-03"):
        expect(consequences).to_contain_text(rule)
    expect(page.locator("table", has_text="Budgetår").first).to_contain_text("-150.000,00 kr.")
    expect(page.get_by_text("Revisionen fandt en faktura")).to_be_visible()
    shoot(page, "operator-accounts-detail.png")

    page.get_by_role("link", name="Hensættelser", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hensættelser")
    balance = page.locator(".card", has_text="Saldo i alt").locator(".big-number")
    before = balance.inner_text()
    expect(page.locator("svg.chart.bars")).to_be_visible()
    shoot(page, "operator-reserves.png")
    page.get_by_label("Beløb").fill("100.000")
    page.get_by_label("Hvad bruges den til?").fill("Kvalitetsudvikling: nyt sansemotorisk rum (fiktivt).")
    page.get_by_role("button", name="Brug hensættelsen").click()
    expect(page.locator("main")).to_contain_text("Kvalitetsudvikling: nyt sansemotorisk rum (fiktivt).")
    expect(balance).not_to_have_text(before)
    logout(page)


def test_secretariat_reads_the_overview_of_offers_beyond_5_percent_and_opens_one(
    page: Any, live_server: LiveServer
) -> None:
    login(page, "sekretariat.nord")
    page.get_by_role("link", name="Regnskaber", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regnskaber 2025")
    beyond = page.locator("table.beyond")
    expect(beyond).to_contain_text("Fjordgården")
    expect(beyond).to_contain_text("Rådgivningen Nord")
    expect(beyond).to_contain_text("-6,84 %")
    expect(page.locator("svg.chart.bars").first).to_be_visible()
    expect(page.locator("table.due")).to_contain_text("2027")
    expect(page.get_by_text("Mangler (R-CYC-01)").first).to_be_visible()
    expect(page.get_by_text("Havblik Krisecenter").first).to_be_visible()
    shoot(page, "secretariat-accounts.png")
    beyond.get_by_role("link", name="Rådgivningen Nord").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regnskab 2025, version 1")
    expect(page.locator("ul.consequences")).to_contain_text("R-SUR-05")
    expect(page.locator("ul.consequences")).to_contain_text("forhøje taksten senest i 2027")
    logout(page)
