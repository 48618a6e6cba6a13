"""CSRF on every state-changing form and request, no state change on GET, security headers everywhere.

Issue 3, part 3; decision 0005. The demo database over HTTP in process (helpers in test_policies.py).
"""

from __future__ import annotations

import re
import secrets
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import DEMO_PASSWORD
from rammeaftale.demo_placements import demo_placement_id
from rammeaftale.entrypoints.app import create_app
from rammeaftale.entrypoints.policies import CONTENT_SECURITY_POLICY, declared_routes
from rammeaftale.entrypoints.web.billing_jobs import BillingJob, jobs_of
from rammeaftale.services.billing import run_month
from rammeaftale.services.context import SYSTEM
from rammeaftale.services.financing import register_agreement
from tests.conftest import fixed_clock
from tests.e2e.test_policies import FIXTURE, Demo, body_2027, demo, demo_database

__all__ = ["demo", "demo_database"]  # the shared fixtures

SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
OPERATOR, SECRETARIAT, BUYER = "drift.aalborg", "sekretariat.nord", "koeb.thisted"
CSRF_REFUSED = "CSRF-token mangler eller er forkert"


class Forms(HTMLParser):
    """The forms of a page: method, action and the hidden inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"method": (values.get("method") or "get").lower(), "action": values.get("action"), "hidden": {}}
            )
        elif tag == "input" and values.get("type") == "hidden" and self.forms:
            self.forms[-1]["hidden"][values.get("name")] = values.get("value")


def forms_of(html: str) -> list[dict[str, Any]]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


NOW_2026 = fixed_clock()  # 22-11-2026: March 2025 is long over


def objects(demo: Demo) -> dict[str, str]:
    """Path parameters of Aalborg's Fjordgården and its region, which both test users may work on."""
    offer_id, service_id = demo.ids("N-851-01")
    published = demo.submission("N-851-01", 2026, "published").id
    with UnitOfWork(demo.engine) as uow:
        accounts = uow.accounts.current_for_offers([offer_id], 2024)  # the demo's (issue 4)
        offer = uow.offers.get(offer_id)
        assert accounts and offer is not None
        placements, _total = uow.placements.for_operator(offer.operator.id)  # the demo's 2025 placements (issue 5)
        run = run_month(uow, SYSTEM, NOW_2026, offer.operator.id, 2025, 3)  # a month billed: idempotent
        assert placements and run.invoices
        agreement = uow.financing.find(offer_id, 2025) or register_agreement(  # objective financing (section 10)
            uow, SYSTEM, NOW_2026, "N-851-01", 2025, "120000", "population", [(851, "1"), (787, "1")], False
        )
    return {
        "offer_id": str(offer_id),
        "service_id": str(service_id),
        "submission_id": str(published),
        "region_code": "1081",
        "year": "2027",
        "accounts_id": str(accounts[0].id),
        "organisation_id": str(offer.operator.id),
        "placement_id": placements[0].placement_id,
        "supplement_id": "1",
        "invoice_id": str(run.invoices[0].id),
        "dispute_id": "1",
        "month": "3",
        "job_id": finished_job(demo, offer.operator.id),
        "agreement_id": str(agreement.id),
    }


def finished_job(demo: Demo, operator_id: int) -> str:
    """A billing run's status page to read (issue 5): a finished job of the operator in the app's registry."""
    job = BillingJob(secrets.token_urlsafe(24), operator_id, 2025, 3, state="failed", error="Prøve")
    return jobs_of(demo.app).add(job).id


QUERIES = {
    "/api/services/{service_id}/template": "?year=2027",
    "/api/appendices/{region_code}/{year}": "",
    "/api/ata": "?hourly_cost=220&absence=0.30&time_coefficient=0.40",
    "/tilbud/{offer_id}/ydelser/{service_id}/skabelon": "?aar=2027",
}


def concrete(path: str, params: dict[str, str]) -> str:
    url = path.format(**params) + QUERIES.get(path, "")
    return url.replace("/takstbilag/1081/2027", "/takstbilag/1081/2026").replace(
        "/appendices/1081/2027", "/appendices/1081/2026"
    )


def allowed(policy: str, role: str) -> bool:
    return policy.startswith(("public", "authenticated")) or role in policy.split(" ")[0].split("|")


def get_routes(demo: Demo) -> list[tuple[str, str]]:
    return [(path, str(declaration)) for method, path, declaration in declared_routes(demo.app) if method == "GET"]


