"""Every route declares who may call it, the app enforces it, and bodies cannot set what the server owns.

Issue 3, part 2. The demo database (fixed clock 2026-11-22; the 2027 cycle is open) over HTTP in process.
The helpers here (``Demo``, ``demo_database``, ``demo``) are shared by test_headers_csrf.py and
test_tenancy_matrix.py.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from starlette.routing import Mount, Route

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import DEMO_PASSWORD, load_demo
from rammeaftale.entrypoints.app import create_app
from rammeaftale.entrypoints.policies import (
    Policy,
    UndeclaredPolicy,
    all_routes,
    check_route_policies,
    declared_routes,
    policy,
    route_declarations,
)
from rammeaftale.services import submissions
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import Forbidden

TODAY = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
FIXTURE = Path(__file__).parents[1] / "fixtures" / "fjordgaarden-2026.json"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
AUDITED_TABLES = (
    m.AuditEntry,
    m.TariffSubmissionRow,
    m.TariffAppendixRow,
    m.OfferVersion,
    m.User,
    m.AccountsSubmissionRow,
    m.AccountsRegulationRow,
    m.ReserveLedgerEntryRow,
    m.BillingRunRow,
    m.InvoiceRow,
    m.InvoiceLineRow,
    m.DisputeRow,
    m.PlacementRow,
    m.PlacementSupplementRow,
    m.HealthServiceRow,  # health refunds (R-REF-01), citizen schedules (§ 13), closing costs (R-SET-08)
    m.HealthRefundClaimRow,
    m.CitizenScheduleRow,
    m.ClosingCostsRow,
    m.FinancingAgreementRow,  # objective financing (section 10, R-SET-12)
    m.FinancingTrueUpRow,
)


def body_2027(**changes: Any) -> dict[str, Any]:
    """Fjordgården's handbook submission (§ 6.5) for the open 2027 cycle."""
    data: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    data.update(ruleset="nordjylland-2027-2028", budget_year=2027, **changes)
    return data


@dataclass
class Demo:
    """The app on its own copy of the demo database, and logged-in clients of its users."""

    app: FastAPI
    engine: Engine

    def client(self, username: str | None = None) -> TestClient:
        """A browser: anonymous, or logged in through the login form (session cookie)."""
        client = TestClient(self.app)
        if username is not None:
            token = CSRF_FIELD.search(client.get("/login").text)
            assert token is not None
            data = {"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
            response = client.post("/login", data=data, follow_redirects=False)
            assert response.status_code == 303, response.text
        return client

    def csrf(self, client: TestClient) -> str:
        """The session's CSRF token as the API hands it out (logged in) or the login form shows it."""
        response = client.get("/api/csrf")
        if response.status_code == 200:
            token: str = response.json()["csrf_token"]
            return token
        found = CSRF_FIELD.search(client.get("/login").text)
        assert found is not None
        return found.group(1)

    def ids(self, code: str) -> tuple[int, int]:
        """(offer id, first service id) of an offer code."""
        with UnitOfWork(self.engine) as uow:
            offer = uow.offers.by_code(code)
            assert offer is not None
            return offer.id, offer.services[0].id

    def submission(self, code: str, year: int, *statuses: str) -> m.TariffSubmissionRow:
        offer_id, _ = self.ids(code)
        with UnitOfWork(self.engine) as uow:
            rows = [r for r in uow.submissions.for_offer(offer_id) if r.budget_year == year and r.status in statuses]
            assert rows, (code, year, statuses)
            uow.session.expunge(rows[-1])
            return rows[-1]

    def user_id(self, username: str) -> int:
        with UnitOfWork(self.engine) as uow:
            user = uow.users.by_username(username)
            assert user is not None
            return user.id

    def counts(self) -> dict[str, int]:
        """Rows per audited table: a request that changes nothing leaves these alone."""
        with UnitOfWork(self.engine) as uow:
            return {
                t.__tablename__: uow.session.scalar(select(func.count()).select_from(t)) or 0 for t in AUDITED_TABLES
            }


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("policies") / "demo.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    load_demo(engine)
    engine.dispose()
    return path


@pytest.fixture
def demo(demo_database: Path, tmp_path: Path) -> Iterator[Demo]:
    path = tmp_path / "demo.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{demo_database}{suffix}").exists():
            shutil.copy(f"{demo_database}{suffix}", f"{path}{suffix}")
    engine = make_engine(f"sqlite:///{path}")
    yield Demo(create_app(engine, lambda: TODAY), engine)
    engine.dispose()


