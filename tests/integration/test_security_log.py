"""Security events (ASVS V16.2.4, V16.3.1–16.3.3, V16.4.1): one line of JSON per event on ``rammeaftale.security``.

Over HTTP in process against a copy of the demo database (the ``demo`` fixture of tests/e2e/test_policies.py),
and through the command line. Each test reads the records with pytest's ``caplog``.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from rammeaftale.demo import DEMO_PASSWORD
from rammeaftale.entrypoints import cli
from rammeaftale.entrypoints.app import create_app
from rammeaftale.services.security_log import LOGGER_NAME, security_event
from tests.e2e.test_policies import CSRF_FIELD, TODAY, Demo, body_2027, demo, demo_database
from tests.integration.test_sessions import MovableClock

__all__ = ["demo", "demo_database"]  # the shared fixtures

HOSTILE = Path(__file__).parents[1] / "fixtures" / "hostile"
WRONG_PASSWORD = "forkert-hemmelighed-4711"
CLIENT = "testclient"  # the client address Starlette's TestClient reports


@pytest.fixture
def events(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    yield caplog


def logged(caplog: pytest.LogCaptureFixture, event: str | None = None) -> list[dict[str, Any]]:
    """The security events recorded so far (optionally only one kind), each parsed from its one line of JSON."""
    found = []
    for record in caplog.records:
        if record.name != LOGGER_NAME:
            continue
        message = record.getMessage()
        assert "\n" not in message and "\r" not in message and len(message.splitlines()) == 1
        data: dict[str, Any] = json.loads(message)
        if event is None or data["event"] == event:
            found.append(data)
    return found


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def form_login(client: TestClient, username: str, password: str) -> int:
    token = CSRF_FIELD.search(client.get("/login").text)
    assert token is not None
    data = {"username": username, "password": password, "csrf_token": token.group(1)}
    return client.post("/login", data=data, follow_redirects=False).status_code


# --- logins (V16.3.1) ---------------------------------------------------------------------------------


def test_a_failed_form_login_is_one_security_event_with_username_and_client_without_the_password(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    assert form_login(demo.client(), "sekretariat.nord", WRONG_PASSWORD) == 401
    [failed] = logged(events, "login.failed")
    assert failed["channel"] == "form"
    assert failed["username"] == "sekretariat.nord"
    assert failed["client"] == CLIENT
    assert logged(events, "login.succeeded") == []
    assert WRONG_PASSWORD not in everything_logged(events)


def test_a_successful_form_login_is_one_security_event_naming_the_user_role_and_organisation(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    assert form_login(demo.client(), "drift.aalborg", DEMO_PASSWORD) == 303
    [succeeded] = logged(events, "login.succeeded")
    assert succeeded["channel"] == "form"
    assert succeeded["username"] == "drift.aalborg"
    assert succeeded["user_id"] == demo.user_id("drift.aalborg")
    assert succeeded["role"] == "operator"
    assert isinstance(succeeded["organisation_id"], int)
    assert succeeded["client"] == CLIENT
    assert logged(events, "login.failed") == []
    assert DEMO_PASSWORD not in everything_logged(events)


def test_a_failed_basic_login_is_one_security_event_without_the_password(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    response = demo.client().get("/api/cycle/1081/2027", auth=("sekretariat.nord", WRONG_PASSWORD))
    assert response.status_code == 401
    [failed] = logged(events, "login.failed")
    assert failed["channel"] == "basic"
    assert failed["username"] == "sekretariat.nord"
    assert failed["client"] == CLIENT
    assert logged(events, "login.succeeded") == []
    [refused] = logged(events, "access.refused")  # the anonymous call that follows is refused as well
    assert refused["status"] == 401 and refused["path"] == "/api/cycle/1081/2027"
    assert WRONG_PASSWORD not in everything_logged(events)


def test_a_successful_basic_login_is_a_security_event_too(demo: Demo, events: pytest.LogCaptureFixture) -> None:
    response = demo.client().get("/api/cycle/1081/2027", auth=("sekretariat.nord", DEMO_PASSWORD))
    assert response.status_code == 200
    [succeeded] = logged(events, "login.succeeded")
    assert succeeded["channel"] == "basic"
    assert succeeded["username"] == "sekretariat.nord"
    assert succeeded["role"] == "secretariat"
    assert DEMO_PASSWORD not in everything_logged(events)


@pytest.mark.parametrize("channel", ["form", "basic"])
def test_the_sixth_failed_login_is_logged_as_throttled_on_the_form_and_on_basic(
    channel: str, demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    client = demo.client()

    def attempt() -> int:
        if channel == "form":
            return form_login(client, "sekretariat.nord", WRONG_PASSWORD)
        return client.get("/api/cycle/1081/2027", auth=("sekretariat.nord", WRONG_PASSWORD)).status_code

    assert [attempt() for _ in range(5)] == [401] * 5
    assert attempt() == 429
    assert len(logged(events, "login.failed")) == 5
    [throttled] = logged(events, "login.throttled")
    assert throttled["channel"] == channel
    assert throttled["username"] == "sekretariat.nord"
    assert throttled["client"] == CLIENT
    assert throttled["retry_after_seconds"] > 0
    assert WRONG_PASSWORD not in everything_logged(events)


def test_a_username_with_cr_lf_and_quotes_stays_one_line_of_valid_json(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    forged = 'x"\r\n{"time": "2026-11-22T09:00:00+00:00", "event": "login.succeeded", "username": "admin"}'
    assert form_login(demo.client(), forged, WRONG_PASSWORD) == 401
    [record] = [r for r in events.records if r.name == LOGGER_NAME]
    message = record.getMessage()
    assert "\n" not in message and "\r" not in message
    data = json.loads(message)
    assert data["event"] == "login.failed"
    assert data["username"] == forged[:100]
    assert [e["event"] for e in logged(events)] == ["login.failed"]


# --- sessions -----------------------------------------------------------------------------------------


def test_logout_and_an_idle_timeout_are_security_events_of_the_user(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    clock = MovableClock(TODAY)
    app = create_app(demo.engine, clock)
    user_id = demo.user_id("sekretariat.nord")
    with TestClient(app) as first:
        assert form_login(first, "sekretariat.nord", DEMO_PASSWORD) == 303
        token = CSRF_FIELD.search(first.get("/tilbud").text)
        assert token is not None
        assert first.post("/logout", data={"csrf_token": token.group(1)}, follow_redirects=False).status_code == 303
    [logout] = logged(events, "logout")
    assert logout["user_id"] == user_id and logout["reason"] == "logout"
    with TestClient(app) as second:
        assert form_login(second, "sekretariat.nord", DEMO_PASSWORD) == 303
        clock.advance(minutes=31)
        assert second.get("/takstcyklus", follow_redirects=False).status_code == 303  # to the login page
    [ended] = logged(events, "session.ended")
    assert ended["user_id"] == user_id and ended["reason"] == "idle"


# --- refused access and CSRF (V16.3.2) ----------------------------------------------------------------


def test_a_wrong_role_is_logged_as_access_refused_with_status_403(demo: Demo, events: pytest.LogCaptureFixture) -> None:
    buyer = demo.client("koeb.thisted")
    assert buyer.get("/takstcyklus").status_code == 403
    [refused] = logged(events, "access.refused")
    assert refused["status"] == 403
    assert refused["error"] == "Forbidden"
    assert refused["username"] == "koeb.thisted" and refused["role"] == "buyer"
    assert refused["method"] == "GET" and refused["path"] == "/takstcyklus" and refused["client"] == CLIENT


def test_another_organisations_service_is_logged_as_access_refused_with_status_404(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    _, aalborg_service = demo.ids("N-851-01")
    other_operator = demo.client("drift.hjoerring")
    assert other_operator.get(f"/ydelser/{aalborg_service}/indberetning").status_code == 404
    response = other_operator.get(
        f"/api/services/{aalborg_service}/template?year=2027", auth=("drift.hjoerring", DEMO_PASSWORD)
    )
    assert response.status_code == 404
    refused = logged(events, "access.refused")
    assert [(r["status"], r["error"], r["username"]) for r in refused] == [(404, "NotFound", "drift.hjoerring")] * 2
    assert refused[0]["path"] == f"/ydelser/{aalborg_service}/indberetning"
    assert refused[1]["path"] == f"/api/services/{aalborg_service}/template"


def test_an_anonymous_visit_of_a_protected_page_is_logged_as_access_refused_with_status_401(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    assert demo.client().get("/takstcyklus", follow_redirects=False).status_code == 303
    [refused] = logged(events, "access.refused")
    assert refused["status"] == 401 and refused["error"] == "NotLoggedIn" and "username" not in refused


def test_a_post_without_the_csrf_token_is_logged_as_csrf_refused(demo: Demo, events: pytest.LogCaptureFixture) -> None:
    secretariat = demo.client("sekretariat.nord")
    assert secretariat.post("/takstbilag/1081/2027/offentliggoer", data={}).status_code == 403
    [refused] = logged(events, "csrf.refused")
    assert refused["status"] == 403 and refused["username"] == "sekretariat.nord"
    assert refused["path"] == "/takstbilag/1081/2027/offentliggoer"
    assert logged(events, "access.refused") == []


# --- refused uploads (V16.3.3) ------------------------------------------------------------------------


def test_a_macro_workbook_upload_is_logged_as_upload_refused_without_its_content(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    raw = (HOSTILE / "macro-vbaproject.xlsx").read_bytes()
    _, service_id = demo.ids("N-851-01")
    response = demo.client().post(
        f"/api/services/{service_id}/submissions/file",
        files={"file": ("C:\\Users\\drift\\macro-vbaproject.xlsx", raw, "application/octet-stream")},
        auth=("drift.aalborg", DEMO_PASSWORD),
    )
    assert response.status_code == 422
    [refused] = logged(events, "upload.refused")
    assert refused["file"] == "macro-vbaproject.xlsx"
    assert refused["size"] == len(raw)
    assert refused["reason"] == "unsafe_file"
    assert refused["username"] == "drift.aalborg" and refused["client"] == CLIENT
    assert refused["path"] == f"/api/services/{service_id}/submissions/file"
    assert set(refused) <= {"time", "event", "file", "size", "reason", "client", "method", "path"} | {
        "user_id",
        "username",
        "role",
        "organisation_id",
    }


def test_a_macro_workbook_uploaded_on_the_page_is_logged_as_upload_refused(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    raw = (HOSTILE / "macro-vbaproject.xlsx").read_bytes()
    _, service_id = demo.ids("N-851-01")
    operator = demo.client("drift.aalborg")
    response = operator.post(
        f"/ydelser/{service_id}/indberetning",
        data={"csrf_token": demo.csrf(operator), "aar": "2027"},
        files={"fil": ("macro-vbaproject.xlsx", raw, "application/octet-stream")},
    )
    assert response.status_code == 422
    [refused] = logged(events, "upload.refused")
    assert (refused["file"], refused["size"], refused["reason"]) == ("macro-vbaproject.xlsx", len(raw), "unsafe_file")
    assert refused["username"] == "drift.aalborg"


def test_hostile_json_for_the_calculator_is_logged_as_upload_refused(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    raw = (HOSTILE / "json-nan-infinity.json").read_bytes()
    response = demo.client().post("/api/tariff/compute", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    [refused] = logged(events, "upload.refused")
    assert refused["reason"] == "unreadable_json" and refused["size"] == len(raw) and "file" not in refused


def test_a_json_submission_with_errors_is_logged_as_upload_refused_naming_the_rules(
    demo: Demo, events: pytest.LogCaptureFixture
) -> None:
    _, service_id = demo.ids("N-851-01")
    body = body_2027(occupancy={"percent": "150", "method": "expected", "reason": "Umulig belægning"})
    response = demo.client().post(
        f"/api/services/{service_id}/submissions", json=body, auth=("drift.aalborg", DEMO_PASSWORD)
    )
    assert response.status_code == 422, response.text
    [refused] = logged(events, "upload.refused")
    rules = sorted({f["rule_id"] for f in response.json()["findings"] if f["severity"] == "error"})
    assert refused["reason"] == ",".join(rules)
    assert all(rule.startswith("R-") for rule in rules)


def test_the_command_line_logs_a_refused_file_as_upload_refused(events: pytest.LogCaptureFixture) -> None:
    path = HOSTILE / "macro-vbaproject.xlsx"
    result = CliRunner().invoke(cli.app, ["tariff", "compute", str(path), "--json"])
    assert result.exit_code == 2
    [refused] = logged(events, "upload.refused")
    assert refused["channel"] == "cli"
    assert (refused["file"], refused["size"], refused["reason"]) == (path.name, path.stat().st_size, "unsafe_file")


# --- the event itself (V16.2.4, V16.4.1) --------------------------------------------------------------


def test_an_event_is_utc_time_event_and_fields_with_cpr_shaped_numbers_masked_and_usernames_cut_to_100(
    events: pytest.LogCaptureFixture,
) -> None:
    security_event("login.failed", username="u" * 150 + "0101901234", path="/x/010190-1234", client="192.0.2.1")
    [data] = logged(events)
    assert list(data)[:2] == ["time", "event"]
    assert data["time"].endswith("+00:00")
    assert data["username"] == "u" * 100
    assert data["path"] == "/x/xxxxxx-xxxx"


@pytest.mark.parametrize("field", ["password", "session_id", "token", "cpr", "body"])
def test_an_event_refuses_fields_that_would_carry_a_secret_or_personal_data(field: str) -> None:
    with pytest.raises(ValueError):
        security_event("login.failed", **{field: "x"})


def test_serve_writes_security_events_to_stderr_as_bare_json_lines() -> None:
    logger = logging.getLogger(LOGGER_NAME)
    before = (list(logger.handlers), logger.level, logger.propagate)
    try:
        handler = cli.log_security_events_to_stderr()
        assert cli.log_security_events_to_stderr() is handler  # configured once
        assert isinstance(handler, logging.StreamHandler)
        stream = io.StringIO()
        handler.setStream(stream)
        security_event("logout", user_id=7, reason="logout", path="/a\r\nb")
        [line] = stream.getvalue().splitlines(keepends=True)
        assert line.endswith("}\n")
        data = json.loads(line)
        assert data == {"time": data["time"], "event": "logout", "user_id": 7, "reason": "logout", "path": "/a\r\nb"}
    finally:
        logger.handlers[:] = before[0]
        logger.setLevel(before[1])
        logger.propagate = before[2]