# --- no state change on GET ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("username", "role"), [(SECRETARIAT, "secretariat"), (OPERATOR, "operator")])
def test_no_get_route_changes_anything_for_a_logged_in_secretariat_or_operator(
    demo: Demo, username: str, role: str
) -> None:
    client = demo.client(username)
    params = objects(demo)
    before = demo.counts()
    called = []
    for path, policy in get_routes(demo):
        url = concrete(path, params)
        response = client.get(url, follow_redirects=False)
        # "/" redirects to the offers; the code page of the login to /login when no login waits for a code
        expected = 303 if path in ("/", "/login/kode") else 200 if allowed(policy, role) else 403
        assert response.status_code == expected, (url, response.text[:300])
        called.append(url)
    assert demo.counts() == before  # audit_log, submissions, appendices, offer versions, users
    assert len(called) == len(get_routes(demo)) >= 20


# --- CSRF on pages -------------------------------------------------------------------------------------------


def test_every_state_changing_form_on_the_pages_carries_the_sessions_token(demo: Demo) -> None:
    offer_id, service_id = demo.ids("N-851-01")
    published = demo.submission("N-851-01", 2026, "published").id
    submitted = demo.submission("N-1081-01", 2027, "submitted").id
    params = objects(demo)
    pages = {
        OPERATOR: [
            f"/tilbud/{offer_id}",
            f"/ydelser/{service_id}/formular",
            f"/ydelser/{service_id}/indberetning",
            f"/indberetninger/{published}",
            "/ata",
            "/konto",
            f"/tilbud/{offer_id}/regnskab",
            f"/tilbud/{offer_id}/regnskab/formular",
            f"/regnskaber/{params['accounts_id']}",
            f"/driftsherre/{params['organisation_id']}/reserver",
            "/indskrivninger",
            f"/indskrivninger/{params['placement_id']}",  # registered: confirm, refuse
            f"/indskrivninger/{demo_placement_id(1)}",  # confirmed: acute closure, supplements
            "/afregning",  # the month's run (issue 5)
        ],
        BUYER: ["/indskrivninger/ny", "/indskrivninger"],
        SECRETARIAT: [
            "/takstcyklus",
            f"/indberetninger/{submitted}",
            "/tilbud",
            "/takstbilag/1081/2026",
            "/regnskab",
            "/regnskab/1081/2024",
        ],
        None: ["/login", "/tilbud/999999"],
    }
    actions = set()
    for username, urls in pages.items():
        client = demo.client(username)
        token = demo.csrf(client)
        for url in urls:
            for form in forms_of(client.get(url).text):
                if form["method"] != "post" or form["action"] == "/ata":  # the ATA calculator saves nothing
                    continue
                assert form["hidden"].get("csrf_token") == token, (url, form["action"])
                action = re.sub(r"/P-[A-Z0-9]+", "/P", form["action"].split("?")[0])  # a placement's id
                actions.add(re.sub(r"\d+", "N", action))
    assert actions == {
        "/login",
        "/logout",
        "/ydelser/N/indberetning",
        "/ydelser/N/formular",
        "/indberetninger/N/ret",
        "/indberetninger/N/godkend",
        "/indberetninger/N/retur",
        "/takstbilag/N/N/offentliggoer",
        "/konto/adgangskode",
        "/konto/totrin/start",
        "/tilbud/N/regnskab",
        "/tilbud/N/regnskab/formular",
        "/driftsherre/N/reserver/brug",
        "/regnskab/N/udloeb",
        "/indskrivninger",
        "/indskrivninger/import",
        "/indskrivninger/P/cpr",
        "/indskrivninger/P/opsigelse",
        "/indskrivninger/P/tillaeg",
        "/indskrivninger/P/bekraeft",
        "/indskrivninger/P/afvis",
        "/afregning",
    } | ({"/konto/sessioner/N/afslut", "/konto/sessioner/afslut-andre"} & actions)  # when more than one session


def post_routes(demo: Demo, api: bool) -> list[tuple[str, str]]:
    return [
        (path, str(declaration))
        for method, path, declaration in declared_routes(demo.app)
        if method == "POST" and declaration.csrf and path.startswith("/api/") == api
    ]