# --- every route declares one policy ------------------------------------------------------------------

# The whole table, reviewed in one place: a new route has to be added here with its policy.
POLICIES = {
    ("GET", "/api/csrf"): "authenticated",
    ("GET", "/api/offers"): "public",
    ("GET", "/api/offers/{offer_id}"): "public",
    ("POST", "/api/offers/{offer_id}/versions"): "secretariat|operator",
    ("GET", "/api/services/{service_id}/template"): "secretariat|operator",
    ("POST", "/api/services/{service_id}/submissions"): "operator",
    ("POST", "/api/services/{service_id}/submissions/file"): "operator",
    ("GET", "/api/submissions/{submission_id}"): "secretariat|operator",
    ("POST", "/api/submissions/{submission_id}/submit"): "operator",
    ("POST", "/api/submissions/{submission_id}/approve"): "secretariat",
    ("POST", "/api/submissions/{submission_id}/return"): "secretariat",
    ("POST", "/api/submissions/{submission_id}/corrections"): "operator",
    ("POST", "/api/tariff/compute"): "public (no CSRF: saves nothing)",
    ("GET", "/api/cycle/{region_code}/{year}"): "secretariat",
    ("POST", "/api/appendices/{region_code}/{year}/publish"): "secretariat",
    ("GET", "/api/appendices/{region_code}/{year}"): "public",
    ("GET", "/api/ata"): "public",
    ("POST", "/api/offers/{offer_id}/accounts"): "operator",
    ("POST", "/api/offers/{offer_id}/accounts/file"): "operator",
    ("GET", "/api/offers/{offer_id}/accounts"): "secretariat|operator",
    ("GET", "/api/accounts/{accounts_id}"): "secretariat|operator",
    ("GET", "/api/operators/{organisation_id}/reserves"): "secretariat|operator",
    ("POST", "/api/offers/{offer_id}/reserves/use"): "operator",
    ("POST", "/api/offers/{offer_id}/reserves/transfer"): "operator",
    ("POST", "/api/regions/{region_code}/reserves/{year}/expire"): "secretariat",
    ("GET", "/api/regions/{region_code}/accounts/{year}"): "secretariat",
    ("POST", "/api/operators/{organisation_id}/billing/{year}/{month}"): "operator",
    ("GET", "/api/operators/{organisation_id}/invoices"): "operator",
    ("GET", "/api/buyers/{organisation_id}/statement"): "buyer",
    ("GET", "/api/invoices/{invoice_id}"): "operator|buyer",
    ("POST", "/api/invoices/{invoice_id}/disputes"): "buyer",
    ("POST", "/api/disputes/{dispute_id}/resolve"): "operator",
    ("GET", "/api/invoices/{invoice_id}/pdf"): "operator|buyer",
    ("GET", "/api/invoices/{invoice_id}/einvoice.xml"): "operator|buyer",
    ("GET", "/api/buyers/{organisation_id}/statement.xlsx"): "buyer",
    ("GET", "/api/buyers/{organisation_id}/statement.csv"): "buyer",
    ("GET", "/api/placements"): "operator|buyer",
    ("POST", "/api/placements"): "buyer",
    ("POST", "/api/placements/import"): "buyer",
    ("POST", "/api/placements/search"): "operator|buyer",
    ("GET", "/api/placements/{placement_id}"): "operator|buyer",
    ("POST", "/api/placements/{placement_id}/cpr"): "operator|buyer",
    ("POST", "/api/placements/{placement_id}/confirm"): "operator",
    ("POST", "/api/placements/{placement_id}/refuse"): "operator",
    ("POST", "/api/placements/{placement_id}/notice"): "operator|buyer",
    ("POST", "/api/placements/{placement_id}/notice/agreement"): "operator",
    ("POST", "/api/placements/{placement_id}/supplements"): "operator",
    ("POST", "/api/placements/{placement_id}/supplements/{supplement_id}/end"): "operator",
    # health refunds (R-REF-01), citizen schedules (section 13) and closing costs (R-SET-08)
    ("POST", "/api/placements/{placement_id}/health-services"): "buyer",
    ("POST", "/api/health-refunds/{year}/{month}/run"): "buyer",
    ("GET", "/api/health-refunds"): "buyer",
    ("POST", "/api/placements/{placement_id}/citizen-schedules"): "operator",
    ("POST", "/api/placements/{placement_id}/closing-costs"): "operator",
    # objective financing (section 10, R-SET-12)
    ("POST", "/api/financing/agreements"): "secretariat",
    ("GET", "/api/financing/agreements"): "authenticated",
    ("GET", "/api/financing/agreements/{agreement_id}"): "authenticated",
    ("POST", "/api/financing/agreements/{agreement_id}/installments"): "operator",
    ("POST", "/api/financing/agreements/{agreement_id}/true-up"): "operator",
    ("GET", "/api/docs"): "public",
    ("GET", "/"): "public",
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("POST", "/logout"): "public",
    ("GET", "/login/kode"): "public",
    ("POST", "/login/kode"): "public",
    ("GET", "/konto"): "authenticated",
    ("POST", "/konto/adgangskode"): "authenticated",
    ("POST", "/konto/sessioner/{session_pk}/afslut"): "authenticated",
    ("POST", "/konto/sessioner/afslut-andre"): "authenticated",
    ("POST", "/konto/totrin/start"): "authenticated",
    ("POST", "/konto/totrin"): "authenticated",
    ("GET", "/tilbud"): "public",
    ("GET", "/tilbud/{offer_id}"): "public",
    ("GET", "/tilbud/{offer_id}/ydelser/{service_id}/skabelon"): "secretariat|operator",
    ("GET", "/ydelser/{service_id}/indberetning"): "operator",
    ("POST", "/ydelser/{service_id}/indberetning"): "operator",
    ("GET", "/ydelser/{service_id}/formular"): "operator",
    ("POST", "/ydelser/{service_id}/formular"): "operator",
    ("GET", "/indberetninger/{submission_id}"): "secretariat|operator",
    ("POST", "/indberetninger/{submission_id}/indsend"): "operator",
    ("POST", "/indberetninger/{submission_id}/godkend"): "secretariat",
    ("POST", "/indberetninger/{submission_id}/retur"): "secretariat",
    ("POST", "/indberetninger/{submission_id}/ret"): "operator",
    ("GET", "/takstcyklus"): "secretariat",
    ("POST", "/takstbilag/{region_code}/{year}/offentliggoer"): "secretariat",
    ("GET", "/takstbilag"): "public",
    ("GET", "/takstbilag/{region_code}/{year}.xlsx"): "public",
    ("GET", "/takstbilag/{region_code}/{year}.pdf"): "public",
    ("GET", "/takstbilag/{region_code}/{year}"): "public",
    ("GET", "/ata"): "public",
    ("POST", "/ata"): "public (no CSRF: saves nothing)",
    # accounts and reserves (issue 4): the operator's; its region's secretariat reads them
    ("GET", "/tilbud/{offer_id}/regnskab"): "secretariat|operator",
    ("POST", "/tilbud/{offer_id}/regnskab"): "operator",
    ("GET", "/tilbud/{offer_id}/regnskab/skabelon"): "secretariat|operator",
    ("GET", "/tilbud/{offer_id}/regnskab/formular"): "operator",
    ("POST", "/tilbud/{offer_id}/regnskab/formular"): "operator",
    ("GET", "/regnskaber/{accounts_id}"): "secretariat|operator",
    ("GET", "/driftsherre/{organisation_id}/reserver"): "secretariat|operator",
    ("POST", "/driftsherre/{organisation_id}/reserver/brug"): "operator",
    ("GET", "/regnskab"): "secretariat",
    ("GET", "/regnskab/{region_code}/{year}"): "secretariat",
    ("POST", "/regnskab/{region_code}/udloeb"): "secretariat",
    # placement pages (issue 5 item 7)
    ("GET", "/indskrivninger"): "operator|buyer",
    ("GET", "/indskrivninger/ny"): "buyer",
    ("POST", "/indskrivninger"): "buyer",
    ("POST", "/indskrivninger/import"): "buyer",
    ("GET", "/indskrivninger/{placement_id}"): "operator|buyer",
    ("POST", "/indskrivninger/{placement_id}/cpr"): "operator|buyer",
    ("POST", "/indskrivninger/{placement_id}/bekraeft"): "operator",
    ("POST", "/indskrivninger/{placement_id}/afvis"): "operator",
    ("POST", "/indskrivninger/{placement_id}/opsigelse"): "operator|buyer",
    ("POST", "/indskrivninger/{placement_id}/opsigelse/accept"): "operator",
    ("POST", "/indskrivninger/{placement_id}/tillaeg"): "operator",
    ("POST", "/indskrivninger/{placement_id}/tillaeg/{supplement_id}/afslut"): "operator",
    # billing pages (issue 5 items 3, 5, 7)
    ("GET", "/afregning"): "operator|buyer",
    ("POST", "/afregning"): "operator",
    ("GET", "/afregning/koersler/{job_id}"): "operator",
    ("GET", "/afregning/fakturaer/{invoice_id}"): "operator|buyer",
    ("POST", "/afregning/fakturaer/{invoice_id}/indsigelse"): "buyer",
    ("POST", "/afregning/indsigelser/{dispute_id}/afgoerelse"): "operator",
    ("GET", "/afregning/opgoerelse"): "buyer",
    # objective financing pages (section 10, R-SET-12)
    ("GET", "/finansiering"): "authenticated",
    ("POST", "/finansiering"): "secretariat",
    ("GET", "/finansiering/{agreement_id}"): "authenticated",
    ("POST", "/finansiering/{agreement_id}/rater"): "operator",
    ("POST", "/finansiering/{agreement_id}/aarsafregning"): "operator",
    # health refund pages (R-REF-01)
    ("GET", "/refusion"): "buyer",
    ("POST", "/refusion/ydelser"): "buyer",
    ("POST", "/refusion/krav"): "buyer",
    # the changeover planner (section 13)
    ("GET", "/borgerskemaer/omlaegning"): "operator",
    ("POST", "/borgerskemaer/omlaegning"): "operator",
}


