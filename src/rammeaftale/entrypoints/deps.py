"""Shared request dependencies: the unit of work, the clock and the acting user."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.entrypoints.settings import Settings, load_settings
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.security_log import FieldValue, actor_fields, security_event
from rammeaftale.services.sessions import LoginThrottled, SessionPolicy, resolve_session, sign_in

ANONYMOUS = Actor(None, "anonym", "anonymous", None, None)
SESSION_KEY = "sid"  # the only identity the signed session cookie carries: the server-side session id
WAITING_KEY = "sid_waiting"  # a session whose password was right and whose second factor is still to come


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    with UnitOfWork(request.app.state.engine) as uow:
        yield uow


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_settings(request: Request) -> Settings:
    """The app's settings, read from the environment once per app."""
    settings = getattr(request.app.state, "settings", None)
    if not isinstance(settings, Settings):
        settings = load_settings()
        request.app.state.settings = settings
    return settings


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: run uvicorn with --proxy-headers)."""
    return request.client.host if request.client is not None else "ukendt"


def request_fields(request: Request, actor: Actor | None = None) -> dict[str, FieldValue]:
    """Where a security event comes from: the client address, the method, the path (no query string), and
    who the actor is when known."""
    return {
        "client": client_address(request),
        "method": request.method,
        "path": request.url.path,
        **actor_fields(actor),
    }


def get_actor(
    request: Request,
    uow: Annotated[UnitOfWork, Depends(get_uow)],
    clock: Annotated[Clock, Depends(get_clock)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Actor:
    """The logged-in user (server-side session named by the cookie), or for API scripts HTTP Basic.

    Basic credentials are throttled like the login form: too many failures answer 429 with Retry-After.
    The actor is kept on ``request.state`` for the security events of the error handler (app.py).
    """
    actor = _identify(request, uow, clock, settings)
    request.state.actor = actor
    setup = _account_setup_missing(actor, settings)
    if setup and not request.url.path.startswith(ACCOUNT_SETUP_PATHS):
        raise AccountSetupRequired(setup)
    return actor


def _account_setup_missing(actor: Actor, settings: Settings) -> str:
    """What a logged-in person must do on /konto before anything else; "" when nothing."""
    if actor.user_id is None:
        return ""
    if actor.must_change_password:
        return "Du er logget ind med en startadgangskode. Vælg din egen adgangskode under Min konto (/konto)."
    if settings.require_second_factor and not actor.second_factor:
        return "Slå totrinsbekræftelse til under Min konto (/konto), før du kan bruge systemet."
    return ""


def _identify(request: Request, uow: UnitOfWork, clock: Clock, settings: Settings) -> Actor:
    basic = _basic_credentials(request)
    if basic is not None:
        try:
            actor = sign_in(uow, clock, *basic, client_address(request))
        except LoginThrottled as exc:
            security_event(
                "login.throttled",
                channel="basic",
                username=basic[0],
                retry_after_seconds=exc.retry_after_seconds,
                **request_fields(request),
            )
            raise HTTPException(429, exc.message, headers={"Retry-After": str(exc.retry_after_seconds)}) from None
        return actor or ANONYMOUS
    session_id = request.session.get(SESSION_KEY)
    if not isinstance(session_id, str):
        return ANONYMOUS
    actor = resolve_session(uow, clock, session_id, SessionPolicy(settings.session_idle, settings.session_absolute))
    if actor is None:
        request.session.pop(SESSION_KEY, None)  # an ended session: forget its id
        return ANONYMOUS
    return actor


def require_user(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
    if actor.user_id is None:
        raise NotLoggedIn()
    return actor


class NotLoggedIn(Forbidden):
    def __init__(self) -> None:
        super().__init__("Du skal logge ind.")


# Where a person with an initial password or without the required second factor may go: their account
# page (to change the password or set up the factor), the login and out.
ACCOUNT_SETUP_PATHS = ("/konto", "/login", "/logout", "/static/")


class AccountSetupRequired(Forbidden):
    """An initial password to replace, or a required second factor to set up first; pages go to /konto."""


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ActorDep = Annotated[Actor, Depends(get_actor)]
UserDep = Annotated[Actor, Depends(require_user)]


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        username, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return username, password


MAX_DB_INTEGER = 2_147_483_647  # PostgreSQL integer columns; a larger id or number fails in the driver


def integers_in_range(request: Request) -> None:
    """An integer in the path or query beyond what the database stores names nothing: 404 / 422, never a 500."""
    for value in request.path_params.values():
        if _out_of_range(str(value)):
            raise NotFound("Det findes ikke.")
    for name, value in request.query_params.multi_items():
        if _out_of_range(value):
            raise InvalidSubmission(f"Parameteren '{name[:40]}' er et for stort tal.", [])


def _out_of_range(text: str) -> bool:
    digits = text.strip().lstrip("+-")
    return digits.isascii() and digits.isdigit() and (len(digits) > 10 or int(digits) > MAX_DB_INTEGER)
