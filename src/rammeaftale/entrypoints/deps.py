"""Shared request dependencies: the unit of work, the clock and the acting user."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.auth import actor_for_user, authenticate
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Forbidden

ANONYMOUS = Actor(None, "anonym", "anonymous", None, None)


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    with UnitOfWork(request.app.state.engine) as uow:
        yield uow


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_actor(request: Request, uow: Annotated[UnitOfWork, Depends(get_uow)]) -> Actor:
    """The logged-in user (session cookie), or for API scripts HTTP Basic credentials."""
    basic = _basic_credentials(request)
    if basic is not None:
        return authenticate(uow, *basic) or ANONYMOUS
    user_id = request.session.get("user_id")
    if not isinstance(user_id, int):
        return ANONYMOUS
    return actor_for_user(uow, user_id) or ANONYMOUS


def require_user(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
    if actor.user_id is None:
        raise NotLoggedIn()
    return actor


class NotLoggedIn(Forbidden):
    def __init__(self) -> None:
        super().__init__("Du skal logge ind.")


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ClockDep = Annotated[Clock, Depends(get_clock)]
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
