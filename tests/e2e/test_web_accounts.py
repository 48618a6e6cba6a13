"""The accounts pages end to end over HTTP (issue 4, handbook § 7): the demo with its accounts, fixed clock
2026-11-22, real forms and files.

The demo's accounts: Fjordgården (N-851-01, drift.aalborg) has 2023 within the limit and 2024 and 2025
surpluses 250.000 kr. beyond 5 %, due in 2026 and 2027; Rådgivningen Nord (drift.regionnord) a 2025 deficit
75.000 kr. beyond −5 %; Kildebakken (drift.regionmidt) no 2025 accounts yet.
"""

from __future__ import annotations

import html
import io
import re
from decimal import Decimal
from typing import Any

import httpx
from openpyxl import load_workbook

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.excel.accounts_layout import ROW_BY_FIELD
from rammeaftale.demo import load_demo
from rammeaftale.demo_accounts import ACCOUNTS
from rammeaftale.services import compute
from rammeaftale.services.accounts_queries import regulation_due
from tests.e2e.test_web_pages import XLSX, Site, demo_database, site

__all__ = ["demo_database", "site"]  # the shared fixtures (the full demo, accounts included)


def text(response: httpx.Response) -> str:
    """The page as a reader sees it: tags removed, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def accounts_ids(site: Site, code: str, year: int) -> list[int]:
    offer_id, _ = site.ids(code)
    with UnitOfWork(site.engine) as uow:
        return [a.id for a in uow.accounts.for_offer(offer_id) if a.accounts_year == year]


def organisation_of(site: Site, code: str) -> int:
    with UnitOfWork(site.engine) as uow:
        offer = uow.offers.by_code(code)
        assert offer is not None
        return offer.operator.id


def template(site: Site, code: str, year: int, **cells: Any) -> bytes:
    offer_id, _ = site.ids(code)
    response = site.client.get(f"/tilbud/{offer_id}/regnskab/skabelon?aar={year}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == f'attachment; filename="regnskab-{code}-{year}.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    for field, value in cells.items():
        sheet, cell = ROW_BY_FIELD[field.replace("__", ".")].ref.split("!")
        workbook[sheet][cell] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cell(content: bytes, field: str) -> Any:
    sheet, ref = ROW_BY_FIELD[field].ref.split("!")
    return load_workbook(io.BytesIO(content))[sheet][ref].value


def upload(site: Site, code: str, content: bytes, reason: str = "", filename: str = "regnskab.xlsx") -> httpx.Response:
    offer_id, _ = site.ids(code)
    response: httpx.Response = site.client.post(
        f"/tilbud/{offer_id}/regnskab",
        data={"csrf_token": site.token(f"/tilbud/{offer_id}/regnskab"), "reason": reason},
        files={"fil": (filename, content, XLSX)},
        follow_redirects=False,
    )
    return response


# --- the demo's accounts are consistent with its tariff cycle -------------------------------------------------


def test_the_demo_tariffs_carry_every_regulation_due_from_the_demo_accounts_and_loading_twice_adds_nothing(
    site: Site,
) -> None:
    assert load_demo(site.engine) is False
    with UnitOfWork(site.engine) as uow:
        for offer in uow.offers.all():
            for year in (2025, 2026):
                row = uow.submissions.latest(offer.services[0].id, year, ("approved", "published"))
                assert row is not None, (offer.code, year)  # every demo tariff of 2025 and 2026 is final
                carried = sum(
                    (Decimal(str(v)) for v in row.payload["costs"].get("regulation", {}).values()), Decimal(0)
                )
                due = regulation_due(uow, offer.id, year)
                assert due in (None, Decimal(0)) or carried == due, (offer.code, year, due, carried)
            pending = [r for r in uow.submissions.for_offer(offer.id) if r.budget_year == 2027]
            assert not pending or regulation_due(uow, offer.id, 2027) in (None, Decimal(0)), offer.code
        kinds = {(a.kind, a.excess > 0) for a in uow.accounts.current_for_offers([o.id for o in uow.offers.all()])}
    assert kinds == {("surplus", True), ("surplus", False), ("deficit", True), ("deficit", False)}
    assert len(accounts_ids(site, "N-851-01", 2024)) == 1 and {p.year for p in ACCOUNTS} == {2023, 2024, 2025}


def test_r_sur_03_fjordgaardens_2027_template_carries_the_250000_due_from_its_2025_accounts_so_the_tariff_is_2070_25(
    site: Site,
) -> None:
    site.login("drift.aalborg")
    offer_id, service_id = site.ids("N-851-01")
    response = site.client.get(f"/tilbud/{offer_id}/ydelser/{service_id}/skabelon?aar=2027")
    assert response.status_code == 200
    computed = compute.compute_file(response.content, "fjordgaarden-2027.xlsx")
    assert computed.result is not None, computed.findings
    assert computed.result["services"][0]["daily_tariff"] == "2070.25"  # handbook § 6.5, regulation included
    assert any(step["rule_id"] == "R-SUR-03" for step in computed.result["trace"])


# --- the operator's pages -----------------------------------------------------------------------------------


def test_the_operator_sees_its_offers_accounts_with_result_percent_consequence_and_reserve(site: Site) -> None:
    offer_id, _ = site.ids("N-851-01")
    site.login("drift.aalborg")
    offer_page = text(site.client.get(f"/tilbud/{offer_id}"))
    assert "Regnskab og hensættelser" in offer_page and "Regnskab for Fjordgården" in offer_page
    response = site.client.get(f"/tilbud/{offer_id}/regnskab")
    assert response.status_code == 200
    page = text(response)
    for year in (2023, 2024, 2025):
        assert f"{year}, version 1" in page
    assert "6,50 %" in page and "3,40 %" in page and "ud over grænsen" in page
    assert "-250.000,00 kr. senest 2026" in page and "-250.000,00 kr. senest 2027" in page
    assert "835.080,05 kr." in page  # the 2024 reserve: 5 % of the 2024 tariff's cost base (R-SUR-01)
    assert '<svg class="chart bars"' in response.text and "+5,00 %" in page
    assert "Hent regnskabsskema for 2025 (.xlsx)" in page and "Udfyld webformular for 2025" in page
    assert "Hensættelser" in page  # the operator's navigation


def test_an_accounts_version_states_its_consequences_in_words_with_the_rule_ids_and_its_regulations(
    site: Site,
) -> None:
    site.login("drift.aalborg")
    (accounts_id,) = accounts_ids(site, "N-851-01", 2024)
    page = text(site.client.get(f"/regnskaber/{accounts_id}"))
    assert "Regnskab 2024, version 1" in page
    assert "overskud på 1.085.080,05 kr., det er 6,50 % af takstberegningsgrundlaget" in page
    assert "835.080,05 kr. er hensat" in page and "skal bruges senest i 2029" in page
    assert "250.000,00 kr. ud over grænsen skal nedsætte taksten senest i 2026" in page
    for rule in ("R-SUR-01", "R-SUR-02", "R-SUR-03", "R-SUR-06"):
        assert rule in page
    assert "2026 Takst -250.000,00 kr. 0,00 kr. -250.000,00 kr." in page  # the regulation per budget year


def test_r_sur_05_and_r_sur_07_a_deficit_beyond_5_percent_and_an_early_repayment_read_in_words(site: Site) -> None:
    site.login("sekretariat.nord")  # the region's secretariat reads every offer of the region
    (deficit,) = accounts_ids(site, "N-1081-02", 2025)
    page = text(site.client.get(f"/regnskaber/{deficit}"))
    assert "underskud" in page and "-6,84 %" in page
    assert "75.000,00 kr. ud over grænsen skal forhøje taksten senest i 2027" in page
    assert "R-SUR-04" in page and "R-SUR-05" in page
    (repaid,) = accounts_ids(site, "N-860-01", 2023)
    page = text(site.client.get(f"/regnskaber/{repaid}"))
    assert "64.000,00 kr. af overskridelsen tilbagebetales i 2024 til køberne" in page and "R-SUR-07" in page
    assert "Tilbagebetaling til køber: Hjørring Kommune" in page and "-35.384,62 kr." in page
    (corrected, first) = sorted(accounts_ids(site, "N-1081-01", 2023), reverse=True)
    page = text(site.client.get(f"/regnskaber/{first}"))
    assert "Erstattet af version 2" in page
    assert "Revisionens bemærkninger" in text(site.client.get(f"/regnskaber/{corrected}"))


def test_an_upload_of_the_filled_template_shows_each_finding_with_its_cell_and_saves_nothing(site: Site) -> None:
    site.login("drift.aalborg")
    filled = template(site, "N-851-01", 2025)
    assert cell(filled, "offer_code") == "N-851-01" and cell(filled, "accounts_year") == 2025
    activities = cell(filled, "costs.activities")  # the current version's figures are prefilled
    wrong = template(site, "N-851-01", 2025, costs__activities=-activities, income__tariff_income="mange")
    before = accounts_ids(site, "N-851-01", 2025)
    response = upload(site, "N-851-01", wrong, filename="fjordgaarden-2025.xlsx")
    assert response.status_code == 422
    page = text(response)
    assert "Regnskabet har fejl og er ikke gemt." in page and "Intet er gemt" in page
    assert f"fjordgaarden-2025.xlsx, ark Regnskab, celle {ROW_BY_FIELD['costs.activities'].ref.split('!')[1]}" in page
    assert f"celle {ROW_BY_FIELD['income.tariff_income'].ref.split('!')[1]}" in page
    assert accounts_ids(site, "N-851-01", 2025) == before


def test_a_correction_by_template_needs_a_reason_and_becomes_a_new_version_whose_regulation_counts(site: Site) -> None:
    site.login("drift.aalborg")
    filled = template(site, "N-851-01", 2025)
    more = template(site, "N-851-01", 2025, costs__activities=cell(filled, "costs.activities") + 100_000)
    refused = upload(site, "N-851-01", more)
    assert refused.status_code == 422 and "en rettelse kræver en begrundelse" in text(refused)
    saved = upload(site, "N-851-01", more, reason="Revisionen fandt en faktura på 100.000 kr.")
    assert saved.status_code == 303, text(saved)[:2000]
    assert saved.headers["location"] == f"/regnskaber/{max(accounts_ids(site, 'N-851-01', 2025))}"
    page = text(site.client.get(saved.headers["location"]))
    assert "Regnskab 2025, version 2" in page and "Revisionen fandt en faktura" in page
    assert "150.000,00 kr. ud over grænsen skal nedsætte taksten senest i 2027" in page
    offer_id, _ = site.ids("N-851-01")
    with UnitOfWork(site.engine) as uow:
        assert regulation_due(uow, offer_id, 2027) == Decimal("-150000.00")


def test_the_web_form_is_prefilled_shows_findings_per_field_and_saves_the_accounts(site: Site) -> None:
    site.login("drift.regionmidt")
    offer_id, _ = site.ids("M-1082-01")  # Kildebakken: no 2025 accounts in the demo
    url = f"/tilbud/{offer_id}/regnskab/formular?aar=2025"
    form = site.client.get(url)
    assert form.status_code == 200
    base = re.search(r'name="cost_base" value="([^"]*)"', form.text)
    assert base is not None and base.group(1)  # the 2025 tariff's cost base (R-SUR-01)
    values = {"level": "offer", "cost_base": base.group(1), "costs.personnel": "15.000.000", "income.tariff_income": ""}
    refused = site.post(url, values, token_from=url)
    assert refused.status_code == 422
    assert 'class="field has-error"' in refused.text and 'id="f-income-tariff_income"' in refused.text
    assert "Takstindtægterne mangler." in text(refused)
    values |= {"income.tariff_income": "15.400.000", "costs.activities": "-1"}
    refused = site.post(url, values, token_from=url)
    assert refused.status_code == 422 and "kan ikke være negativt" in text(refused)
    values |= {"costs.activities": "350.000"}
    saved = site.post(url, values, token_from=url)
    assert saved.status_code == 303, text(saved)[:2000]
    page = text(site.client.get(saved.headers["location"]))
    assert "Regnskab 2025, version 1" in page and "Kilde Webformular" in page
    assert "overskud på 50.000,00 kr." in page and "Hele overskuddet er inden for grænsen" in page


def test_the_operator_uses_a_reserve_and_is_refused_beyond_the_balance(site: Site) -> None:
    site.login("drift.aalborg")
    organisation = organisation_of(site, "N-851-01")
    offer_id, _ = site.ids("N-851-01")
    url = f"/driftsherre/{organisation}/reserver"
    page = text(site.client.get(url))
    assert "Saldo i alt 1.991.438,85 kr." in page and "2023 2028 300.818,80 kr." in page
    use = {"offer_id": str(offer_id), "beloeb": "100.000", "aar": "2026", "note": "Kvalitetsudvikling"}
    assert site.post(f"{url}/brug", use, token_from=url).status_code == 303
    page = text(site.client.get(url))
    assert "Saldo i alt 1.891.438,85 kr." in page and "Anvendt" in page and "Kvalitetsudvikling" in page
    refused = site.post(f"{url}/brug", {**use, "beloeb": "5.000.000"}, token_from=url)
    assert refused.status_code == 422 and "R-SUR-02" in text(refused)
    assert "Saldo i alt 1.891.438,85 kr." in text(site.client.get(url))


# --- the secretariat's overview -------------------------------------------------------------------------------


def test_the_secretariat_overview_lists_the_demo_offers_beyond_5_percent_with_charts_and_the_missing(
    site: Site,
) -> None:
    site.login("sekretariat.nord")
    default = site.client.get("/regnskab")
    assert default.status_code == 200 and "Regnskaber 2025" in text(default)
    response = site.client.get("/regnskab/1081/2024")
    page = text(response)
    beyond = text(httpx.Response(200, text=response.text.split('<table class="beyond">')[1].split("</table>")[0]))
    for name in ("Fjordgården", "Bakkehuset", "Skovbrynet Aflastning", "Engely Børnehjem"):
        assert name in beyond
    assert "Limfjordens" not in beyond and "Rådgivningen Nord" not in beyond  # within the limits
    assert response.text.count('<svg class="chart bars"') == 2  # results per offer, regulations per budget year
    assert "+5,00 %" in page and "−5,00 %" in page
    assert "2026 i alt -490.000,00 kr." in page  # regulations due per budget year
    assert "Mangler Havblik Krisecenter" in page  # R-CYC-01: no 2024 accounts after the deadline
    assert site.client.get("/regnskab/1082/2025").status_code == 404  # another region's overview


def test_the_secretariat_expires_unused_reserves_once_and_they_become_regulations(site: Site) -> None:
    site.login("sekretariat.nord")
    url = "/regnskab/1081/2025"
    expired = site.post("/regnskab/1081/udloeb", {"aar": "2029", "tilbage": "2025"}, token_from=url)
    # the five 2023 reserves of the region had 2028 as their last year
    assert expired.status_code == 303 and expired.headers["location"] == f"{url}?udloebet=5&udloebsaar=2029"
    page = text(site.client.get(expired.headers["location"]))
    assert "5 hensættelser er udløbet i 2029" in page
    assert "2029 i alt" in page and "R-SUR-02" in page  # each lowers its offer's tariff in 2029
    again = site.post("/regnskab/1081/udloeb", {"aar": "2029", "tilbage": "2025"}, token_from=url)
    assert again.headers["location"].endswith("udloebet=0&udloebsaar=2029")


# --- who may see what -----------------------------------------------------------------------------------------


def test_another_operator_gets_404_a_buyer_403_and_an_anonymous_visitor_the_login_page(site: Site) -> None:
    offer_id, _ = site.ids("N-851-01")
    organisation = organisation_of(site, "N-851-01")
    (accounts_id,) = accounts_ids(site, "N-851-01", 2024)
    urls = [
        f"/tilbud/{offer_id}/regnskab",
        f"/tilbud/{offer_id}/regnskab/skabelon?aar=2025",
        f"/regnskaber/{accounts_id}",
        f"/driftsherre/{organisation}/reserver",
    ]
    for url in urls:
        assert site.client.get(url, follow_redirects=False).headers["location"].startswith("/login?next=")
    site.login("drift.hjoerring")
    for url in [*urls, f"/tilbud/{offer_id}/regnskab/formular?aar=2025"]:
        assert site.client.get(url).status_code == 404, url
    token_from = f"/driftsherre/{organisation_of(site, 'N-860-01')}/reserver"
    use = {"offer_id": str(offer_id), "beloeb": "1"}
    assert site.post(f"/driftsherre/{organisation}/reserver/brug", use, token_from=token_from).status_code == 404
    assert "/regnskab" not in site.client.get("/tilbud").text.split("</nav>")[0]  # no overview for an operator
    assert site.client.get("/regnskab/1081/2025").status_code == 403
    site.client.post("/logout", data={"csrf_token": site.token("/tilbud")})
    site.login("koeb.thisted")
    for url in [*urls, "/regnskab", "/regnskab/1081/2025"]:
        assert site.client.get(url).status_code == 403, url
    assert "Regnskab og hensættelser" not in site.client.get(f"/tilbud/{offer_id}").text
    site.client.post("/logout", data={"csrf_token": site.token("/tilbud")})
    site.login("sekretariat.midt")
    for url in urls[:1] + urls[2:]:
        assert site.client.get(url).status_code == 404, url
