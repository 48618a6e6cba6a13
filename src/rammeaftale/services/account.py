"""A person's own account: changing the password and seeing and ending their own sessions (ASVS V6.2, V7.4, V7.5).

* Changing the password needs the current one (V6.2.3); a wrong current password counts as a failed
  login for the username's throttle, so the form is no way around it. The new password must meet
  ``services/passwords.py``. Afterwards every *other* session of the person ends (V7.4.3); the one
  they are using continues.
* The person sees their open sessions (when they began, when last used, the browser) and can end
  any of them, or all but the current one (V7.4.5, V7.5.2). Another person's session answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.audit import audit
from rammeaftale.services.auth import hash_password, own_user, verify_password
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import NotFound, UseCaseError
from rammeaftale.services.passwords import context_words, password_problems
from rammeaftale.services.sessions import (
    SessionPolicy,
    ensure_not_throttled,
    is_live,
    record_failed_attempt,
    session_id_hash,
)


class PasswordRefused(UseCaseError):
    """The new password cannot be used (or the current one was wrong); nothing changed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class OwnSession:
    id: int
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    current: bool


def change_password(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    current_session_id: str | None,
    current_password: str,
    new_password: str,
    repeated: str,
    client: str,
) -> int:
    """Set a new password and end the person's other sessions; returns how many ended."""
    user = own_user(uow, actor)
    now = clock()
    ensure_not_throttled(uow, user.username, client, now)
    if not verify_password(current_password, user.password_hash):
        record_failed_attempt(uow, user.username, client, now)
        uow.commit()
        raise PasswordRefused(["Den nuværende adgangskode er forkert."])
    organisation = uow.organisations.get(user.organisation_id)
    problems = password_problems(
        new_password, context_words(user.username, user.display_name, organisation.name if organisation else "")
    )
    if new_password != repeated:
        problems.append("De to nye adgangskoder er ikke ens.")
    if verify_password(new_password, user.password_hash):
        problems.append("Den nye adgangskode skal være en anden end den nuværende.")
    if problems:
        raise PasswordRefused(problems)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.password_expires_at, user.must_change_password = None, False  # an initial password is gone
    ended = _end_other_sessions(uow, user.id, current_session_id, now, "password_changed")
    # Never the hashes: the audit row says that the password changed and what it ended.
    audit(
        uow,
        clock,
        actor,
        "user.password_changed",
        "user",
        user.id,
        before={"password_changed_at": None},
        after={"password_changed_at": now.isoformat()},
        other_sessions_ended=ended,
    )
    uow.commit()
    return ended


def own_sessions(
    uow: UnitOfWork, clock: Clock, actor: Actor, current_session_id: str | None, policy: SessionPolicy
) -> list[OwnSession]:
    """The person's live sessions, the current one first, then the most recently used."""
    user = own_user(uow, actor)
    current_hash = session_id_hash(current_session_id) if current_session_id else None
    now = clock()
    current_id = _current_row_id(uow, current_hash)
    sessions = [
        OwnSession(s.id, s.created_at, s.last_seen_at, s.user_agent, s.id == current_id)
        for s in uow.user_sessions.open_for_user(user.id)
        if is_live(s, now, policy)
    ]
    return sorted(sessions, key=lambda s: (not s.current, -s.last_seen_at.timestamp()))


def end_own_session(uow: UnitOfWork, clock: Clock, actor: Actor, session_pk: int) -> None:
    """End one of the person's own sessions (another person's answers 404, like one that does not exist)."""
    user = own_user(uow, actor)
    if not any(s.id == session_pk for s in uow.user_sessions.open_for_user(user.id)):
        raise NotFound("Sessionen findes ikke.")
    uow.user_sessions.revoke(session_pk, clock(), "ended_by_user")
    audit(
        uow,
        clock,
        actor,
        "session.ended_by_user",
        "user_session",
        session_pk,
        before={"open": True},
        after={"open": False},
    )
    uow.commit()


def end_other_sessions(uow: UnitOfWork, clock: Clock, actor: Actor, current_session_id: str | None) -> int:
    """End every session of the person but the current one; returns how many ended."""
    user = own_user(uow, actor)
    ended = _end_other_sessions(uow, user.id, current_session_id, clock(), "ended_by_user")
    audit(
        uow,
        clock,
        actor,
        "session.others_ended_by_user",
        "user",
        user.id,
        before=None,
        after=None,
        sessions_ended=ended,
    )
    uow.commit()
    return ended


def _end_other_sessions(
    uow: UnitOfWork, user_id: int, current_session_id: str | None, now: datetime, reason: str
) -> int:
    keep = _current_row_id(uow, session_id_hash(current_session_id) if current_session_id else None)
    others = [s for s in uow.user_sessions.open_for_user(user_id) if s.id != keep]
    for stored in others:
        uow.user_sessions.revoke(stored.id, now, reason)
    return len(others)


def _current_row_id(uow: UnitOfWork, token_hash: str | None) -> int | None:
    stored = uow.user_sessions.by_token_hash(token_hash) if token_hash else None
    return stored.id if stored is not None else None
