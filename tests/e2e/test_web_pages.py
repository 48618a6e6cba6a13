"""The Danish pages end to end over HTTP: the demo database, a fixed clock (2026-11-22) and real forms.

The 2027 cycle is open on that day; Fjordgården (N-851-01, operated by drift.aalborg) has no 2027
submission yet, and its 2026 tariff is the handbook's worked example (§ 6.5): 2.070,25 kr./dag.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.excel.layout import ROW_BY_FIELD, SHEET
from rammeaftale.demo import DEMO_PASSWORD, load_demo
from rammeaftale.entrypoints.app import create_app

TODAY = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
BANNER = "Fiktive demodata – ingen rigtige tilbud, takster eller borgere"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIXTURES = Path(__file__).parents[1] / "fixtures"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    client: TestClient
    engine: Engine

    def ids(self, code: str) -> tuple[int, int]:
        """(offer id, first service id) of an offer code."""
        with UnitOfWork(self.engine) as uow:
            offer = uow.offers.by_code(code)
            assert offer is not None
            return offer.id, offer.services[0].id

    def token(self, url: str) -> str:
        page = self.client.get(url)
        assert page.status_code == 200, page.text
        match = CSRF.search(page.text)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        data = {"username": username, "password": password, "csrf_token": self.token("/login")}
        response = self.client.post("/login", data=data, follow_redirects=False)
        assert response.status_code == 303, response.text

    def post(self, url: str, data: dict[str, str], token_from: str) -> httpx.Response:
        response: httpx.Response = self.client.post(
            url, data={**data, "csrf_token": self.token(token_from)}, follow_redirects=False
        )
        return response

    def submissions_2027(self, service_id: int) -> int:
        with UnitOfWork(self.engine) as uow:
            return uow.submissions.next_version(service_id, 2027) - 1


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo, loaded once through the migrations; each test works on its own copy of the file."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    load_demo(engine)
    engine.dispose()
    return path


@pytest.fixture
def site(demo_database: Path, tmp_path: Path) -> Iterator[Site]:
    path = tmp_path / "web.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{demo_database}{suffix}")
        if source.exists():
            shutil.copy(source, f"{path}{suffix}")
    engine = make_engine(f"sqlite:///{path}")
    with TestClient(create_app(engine, lambda: TODAY)) as client:
        yield Site(client, engine)
    engine.dispose()


def fjordgaarden_template(site: Site, *, occupancy: int | None = None) -> bytes:
    offer_id, service_id = site.ids("N-851-01")
    response = site.client.get(f"/tilbud/{offer_id}/ydelser/{service_id}/skabelon?aar=2027")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="takstberegning-N-851-01-2027.xlsx"'
    if occupancy is None:
        return bytes(response.content)
    workbook = load_workbook(io.BytesIO(response.content))
    workbook[SHEET][ROW_BY_FIELD["occupancy.percent"].cell] = occupancy
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(site: Site, service_id: int, content: bytes, filename: str, media_type: str = XLSX) -> httpx.Response:
    offer_id, _ = site.ids("N-851-01")
    response: httpx.Response = site.client.post(
        f"/ydelser/{service_id}/indberetning",
        data={"csrf_token": site.token(f"/tilbud/{offer_id}"), "aar": "2027"},
        files={"fil": (filename, content, media_type)},
        follow_redirects=False,
    )
    return response


# --- public pages ----------------------------------------------------------------------------------


def test_the_front_page_redirects_to_the_offer_list(site: Site) -> None:
    response = site.client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/tilbud"


def test_every_page_shows_the_fictitious_data_banner(site: Site) -> None:
    offer_id, _ = site.ids("N-851-01")
    for url in ("/tilbud", f"/tilbud/{offer_id}", "/takstbilag", "/takstbilag/1081/2026", "/ata", "/login"):
        assert BANNER in site.client.get(url).text, url
    assert BANNER in site.client.get("/tilbud/999999").text  # the error page too


def test_offer_list_filters_by_region_kind_legal_basis_and_status(site: Site) -> None:
    everything = site.client.get("/tilbud").text
    assert "Fjordgården" in everything and "Kildebakken" in everything

    midtjylland = site.client.get("/tilbud", params={"region": "1082"}).text
    assert "Kildebakken" in midtjylland and "Fjordgården" not in midtjylland

    respite = site.client.get("/tilbud", params={"kind": "respite"}).text
    assert "Skovbrynet Aflastning" in respite and "Fjordgården" not in respite
    assert "Aflastning" in respite  # the Danish kind label

    shelters = site.client.get("/tilbud", params={"legal_basis": "SEL § 109"}).text
    assert "Havblik Krisecenter" in shelters and "Randers Krisecenter" in shelters and "Bakkehuset" not in shelters

    assert "Fjordgården" in site.client.get("/tilbud", params={"status": "active"}).text
    assert "Ingen tilbud matcher" in site.client.get("/tilbud", params={"status": "closed"}).text


def test_offer_list_free_text_search_finds_offers_by_target_group_and_name(site: Site) -> None:
    autism = site.client.get("/tilbud", params={"q": "autisme"}).text
    assert "Bakkehuset" in autism and "Skovgården" in autism
    assert "Fjordgården" not in autism
    assert "Fjordgården" in site.client.get("/tilbud", params={"q": "fjord"}).text


def test_offer_list_marks_enhanced_collaboration(site: Site) -> None:
    page = site.client.get("/tilbud", params={"q": "Bakkehuset"}).text
    assert "Forstærket samarbejde" in page.split("<tbody>", 1)[1]


def test_offer_page_shows_the_current_tariff_its_trace_and_history_chart(site: Site) -> None:
    offer_id, _ = site.ids("N-851-01")
    page = site.client.get(f"/tilbud/{offer_id}").text
    assert "2.070,25" in page  # handbook § 6.5
    assert "755.641,25 kr." in page
    assert "R-TAR-03" in page and "Døgntakst" in page and "17.410.000,00 kr." in page
    assert "<svg" in page and "Budgetår" in page and "2024" in page
    assert "Hent skabelon" not in page  # an anonymous visitor cannot submit


def test_appendix_index_and_page_are_public_and_downloadable(site: Site) -> None:
    index = site.client.get("/takstbilag").text
    assert "Region Nordjylland" in index and "Takstbilag 2026" in index

    page = site.client.get("/takstbilag/1081/2026").text
    assert "Fjordgården" in page and "2.070,25" in page and "Version 1" in page

    xlsx = site.client.get("/takstbilag/1081/2026.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-disposition"] == 'attachment; filename="takstbilag-1081-2026-v1.xlsx"'
    assert xlsx.content[:2] == b"PK"

    pdf = site.client.get("/takstbilag/1081/2026.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-disposition"] == 'attachment; filename="takstbilag-1081-2026-v1.pdf"'
    assert pdf.content.startswith(b"%PDF")

    assert site.client.get("/takstbilag/1081/2031").status_code == 404


def test_r_sup_02_r_sup_03_r_sup_04_ata_page_computes_the_handbook_example_and_says_when_to_tell_the_buyer(
    site: Site,
) -> None:
    form = {"hourly_cost": "220", "absence": "30", "time_coefficient": "40", "variable_costs": "5", "hours": "10,5"}
    page = site.client.post("/ata", data=form)
    assert page.status_code == 200
    assert "385,00 kr." in page.text  # R-SUP-02: 220 × 1,75
    assert "4.042,50 kr." in page.text
    assert "R-SUP-03" in page.text
    assert "R-SUP-04" in page.text and "Køberkommunen skal have besked" in page.text


def test_ata_page_accepts_thousands_separators_and_explains_bad_input(site: Site) -> None:
    form = {"hourly_cost": "1.000,00", "absence": "0", "time_coefficient": "0", "variable_costs": "5", "hours": "2"}
    assert "2.100,00 kr." in site.client.post("/ata", data=form).text
    bad = site.client.post("/ata", data={**form, "hourly_cost": "mange"})
    assert bad.status_code == 422
    assert "ikke et tal" in bad.text


# --- login and role scoping ----------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_for_the_cycle_page(site: Site) -> None:
    response = site.client.get("/takstcyklus", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/takstcyklus")


def test_login_with_a_wrong_password_is_refused(site: Site) -> None:
    data = {"username": "drift.aalborg", "password": "forkert", "csrf_token": site.token("/login")}
    response = site.client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 401
    assert "Forkert brugernavn eller adgangskode" in response.text


def test_login_redirects_only_to_a_local_next_path(site: Site) -> None:
    data = {"username": "koeb.thisted", "password": DEMO_PASSWORD, "next": "https://example.com/"}
    response = site.client.post("/login", data={**data, "csrf_token": site.token("/login")}, follow_redirects=False)
    assert response.headers["location"] == "/tilbud"
    data["next"] = "/takstbilag"
    response = site.client.post("/login", data={**data, "csrf_token": site.token("/login")}, follow_redirects=False)
    assert response.headers["location"] == "/takstbilag"
    assert "Sagsbehandler Thisted Kommune" in site.client.get("/tilbud").text


def test_a_form_post_without_the_csrf_token_is_refused(site: Site) -> None:
    response = site.client.post("/login", data={"username": "drift.aalborg", "password": DEMO_PASSWORD})
    assert response.status_code == 403


def test_logout_ends_the_session(site: Site) -> None:
    site.login("drift.aalborg")
    assert "Log ud" in site.client.get("/tilbud").text
    assert site.client.post("/logout").status_code == 403  # a logout needs the CSRF token too
    assert "Log ud" in site.client.get("/tilbud").text
    site.post("/logout", {}, token_from="/tilbud")
    assert "Log ind" in site.client.get("/tilbud").text


def test_a_buyer_sees_offers_but_no_submissions_and_not_the_cycle(site: Site) -> None:
    site.login("koeb.thisted")
    offer_id, _ = site.ids("N-851-01")
    page = site.client.get(f"/tilbud/{offer_id}").text
    assert "2.070,25" in page
    assert "Takstindberetninger" not in page and "Hent skabelon" not in page
    assert "Takstcyklus" not in page
    assert site.client.get("/takstcyklus").status_code == 403


def test_the_operator_sees_template_upload_and_form_for_its_own_offer_only(site: Site) -> None:
    site.login("drift.aalborg")
    own_id, service_id = site.ids("N-851-01")
    own = site.client.get(f"/tilbud/{own_id}").text
    assert "Hent skabelon for 2027" in own
    assert f"/ydelser/{service_id}/formular?aar=2027" in own
    assert 'enctype="multipart/form-data"' in own
    assert "Takstindberetning 2027" in site.client.get(f"/ydelser/{service_id}/formular").text  # next year by default
    other_id, other_service = site.ids("N-860-01")
    assert "Hent skabelon" not in site.client.get(f"/tilbud/{other_id}").text
    assert site.client.get(f"/ydelser/{other_service}/formular?aar=2027").status_code == 404


# --- the tariff cycle end to end -------------------------------------------------------------------------


def test_an_upload_with_occupancy_out_of_bounds_shows_every_finding_with_its_cell_and_saves_nothing(
    site: Site,
) -> None:
    site.login("drift.aalborg")
    _, service_id = site.ids("N-851-01")
    response = upload(site, service_id, fjordgaarden_template(site, occupancy=80), "fjordgaarden-2027.xlsx")
    assert response.status_code == 422
    assert "R-OCC-01" in response.text
    assert f"celle {ROW_BY_FIELD['occupancy.percent'].cell}" in response.text
    assert "Fejl" in response.text and "Intet er gemt" in response.text
    assert site.submissions_2027(service_id) == 0


def test_a_json_upload_is_checked_the_same_way_with_json_paths_as_sources(site: Site) -> None:
    site.login("drift.aalborg")
    _, service_id = site.ids("N-851-01")
    data = json.loads((FIXTURES / "fjordgaarden-2026.json").read_text(encoding="utf-8"))
    data.update(ruleset="nordjylland-2027-2028", budget_year=2027)
    data["occupancy"]["percent"] = "80"
    rejected = upload(site, service_id, json.dumps(data).encode(), "fjordgaarden.json", "application/json")
    assert rejected.status_code == 422
    assert "R-OCC-01" in rejected.text and "$.occupancy.percent" in rejected.text
    data["occupancy"]["percent"] = "96"
    saved = upload(site, service_id, json.dumps(data).encode(), "fjordgaarden.json", "application/json")
    assert saved.status_code == 303, saved.text
    assert "JSON-fil" in site.client.get(saved.headers["location"]).text
    assert site.submissions_2027(service_id) == 1


def test_an_unreadable_upload_is_refused_with_a_danish_message(site: Site) -> None:
    site.login("drift.aalborg")
    _, service_id = site.ids("N-851-01")
    response = upload(site, service_id, b"name;places\nFjordgarden;24\n", "takster.csv", "text/csv")
    assert response.status_code == 422
    assert "Intet er gemt" in response.text
    assert site.submissions_2027(service_id) == 0


def test_upload_submit_approve_and_publish_puts_fjordgaarden_in_the_2027_appendix(site: Site) -> None:
    site.login("drift.aalborg")
    offer_id, service_id = site.ids("N-851-01")
    response = upload(site, service_id, fjordgaarden_template(site), "fjordgaarden-2027.xlsx")
    assert response.status_code == 303, response.text
    submission_url = response.headers["location"]
    draft = site.client.get(submission_url).text
    assert "Kladde" in draft and "R-CYC-02" in draft  # received after the deadline: flagged, not dropped
    assert ">Indsend<" in draft and "Godkend" not in draft

    submitted = site.post(
        f"{submission_url}/indsend", {"remarks": "Uændret drift; sent pga. budgetvedtagelse."}, submission_url
    )
    assert submitted.status_code == 303
    page = site.client.get(submission_url).text
    assert "Indsendt" in page and ">Indsend<" not in page
    offer_page = site.client.get(f"/tilbud/{offer_id}").text
    assert "er indsendt" in offer_page and "Upload og kontrollér" not in offer_page  # pending: no new file

    site.login("sekretariat.nord")
    cycle = site.client.get("/takstcyklus").text
    assert "Takstcyklus 2027" in cycle and "31-10-2026" in cycle
    assert "Fristen er overskredet for 22 dage siden" in cycle
    assert submission_url in cycle
    review = site.client.get(submission_url).text
    assert "Godkend" in review and "Send retur" in review and ">Indsend<" not in review
    assert site.post(f"{submission_url}/godkend", {"comment": ""}, submission_url).status_code == 303
    assert "Godkendt" in site.client.get(submission_url).text

    published = site.post("/takstbilag/1081/2027/offentliggoer", {"reason": ""}, "/takstcyklus")
    assert published.status_code == 303
    assert published.headers["location"] == "/takstbilag/1081/2027?version=1"
    appendix = site.client.get(published.headers["location"]).text
    assert "Takstbilag 2027" in appendix and "Fjordgården" in appendix
    assert f'href="/tilbud/{offer_id}"' in appendix
    assert "Ikke medtaget" in appendix  # R-CYC-04: operators without approved submissions are named

    again = site.post("/takstbilag/1081/2027/offentliggoer", {"reason": ""}, "/takstcyklus")
    assert again.status_code == 422
    assert "kræver en begrundelse" in again.text


def test_the_secretariat_must_comment_when_returning_a_submission(site: Site) -> None:
    site.login("sekretariat.nord")
    with UnitOfWork(site.engine) as uow:
        _, service_id = site.ids("N-1081-01")  # Bakkehuset: submitted for 2027 in the demo
        row = uow.submissions.latest(service_id, 2027)
        assert row is not None and row.status == "submitted"
        url = f"/indberetninger/{row.id}"
    refused = site.post(f"{url}/retur", {"comment": "  "}, url)
    assert refused.status_code == 422
    assert "Skriv en kommentar" in refused.text
    returned = site.post(f"{url}/retur", {"comment": "Belægningen skal begrundes nærmere."}, url)
    assert returned.status_code == 303
    page = site.client.get(url).text
    assert "Sendt retur" in page and "Belægningen skal begrundes nærmere." in page


def test_the_web_form_is_prefilled_and_saves_a_draft(site: Site) -> None:
    site.login("drift.aalborg")
    _, service_id = site.ids("N-851-01")
    form_url = f"/ydelser/{service_id}/formular?aar=2027"
    page = site.client.get(form_url).text
    assert 'name="offer.name" value="Fjordgården"' in page
    assert 'name="costs.personnel.citizen_related_staff" value="11400000"' in page
    assert 'name="last_year.tariff" value="2070,25"' in page

    values = form_values(page)
    values["occupancy.percent"] = "80"
    rejected = site.client.post(form_url, data=values, follow_redirects=False)
    assert rejected.status_code == 422
    assert "R-OCC-01" in rejected.text and 'aria-invalid="true"' in rejected.text
    assert site.submissions_2027(service_id) == 0

    values["occupancy.percent"] = "96,5"
    values["costs.personnel.top_management"] = "1.100.000"
    saved = site.client.post(form_url, data=values, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    draft = site.client.get(saved.headers["location"]).text
    assert "Kladde" in draft and "Webformular" in draft
    assert site.submissions_2027(service_id) == 1


def form_values(page: str) -> dict[str, str]:
    """What a browser would post from the submission form: every input, textarea and selected option."""
    form = page.split('action="/ydelser/', 1)[1]
    values: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name is None or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        values[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = html.unescape(text)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        option = re.search(r'<option value="([^"]*)" selected', body) or re.search(r'<option value="([^"]*)"', body)
        values[name] = option.group(1) if option else ""
    return values


def test_an_operator_corrects_a_published_submission_by_a_new_version_with_a_reason(site: Site) -> None:
    _, service_id = site.ids("N-851-01")
    with UnitOfWork(site.engine) as uow:
        published = uow.submissions.latest(service_id, 2026)
        assert published is not None and published.status == "published"
        payload = json.dumps(published.payload).encode()
    site.login("drift.aalborg")
    page = site.client.get(f"/indberetninger/{published.id}")
    assert "Opret rettelse" in page.text
    token = site.token(f"/indberetninger/{published.id}")
    files = {"fil": ("rettelse.json", payload, "application/json")}
    no_reason = site.client.post(
        f"/indberetninger/{published.id}/ret", data={"csrf_token": token, "reason": ""}, files=files
    )
    assert no_reason.status_code == 422 and "begrundelse" in no_reason.text
    done = site.client.post(
        f"/indberetninger/{published.id}/ret",
        data={"csrf_token": token, "reason": "Forkert husleje"},
        files=files,
        follow_redirects=False,
    )
    assert done.status_code == 303
    with UnitOfWork(site.engine) as uow:
        original = uow.submissions.get(published.id)
        correction = uow.submissions.latest(service_id, 2026)
    assert original is not None and original.status == "published"
    assert correction is not None and correction.supersedes_id == published.id and correction.status == "draft"


def test_an_id_beyond_the_database_range_in_a_page_address_is_a_404_not_a_server_error(site: Site) -> None:
    assert site.client.get("/tilbud/99999999999999999999").status_code == 404
    assert site.client.get("/takstbilag/1081/99999999999").status_code == 404
