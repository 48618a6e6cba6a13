"""Signing in and out: throttled password checks, server-side sessions with timeouts, disabling users.

* A session is a row in ``user_sessions``. The browser's signed cookie carries only a random 256-bit
  session id; the table stores its SHA-256, so a leaked database does not hand out live sessions.
* Every login starts a new session (the cookie's old content is thrown away: no session fixation);
  logging out, an idle period (default 30 min), the absolute lifetime (default 8 h) and disabling the
  user each end it. ``last_seen_at`` is written at most once a minute.
* After 5 failed password checks for one username (since its last successful login) or 20 from one
  client address within 15 minutes, further checks are refused with ``LoginThrottled`` without
  looking at the password, until the oldest counted failure leaves the window. Refused attempts are
  not counted, so hammering does not extend the lock. Attempts are rows in ``login_attempts``, so the
  limit holds across processes. The clock is always the injected one.
* A person has at most ``MAX_SESSIONS_PER_USER`` (5) open sessions (ASVS V7.1.2): a sixth login ends
  the least recently used one (reason ``limit``).
* For a user with a second factor (``services/second_factor.py``) a right password starts a session
  that *waits for the code* and is nobody's; ``complete_login`` turns it into a real session with a
  new id. HTTP Basic takes the code directly after the password.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rammeaftale.adapters.db.repositories import StoredSession
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.access import require_secretariat_or_system
from rammeaftale.services.audit import audit
from rammeaftale.services.auth import actor_for_user, normalise_username
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import NotFound, UseCaseError
from rammeaftale.services.identity import LocalPasswordProvider, user_for_identity
from rammeaftale.services.second_factor import (
    DIGITS,
    MAX_WRONG_CODES,
    WAITING_LIFETIME,
    WrongCode,
    accept_code,
    has_second_factor,
)
from rammeaftale.services.security_log import actor_fields, security_event

SESSION_ID_BYTES = 32  # 256 bits
MAX_SESSION_ID_LENGTH = 128
TOUCH_INTERVAL = timedelta(minutes=1)
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_CLIENT = 20
MAX_SESSIONS_PER_USER = 5


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)


class LoginThrottled(UseCaseError):
    """Too many failed logins: refused without checking the password; retry after some seconds."""

    def __init__(self, retry_after_seconds: int) -> None:
        minutes = max(1, math.ceil(retry_after_seconds / 60))
        unit = "minut" if minutes == 1 else "minutter"
        super().__init__(f"For mange mislykkede loginforsøg. Vent {minutes} {unit}, og prøv igen.")
        self.retry_after_seconds = retry_after_seconds


def session_id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


# --- signing in ---------------------------------------------------------------------------------------


def sign_in(uow: UnitOfWork, clock: Clock, username: str, password: str, client: str) -> Actor | None:
    """Check a username and password (HTTP Basic on the API): throttled, recorded, committed.

    A user with a second factor types the current code directly after the password.
    """
    now = _utc(clock())
    user = uow.users.by_username(normalise_username(username))
    code = ""
    if user is not None and has_second_factor(user):
        password, code = password[:-DIGITS], password[-DIGITS:]
    actor, earlier_failures = _check(uow, now, username, password, client)
    if actor is not None and user is not None and has_second_factor(user) and not accept_code(user, code, now):
        record_failed_attempt(uow, username, client, now)
        actor = None
    if actor is not None and earlier_failures:  # a row per API call only where it ends a failure streak
        _record_success(uow, username, client, now)
    uow.commit()
    if actor is None:
        security_event("login.failed", channel="basic", username=username, client=client)
    else:
        security_event("login.succeeded", channel="basic", client=client, **actor_fields(actor))
    return actor


def log_in(
    uow: UnitOfWork,
    clock: Clock,
    username: str,
    password: str,
    client: str,
    user_agent: str = "",
    previous_session_id: str | None = None,
) -> str | None:
    """Check the password and start a new session; returns the new session id for the cookie, or None.

    A session the browser already had is ended (a login never continues an old session).
    """
    now = _utc(clock())
    user = uow.users.by_username(normalise_username(username))
    awaiting = user is not None and has_second_factor(user)
    # With a second factor the login succeeds only at the code (complete_login): a right password
    # alone must not end the username's failure streak.
    actor, _earlier_failures = _check(uow, now, username, password, client)
    if actor is not None and not awaiting:
        _record_success(uow, username, client, now)
    if actor is None or actor.user_id is None:
        uow.commit()  # the failed attempt counts
        security_event("login.failed", channel="form", username=username, client=client)
        return None
    if previous_session_id:
        _end(uow, previous_session_id, now, "replaced")
    session_id = _start(uow, actor.user_id, now, user_agent, awaiting=awaiting)
    uow.commit()
    pending = "pending" if awaiting else None  # the login completes at the code (complete_login)
    security_event("login.succeeded", channel="form", client=client, second_factor=pending, **actor_fields(actor))
    return session_id


def awaits_second_factor(uow: UnitOfWork, clock: Clock, session_id: str) -> bool:
    """True for a live session whose password was right and whose second-factor code is still to come."""
    stored = _stored(uow, session_id)
    return (
        stored is not None
        and stored.revoked_at is None
        and stored.awaiting_second_factor
        and _utc(clock()) - stored.created_at < WAITING_LIFETIME
    )


def complete_login(uow: UnitOfWork, clock: Clock, session_id: str, code: str, client: str) -> str:
    """The second step: a right code ends the waiting session and returns the id of a new, real one.

    A wrong code raises ``WrongCode``; the fifth ends the waiting session and counts as a failed login.
    """
    now = _utc(clock())
    if not awaits_second_factor(uow, clock, session_id):
        raise WrongCode()
    stored = _stored(uow, session_id)
    user = uow.users.get(stored.user_id) if stored is not None else None
    if stored is None or user is None or not user.active:
        raise WrongCode()
    if not accept_code(user, code, now):
        failures = uow.user_sessions.count_second_factor_failure(stored.id)
        if failures >= MAX_WRONG_CODES:
            uow.user_sessions.revoke(stored.id, now, "second_factor")
            record_failed_attempt(uow, user.username, client, now)
        uow.commit()
        security_event("second_factor.failed", user_id=user.id, client=client, wrong_codes=failures)
        raise WrongCode()
    uow.user_sessions.revoke(stored.id, now, "completed")
    _record_success(uow, user.username, client, now)
    new_id = _start(uow, user.id, now, stored.user_agent, awaiting=False)
    uow.commit()
    security_event("login.succeeded", channel="form", second_factor="totp", client=client, user_id=user.id)
    return new_id


def _start(uow: UnitOfWork, user_id: int, now: datetime, user_agent: str, *, awaiting: bool) -> str:
    """A new session (the id for the cookie); the least recently used beyond the limit end."""
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    uow.user_sessions.add(session_id_hash(session_id), user_id, now, user_agent, awaiting_second_factor=awaiting)
    open_sessions = sorted(uow.user_sessions.open_for_user(user_id), key=lambda s: (s.last_seen_at, s.id))
    for stored in open_sessions[: max(0, len(open_sessions) - MAX_SESSIONS_PER_USER)]:
        uow.user_sessions.revoke(stored.id, now, "limit")
        security_event("session.ended", user_id=user_id, reason="limit")
    return session_id


def _check(uow: UnitOfWork, now: datetime, username: str, password: str, client: str) -> tuple[Actor | None, int]:
    """The actor for a right password (a wrong one is recorded), and the username's failures before."""
    name = normalise_username(username)
    earlier_failures = ensure_not_throttled(uow, name, client[:64] or "ukendt", now)
    identity = LocalPasswordProvider(uow, now).authenticate({"username": name, "password": password})
    user_id = user_for_identity(uow, identity) if identity is not None else None
    actor = actor_for_user(uow, user_id) if user_id is not None else None
    if actor is None:
        record_failed_attempt(uow, name, client, now)
    return actor, earlier_failures


