"""Logging in over HTTP against the running app, on SQLite and PostgreSQL, with a clock the test moves.

The session cookie carries only the server-side session id and the CSRF token; a cookie from before a
login, a logout, a timeout or a disabled account no longer logs anyone in, even when replayed.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.entrypoints.app import create_app
from rammeaftale.entrypoints.settings import ConfigurationError
from rammeaftale.services.context import SYSTEM
from rammeaftale.services.sessions import disable_user
from tests.integration.test_sessions import PASSWORD, MovableClock, People, seed_people

COOKIE = "rammeaftale_session"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROTECTED = "/takstcyklus"


@dataclass
class Browser:
    app: FastAPI
    client: TestClient
    clock: MovableClock
    engine: Engine
    people: People

    def token(self) -> str:
        match = CSRF.search(self.client.get("/login").text)
        assert match
        return match.group(1)

    def post_login(self, username: str, password: str = PASSWORD, token: str | None = None) -> httpx.Response:
        data = {"username": username, "password": password, "csrf_token": token or self.token()}
        response: httpx.Response = self.client.post("/login", data=data, follow_redirects=False)
        return response

    def login(self, username: str = "sekretariat.nord") -> str:
        response = self.post_login(username)
        assert response.status_code == 303, response.text
        return self.cookie()

    def cookie(self) -> str:
        value = self.client.cookies.get(COOKIE)
        assert value
        return value

    def replay(self, cookie: str) -> TestClient:
        """A second browser that presents a copied cookie."""
        return TestClient(self.app, cookies={COOKIE: cookie})


def logged_in(client: TestClient) -> bool:
    response = client.get(PROTECTED, follow_redirects=False)
    if response.status_code == 303:
        assert response.headers["location"].startswith(f"/login?next={PROTECTED}")
        return False
    assert response.status_code == 200, response.text
    return True


def cookie_content(cookie: str) -> dict[str, object]:
    """What the signed cookie carries (it is signed, not encrypted)."""
    payload = cookie.split(".")[0]
    data: dict[str, object] = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return data


@pytest.fixture
def browser(engine: Engine) -> Iterator[Browser]:
    people = seed_people(engine)
    clock = MovableClock()
    app = create_app(engine, clock)
    with TestClient(app) as client:
        yield Browser(app, client, clock, engine, people)


def test_login_starts_a_new_session_and_the_session_id_from_before_no_longer_works(browser: Browser) -> None:
    first = browser.login()
    assert logged_in(browser.client)
    second = browser.login("sekretariat.nord")
    assert second != first
    assert cookie_content(second)["sid"] != cookie_content(first)["sid"]
    assert not logged_in(browser.replay(first))
    assert logged_in(browser.replay(second))


def test_a_cookie_from_before_login_is_not_carried_into_the_session(browser: Browser) -> None:
    browser.client.get("/login")
    planted = browser.cookie()
    assert set(cookie_content(planted)) == {"csrf"}
    browser.login()
    assert cookie_content(browser.cookie()).get("csrf") != cookie_content(planted)["csrf"]
    assert not logged_in(browser.replay(planted))


def test_the_session_cookie_carries_only_the_session_id_and_the_csrf_token(browser: Browser) -> None:
    browser.login()
    browser.client.get("/login")
    content = cookie_content(browser.cookie())
    assert set(content) == {"sid", "csrf"}
    assert isinstance(content["sid"], str) and len(content["sid"]) >= 43


def test_logout_revokes_the_session_and_replaying_the_old_cookie_is_anonymous(browser: Browser) -> None:
    cookie = browser.login()
    assert logged_in(browser.replay(cookie))
    response = browser.client.post("/logout", data={"csrf_token": browser.token()}, follow_redirects=False)
    assert response.status_code == 303
    assert not logged_in(browser.client)
    assert not logged_in(browser.replay(cookie))


def test_a_session_ends_after_30_idle_minutes(browser: Browser) -> None:
    browser.login()
    browser.clock.advance(minutes=29)
    assert logged_in(browser.client)
    browser.clock.advance(minutes=30)
    assert not logged_in(browser.client)


def test_a_session_ends_after_8_hours_however_active(browser: Browser) -> None:
    cookie = browser.login()
    for _ in range(16):  # a request every 29 minutes, never idle, for 7 h 44 min
        browser.clock.advance(minutes=29)
        assert logged_in(browser.client)
    browser.clock.advance(minutes=16)
    assert not logged_in(browser.client)
    assert not logged_in(browser.replay(cookie))


def test_a_disabled_users_sessions_end(browser: Browser) -> None:
    cookie = browser.login("sekretariat.nord")
    with UnitOfWork(browser.engine) as uow:
        assert disable_user(uow, SYSTEM, browser.clock, browser.people.secretariat) == 1
    assert not logged_in(browser.replay(cookie))
    response = browser.post_login("sekretariat.nord")
    assert response.status_code == 401


def test_the_sixth_failed_login_answers_429_with_retry_after(browser: Browser) -> None:
    token = browser.token()
    for _ in range(5):
        assert browser.post_login("sekretariat.nord", "forkert", token).status_code == 401
    refused = browser.post_login("sekretariat.nord", "forkert", token)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(15 * 60)
    assert "For mange mislykkede loginforsøg. Vent 15 minutter, og prøv igen." in refused.text
    assert 'name="username"' in refused.text  # the form is shown again


def test_the_right_password_after_the_lockout_is_still_429_until_the_window_passes(browser: Browser) -> None:
    token = browser.token()
    for _ in range(5):
        browser.post_login("sekretariat.nord", "forkert", token)
    assert browser.post_login("sekretariat.nord", PASSWORD, token).status_code == 429
    browser.clock.advance(minutes=14)
    still = browser.post_login("sekretariat.nord", PASSWORD, token)
    assert still.status_code == 429 and still.headers["retry-after"] == "60"
    assert not logged_in(browser.client)
    browser.clock.advance(minutes=1)
    assert browser.post_login("sekretariat.nord", PASSWORD, token).status_code == 303
    assert logged_in(browser.client)


def test_http_basic_on_the_api_is_throttled_like_the_login_form(browser: Browser) -> None:
    wrong = ("sekretariat.nord", "forkert")
    for _ in range(5):
        assert browser.client.get("/api/cycle/1081/2027", auth=wrong).status_code in (401, 403)  # not logged in
    refused = browser.client.get("/api/cycle/1081/2027", auth=("sekretariat.nord", PASSWORD))
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(15 * 60)
    assert refused.json()["detail"].startswith("For mange mislykkede loginforsøg")
    browser.clock.advance(minutes=15)
    assert browser.client.get("/api/cycle/1081/2027", auth=("sekretariat.nord", PASSWORD)).status_code == 200


def test_the_session_cookie_is_httponly_samesite_lax_and_lives_as_long_as_the_absolute_timeout(
    browser: Browser,
) -> None:
    response = browser.post_login("sekretariat.nord")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=28800" in cookie
    assert "secure" not in cookie  # development: plain http on localhost


def test_in_production_the_cookie_is_secure_and_the_default_secret_is_refused(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_people(engine)
    monkeypatch.setenv("RAMMEAFTALE_ENV", "production")
    monkeypatch.delenv("RAMMEAFTALE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        create_app(engine, MovableClock())
    monkeypatch.setenv("RAMMEAFTALE_SECRET_KEY", "en-lang-og-tilfaeldig-hemmelighed-til-test-0123456789")
    monkeypatch.setenv("RAMMEAFTALE_SESSION_ABSOLUTE_HOURS", "4")
    with TestClient(create_app(engine, MovableClock()), base_url="https://testserver") as client:
        page = client.get("/login")
        token = CSRF.search(page.text)
        assert token
        data = {"username": "sekretariat.nord", "password": PASSWORD, "csrf_token": token.group(1)}
        response = client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "max-age=14400" in cookie
