"""The placement pages end to end over HTTP (issue 5 item 7, handbook § 9): the demo's 2025 placements, fixed
clock 2026-11-22, real forms and files. Every CPR number here is invented.

Thisted (koeb.thisted) acts for the first two demo placements in Fjordgården (N-851-01, drift.aalborg);
Hjørring's operator (drift.hjoerring) and Herning's buyer (koeb.herning) are no party to them.
"""

from __future__ import annotations

import re

import httpx

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo_placements import PLACEMENTS, demo_placement_id
from tests.e2e.test_web_accounts import text
from tests.e2e.test_web_pages import Site, demo_database, site

__all__ = ["demo_database", "site"]  # the shared fixtures

CPR_PATTERN = re.compile(r"\b[0-3]\d[01]\d\d{2}-?\d{4}\b")  # as tests/security/conftest.py scans
FJORDGAARDEN = demo_placement_id(1)  # Thisted's citizen in Fjordgården (Aalborg), 150372-0101
NEW = {
    "cpr": "111280-1234",
    "offer_code": "N-851-01",
    "acting_municipality": "787",
    "start_date": "01-03-2026",
}


def no_cpr(response: httpx.Response) -> None:
    assert CPR_PATTERN.findall(response.text) == [], response.text[:300]
    assert CPR_PATTERN.findall(str(response.url)) == []
    assert CPR_PATTERN.findall(response.headers.get("location", "")) == []


def count_for(site: Site, kommunekode: int) -> int:
    with UnitOfWork(site.engine) as uow:
        _, total = uow.placements.for_municipality(kommunekode)
        return total


def logout(site: Site) -> None:
    site.client.post("/logout", data={"csrf_token": site.token("/tilbud")})


def register(site: Site, **fields: str) -> httpx.Response:
    return site.post("/indskrivninger", {**NEW, **fields}, token_from="/indskrivninger/ny")


def test_the_buyer_sees_only_its_own_placements_masked_with_the_nav_item_and_the_fictitious_label(site: Site) -> None:
    site.login("koeb.thisted")
    response = site.client.get("/indskrivninger")
    assert response.status_code == 200
    no_cpr(response)
    page = text(response)
    own = [n for n, p in enumerate(PLACEMENTS, start=1) if 787 in (p.acting, p.paying)]
    for number, _ in enumerate(PLACEMENTS, start=1):
        assert (demo_placement_id(number) in page) == (number in own), number
    assert "150372-xxxx" in page and "Fiktive data" in page
    assert 'href="/indskrivninger" aria-current="page">Indskrivninger' in response.text
    filtered = text(site.client.get("/indskrivninger?status=refused&tilbud=N-851-01&maaned=2025-03"))
    assert FJORDGAARDEN not in filtered
    march = text(site.client.get("/indskrivninger?tilbud=N-851-01&maaned=2025-03"))
    assert FJORDGAARDEN in march
    assert FJORDGAARDEN not in text(site.client.get("/indskrivninger?maaned=2025-01&tilbud=N-851-01"))
    bad = site.client.get("/indskrivninger?maaned=marts")  # a malformed filter is a Danish page, not JSON
    assert bad.status_code == 422 and "ugyldig værdi i «maaned»" in bad.text and "<h1>Ugyldig værdi</h1>" in bad.text