def _record_success(uow: UnitOfWork, username: str, client: str, now: datetime) -> None:
    """A successful login, which also ends the username's failure streak."""
    uow.login_attempts.add(normalise_username(username), client[:64] or "ukendt", now, success=True)


def record_failed_attempt(uow: UnitOfWork, username: str, client: str, now: datetime) -> None:
    """A wrong password outside the login (changing the password) counts like a failed login."""
    uow.login_attempts.add(normalise_username(username), client[:64] or "ukendt", now, success=False)


def ensure_not_throttled(uow: UnitOfWork, username: str, client: str, now: datetime) -> int:
    """Raise LoginThrottled when a limit is reached; otherwise the username's current failure count."""
    since = now - THROTTLE_WINDOW
    by_name = uow.login_attempts.failures_for_username(username, since, MAX_FAILURES_PER_USERNAME)
    by_client = uow.login_attempts.failures_for_ip(client, since, MAX_FAILURES_PER_CLIENT)
    locks = [
        failures[limit - 1] + THROTTLE_WINDOW
        for failures, limit in ((by_name, MAX_FAILURES_PER_USERNAME), (by_client, MAX_FAILURES_PER_CLIENT))
        if len(failures) >= limit
    ]
    if locks:
        raise LoginThrottled(max(1, math.ceil((max(locks) - now).total_seconds())))
    return len(by_name)


