"""The yearly tariff cycle in real headless Chromium: operator, secretariat and buyer, with the guides' screenshots.

The demo on 2026-11-22: the 2027 cycle of Region Nordjylland (1081) is open and its deadline (R-CYC-02)
has passed; Fjordgården (N-851-01, operated by drift.aalborg) has no 2027 submission yet, and its figures
are the handbook's worked example (§ 6.5): 2.070,25 kr. a day at 96 % occupancy.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from rammeaftale.adapters.excel.layout import cell_for_field
from tests.e2e.browser import LiveServer, browser_required, login, logout, shoot

try:
    from playwright.sync_api import expect
except ImportError:  # the dev extra is not installed
    if browser_required():
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

FJORDGAARDEN = "N-851-01"
TARIFF = "2.070,25"
OCCUPANCY_CELL = cell_for_field("occupancy.percent")  # e.g. "Takstberegning!C16"


def edit_occupancy(template: Path, percent: int, out: Path) -> Path:
    """The downloaded takstberegningsskema with another budgeted occupancy, as a finance officer would edit it."""
    assert OCCUPANCY_CELL is not None
    sheet, cell = OCCUPANCY_CELL.split("!")
    workbook = load_workbook(template)
    workbook[sheet][cell] = percent
    workbook.save(out)
    return out


def appendix_tariff(path: Path, offer_name: str) -> Decimal:
    """The "Takst" cell of an offer's row in a downloaded takstbilag (.xlsx), read with openpyxl."""
    workbook = load_workbook(path, read_only=True)
    try:
        rows = [list(row) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    header = next(row for row in rows if "Tilbud" in row and "Takst" in row)
    name, tariff = header.index("Tilbud"), header.index("Takst")
    line = next(row for row in rows if len(row) > tariff and row[name] == offer_name)
    return Decimal(str(line[tariff]))


def table_row(page: Any, text: str) -> Any:
    return page.locator("tr", has_text=text).first


def test_operator_submits_secretariat_approves_and_publishes_the_2027_appendix(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    offer_id, service_id = live_server.ids(FJORDGAARDEN)

    # --- the operator's finance officer: template, a file with an error, the corrected file -----------
    login(page, "drift.aalborg")
    page.goto("/tilbud")
    page.get_by_role("link", name="Fjordgården", exact=True).first.click()
    expect(page).to_have_url(f"{live_server.url}/tilbud/{offer_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fjordgården")
    expect(page.get_by_role("heading", name="Takstindberetninger")).to_be_visible()
    shoot(page, "operator-offer.png")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Hent skabelon for 2027 (.xlsx)").click()
    download = download_info.value
    assert download.suggested_filename == "takstberegning-N-851-01-2027.xlsx"
    template = tmp_path / download.suggested_filename
    download.save_as(template)
    assert template.read_bytes()[:2] == b"PK"

    wrong = edit_occupancy(template, 80, tmp_path / "fjordgaarden-2027-belaegning-80.xlsx")
    page.set_input_files(f"#fil-{service_id}", wrong)
    page.get_by_role("button", name="Upload og kontrollér").click()
    expect(page.get_by_role("heading", name="Upload takstindberetning")).to_be_visible()
    assert OCCUPANCY_CELL is not None
    sheet, cell = OCCUPANCY_CELL.split("!")
    finding = table_row(page.locator("table.findings"), "R-OCC-01")
    expect(finding).to_contain_text("Fejl")
    expect(finding).to_contain_text(f"ark {sheet}, celle {cell}")  # the cell the officer must correct
    expect(page.get_by_text("Intet er gemt")).to_be_visible()
    shoot(page, "operator-upload-findings.png")

    right = edit_occupancy(template, 96, tmp_path / "fjordgaarden-2027.xlsx")
    page.set_input_files("#fil", right)
    page.get_by_role("button", name="Upload og kontrollér").click()
    expect(page).to_have_url(re.compile(r"/indberetninger/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Takstindberetning 2027, version 1")
    expect(page.locator(".badge.status-draft")).to_have_text("Kladde")
    expect(page.locator("strong", has_text=TARIFF).first).to_be_visible()
    expect(table_row(page.locator("table.findings"), "R-CYC-02")).to_contain_text("Advarsel")  # late: flagged
    submission_url = page.url
    shoot(page, "operator-draft.png")

    needs_remark = page.locator("table.findings tr.needs-remark")
    if needs_remark.count():  # a warning that must be answered (e.g. R-TAR-13) before "Indsend"
        page.get_by_label("Bemærkninger").fill("Uændret drift: 24 pladser og 96 % belægning som i 2026.")
    page.get_by_role("button", name="Indsend", exact=True).click()
    expect(page.locator(".badge.status-submitted")).to_have_text("Indsendt")
    expect(page.get_by_role("button", name="Indsend", exact=True)).to_have_count(0)
    logout(page)

    # --- the secretariat: the cycle overview, approval, publishing --------------------------------------
    login(page, "sekretariat.nord")
    page.goto("/takstcyklus?region=1081&aar=2027")
    expect(page.get_by_role("heading", level=1)).to_have_text("Takstcyklus 2027")
    expect(page.get_by_text("Frist for indberetning (R-CYC-02)")).to_be_visible()
    expect(page.get_by_text("Mangler (R-CYC-04)")).to_be_visible()
    shoot(page, "secretariat-cycle.png")

    page.locator(f'a[href="{submission_url.removeprefix(live_server.url)}"]').click()
    expect(page).to_have_url(submission_url)
    expect(page.get_by_role("button", name="Godkend")).to_be_visible()
    expect(page.get_by_role("button", name="Send retur")).to_be_visible()
    expect(page.get_by_text(TARIFF).first).to_be_visible()
    shoot(page, "secretariat-approve.png")
    page.get_by_role("button", name="Godkend").click()
    expect(page.locator(".badge.status-approved")).to_have_text("Godkendt")

    page.goto("/takstcyklus?region=1081&aar=2027")
    reason = page.get_by_label("Begrundelse", exact=False)
    if reason.get_attribute("required") is not None:
        reason.fill("Takstbilag 2027 efter bestyrelsens godkendelse.")
    page.get_by_role("button", name="Offentliggør takstbilag").click()
    expect(page).to_have_url(f"{live_server.url}/takstbilag/1081/2027?version=1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("2027")
    row = table_row(page.locator("table.appendix"), "Fjordgården")
    expect(row).to_contain_text(TARIFF)
    expect(row.get_by_role("link", name="Fjordgården")).to_have_attribute("href", f"/tilbud/{offer_id}")
    shoot(page, "appendix.png")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download Excel (.xlsx)").click()
    appendix_file = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(appendix_file)
    assert appendix_file.name == "takstbilag-1081-2027-v1.xlsx"
    assert appendix_file.read_bytes()[:2] == b"PK"
    assert appendix_tariff(appendix_file, "Fjordgården") == Decimal("2070.25")


def test_buyer_reads_the_offer_trace_and_history_and_prices_ata_hours(page: Any, live_server: LiveServer) -> None:
    offer_id, _ = live_server.ids(FJORDGAARDEN)
    login(page, "koeb.thisted")
    page.goto("/tilbud?q=Fjordg%C3%A5rden")
    page.get_by_role("link", name="Fjordgården", exact=True).first.click()
    expect(page).to_have_url(f"{live_server.url}/tilbud/{offer_id}")
    expect(page.get_by_text(TARIFF).first).to_be_visible()
    trace = page.locator("table.trace")
    expect(trace).to_be_visible()
    expect(trace).to_contain_text("R-TAR-03")
    expect(trace.get_by_text("Takstberegningsgrundlag").first).to_be_visible()
    expect(page.locator("figure svg").first).to_be_visible()
    expect(page.get_by_text("Hent skabelon")).to_have_count(0)  # a buyer cannot submit
    shoot(page, "buyer-offer-trace.png")

    # the handbook's ATA example (§ 8): 220 kr./h × (1 + 30 % + 40 % + 5 %) = 385,00; 10,5 hours = 4.042,50
    page.get_by_role("link", name="ATA-timepris").click()
    page.get_by_label("Timelønsomkostning").fill("220")
    page.get_by_label("Fraværskorrektion").fill("30")
    page.get_by_label("Tidskoefficient").fill("40")
    page.get_by_label("Variable følgeomkostninger").fill("5")
    page.get_by_label("Antal ATA-timer").fill("10,5")
    page.get_by_role("button", name="Beregn").click()
    result = page.get_by_role("status")
    expect(result).to_contain_text("385,00")
    expect(result).to_contain_text("4.042,50")
    shoot(page, "ata.png")