def test_every_route_of_the_api_and_the_pages_declares_exactly_one_policy(demo: Demo) -> None:
    api_routes, others = [], []
    for path, route in all_routes(demo.app):
        if isinstance(route, APIRoute):
            api_routes.append(path)
            assert len(route_declarations(route)) == 1, f"{sorted(route.methods)} {path} has no single policy"
        else:
            others.append((type(route), path))
    assert sorted(others, key=str) == sorted([(Mount, "/static"), (Route, "/api/openapi.json")], key=str)
    assert len(api_routes) == len(POLICIES)


def test_the_policy_of_every_route_is_the_reviewed_one(demo: Demo) -> None:
    declared = {(method, path): str(declaration) for method, path, declaration in declared_routes(demo.app)}
    assert declared == POLICIES


def test_the_app_refuses_to_start_with_a_route_that_declares_no_policy() -> None:
    router = APIRouter()

    @router.get("/declared", dependencies=[policy(Policy.PUBLIC)])
    def declared() -> None: ...

    @router.get("/forgotten")
    def forgotten() -> None: ...

    app = FastAPI()
    app.include_router(router, prefix="/x")
    with pytest.raises(UndeclaredPolicy, match="GET /x/forgotten: 0 policies"):
        check_route_policies(app)


def test_a_policy_is_public_alone_or_a_set_of_roles() -> None:
    with pytest.raises(ValueError):
        policy(Policy.PUBLIC | Policy.OPERATOR)
    with pytest.raises(ValueError):
        policy(Policy(0))