# --- the session of a request -------------------------------------------------------------------------


def resolve_session(uow: UnitOfWork, clock: Clock, session_id: str, policy: SessionPolicy) -> Actor | None:
    """The acting user of a live session; None for an unknown, ended or expired one (which is then ended)."""
    if not session_id or len(session_id) > MAX_SESSION_ID_LENGTH:
        return None
    stored = uow.user_sessions.by_token_hash(session_id_hash(session_id))
    if stored is None or stored.revoked_at is not None or stored.awaiting_second_factor:
        return None
    now = _utc(clock())
    reason = _expiry(stored, now, policy)
    actor = actor_for_user(uow, stored.user_id) if reason is None else None
    if actor is None:
        uow.user_sessions.revoke(stored.id, now, reason or "disabled")
        uow.commit()
        security_event("session.ended", user_id=stored.user_id, reason=reason or "disabled")
        return None
    if now - stored.last_seen_at >= TOUCH_INTERVAL:
        uow.user_sessions.touch(stored.id, now)
        uow.commit()
    return actor


def is_live(stored: StoredSession, now: datetime, policy: SessionPolicy) -> bool:
    """Not ended, not waiting for a second factor, and within both timeouts."""
    return stored.revoked_at is None and not stored.awaiting_second_factor and _expiry(stored, now, policy) is None


def _expiry(stored: StoredSession, now: datetime, policy: SessionPolicy) -> str | None:
    if now - stored.created_at >= policy.absolute:
        return "absolute"
    if now - stored.last_seen_at >= policy.idle:
        return "idle"
    return None


def log_out(uow: UnitOfWork, clock: Clock, session_id: str) -> None:
    _end(uow, session_id, _utc(clock()), "logout")
    uow.commit()


def _end(uow: UnitOfWork, session_id: str, now: datetime, reason: str) -> None:
    stored = _stored(uow, session_id)
    if stored is not None:
        uow.user_sessions.revoke(stored.id, now, reason)
        security_event("logout" if reason == "logout" else "session.ended", user_id=stored.user_id, reason=reason)


def _stored(uow: UnitOfWork, session_id: str) -> StoredSession | None:
    if not session_id or len(session_id) > MAX_SESSION_ID_LENGTH:
        return None
    return uow.user_sessions.by_token_hash(session_id_hash(session_id))


# --- disabling a user ---------------------------------------------------------------------------------


def end_sessions_of_user(uow: UnitOfWork, clock: Clock, user_id: int, reason: str) -> int:
    """End every open session of a user (inside the caller's transaction); returns how many."""
    ended = uow.user_sessions.revoke_all_for_user(user_id, _utc(clock()), reason)
    if ended:
        security_event("session.ended", user_id=user_id, reason=reason, sessions=ended)
    return ended


def disable_user(uow: UnitOfWork, actor: Actor, clock: Clock, user_id: int) -> int:
    """Disable an account and end all its sessions at once; returns how many sessions were ended.

    The secretariat of the user's region may do it (and the system, e.g. the command line).
    """
    user = uow.users.get(user_id)
    organisation = uow.organisations.get(user.organisation_id) if user is not None else None
    if user is None or organisation is None:
        raise NotFound("Brugeren findes ikke.")
    require_secretariat_or_system(actor, organisation.region_code)
    user.active = False
    ended = end_sessions_of_user(uow, clock, user_id, "disabled")
    audit(uow, clock, actor, "user.disabled", "user", user_id, username=user.username, sessions_ended=ended)
    uow.commit()
    return ended


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
