"""The account pages over HTTP (ASVS V6.2.2, V6.3.3, V7.4.3, V7.5.2): password, second factor, own sessions.

Against the running app on SQLite and PostgreSQL, with a clock the test moves; production mode
requires the second factor before anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.entrypoints.app import create_app
from rammeaftale.services.context import SYSTEM
from rammeaftale.services.second_factor import STEP_SECONDS
from rammeaftale.services.users import reset_password
from tests.e2e import test_auth_web
from tests.e2e.test_auth_web import PRODUCTION_SECRET, Browser, logged_in
from tests.integration.test_sessions import PASSWORD, MovableClock, seed_people

browser = test_auth_web.browser  # the same fixture: seeded people, a movable clock, one client
NEW_PASSWORD = "Hest-Batteri-Hæfteklamme-Ost"
PROTECTED_NEXT = "/takstcyklus"
SECRET = re.compile(r'<code class="secret">([A-Z2-7 ]+)</code>')


def csrf(client: TestClient, url: str = "/konto") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text)
    assert match
    return match.group(1)


def set_up_second_factor(browser: Browser) -> str:
    page = browser.client.post("/konto/totrin/start", data={"csrf_token": csrf(browser.client)})
    assert page.status_code == 200 and "<svg" in page.text
    match = SECRET.search(page.text)
    assert match
    secret = match.group(1).replace(" ", "")
    code = pyotp.TOTP(secret).at(browser.clock())
    done = browser.client.post(
        "/konto/totrin", data={"csrf_token": csrf(browser.client), "code": code}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/konto?besked=totrin"
    browser.clock.advance(seconds=STEP_SECONDS)
    return secret


def test_the_account_page_lists_the_own_sessions_and_ends_the_others(browser: Browser) -> None:
    browser.login("sekretariat.nord")
    elsewhere = TestClient(browser.app)
    Browser(browser.app, elsewhere, browser.clock, browser.engine, browser.people).login("sekretariat.nord")
    page = browser.client.get("/konto")
    assert page.status_code == 200
    assert page.text.count("Denne session") == 1 and "/konto/sessioner/afslut-andre" in page.text
    ended = browser.client.post(
        "/konto/sessioner/afslut-andre", data={"csrf_token": csrf(browser.client)}, follow_redirects=False
    )
    assert ended.status_code == 303
    assert not logged_in(elsewhere) and logged_in(browser.client)


def test_a_password_change_over_the_page_refuses_a_weak_password_and_then_ends_other_sessions(browser: Browser) -> None:
    browser.login("sekretariat.nord")
    other = browser.replay(browser.cookie())
    elsewhere = TestClient(browser.app)
    Browser(browser.app, elsewhere, browser.clock, browser.engine, browser.people).login("sekretariat.nord")
    form = {"csrf_token": csrf(browser.client), "current": PASSWORD, "new": "sekretariat1", "repeated": "sekretariat1"}
    refused = browser.client.post("/konto/adgangskode", data=form)
    assert refused.status_code == 422 and "Adgangskoden" in refused.text
    form |= {"new": NEW_PASSWORD, "repeated": NEW_PASSWORD}
    changed = browser.client.post("/konto/adgangskode", data=form, follow_redirects=False)
    assert changed.status_code == 303
    assert logged_in(browser.client) and logged_in(other)  # the same session, in two tabs
    assert not logged_in(elsewhere)
    assert browser.post_login("sekretariat.nord").status_code == 401
    assert browser.post_login("sekretariat.nord", NEW_PASSWORD).status_code == 303


def test_with_a_second_factor_the_login_asks_for_the_code_and_the_password_alone_is_nobody(browser: Browser) -> None:
    browser.login("sekretariat.nord")
    secret = set_up_second_factor(browser)
    fresh = TestClient(browser.app)
    person = Browser(browser.app, fresh, browser.clock, browser.engine, browser.people)
    step_one = person.post_login("sekretariat.nord")
    assert step_one.status_code == 303 and step_one.headers["location"].startswith("/login/kode")
    assert not logged_in(fresh)
    wrong = fresh.post("/login/kode", data={"csrf_token": csrf(fresh, "/login/kode"), "code": "000000"})
    assert wrong.status_code == 401 and "Koden er forkert" in wrong.text
    code = pyotp.TOTP(secret).at(browser.clock())
    done = fresh.post(
        "/login/kode",
        data={"csrf_token": csrf(fresh, "/login/kode"), "code": code, "next": PROTECTED_NEXT},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == PROTECTED_NEXT
    assert logged_in(fresh)


def test_http_basic_with_a_second_factor_takes_the_code_after_the_password(browser: Browser) -> None:
    browser.login("drift.aalborg")
    secret = set_up_second_factor(browser)
    api = TestClient(browser.app)
    assert api.get("/api/csrf", auth=("drift.aalborg", PASSWORD)).status_code == 401
    code = pyotp.TOTP(secret).at(browser.clock())
    assert api.get("/api/csrf", auth=("drift.aalborg", PASSWORD + code)).status_code == 200


@pytest.fixture
def production(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    monkeypatch.setenv("RAMMEAFTALE_ENV", "production")
    monkeypatch.setenv("RAMMEAFTALE_CPR_KEY", "dGVzdC1vbmx5IENQUiBrZXk6IDMyIGJ5dGVzIGxvbmc=")  # deployed: required
    monkeypatch.setenv("RAMMEAFTALE_SECRET_KEY", PRODUCTION_SECRET)
    people = seed_people(engine)
    clock = MovableClock()
    app = create_app(engine, clock)
    with TestClient(app, base_url="https://testserver") as client:
        yield Browser(app, client, clock, engine, people)


def test_in_production_a_user_without_a_second_factor_can_only_set_it_up(production: Browser) -> None:
    assert production.post_login("drift.aalborg").status_code == 303
    for url in ("/takstcyklus", "/tilbud", "/ata"):
        response = production.client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/konto", url
    assert production.client.get("/konto").status_code == 200
    api = TestClient(production.app, base_url="https://testserver")
    refused = api.get("/api/csrf", auth=("drift.aalborg", PASSWORD))
    assert refused.status_code == 403 and "totrinsbekræftelse" in refused.json()["detail"]
    set_up_second_factor(production)
    assert production.client.get("/tilbud", follow_redirects=False).status_code == 200


def test_with_an_initial_password_only_the_account_page_opens_until_the_password_is_changed(browser: Browser) -> None:
    with UnitOfWork(browser.engine) as uow:
        initial = reset_password(uow, SYSTEM, browser.clock, browser.people.secretariat)
    assert browser.post_login("sekretariat.nord", initial).status_code == 303
    blocked = browser.client.get(PROTECTED_NEXT, follow_redirects=False)
    assert blocked.status_code == 303 and blocked.headers["location"] == "/konto"
    assert "startadgangskode" in browser.client.get("/konto").text
    form = {"csrf_token": csrf(browser.client), "current": initial, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD}
    assert browser.client.post("/konto/adgangskode", data=form, follow_redirects=False).status_code == 303
    assert logged_in(browser.client)