def test_every_api_operation_shows_its_policy_in_the_openapi_schema(demo: Demo) -> None:
    paths = demo.client().get("/api/openapi.json").json()["paths"]
    policies = {(method.upper(), path): op["x-policy"] for path, ops in paths.items() for method, op in ops.items()}
    assert policies[("POST", "/api/submissions/{submission_id}/approve")] == "secretariat"
    assert policies[("GET", "/api/offers")] == "public"
    assert set(policies) == {key for key in POLICIES if key[1].startswith("/api/") and key[1] != "/api/docs"}


# --- the guard: 401 / login for anonymous, 403 for the wrong role ------------------------------------


def test_anonymous_callers_get_401_from_the_api_and_the_login_page_from_the_pages(demo: Demo) -> None:
    anonymous = demo.client()
    _, service_id = demo.ids("N-851-01")
    assert anonymous.get("/api/cycle/1081/2027").status_code == 401
    assert anonymous.get("/api/csrf").status_code == 401
    assert anonymous.post("/api/submissions/1/approve", json={}).status_code == 401
    page = anonymous.get(f"/ydelser/{service_id}/formular", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/login?next=/ydelser/{service_id}/formular"
    assert anonymous.get("/api/offers").status_code == 200
    assert anonymous.get("/takstbilag/1081/2026").status_code == 200


def test_a_logged_in_user_of_the_wrong_role_gets_403_for_every_object_alike(demo: Demo) -> None:
    buyer = demo.client("koeb.thisted")
    existing = demo.submission("N-851-01", 2026, "published").id
    for submission_id in (existing, 999_999):
        response = buyer.get(f"/api/submissions/{submission_id}")
        assert response.status_code == 403
        assert response.json()["detail"] == "Din rolle giver ikke adgang til dette."
    assert buyer.get("/takstcyklus").status_code == 403


def test_objects_of_another_organisation_answer_404_like_objects_that_do_not_exist(demo: Demo) -> None:
    other = demo.client("drift.hjoerring")
    existing = demo.submission("N-851-01", 2026, "published").id
    assert other.get(f"/api/submissions/{existing}").status_code == 404
    assert other.get("/api/submissions/999999").status_code == 404
    assert demo.client("sekretariat.midt").get("/api/cycle/1081/2027").status_code == 404


def test_a_board_member_is_a_role_that_reaches_only_public_and_authenticated_routes(demo: Demo) -> None:
    with UnitOfWork(demo.engine) as uow:
        template = uow.users.by_username("sekretariat.nord")
        assert template is not None
        uow.users.add(
            "bestyrelse.nord", "Bestyrelsesmedlem Nord", template.password_hash, "board", template.organisation_id
        )
        uow.commit()
    board = demo.client("bestyrelse.nord")
    assert board.get("/api/csrf").status_code == 200
    assert "Bestyrelsesmedlem" in board.get("/tilbud").text
    assert board.get("/api/cycle/1081/2027").status_code == 403
    assert board.get("/takstcyklus").status_code == 403
    assert board.get(f"/api/submissions/{demo.submission('N-851-01', 2026, 'published').id}").status_code == 403


# --- mass assignment -------------------------------------------------------------------------------------


def test_a_json_submission_cannot_set_its_status_version_owner_approver_or_amounts(demo: Demo) -> None:
    _, service_id = demo.ids("N-851-01")
    other_offer, _ = demo.ids("N-860-01")
    with UnitOfWork(demo.engine) as uow:
        other = uow.offers.get(other_offer)
        assert other is not None
        other_code, other_operator = other.code, other.operator.id
    secretariat_id = demo.user_id("sekretariat.nord")
    body = body_2027(
        status="approved",
        version=99,
        operator_id=other_operator,
        offer_id=other_offer,
        submitted_by=secretariat_id,
        decided_by=secretariat_id,
        created_by=secretariat_id,
        daily_tariff="1.00",
        result={"services": [{"tariff": "1.00"}]},
    )
    body["offer"]["id"] = other_code
    operator = demo.client("drift.aalborg")
    response = operator.post(
        f"/api/services/{service_id}/submissions", json=body, headers={"X-CSRF-Token": demo.csrf(operator)}
    )
    assert response.status_code == 201, response.text
    saved = response.json()
    assert (saved["status"], saved["version"]) == ("draft", 1)
    assert saved["result"]["services"][0]["tariff"] == "2070.25"  # computed by the server (§ 6.5)
    with UnitOfWork(demo.engine) as uow:
        row = uow.submissions.get(saved["id"])
        offer = uow.offers.by_code("N-851-01")
        assert row is not None and offer is not None
        assert row.operator_id == offer.operator.id != other_operator
        assert (row.offer_id, row.service_id) == (offer.id, service_id)
        assert row.created_by == demo.user_id("drift.aalborg")
        assert (row.submitted_by, row.decided_by) == (None, None)
        assert row.payload["offer"]["id"] == "N-851-01"
        assert str(row.daily_tariff) == "2070.25"


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/submissions/{submitted}/approve", {"comment": "ok", "decided_by": 1}),
        ("/api/submissions/{submitted}/return", {"comment": "retur", "status": "approved"}),
        ("/api/appendices/1081/2027/publish", {"reason": "x", "version": 7}),
    ],
)
def test_secretariat_bodies_refuse_fields_the_server_owns_with_422(demo: Demo, url: str, body: dict[str, Any]) -> None:
    submitted = demo.submission("N-1081-01", 2027, "submitted").id
    before = demo.counts()
    response = demo.client().post(url.format(submitted=submitted), json=body, auth=("sekretariat.nord", DEMO_PASSWORD))
    assert response.status_code == 422
    assert demo.counts() == before


