"""Logging in and out of the pages: a server-side session whose id the signed cookie carries."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from rammeaftale.entrypoints.deps import SESSION_KEY, WAITING_KEY, ClockDep, UowDep, client_address, request_fields
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.rendering import ViewerDep, render, safe_next, see_other
from rammeaftale.services.security_log import security_event
from rammeaftale.services.sessions import LoginThrottled, awaits_second_factor, log_in, log_out

router = APIRouter()


@router.get("/", include_in_schema=False, dependencies=[policy(Policy.PUBLIC)])
def home() -> RedirectResponse:
    return see_other("/tilbud")


@router.get("/login", response_class=HTMLResponse, dependencies=[policy(Policy.PUBLIC)])
def login_page(request: Request, viewer: ViewerDep, next: str = "") -> HTMLResponse:
    return render(request, viewer, "login.html", {"next": safe_next(next, ""), "username": ""})


@router.post("/login", response_class=HTMLResponse, dependencies=[policy(Policy.PUBLIC)])  # checks the CSRF token
def login(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    viewer: ViewerDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    context = {"next": safe_next(next, ""), "username": username}
    previous = request.session.get(SESSION_KEY)
    try:
        session_id = log_in(
            uow,
            clock,
            username,
            password,
            client_address(request),
            request.headers.get("user-agent", ""),
            previous if isinstance(previous, str) else None,
        )
    except LoginThrottled as exc:
        retry = exc.retry_after_seconds
        security_event(
            "login.throttled", channel="form", username=username, retry_after_seconds=retry, **request_fields(request)
        )
        response = render(request, viewer, "login.html", {**context, "error": exc.message}, status_code=429)
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    if session_id is None:
        context["error"] = "Forkert brugernavn eller adgangskode."
        return render(request, viewer, "login.html", context, status_code=401)
    request.session.clear()  # nothing of the session before login survives (no fixation)
    if awaits_second_factor(uow, clock, session_id):
        request.session[WAITING_KEY] = session_id  # names nobody until the code is right (/login/kode)
        return see_other(f"/login/kode?next={quote(safe_next(next, ''))}")
    request.session[SESSION_KEY] = session_id
    return see_other(safe_next(next))


@router.post("/logout", include_in_schema=False, dependencies=[policy(Policy.PUBLIC)])  # checks the CSRF token
def logout(request: Request, uow: UowDep, clock: ClockDep) -> RedirectResponse:
    session_id = request.session.get(SESSION_KEY)
    if isinstance(session_id, str):
        log_out(uow, clock, session_id)
    request.session.clear()
    return see_other("/tilbud")