def test_the_operator_sees_only_placements_of_its_offers_and_another_organisation_gets_404(site: Site) -> None:
    site.login("drift.aalborg")
    page = site.client.get("/indskrivninger")
    assert page.status_code == 200 and FJORDGAARDEN in page.text
    no_cpr(page)
    detail = site.client.get(f"/indskrivninger/{FJORDGAARDEN}")
    assert detail.status_code == 200
    no_cpr(detail)
    shown = text(detail)
    assert "Ekstra støtte, socialpædagog" in shown and "01-04-2025 – 30-09-2025" in shown and "Historik" in shown
    logout(site)
    site.login("drift.hjoerring")
    assert FJORDGAARDEN not in site.client.get("/indskrivninger").text
    assert site.client.get(f"/indskrivninger/{FJORDGAARDEN}").status_code == 404
    confirm = site.post(f"/indskrivninger/{FJORDGAARDEN}/bekraeft", {}, token_from="/indskrivninger")
    assert confirm.status_code == 404
    reveal = site.post(f"/indskrivninger/{FJORDGAARDEN}/cpr", {}, token_from="/indskrivninger")
    assert reveal.status_code == 404 and "150372-0101" not in reveal.text
    logout(site)
    site.login("koeb.herning")
    assert site.client.get(f"/indskrivninger/{FJORDGAARDEN}").status_code == 404
    assert site.client.get("/indskrivninger/ny").status_code == 200
    logout(site)
    site.login("sekretariat.nord")
    assert site.client.get("/indskrivninger").status_code == 403
    assert ">Indskrivninger<" not in site.client.get("/tilbud").text


def test_every_placement_post_needs_the_csrf_token(site: Site) -> None:
    site.login("koeb.thisted")
    before = count_for(site, 787)
    for url, data in (
        ("/indskrivninger", NEW),
        (f"/indskrivninger/{FJORDGAARDEN}/cpr", {}),
        (f"/indskrivninger/{FJORDGAARDEN}/opsigelse", {"final_date": "31-12-2026"}),
    ):
        refused = site.client.post(url, data=data, follow_redirects=False)
        assert refused.status_code == 403, url
        assert "150372-0101" not in refused.text
    assert count_for(site, 787) == before


def test_a_registration_with_errors_shows_every_finding_by_field_and_saves_nothing_r_set_01(site: Site) -> None:
    site.login("koeb.thisted")
    before = count_for(site, 787)
    refused = register(
        site, cpr="311380-1234", acting_municipality="", start_date="32-13-2026", contract="x", level="111280-1234"
    )
    assert refused.status_code == 422
    no_cpr(refused)
    page = text(refused)
    assert "Intet er gemt" in page
    for label in ("CPR-nummeret", "Handlekommunen mangler", "Startdatoen", "Kontrakttypen"):
        assert label in page, label
    assert "R-SET-01" in page and "R-SET-04" in page
    assert count_for(site, 787) == before


def test_the_buyer_registers_and_the_operator_confirms_and_adds_a_supplement_and_the_buyer_gives_notice(
    site: Site,
) -> None:
    site.login("koeb.thisted")
    created = register(site)
    assert created.status_code == 303
    location = created.headers["location"]
    assert location.startswith("/indskrivninger/P-")
    no_cpr(created)
    placement_id = location.rsplit("/", 1)[1]
    shown = site.client.get(location)
    no_cpr(shown)
    assert "Indskrivningen er registreret" in text(shown) and "111280-xxxx" in shown.text
    logout(site)
    site.login("drift.aalborg")
    confirmed = site.post(f"/indskrivninger/{placement_id}/bekraeft", {}, token_from=location)
    assert confirmed.status_code == 303 and confirmed.headers["location"] == location
    page = text(site.client.get(location))
    assert "Indskrivningen er bekræftet" in page and "Bekræftet af driftsherren" in page
    again = site.post(f"/indskrivninger/{placement_id}/bekraeft", {}, token_from=location)
    assert again.status_code == 303 and "allerede bekræftet" in text(site.client.get(location))
    supplement = {"kind": "daily", "name": "Ekstra kørsel", "start": "01-04-2026", "daily_amount": "125,50"}
    added = site.post(f"/indskrivninger/{placement_id}/tillaeg", supplement, token_from=location)
    assert added.status_code == 303
    page = text(site.client.get(location))
    assert "Tillægsydelsen er tilføjet" in page and "Ekstra kørsel" in page and "125,50 kr." in page
    logout(site)
    site.login("koeb.thisted")
    notice = {"kind": "final", "final_date": "31-12-2026"}
    given = site.post(f"/indskrivninger/{placement_id}/opsigelse", notice, token_from=location)
    assert given.status_code == 303
    page = text(site.client.get(location))
    assert "Opsigelsen er registreret (R-SET-04)" in page and "31-12-2026" in page


