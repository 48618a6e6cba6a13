"""The second factor of local accounts: time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

OWASP ASVS 5.0 V6.3.3 asks for more than a password at level 2. A municipality that connects its own
identity provider (``services/identity.py``) brings its MFA; local accounts use TOTP:

* Setting it up: ``begin_setup`` draws a 160-bit secret (``pyotp.random_base32``) and keeps it as
  *pending* on the user; the page shows it as a QR code and as text. ``confirm_setup`` makes it the
  user's secret only when a code made from it is typed back, so nobody locks themselves out.
* Logging in: after a right password the session *waits for the second factor* and is nobody's
  (``sessions.resolve_session``); ``complete_login`` checks the code, ends the waiting session and
  starts a new one (a new id once fully authenticated). Five wrong codes end the waiting session and
  count as a failed login for the username's throttle. A waiting session lasts 5 minutes.
* A code is accepted once (V6.5.1): the time step of the last accepted code is kept, and an older or
  equal step is refused. A code belongs to one 30-second step (V6.5.5); the code of the step that has
  just ended is still taken, for a code typed as the step changed or a phone a little behind, never
  a future step's. The time is the server's clock, never the client's (V6.5.8).
* API scripts with HTTP Basic add the current code directly after the password (``sign_in``).
* A user who lost the phone is helped by the secretariat of their region (``reset``): the secret is
  removed, their sessions end, and they set up a new one at the next login.

The secret itself is stored as the shared key TOTP needs (decision in docs/security.md, V11.1).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp

from rammeaftale.adapters.db.models import User
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.access import require_secretariat_or_system
from rammeaftale.services.audit import audit
from rammeaftale.services.auth import own_user
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import Conflict, NotFound, UseCaseError

ISSUER = "Rammeaftale"
STEP_SECONDS = 30
DIGITS = 6
GRACE_STEPS = 1  # the code of the step just ended, for a code typed as the step changed
WAITING_LIFETIME = timedelta(minutes=5)
MAX_WRONG_CODES = 5


class WrongCode(UseCaseError):
    def __init__(self) -> None:
        super().__init__("Koden er forkert eller udløbet. Skriv den kode, din app viser lige nu.")


@dataclass(frozen=True)
class Setup:
    """What the person needs to add the account to an authenticator app."""

    secret: str  # base32, shown in groups of four
    uri: str  # otpauth://totp/… for the QR code

    @property
    def grouped(self) -> str:
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def has_second_factor(user: User) -> bool:
    return bool(user.totp_secret)


def accept_code(user: User, code: str, now: datetime) -> bool:
    """True when ``code`` is the user's current code (or the previous step's) and newer than the last one accepted.

    Marks its step as used (in the caller's transaction), so the same code never works twice.
    """
    step = _matching_step(user.totp_secret or "", code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    code = code.strip().replace(" ", "")
    if not secret or len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - GRACE_STEPS, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- setting it up ---------------------------------------------------------------------------------------


def begin_setup(uow: UnitOfWork, actor: Actor) -> Setup:
    """A new pending secret for the acting user (replacing an unconfirmed one); committed."""
    user = own_user(uow, actor)
    user.totp_pending_secret = pyotp.random_base32()
    uow.commit()
    return _setup(user, user.totp_pending_secret)


def pending_setup(uow: UnitOfWork, actor: Actor) -> Setup | None:
    user = own_user(uow, actor)
    return _setup(user, user.totp_pending_secret) if user.totp_pending_secret else None


def _setup(user: User, secret: str) -> Setup:
    uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=user.username, issuer_name=ISSUER
    )
    return Setup(secret, uri)


def confirm_setup(uow: UnitOfWork, clock: Clock, actor: Actor, code: str) -> None:
    """Make the pending secret the user's second factor, when ``code`` was made from it."""
    user = own_user(uow, actor)
    if not user.totp_pending_secret:
        raise Conflict("Start opsætningen af totrinsbekræftelse forfra.")
    step = _matching_step(user.totp_pending_secret, code, clock())
    if step is None:
        raise WrongCode()
    replaced = has_second_factor(user)
    user.totp_secret, user.totp_pending_secret, user.totp_last_step = user.totp_pending_secret, None, step
    audit(
        uow,
        clock,
        actor,
        "user.second_factor_set",
        "user",
        user.id,
        before={"second_factor": replaced},
        after={"second_factor": True},
    )
    uow.commit()


def reset(uow: UnitOfWork, actor: Actor, clock: Clock, user_id: int) -> None:
    """The secretariat of the user's region removes a lost second factor; the user's sessions end."""
    user = uow.users.get(user_id)
    organisation = uow.organisations.get(user.organisation_id) if user is not None else None
    if user is None or organisation is None:
        raise NotFound("Brugeren findes ikke.")
    require_secretariat_or_system(actor, organisation.region_code)
    had = has_second_factor(user)
    user.totp_secret = user.totp_pending_secret = None
    user.totp_last_step = None
    ended = uow.user_sessions.revoke_all_for_user(user.id, clock(), "second_factor_reset")
    audit(
        uow,
        clock,
        actor,
        "user.second_factor_reset",
        "user",
        user.id,
        before={"second_factor": had},
        after={"second_factor": False},
        sessions_ended=ended,
    )
    uow.commit()
