"""Simple local login (issue 2); a later issue hardens it (argon2id, OIDC)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.context import Actor

ITERATIONS = 120_000


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), ITERATIONS).hex()
    return f"pbkdf2_sha256${ITERATIONS}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)


def actor_for_user(uow: UnitOfWork, user_id: int) -> Actor | None:
    user = uow.users.get(user_id)
    if user is None or not user.active:
        return None
    organisation = uow.organisations.get(user.organisation_id)
    return Actor(
        user.id, user.username, user.role, user.organisation_id, organisation.region_code if organisation else None
    )


def authenticate(uow: UnitOfWork, username: str, password: str) -> Actor | None:
    user = uow.users.by_username(username.strip().lower())
    if user is None or not user.active or not verify_password(password, user.password_hash):
        return None
    return actor_for_user(uow, user.id)