def user_for(policy: str) -> str | None:
    if policy.startswith("public"):
        return OPERATOR
    if "operator" in policy:
        return OPERATOR
    return BUYER if policy.startswith("buyer") else SECRETARIAT


def test_every_state_changing_page_route_refuses_a_post_without_the_token_or_with_a_wrong_one(demo: Demo) -> None:
    params = {
        **objects(demo),
        "submission_id": str(demo.submission("N-1081-01", 2027, "submitted").id),
        "session_pk": "1",
    }
    routes = post_routes(demo, api=False)
    assert len(routes) == 37  # 15 + the accounts pages' 4 (issue 4) + the placement pages' 9 (issue 5 item 7)
    # + the billing pages' 3 (run, dispute, resolve; issue 5 items 3, 5, 7)
    # + objective financing's 3 (register, installments, true-up; section 10, R-SET-12)
    # + health refunds' 2 (register a service, raise the month's claims; R-REF-01) + the changeover planner (§ 13)
    before = demo.counts()
    for path, policy in routes:
        client = demo.client(user_for(policy))
        url = path.format(**params)
        for sent in ({}, {"csrf_token": "forfalsket"}, {"csrf_token": "æøå"}):
            data = {**sent, "comment": "ok", "reason": "x", "remarks": "x", "aar": "2027"}
            response = client.post(url, data=data, files={"fil": ("a.json", b"{}", "application/json")})
            assert response.status_code == 403, (url, sent, response.status_code)
            assert "Formularen er udløbet" in response.text
        assert "Log ud" in client.get("/tilbud").text  # still logged in: the logout was refused too
    assert demo.counts() == before


def test_a_login_form_from_another_session_is_refused(demo: Demo) -> None:
    attacker, victim = demo.client(), demo.client()
    token = demo.csrf(attacker)
    response = victim.post("/login", data={"username": OPERATOR, "password": DEMO_PASSWORD, "csrf_token": token})
    assert response.status_code == 403


# --- CSRF on the API -----------------------------------------------------------------------------------------


def test_the_csrf_token_is_handed_out_only_to_a_logged_in_session_and_matches_its_forms(demo: Demo) -> None:
    assert demo.client().get("/api/csrf").status_code == 401
    client = demo.client(OPERATOR)
    token = client.get("/api/csrf").json()["csrf_token"]
    logout = next(f for f in forms_of(client.get("/tilbud").text) if f["action"] == "/logout")
    assert logout["hidden"]["csrf_token"] == token


def test_every_state_changing_api_route_refuses_a_session_cookie_call_without_the_csrf_header(demo: Demo) -> None:
    params = {**objects(demo), "submission_id": str(demo.submission("N-1081-01", 2027, "submitted").id)}
    routes = post_routes(demo, api=True)
    assert len(routes) == 33  # 8, the accounts API (5, issue 4), placements (10) and billing (3, issue 5)
    # + refunds (4: health services, the month's claims, citizen schedules, closing costs; R-REF-01, R-SET-08)
    # + objective financing (3: register, installments, true-up; section 10, R-SET-12)
    before = demo.counts()
    for path, policy in routes:
        client = demo.client(user_for(policy))
        url = path.format(**params)
        for headers in ({}, {"X-CSRF-Token": "forfalsket"}, {"X-CSRF-Token": demo.csrf(demo.client(OPERATOR))}):
            response = client.post(url, json={}, headers=headers)
            assert response.status_code == 403, (url, headers, response.status_code)
            assert response.json()["detail"].startswith(CSRF_REFUSED)
    assert demo.counts() == before


def test_a_session_cookie_call_with_the_header_and_a_basic_auth_call_without_it_go_through(demo: Demo) -> None:
    _, service_id = demo.ids("N-851-01")
    client = demo.client(OPERATOR)
    saved = client.post(
        f"/api/services/{service_id}/submissions", json=body_2027(), headers={"X-CSRF-Token": demo.csrf(client)}
    )
    assert saved.status_code == 201, saved.text
    submitted = client.post(
        f"/api/submissions/{saved.json()['id']}/submit", json={}, headers={"X-CSRF-Token": demo.csrf(client)}
    )
    assert submitted.status_code == 200, submitted.text
    scripted = demo.client().post(
        f"/api/submissions/{saved.json()['id']}/approve", json={}, auth=(SECRETARIAT, DEMO_PASSWORD)
    )
    assert scripted.json()["status"] == "approved"


