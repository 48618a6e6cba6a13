"""Provisioning local accounts: invitations with an initial password, resets, disabling (ASVS V6.4).

Run by the people operating the service (``rammeaftale user …``) or a region's secretariat:

* An initial password is random (20 characters from ``secrets``, about 120 bits), shown once to the
  one who creates it, valid for ``INITIAL_PASSWORD_LIFETIME`` (72 hours) and must be replaced at the
  first login: until then the person reaches only /konto (V6.4.1). It is never logged or audited.
* A forgotten password is reset the same way: a new initial password, every session ends, and the
  second factor stays, so a reset never bypasses it (V6.4.3). Nobody chooses another person's
  password (V6.4.6).
* A lost second factor is removed by ``second_factor.reset`` after the secretariat has checked who is
  asking the way the account was first handed out (V6.4.4, docs/security.md).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from rammeaftale.adapters.db.models import User
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.access import require_secretariat_or_system
from rammeaftale.services.audit import audit
from rammeaftale.services.auth import hash_password, normalise_username
from rammeaftale.services.context import ROLES, Actor, Clock
from rammeaftale.services.errors import Conflict, InvalidSubmission, NotFound

INITIAL_PASSWORD_LIFETIME = timedelta(hours=72)
INITIAL_PASSWORD_BYTES = 15  # 20 URL-safe characters


def invite_user(
    uow: UnitOfWork, actor: Actor, clock: Clock, username: str, display_name: str, role: str, organisation_id: int
) -> str:
    """Create an account with an initial password; returns that password (shown once, never stored in clear)."""
    name = normalise_username(username)
    if role not in ROLES:
        raise InvalidSubmission(f"Rollen '{role[:20]}' findes ikke; mulige roller: {', '.join(ROLES)}.", [])
    if not name or not display_name.strip():
        raise InvalidSubmission("Brugernavn og navn skal udfyldes.", [])
    organisation = uow.organisations.get(organisation_id)
    if organisation is None:
        raise NotFound("Organisationen findes ikke.")
    require_secretariat_or_system(actor, organisation.region_code)
    if uow.users.by_username(name) is not None:
        raise Conflict(f"Brugernavnet '{name}' er allerede i brug.")
    password = secrets.token_urlsafe(INITIAL_PASSWORD_BYTES)
    user_id = uow.users.add(name, display_name.strip()[:200], hash_password(password), role, organisation_id)
    user = _user(uow, user_id)
    _make_initial(user, clock)
    audit(
        uow,
        clock,
        actor,
        "user.invited",
        "user",
        user_id,
        before=None,
        after={"username": name, "role": role, "organisation_id": organisation_id},
    )
    uow.commit()
    return password


def reset_password(uow: UnitOfWork, actor: Actor, clock: Clock, user_id: int) -> str:
    """A new initial password for a person who forgot theirs; their sessions end; the second factor stays."""
    user = _user(uow, user_id)
    organisation = uow.organisations.get(user.organisation_id)
    require_secretariat_or_system(actor, organisation.region_code if organisation else -1)
    password = secrets.token_urlsafe(INITIAL_PASSWORD_BYTES)
    user.password_hash = hash_password(password)
    _make_initial(user, clock)
    ended = uow.user_sessions.revoke_all_for_user(user.id, clock(), "password_reset")
    audit(
        uow,
        clock,
        actor,
        "user.password_reset",
        "user",
        user.id,
        before={"must_change_password": False},
        after={"must_change_password": True},
        sessions_ended=ended,
    )
    uow.commit()
    return password


def user_id_of(uow: UnitOfWork, username: str) -> int:
    user = uow.users.by_username(normalise_username(username))
    if user is None:
        raise NotFound("Brugeren findes ikke.")
    return user.id


def _make_initial(user: User, clock: Clock) -> None:
    user.must_change_password = True
    user.password_expires_at = clock() + INITIAL_PASSWORD_LIFETIME


def _user(uow: UnitOfWork, user_id: int) -> User:
    user = uow.users.get(user_id)
    if user is None:
        raise NotFound("Brugeren findes ikke.")
    return user