def test_operator_bodies_refuse_fields_the_server_owns_with_422(demo: Demo) -> None:
    offer_id, service_id = demo.ids("N-851-01")
    auth = ("drift.aalborg", DEMO_PASSWORD)
    client = demo.client()
    draft = client.post(f"/api/services/{service_id}/submissions", json=body_2027(), auth=auth).json()["id"]
    submit = client.post(f"/api/submissions/{draft}/submit", json={"remarks": "", "status": "approved"}, auth=auth)
    assert submit.status_code == 422
    change = {"valid_from": "2027-01-01", "reason": "DAS-beslutning", "agreed_places": "26", "operator_id": 1}
    assert client.post(f"/api/offers/{offer_id}/versions", json=change, auth=auth).status_code == 422
    with UnitOfWork(demo.engine) as uow:
        row = uow.submissions.get(draft)
        assert row is not None and row.status == "draft"
        assert len(uow.offers.versions(offer_id)) == 1


# --- four eyes -------------------------------------------------------------------------------------------


def test_the_one_who_submitted_a_tariff_cannot_approve_it(demo: Demo) -> None:
    """Even someone holding the secretariat role cannot approve what they submitted (services, four eyes)."""
    row = demo.submission("N-1081-01", 2027, "submitted")
    assert row.submitted_by is not None
    same_person = Actor(row.submitted_by, "samme.person", "secretariat", None, 1081)
    with UnitOfWork(demo.engine) as uow, pytest.raises(Forbidden, match="kan ikke selv godkende"):
        submissions.approve(uow, same_person, lambda: TODAY, row.id)
    with UnitOfWork(demo.engine) as uow:
        unchanged = uow.submissions.get(row.id)
        assert unchanged is not None and unchanged.status == "submitted" and unchanged.decided_by is None
    operator = demo.client("drift.regionnord")  # the submitting operator over HTTP: not a secretariat role
    refused = operator.post(
        f"/api/submissions/{row.id}/approve", json={}, headers={"X-CSRF-Token": demo.csrf(operator)}
    )
    assert refused.status_code == 403
