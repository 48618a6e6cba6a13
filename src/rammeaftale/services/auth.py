"""Local accounts: argon2id password hashes, checking a password, and the acting user of a user id.

Passwords are hashed with argon2id (argon2-cffi) at OWASP's recommended minimum (19 MiB memory, two
passes, one lane), which keeps a check near 30 ms. Hashes from before (``pbkdf2_sha256$…``, issue 2)
still verify, and a successful check re-hashes them with the current parameters (``needs_rehash``), so
old hashes disappear as people log in. An unknown username costs the same work as a known one, so the
response time does not tell which usernames exist.

Sessions, throttling of failed logins and disabling users live in ``services/sessions.py``; the
identity-provider seam (local passwords now, a municipality's OIDC provider later) in
``services/identity.py``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rammeaftale.adapters.db.models import User
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import NotFound

PBKDF2_PREFIX = "pbkdf2_sha256$"
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
# Verified against when the username is unknown, so that case takes as long as a wrong password.
_DUMMY_HASH = HASHER.hash("no user has this password")


def hash_password(password: str) -> str:
    """An argon2id hash (``$argon2id$v=19$m=19456,t=2,p=1$salt$digest``) with a fresh random salt."""
    return HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (argon2id, or a legacy pbkdf2_sha256 hash)."""
    if stored.startswith(PBKDF2_PREFIX):
        return _verify_pbkdf2(password, stored)
    try:
        return HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored: str) -> bool:
    """A legacy scheme, or argon2 with other parameters than ours."""
    if stored.startswith(PBKDF2_PREFIX):
        return True
    try:
        return HASHER.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _verify_pbkdf2(password: str, stored: str) -> bool:
    try:
        _scheme, iterations, salt, digest = stored.split("$")
        rounds = int(iterations)
    except ValueError:
        return False
    if not 1 <= rounds <= 10_000_000:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), rounds).hex()
    return hmac.compare_digest(candidate, digest)


def normalise_username(username: str) -> str:
    """Usernames are compared trimmed and in lower case (and never longer than the column)."""
    return username.strip().lower()[:100]


def check_password(uow: UnitOfWork, username: str, password: str, now: datetime | None = None) -> int | None:
    """The id of the active user with this username and password, or None.

    An initial password past its expiry (``password_expires_at``, compared with ``now``) no longer
    works (ASVS V6.4.1). A legacy or outdated hash is replaced by a fresh argon2id hash in the
    caller's transaction.
    """
    user = uow.users.by_username(normalise_username(username))
    if user is None:
        verify_password(password, _DUMMY_HASH)  # same work as a wrong password: no username oracle
        return None
    if not verify_password(password, user.password_hash) or not user.active:
        return None
    if user.password_expires_at is not None and (now is None or now >= _utc(user.password_expires_at)):
        return None
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user.id


def actor_for_user(uow: UnitOfWork, user_id: int) -> Actor | None:
    """The acting user of an active account; None for an unknown or disabled one."""
    user = uow.users.get(user_id)
    if user is None or not user.active:
        return None
    organisation = uow.organisations.get(user.organisation_id)
    region = organisation.region_code if organisation else None
    return Actor(
        user.id,
        user.username,
        user.role,
        user.organisation_id,
        region,
        second_factor=bool(user.totp_secret),
        must_change_password=bool(user.must_change_password),
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def own_user(uow: UnitOfWork, actor: Actor) -> User:
    """The acting person's own, active user row (their account pages); NotFound for anyone else."""
    user = uow.users.get(actor.user_id) if actor.user_id is not None else None
    if user is None or not user.active:
        raise NotFound("Brugeren findes ikke.")
    return user


def authenticate(uow: UnitOfWork, username: str, password: str) -> Actor | None:
    """The acting user for a username and password, without throttling (scripts and tests).

    Requests go through ``services.sessions.sign_in``, which throttles repeated failures first.
    """
    user_id = check_password(uow, username, password)
    return actor_for_user(uow, user_id) if user_id is not None else None