def test_the_operator_refuses_with_a_reason_and_a_refusal_without_one_is_refused(site: Site) -> None:
    site.login("koeb.thisted")
    location = register(site).headers["location"]
    placement_id = location.rsplit("/", 1)[1]
    logout(site)
    site.login("drift.aalborg")
    site.post(f"/indskrivninger/{placement_id}/afvis", {"reason": " "}, token_from=location)
    assert "En afvisning kræver en begrundelse" in text(site.client.get(location))
    refused = site.post(f"/indskrivninger/{placement_id}/afvis", {"reason": "Ingen plads"}, token_from=location)
    assert refused.status_code == 303
    page = text(site.client.get(location))
    assert "Indskrivningen er afvist" in page and "Ingen plads" in page


def test_an_import_registers_all_rows_or_none_with_findings_by_row_and_column(site: Site) -> None:
    site.login("koeb.thisted")
    before = count_for(site, 787)
    csv = b"cpr;tilbud;handlekommune;startdato\n010280-1111;N-851-01;787;01-03-2026\n310280-2222;N-787-01;787;01-03-2026\n"
    token = site.token("/indskrivninger/ny")
    refused = site.client.post(
        "/indskrivninger/import",
        data={"csrf_token": token},
        files={"fil": ("liste.csv", csv, "text/csv")},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    no_cpr(refused)
    assert "liste.csv, række 3, kolonne cpr" in text(refused) and "Intet er gemt" in text(refused)
    assert count_for(site, 787) == before
    fixed = csv.replace(b"310280-2222", b"030380-2222")
    saved = site.client.post(
        "/indskrivninger/import",
        data={"csrf_token": token},
        files={"fil": ("liste.csv", fixed, "text/csv")},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert count_for(site, 787) == before + 2
    listed = site.client.get(saved.headers["location"])
    no_cpr(listed)
    assert "2 indskrivning(er) fra liste.csv er registreret" in text(listed)


def test_the_full_cpr_number_is_only_in_the_answer_to_the_reveal_post_for_the_two_parties(site: Site) -> None:
    site.login("koeb.thisted")
    location = f"/indskrivninger/{FJORDGAARDEN}"
    detail = site.client.get(location)
    no_cpr(detail)
    assert "Vis fuldt CPR-nummer" in detail.text
    revealed = site.post(f"{location}/cpr", {}, token_from=location)
    assert revealed.status_code == 200 and "150372-0101" in revealed.text
    assert revealed.headers["cache-control"] == "no-store"
    assert "150372-0101" not in str(revealed.url)
    no_cpr(site.client.get(location))
    no_cpr(site.client.get("/indskrivninger"))
    with UnitOfWork(site.engine) as uow:
        purposes = [read.purpose for read in uow.audit.reads_of(FJORDGAARDEN)]
    assert "placement.cpr_reveal" in purposes


def test_a_filtered_list_logs_as_read_only_the_placements_it_shows(site: Site) -> None:
    site.login("koeb.thisted")
    own = [demo_placement_id(n) for n, p in enumerate(PLACEMENTS, start=1) if 787 in (p.acting, p.paying)]
    hidden = [ref for ref in own if ref != FJORDGAARDEN]
    assert hidden, "Thisted has more than one demo placement"

    def list_reads(ref: str) -> int:
        with UnitOfWork(site.engine) as uow:
            return sum(1 for read in uow.audit.reads_of(ref) if read.purpose == "placement.list")

    before = {ref: list_reads(ref) for ref in own}
    page = text(site.client.get("/indskrivninger?tilbud=N-851-01&maaned=2025-03"))
    shown = [ref for ref in own if ref in page]
    assert FJORDGAARDEN in shown
    for ref in own:
        assert list_reads(ref) == before[ref] + (1 if ref in shown else 0), ref
    assert "N-851-01" in page  # the offer filter still lists the offers of the unfiltered page
