"""A person's own account through the services (ASVS V6.2, V6.3.3, V6.5, V7.1.2, V7.4, V7.5), on SQLite and PostgreSQL.

Changing the password, the password policy, the TOTP second factor at login and over HTTP Basic,
the limit of parallel sessions, and seeing and ending one's own sessions.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.account import (
    PasswordRefused,
    change_password,
    end_other_sessions,
    end_own_session,
    own_sessions,
)
from rammeaftale.services.context import SYSTEM, Actor
from rammeaftale.services.errors import Forbidden, NotFound
from rammeaftale.services.passwords import context_words, password_problems
from rammeaftale.services.second_factor import (
    STEP_SECONDS,
    WrongCode,
    begin_setup,
    confirm_setup,
    reset,
)
from rammeaftale.services.sessions import (
    MAX_SESSIONS_PER_USER,
    LoginThrottled,
    awaits_second_factor,
    complete_login,
    log_in,
    sign_in,
)
from rammeaftale.services.users import invite_user, reset_password
from tests.integration.test_sessions import (
    CLIENT,
    PASSWORD,
    POLICY,
    MovableClock,
    People,
    actor_of,
    seed_people,
    start_session,
    who,
)

NEW_PASSWORD = "Hest-Batteri-Hæfteklamme-Ost"


@pytest.fixture
def people(engine: Engine) -> People:
    return seed_people(engine)


def change(engine: Engine, clock: MovableClock, actor: Actor, session_id: str | None, current: str, new: str) -> int:
    with UnitOfWork(engine) as uow:
        return change_password(uow, clock, actor, session_id, current, new, new, CLIENT)


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def set_up_second_factor(engine: Engine, clock: MovableClock, actor: Actor) -> str:
    with UnitOfWork(engine) as uow:
        setup = begin_setup(uow, actor)
    with UnitOfWork(engine) as uow:
        confirm_setup(uow, clock, actor, code_at(setup.secret, clock()))
    clock.advance(seconds=STEP_SECONDS)  # the confirming code is used; the next login needs the next one
    return setup.secret


# --- the password policy (V6.2.1, V6.2.4, V6.2.5, V6.2.9, V6.2.11, V6.2.12, V6.1.2) -----------------------

CONTEXT = context_words("drift.aalborg", "Driftsherre Aalborg", "Aalborg Kommune (fiktiv)")


@pytest.mark.parametrize(
    "password",
    [
        "demo1234",
        "kort-kode",
        "password1234",
        "qwertyuiop123",
        "123456789012",
        "iloveyou1234",
        "Aalborg-2026-vinter",
        "drift.aalborg!!",
        "Rammeaftale2026",
        "Takstbilag-er-sjovt",
    ],
)
def test_short_common_and_personal_passwords_are_refused_with_a_danish_reason(password: str) -> None:
    problems = password_problems(password, CONTEXT)
    assert problems and all(p.startswith("Adgangskoden") for p in problems)


@pytest.mark.parametrize(
    "password",
    [
        NEW_PASSWORD,
        "correct horse battery staple",
        "æbleskiver i december, med gløgg",
        "zR7#vq!2LmP9",
        "Fem gule ænder " * 4,
    ],
)
def test_long_unguessable_passwords_of_any_composition_are_accepted(password: str) -> None:
    assert password_problems(password, CONTEXT) == []


def test_passwords_of_64_characters_are_accepted_and_longer_than_256_refused() -> None:
    passphrase = "Min hund Molly elsker regnvejr og leverpostej om tirsdagen kl 7!"
    assert len(passphrase) == 64 and password_problems(passphrase, CONTEXT) == []
    assert password_problems("Mq9!" * 65, CONTEXT) == ["Adgangskoden må højst være på 256 tegn."]


# --- changing the password (V6.2.2, V6.2.3, V7.4.3) -------------------------------------------------------


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions_only(engine, people) -> None:
    clock = MovableClock()
    here, elsewhere = start_session(engine, clock), start_session(engine, clock)
    actor = actor_of(engine, "drift.aalborg")
    with pytest.raises(PasswordRefused, match="nuværende adgangskode er forkert"):
        change(engine, clock, actor, here, "forkert-kode", NEW_PASSWORD)
    assert change(engine, clock, actor, here, PASSWORD, NEW_PASSWORD) == 1
    assert who(engine, clock, here) is not None
    assert who(engine, clock, elsewhere) is None
    with UnitOfWork(engine) as uow:
        assert sign_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT) is None
        assert sign_in(uow, clock, "drift.aalborg", NEW_PASSWORD, CLIENT) is not None
        entries = [e for e in uow.audit.recent() if e.action == "user.password_changed"]
    assert len(entries) == 1 and entries[0].data["other_sessions_ended"] == 1
    assert "argon2" not in str(entries[0].data)  # never the hash in the audit trail


def test_a_refused_new_password_changes_nothing_and_says_every_reason(engine, people) -> None:
    clock = MovableClock()
    actor = actor_of(engine, "drift.aalborg")
    with UnitOfWork(engine) as uow, pytest.raises(PasswordRefused) as refused:
        change_password(uow, clock, actor, None, PASSWORD, "aalborg1234567", "noget-andet-helt", CLIENT)
    assert len(refused.value.problems) == 2
    assert "ikke ens" in refused.value.problems[1]
    with UnitOfWork(engine) as uow:
        assert sign_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT) is not None


def test_guessing_the_current_password_on_the_change_form_is_throttled_like_the_login(engine, people) -> None:
    clock = MovableClock()
    actor = actor_of(engine, "drift.aalborg")
    for _ in range(5):
        with pytest.raises(PasswordRefused):
            change(engine, clock, actor, None, "gæt-på-koden", NEW_PASSWORD)
    with pytest.raises(LoginThrottled):
        change(engine, clock, actor, None, PASSWORD, NEW_PASSWORD)


# --- own sessions (V7.1.2, V7.4.5, V7.5.2) ----------------------------------------------------------------


def test_a_person_sees_their_live_sessions_current_first_and_can_end_one_or_all_others(engine, people) -> None:
    clock = MovableClock()
    first = start_session(engine, clock)
    clock.advance(minutes=2)
    second = start_session(engine, clock)
    clock.advance(minutes=2)
    third = start_session(engine, clock)
    start_session(engine, clock, "sekretariat.nord")  # someone else's
    actor = actor_of(engine, "drift.aalborg")
    with UnitOfWork(engine) as uow:
        listed = own_sessions(uow, clock, actor, first, POLICY)
    assert len(listed) == 3 and listed[0].current and not any(s.current for s in listed[1:])
    assert listed[1].created_at > listed[2].created_at  # then the most recently used
    with UnitOfWork(engine) as uow:
        end_own_session(uow, clock, actor, listed[1].id)
    assert who(engine, clock, third) is None and who(engine, clock, second) is not None
    with UnitOfWork(engine) as uow:
        assert end_other_sessions(uow, clock, actor, first) == 1
    assert who(engine, clock, first) is not None and who(engine, clock, second) is None


def test_another_persons_session_cannot_be_ended_and_answers_like_a_missing_one(engine, people) -> None:
    clock = MovableClock()
    theirs = start_session(engine, clock, "sekretariat.nord")
    secretariat = actor_of(engine, "sekretariat.nord")
    with UnitOfWork(engine) as uow:
        their_id = own_sessions(uow, clock, secretariat, theirs, POLICY)[0].id
    with UnitOfWork(engine) as uow, pytest.raises(NotFound):
        end_own_session(uow, clock, actor_of(engine, "drift.aalborg"), their_id)
    assert who(engine, clock, theirs) is not None


def test_a_sixth_login_ends_the_least_recently_used_session(engine, people) -> None:
    clock = MovableClock()
    sessions = []
    for _ in range(MAX_SESSIONS_PER_USER):
        sessions.append(start_session(engine, clock))
        clock.advance(minutes=1)
    assert who(engine, clock, sessions[0]) is not None  # used again: now the second is the least recent
    clock.advance(minutes=1)
    newest = start_session(engine, clock)
    alive = [s for s in [*sessions, newest] if who(engine, clock, s) is not None]
    assert len(alive) == MAX_SESSIONS_PER_USER
    assert sessions[1] not in alive and sessions[0] in alive and newest in alive


# --- the second factor (V6.3.3, V6.5.1, V6.5.5) -----------------------------------------------------------


def test_with_a_second_factor_the_right_password_alone_logs_nobody_in(engine, people) -> None:
    clock = MovableClock()
    actor = actor_of(engine, "drift.aalborg")
    secret = set_up_second_factor(engine, clock, actor)
    with UnitOfWork(engine) as uow:
        waiting = log_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT, "pytest")
    assert waiting is not None
    with UnitOfWork(engine) as uow:
        assert awaits_second_factor(uow, clock, waiting)
    assert who(engine, clock, waiting) is None
    with UnitOfWork(engine) as uow:
        session_id = complete_login(uow, clock, waiting, code_at(secret, clock()), CLIENT)
    assert session_id != waiting
    assert who(engine, clock, session_id) is not None
    assert who(engine, clock, waiting) is None


def test_a_code_is_accepted_once_and_only_in_its_own_step_or_the_one_after(engine, people) -> None:
    clock = MovableClock()
    secret = set_up_second_factor(engine, clock, actor_of(engine, "drift.aalborg"))

    def attempt(code: str) -> bool:
        with UnitOfWork(engine) as uow:
            waiting = log_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT)
        assert waiting is not None
        try:
            with UnitOfWork(engine) as uow:
                complete_login(uow, clock, waiting, code, CLIENT)
        except WrongCode:
            return False
        return True

    now = clock()
    assert not attempt(code_at(secret, now - timedelta(seconds=2 * STEP_SECONDS)))
    assert not attempt(code_at(secret, now + timedelta(seconds=STEP_SECONDS)))  # never a future step's code
    current = code_at(secret, now)
    assert attempt(current)
    assert not attempt(current)  # replayed within its own 30 seconds
    clock.advance(seconds=2 * STEP_SECONDS)
    assert attempt(code_at(secret, clock() - timedelta(seconds=STEP_SECONDS)))  # a phone 30 s behind


def test_five_wrong_codes_end_the_waiting_session_and_count_as_a_failed_login(engine, people) -> None:
    clock = MovableClock()
    secret = set_up_second_factor(engine, clock, actor_of(engine, "drift.aalborg"))
    with UnitOfWork(engine) as uow:
        waiting = log_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT)
    assert waiting is not None
    for _ in range(5):
        with UnitOfWork(engine) as uow, pytest.raises(WrongCode):
            complete_login(uow, clock, waiting, "000000", CLIENT)
    with UnitOfWork(engine) as uow, pytest.raises(WrongCode):
        complete_login(uow, clock, waiting, code_at(secret, clock()), CLIENT)
    with UnitOfWork(engine) as uow:
        assert not awaits_second_factor(uow, clock, waiting)
        assert len(uow.login_attempts.failures_for_username("drift.aalborg", clock() - POLICY.idle, 10)) == 1


def test_a_waiting_session_expires_after_five_minutes(engine, people) -> None:
    clock = MovableClock()
    secret = set_up_second_factor(engine, clock, actor_of(engine, "drift.aalborg"))
    with UnitOfWork(engine) as uow:
        waiting = log_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT)
    assert waiting is not None
    clock.advance(minutes=5)
    with UnitOfWork(engine) as uow, pytest.raises(WrongCode):
        complete_login(uow, clock, waiting, code_at(secret, clock()), CLIENT)


def test_http_basic_of_a_user_with_a_second_factor_needs_the_code_after_the_password(engine, people) -> None:
    clock = MovableClock()
    secret = set_up_second_factor(engine, clock, actor_of(engine, "drift.aalborg"))
    with UnitOfWork(engine) as uow:
        assert sign_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT) is None
        wrong = "123456" if code_at(secret, clock()) != "123456" else "654321"
        assert sign_in(uow, clock, "drift.aalborg", PASSWORD + wrong, CLIENT) is None
        actor = sign_in(uow, clock, "drift.aalborg", PASSWORD + code_at(secret, clock()), CLIENT)
    assert actor is not None and actor.second_factor


def test_a_setup_is_confirmed_only_with_a_code_from_the_new_secret(engine, people) -> None:
    clock = MovableClock()
    actor = actor_of(engine, "drift.aalborg")
    with UnitOfWork(engine) as uow:
        setup = begin_setup(uow, actor)
    assert len(setup.secret) >= 32 and setup.uri.startswith("otpauth://totp/Rammeaftale:drift.aalborg?")
    with UnitOfWork(engine) as uow, pytest.raises(WrongCode):
        confirm_setup(uow, clock, actor, "123456" if code_at(setup.secret, clock()) != "123456" else "654321")
    assert not actor_of(engine, "drift.aalborg").second_factor
    with UnitOfWork(engine) as uow:
        confirm_setup(uow, clock, actor, code_at(setup.secret, clock()))
    assert actor_of(engine, "drift.aalborg").second_factor


def test_only_the_secretariat_of_the_users_region_resets_a_lost_second_factor(engine, people) -> None:
    clock = MovableClock()
    set_up_second_factor(engine, clock, actor_of(engine, "drift.aalborg"))
    with UnitOfWork(engine) as uow, pytest.raises(NotFound):
        reset(uow, actor_of(engine, "sekretariat.midt"), clock, people.operator)
    with UnitOfWork(engine) as uow, pytest.raises(Forbidden):
        reset(uow, actor_of(engine, "drift.aalborg"), clock, people.operator)
    with UnitOfWork(engine) as uow:
        reset(uow, actor_of(engine, "sekretariat.nord"), clock, people.operator)
    assert not actor_of(engine, "drift.aalborg").second_factor


# --- initial passwords and resets (V6.4.1, V6.4.3) ---------------------------------------------------------


def invite(engine: Engine, clock: MovableClock, people: People) -> str:
    with UnitOfWork(engine) as uow:
        organisation = uow.users.get(people.operator)
        assert organisation is not None
        return invite_user(uow, SYSTEM, clock, "ny.bruger", "Ny Bruger", "operator", organisation.organisation_id)


def test_an_initial_password_is_random_works_72_hours_and_must_be_replaced_at_once(engine, people) -> None:
    clock = MovableClock()
    initial = invite(engine, clock, people)
    assert len(initial) == 20 and password_problems(initial, CONTEXT) == []
    with UnitOfWork(engine) as uow:
        actor = sign_in(uow, clock, "ny.bruger", initial, CLIENT)
    assert actor is not None and actor.must_change_password
    assert change(engine, clock, actor, None, initial, NEW_PASSWORD) == 0
    assert not actor_of_password(engine, clock, "ny.bruger", NEW_PASSWORD).must_change_password
    clock.advance(hours=73)
    with UnitOfWork(engine) as uow:
        assert sign_in(uow, clock, "ny.bruger", NEW_PASSWORD, CLIENT) is not None  # one's own never expires


def test_an_unused_initial_password_stops_working_after_72_hours(engine, people) -> None:
    clock = MovableClock()
    initial = invite(engine, clock, people)
    clock.advance(hours=72)
    with UnitOfWork(engine) as uow:
        assert sign_in(uow, clock, "ny.bruger", initial, CLIENT) is None


def test_a_password_reset_ends_the_sessions_and_keeps_the_second_factor(engine, people) -> None:
    clock = MovableClock()
    secret = set_up_second_factor(engine, clock, actor_of(engine, "drift.aalborg"))
    session_id = start_session(engine, clock)
    with UnitOfWork(engine) as uow:
        assert complete_login(uow, clock, session_id, code_at(secret, clock()), CLIENT)
    with UnitOfWork(engine) as uow:
        initial = reset_password(uow, actor_of(engine, "sekretariat.nord"), clock, people.operator)
    with UnitOfWork(engine) as uow:
        assert sign_in(uow, clock, "drift.aalborg", initial, CLIENT) is None  # the code is still needed
        clock.advance(seconds=STEP_SECONDS)
        actor = sign_in(uow, clock, "drift.aalborg", initial + code_at(secret, clock()), CLIENT)
    assert actor is not None and actor.must_change_password and actor.second_factor
    with UnitOfWork(engine) as uow, pytest.raises(NotFound):
        reset_password(uow, actor_of(engine, "sekretariat.midt"), clock, people.operator)


def actor_of_password(engine: Engine, clock: MovableClock, username: str, password: str) -> Actor:
    with UnitOfWork(engine) as uow:
        actor = sign_in(uow, clock, username, password, CLIENT)
    assert actor is not None
    return actor