def test_the_json_body_of_a_cross_site_text_plain_form_is_refused(demo: Demo) -> None:
    """A forged <form enctype="text/plain"> can carry JSON-looking text; without the header it changes nothing."""
    _, service_id = demo.ids("N-851-01")
    client = demo.client(OPERATOR)
    response = client.post(
        f"/api/services/{service_id}/submissions",
        content=FIXTURE.read_bytes(),
        headers={"content-type": "text/plain", "origin": "https://angriber.example"},
    )
    assert response.status_code == 403


# --- security headers ----------------------------------------------------------------------------------------


def responses(demo: Demo) -> list[tuple[str, httpx.Response]]:
    params = objects(demo)
    found = []
    for username in (None, OPERATOR, SECRETARIAT):
        client = demo.client(username)
        for path, _ in get_routes(demo):
            url = concrete(path, params)
            found.append((url, client.get(url, follow_redirects=False)))
        found.append(("/findes-ikke", client.get("/findes-ikke")))
        found.append(("/static/app.css", client.get("/static/app.css")))
        found.append(("POST /api/tariff/compute", client.post("/api/tariff/compute", content=b"{")))
    return found


def test_every_response_carries_the_security_headers(demo: Demo) -> None:
    for url, response in responses(demo):
        headers = response.headers
        expected_csp = CONTENT_SECURITY_POLICY if url != "/api/docs" else headers["content-security-policy"]
        assert headers["content-security-policy"] == expected_csp, url
        assert {k: headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, url
        assert "camera=()" in headers["permissions-policy"], url
        assert "strict-transport-security" not in headers  # development: plain http


def test_the_content_security_policy_is_the_strict_one() -> None:
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


def test_no_page_has_an_inline_script_style_or_event_handler_so_the_csp_keeps_them_working(demo: Demo) -> None:
    pages = [(url, r) for url, r in responses(demo) if r.headers.get("content-type", "").startswith("text/html")]
    assert len(pages) >= 25
    for url, response in pages:
        assert INLINE.search(response.text) is None, (url, INLINE.search(response.text))
    offer_id, _ = demo.ids("N-851-01")
    assert '<svg class="chart"' in demo.client().get(f"/tilbud/{offer_id}").text  # the inline SVG chart stays


def test_personal_responses_are_not_stored_and_public_ones_without_cookies_may_be(demo: Demo) -> None:
    logged_in = demo.client(OPERATOR)
    assert logged_in.get("/api/offers").headers["cache-control"] == "no-store"
    assert logged_in.get("/tilbud").headers["cache-control"] == "no-store"
    scripted = demo.client().get("/api/cycle/1081/2027", auth=(SECRETARIAT, DEMO_PASSWORD))
    assert scripted.headers["cache-control"] == "no-store"
    login_page = demo.client().get("/login")  # sets the session cookie holding the CSRF token
    assert login_page.headers["cache-control"] == "no-store"
    anonymous = TestClient(demo.app)
    assert "no-store" not in anonymous.get("/api/appendices/1081/2026").headers.get("cache-control", "")
    assert "no-store" not in logged_in.get("/static/app.css").headers.get("cache-control", "")


def test_swagger_ui_in_development_starts_from_a_file_and_only_its_path_gets_a_wider_csp(demo: Demo) -> None:
    client = demo.client()
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert '<script src="/static/api-docs.js"></script>' in docs.text
    assert re.search(r"<script(?![^>]*\bsrc=)", docs.text) is None
    csp = docs.headers["content-security-policy"]
    assert "script-src 'self' https://cdn.jsdelivr.net;" in csp and "frame-ancestors 'none'" in csp
    script = client.get("/static/api-docs.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    assert "X-CSRF-Token" in script.text


def test_outside_development_there_is_no_swagger_ui_but_the_schema_and_hsts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAMMEAFTALE_ENV", "production")
    monkeypatch.setenv("RAMMEAFTALE_CPR_KEY", "dGVzdC1vbmx5IENQUiBrZXk6IDMyIGJ5dGVzIGxvbmc=")  # deployed: required
    monkeypatch.setenv("RAMMEAFTALE_SECRET_KEY", "a-production-secret-that-is-long-enough-1234")
    client = TestClient(create_app(create_engine("sqlite://")))
    assert client.get("/api/docs").status_code == 404
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200 and "/api/offers" in schema.json()["paths"]
    assert schema.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert schema.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
