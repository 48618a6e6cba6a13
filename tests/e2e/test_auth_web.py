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
import itsdangerous
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.entrypoints.app import create_app
from rammeaftale.entrypoints.settings import SESSION_COOKIE, ConfigurationError
from rammeaftale.services.context import SYSTEM
from rammeaftale.services.sessions import disable_user
from tests.integration.test_sessions import PASSWORD, MovableClock, People, seed_people

COOKIE = SESSION_COOKIE  # development and test, plain http; __Host-rammeaftale_session in production
PRODUCTION_SECRET = "en-lang-og-tilfaeldig-hemmelighed-til-test-0123456789"
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
    monkeypatch.setenv("RAMMEAFTALE_CPR_KEY", "dGVzdC1vbmx5IENQUiBrZXk6IDMyIGJ5dGVzIGxvbmc=")  # deployed: required
    monkeypatch.delenv("RAMMEAFTALE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        create_app(engine, MovableClock())
    monkeypatch.setenv("RAMMEAFTALE_SECRET_KEY", PRODUCTION_SECRET)
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


def test_in_production_the_cookie_has_the_host_prefix_path_slash_and_no_domain(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_people(engine)
    monkeypatch.setenv("RAMMEAFTALE_ENV", "production")
    monkeypatch.setenv("RAMMEAFTALE_CPR_KEY", "dGVzdC1vbmx5IENQUiBrZXk6IDMyIGJ5dGVzIGxvbmc=")  # deployed: required
    monkeypatch.setenv("RAMMEAFTALE_SECRET_KEY", PRODUCTION_SECRET)
    monkeypatch.delenv("RAMMEAFTALE_SECRET_KEY_PREVIOUS", raising=False)
    app = create_app(engine, MovableClock())
    assert app.state.settings.session_cookie_name == f"__Host-{SESSION_COOKIE}"
    with TestClient(app, base_url="https://testserver") as client:
        token = CSRF.search(client.get("/login").text)
        assert token
        data = {"username": "sekretariat.nord", "password": PASSWORD, "csrf_token": token.group(1)}
        response = client.post("/login", data=data, follow_redirects=False)
        assert response.status_code == 303
        assert client.cookies.get(f"__Host-{SESSION_COOKIE}")
        again = client.get(PROTECTED, follow_redirects=False)  # the cookie comes back and names the session
        assert not again.headers.get("location", "").startswith("/login"), again.headers
    cookie = response.headers["set-cookie"]
    assert re.fullmatch(
        rf"__Host-{SESSION_COOKIE}=[^;]+; path=/; Max-Age=28800; httponly; samesite=lax; secure", cookie
    ), cookie
    assert "domain" not in cookie.lower()


def app_with_keys(
    engine: Engine, clock: MovableClock, monkeypatch: pytest.MonkeyPatch, current: str, previous: str | None
) -> FastAPI:
    """The app as it starts after a (re)deployment with these keys."""
    monkeypatch.setenv("RAMMEAFTALE_SECRET_KEY", current)
    if previous is None:
        monkeypatch.delenv("RAMMEAFTALE_SECRET_KEY_PREVIOUS", raising=False)
    else:
        monkeypatch.setenv("RAMMEAFTALE_SECRET_KEY_PREVIOUS", previous)
    return create_app(engine, clock)


def login_under_key(engine: Engine, clock: MovableClock, monkeypatch: pytest.MonkeyPatch, key: str) -> str:
    people = seed_people(engine)
    app = app_with_keys(engine, clock, monkeypatch, key, None)
    with TestClient(app) as client:
        return Browser(app, client, clock, engine, people).login()


KEY_A = "a" * 40
KEY_B = "b" * 40


def test_after_a_key_rotation_a_cookie_signed_with_the_previous_key_still_logs_in(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = MovableClock()
    cookie = login_under_key(engine, clock, monkeypatch, KEY_A)
    itsdangerous.TimestampSigner(KEY_A).unsign(cookie)  # signed with A
    rotated = app_with_keys(engine, clock, monkeypatch, KEY_B, f"{'c' * 40}, {KEY_A}")
    assert logged_in(TestClient(rotated, cookies={COOKIE: cookie}))
    with TestClient(rotated) as fresh:
        fresh.get("/login")  # writes the session: a new cookie, signed with the current key only
        new = fresh.cookies.get(COOKIE)
    assert new
    itsdangerous.TimestampSigner(KEY_B).unsign(new)
    with pytest.raises(itsdangerous.BadSignature):
        itsdangerous.TimestampSigner(KEY_A).unsign(new)


def test_a_cookie_signed_with_a_key_that_is_neither_current_nor_previous_is_anonymous(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = MovableClock()
    cookie = login_under_key(engine, clock, monkeypatch, KEY_A)
    assert logged_in(TestClient(app_with_keys(engine, clock, monkeypatch, KEY_A, None), cookies={COOKIE: cookie}))
    assert not logged_in(TestClient(app_with_keys(engine, clock, monkeypatch, KEY_B, None), cookies={COOKIE: cookie}))
    assert not logged_in(
        TestClient(app_with_keys(engine, clock, monkeypatch, KEY_B, "c" * 40), cookies={COOKIE: cookie})
    )
