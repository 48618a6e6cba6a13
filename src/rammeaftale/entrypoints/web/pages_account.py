"""The person's own account (/konto): password, second factor, own sessions; and the login's second step."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from rammeaftale.entrypoints.deps import (
    SESSION_KEY,
    WAITING_KEY,
    ClockDep,
    SettingsDep,
    UowDep,
    UserDep,
    client_address,
)
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.entrypoints.web.rendering import ViewerDep, render, safe_next, see_other
from rammeaftale.services.account import (
    PasswordRefused,
    change_password,
    end_other_sessions,
    end_own_session,
    own_sessions,
)
from rammeaftale.services.auth import own_user
from rammeaftale.services.second_factor import (
    Setup,
    WrongCode,
    begin_setup,
    confirm_setup,
    has_second_factor,
    pending_setup,
)
from rammeaftale.services.sessions import LoginThrottled, SessionPolicy, awaits_second_factor, complete_login

router = APIRouter()
ACCOUNT = [policy(Policy.AUTHENTICATED)]


def _current_session(request: Request) -> str | None:
    value = request.session.get(SESSION_KEY)
    return value if isinstance(value, str) else None


def _account_page(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    actor: UserDep,
    *,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    policy_ = SessionPolicy(settings.session_idle, settings.session_absolute)
    user = own_user(uow, actor)
    full = {
        "sessions": own_sessions(uow, clock, actor, _current_session(request), policy_),
        "second_factor": has_second_factor(user),
        "second_factor_required": settings.require_second_factor,
        "password_changed_at": user.password_changed_at,
        **context,
    }
    return render(request, viewer, "account.html", full, status_code=status_code)


@router.get("/konto", response_class=HTMLResponse, dependencies=ACCOUNT)
def account(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    actor: UserDep,
    besked: str = "",
) -> HTMLResponse:
    notices = {
        "adgangskode": "Din adgangskode er skiftet. Dine andre sessioner er afsluttet.",
        "session": "Sessionen er afsluttet.",
        "andre": "Dine andre sessioner er afsluttet.",
        "totrin": "Totrinsbekræftelse er slået til. Næste gang du logger ind, skal du bruge koden fra din app.",
    }
    return _account_page(request, uow, clock, settings, viewer, actor, notice=notices.get(besked, ""))


@router.post("/konto/adgangskode", response_class=HTMLResponse, dependencies=ACCOUNT)  # checks the CSRF token
def password(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    actor: UserDep,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    repeated: Annotated[str, Form()] = "",
) -> Response:
    try:
        change_password(uow, clock, actor, _current_session(request), current, new, repeated, client_address(request))
    except PasswordRefused as exc:
        return _account_page(
            request, uow, clock, settings, viewer, actor, status_code=422, password_problems=exc.problems
        )
    except LoginThrottled as exc:
        response = _account_page(
            request, uow, clock, settings, viewer, actor, status_code=429, password_problems=[exc.message]
        )
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response
    return see_other("/konto?besked=adgangskode")


@router.post("/konto/sessioner/{session_pk}/afslut", dependencies=ACCOUNT)  # checks the CSRF token
def end_session(session_pk: int, request: Request, uow: UowDep, clock: ClockDep, actor: UserDep) -> Response:
    end_own_session(uow, clock, actor, session_pk)
    return see_other("/konto?besked=session")


@router.post("/konto/sessioner/afslut-andre", dependencies=ACCOUNT)  # checks the CSRF token
def end_others(request: Request, uow: UowDep, clock: ClockDep, actor: UserDep) -> Response:
    end_other_sessions(uow, clock, actor, _current_session(request))
    return see_other("/konto?besked=andre")


# --- setting up the second factor ---------------------------------------------------------------------


def _setup_page(
    request: Request, viewer: ViewerDep, setup: Setup, *, error: str = "", status_code: int = 200
) -> HTMLResponse:
    qr = Markup(segno.make(setup.uri, error="m").svg_inline(scale=5, title="QR-kode til din godkendelsesapp"))
    context = {"setup": setup, "qr": qr, "error": error}
    return render(request, viewer, "second_factor_setup.html", context, status_code=status_code)


@router.post("/konto/totrin/start", response_class=HTMLResponse, dependencies=ACCOUNT)  # checks the CSRF token
def start_setup(request: Request, uow: UowDep, viewer: ViewerDep, actor: UserDep) -> HTMLResponse:
    return _setup_page(request, viewer, begin_setup(uow, actor))


@router.post("/konto/totrin", response_class=HTMLResponse, dependencies=ACCOUNT)  # checks the CSRF token
def confirm(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    viewer: ViewerDep,
    actor: UserDep,
    code: Annotated[str, Form()] = "",
) -> Response:
    try:
        confirm_setup(uow, clock, actor, code)
    except WrongCode as exc:
        setup = pending_setup(uow, actor)
        if setup is None:
            return see_other("/konto")
        return _setup_page(request, viewer, setup, error=exc.message, status_code=422)
    return see_other("/konto?besked=totrin")


# --- the login's second step --------------------------------------------------------------------------


@router.get("/login/kode", response_class=HTMLResponse, dependencies=[policy(Policy.PUBLIC)])
def code_page(request: Request, uow: UowDep, clock: ClockDep, viewer: ViewerDep, next: str = "") -> Response:
    waiting = request.session.get(WAITING_KEY)
    if not isinstance(waiting, str) or not awaits_second_factor(uow, clock, waiting):
        return see_other("/login")
    return render(request, viewer, "login_code.html", {"next": safe_next(next, "")})


@router.post("/login/kode", response_class=HTMLResponse, dependencies=[policy(Policy.PUBLIC)])  # checks the CSRF token
def code(
    request: Request,
    uow: UowDep,
    clock: ClockDep,
    viewer: ViewerDep,
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    waiting = request.session.get(WAITING_KEY)
    if not isinstance(waiting, str):
        return see_other("/login")
    try:
        session_id = complete_login(uow, clock, waiting, code, client_address(request))
    except WrongCode as exc:
        if not awaits_second_factor(uow, clock, waiting):
            request.session.pop(WAITING_KEY, None)
            return see_other("/login")
        context = {"next": safe_next(next, ""), "error": exc.message}
        return render(request, viewer, "login_code.html", context, status_code=401)
    request.session.clear()  # a new session id once fully authenticated
    request.session[SESSION_KEY] = session_id
    return see_other(safe_next(next))
