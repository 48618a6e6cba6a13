"""Accounts and sessions (issue 3, part 1) through the services, on SQLite and PostgreSQL.

argon2id hashes, re-hashing of legacy pbkdf2 hashes, server-side sessions with idle and absolute
timeouts, disabling users, throttled logins, and settings that refuse default secrets when deployed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.entrypoints.settings import DEV_SECRET, ConfigurationError, load_settings
from rammeaftale.services.auth import authenticate, hash_password, password_needs_rehash, verify_password
from rammeaftale.services.context import SYSTEM, Actor
from rammeaftale.services.errors import Forbidden, NotFound
from rammeaftale.services.identity import LOCAL_ISSUER, ExternalIdentity, LocalPasswordProvider, user_for_identity
from rammeaftale.services.sessions import (
    LoginThrottled,
    SessionPolicy,
    disable_user,
    log_in,
    log_out,
    resolve_session,
    session_id_hash,
    sign_in,
)

PASSWORD = "demo1234"
START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
POLICY = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=8))
CLIENT = "192.0.2.10"


class MovableClock:
    """The injected clock, which a test can move forward."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class People:
    secretariat: int  # sekretariat.nord, region 1081
    other_secretariat: int  # sekretariat.midt, region 1082
    operator: int  # drift.aalborg, a municipality in region 1081


def seed_people(engine: Engine, password: str = PASSWORD) -> People:
    """Two fictitious regions, a municipality and three local accounts with argon2id hashes."""
    with UnitOfWork(engine) as uow:
        north = uow.organisations.add("region", "Region Nordjylland (fiktiv)", 1081, None, None)
        middle = uow.organisations.add("region", "Region Midtjylland (fiktiv)", 1082, None, None)
        aalborg = uow.organisations.add("municipality", "Aalborg Kommune (fiktiv)", 1081, 851, None)
        hashed = hash_password(password)
        people = People(
            uow.users.add("sekretariat.nord", "Sekretariatet Nord", hashed, "secretariat", north),
            uow.users.add("sekretariat.midt", "Sekretariatet Midt", hashed, "secretariat", middle),
            uow.users.add("drift.aalborg", "Driftsherre Aalborg", hashed, "operator", aalborg),
        )
        uow.commit()
    return people


@pytest.fixture
def people(engine: Engine) -> People:
    return seed_people(engine)


def start_session(engine: Engine, clock: MovableClock, username: str = "drift.aalborg") -> str:
    with UnitOfWork(engine) as uow:
        session_id = log_in(uow, clock, username, PASSWORD, CLIENT, "pytest")
    assert session_id is not None
    return session_id


def who(engine: Engine, clock: MovableClock, session_id: str, policy: SessionPolicy = POLICY) -> Actor | None:
    with UnitOfWork(engine) as uow:
        return resolve_session(uow, clock, session_id, policy)


def session_row(engine: Engine, session_id: str) -> m.UserSession:
    with UnitOfWork(engine) as uow:
        row = uow.session.scalar(select(m.UserSession).where(m.UserSession.token_hash == session_id_hash(session_id)))
        assert row is not None
        return row


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def actor_of(engine: Engine, username: str) -> Actor:
    with UnitOfWork(engine) as uow:
        actor = authenticate(uow, username, PASSWORD)
    assert actor is not None
    return actor


# --- passwords ------------------------------------------------------------------------------------------


def test_a_new_password_is_hashed_with_argon2id_and_only_the_right_password_verifies():
    hashed = hash_password("Korrekt-Hest-Batteri-Hæfteklamme")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_password("Korrekt-Hest-Batteri-Hæfteklamme", hashed)
    assert not verify_password("korrekt-hest-batteri-hæfteklamme", hashed)
    assert not password_needs_rehash(hashed)
    assert hash_password("samme") != hash_password("samme")  # a fresh salt every time


def test_a_broken_stored_hash_never_verifies():
    for stored in ("", "$argon2id$v=19$m=1,t=1,p=1$xx$yy", "pbkdf2_sha256$x$salt$digest", "klartekst"):
        assert not verify_password("demo1234", stored)


def test_a_legacy_pbkdf2_hash_still_logs_in_and_is_replaced_by_an_argon2id_hash(engine, people):
    legacy_salt = "demo-salt"
    digest = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), legacy_salt.encode(), 120_000).hex()
    legacy = f"pbkdf2_sha256$120000${legacy_salt}${digest}"
    assert verify_password(PASSWORD, legacy) and password_needs_rehash(legacy)
    with UnitOfWork(engine) as uow:
        user = uow.users.get(people.operator)
        assert user is not None
        user.password_hash = legacy
        uow.commit()

    with UnitOfWork(engine) as uow:
        assert sign_in(uow, MovableClock(), "drift.aalborg", PASSWORD, CLIENT) is not None

    with UnitOfWork(engine) as uow:
        user = uow.users.get(people.operator)
        assert user is not None
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(PASSWORD, user.password_hash)


def test_the_local_provider_answers_with_an_external_identity_that_maps_to_the_user(engine, people):
    with UnitOfWork(engine) as uow:
        identity = LocalPasswordProvider(uow).authenticate({"username": " Drift.Aalborg ", "password": PASSWORD})
        assert identity == ExternalIdentity(LOCAL_ISSUER, str(people.operator), {"preferred_username": "drift.aalborg"})
        assert user_for_identity(uow, identity) == people.operator
        assert LocalPasswordProvider(uow).authenticate({"username": "drift.aalborg", "password": "forkert"}) is None
        assert user_for_identity(uow, ExternalIdentity("https://idp.example", str(people.operator))) is None


# --- sessions -------------------------------------------------------------------------------------------


def test_the_session_table_stores_only_the_sha256_of_the_session_id(engine, people):
    clock = MovableClock()
    session_id = start_session(engine, clock)
    assert len(session_id) >= 43  # 32 random bytes, url-safe base64
    row = session_row(engine, session_id)
    assert row.token_hash == hashlib.sha256(session_id.encode()).hexdigest() != session_id
    assert row.user_id == people.operator and row.revoked_at is None and row.user_agent == "pytest"


def test_every_login_starts_a_new_session_and_ends_the_one_the_browser_had(engine, people):
    clock = MovableClock()
    first = start_session(engine, clock)
    with UnitOfWork(engine) as uow:
        second = log_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT, previous_session_id=first)
    assert second is not None and second != first
    assert who(engine, clock, first) is None
    assert session_row(engine, first).end_reason == "replaced"
    actor = who(engine, clock, second)
    assert actor is not None and actor.user_id == people.operator


def test_logging_out_ends_the_session_for_good(engine, people):
    clock = MovableClock()
    session_id = start_session(engine, clock)
    with UnitOfWork(engine) as uow:
        log_out(uow, clock, session_id)
    assert who(engine, clock, session_id) is None
    row = session_row(engine, session_id)
    assert row.revoked_at is not None and row.end_reason == "logout"


def test_an_unknown_or_oversized_session_id_is_nobody(engine, people):
    clock = MovableClock()
    assert who(engine, clock, "ikke-en-session") is None
    assert who(engine, clock, "x" * 10_000) is None


def test_a_session_ends_after_30_idle_minutes(engine, people):
    clock = MovableClock()
    session_id = start_session(engine, clock)
    clock.advance(minutes=29)
    assert who(engine, clock, session_id) is not None  # a request: last seen now
    clock.advance(minutes=29)
    assert who(engine, clock, session_id) is not None
    clock.advance(minutes=30)
    assert who(engine, clock, session_id) is None
    assert session_row(engine, session_id).end_reason == "idle"
    clock.advance(minutes=1)
    assert who(engine, clock, session_id) is None  # ended stays ended


def test_a_session_ends_after_8_hours_however_active_it_is(engine, people):
    clock = MovableClock()
    session_id = start_session(engine, clock)
    for _ in range(31):  # 7 h 45 min of requests every quarter of an hour
        clock.advance(minutes=15)
        assert who(engine, clock, session_id) is not None
    clock.advance(minutes=15)
    assert who(engine, clock, session_id) is None
    assert session_row(engine, session_id).end_reason == "absolute"


def test_the_timeouts_come_from_the_policy(engine, people):
    clock = MovableClock()
    session_id = start_session(engine, clock)
    clock.advance(minutes=6)
    assert who(engine, clock, session_id, SessionPolicy(idle=timedelta(minutes=5), absolute=timedelta(hours=1))) is None


def test_last_seen_is_written_at_most_once_a_minute(engine, people):
    clock = MovableClock()
    session_id = start_session(engine, clock)
    clock.advance(seconds=59)
    who(engine, clock, session_id)
    assert as_utc(session_row(engine, session_id).last_seen_at) == START
    clock.advance(seconds=1)
    who(engine, clock, session_id)
    assert as_utc(session_row(engine, session_id).last_seen_at) == START + timedelta(minutes=1)


def test_disabling_a_user_ends_all_their_sessions_at_once(engine, people):
    clock = MovableClock()
    laptop, phone = start_session(engine, clock), start_session(engine, clock)
    secretariat = actor_of(engine, "sekretariat.nord")
    with UnitOfWork(engine) as uow:
        assert disable_user(uow, secretariat, clock, people.operator) == 2
    assert who(engine, clock, laptop) is None and who(engine, clock, phone) is None
    assert {session_row(engine, s).end_reason for s in (laptop, phone)} == {"disabled"}
    with UnitOfWork(engine) as uow:
        assert authenticate(uow, "drift.aalborg", PASSWORD) is None
        assert log_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT) is None
        entries = uow.audit.for_entity("user", str(people.operator))
    assert [(e.action, e.actor_name, e.data["sessions_ended"]) for e in entries] == [
        ("user.disabled", "sekretariat.nord", 2)
    ]


def test_a_user_made_inactive_in_the_database_is_refused_at_the_next_request(engine, people):
    clock = MovableClock()
    session_id = start_session(engine, clock)
    with UnitOfWork(engine) as uow:
        user = uow.users.get(people.operator)
        assert user is not None
        user.active = False
        uow.commit()
    assert who(engine, clock, session_id) is None
    assert session_row(engine, session_id).end_reason == "disabled"


def test_only_the_secretariat_of_the_users_region_may_disable_them(engine, people):
    clock = MovableClock()
    operator, other_region = actor_of(engine, "drift.aalborg"), actor_of(engine, "sekretariat.midt")
    with UnitOfWork(engine) as uow, pytest.raises(Forbidden):
        disable_user(uow, operator, clock, people.secretariat)
    with UnitOfWork(engine) as uow, pytest.raises(NotFound):
        disable_user(uow, other_region, clock, people.operator)  # another region's user: no existence leak
    with UnitOfWork(engine) as uow, pytest.raises(NotFound):
        disable_user(uow, SYSTEM, clock, 999_999)
    with UnitOfWork(engine) as uow:
        assert disable_user(uow, SYSTEM, clock, people.operator) == 0


# --- throttling -----------------------------------------------------------------------------------------


def fail(engine: Engine, clock: MovableClock, username: str = "drift.aalborg", client: str = CLIENT) -> None:
    with UnitOfWork(engine) as uow:
        assert log_in(uow, clock, username, "forkert", client) is None


def test_the_sixth_attempt_after_five_failures_is_throttled_even_with_the_right_password(engine, people):
    clock = MovableClock()
    for _ in range(5):
        fail(engine, clock)
        clock.advance(seconds=10)
    with UnitOfWork(engine) as uow, pytest.raises(LoginThrottled) as refused:
        log_in(uow, clock, "DRIFT.aalborg", PASSWORD, "198.51.100.7")  # any case, any address
    assert refused.value.retry_after_seconds == 15 * 60 - 50  # until the first failure leaves the window
    assert "For mange mislykkede loginforsøg" in refused.value.message
    clock.advance(seconds=15 * 60 - 51)
    with UnitOfWork(engine) as uow, pytest.raises(LoginThrottled):
        sign_in(uow, clock, "drift.aalborg", PASSWORD, CLIENT)
    clock.advance(seconds=1)
    assert start_session(engine, clock) is not None


def test_throttled_attempts_are_not_counted_and_do_not_extend_the_lock(engine, people):
    clock = MovableClock()
    for _ in range(5):
        fail(engine, clock)
    for _ in range(10):
        with UnitOfWork(engine) as uow, pytest.raises(LoginThrottled):
            log_in(uow, clock, "drift.aalborg", "forkert", CLIENT)
    with UnitOfWork(engine) as uow:
        assert len(uow.session.scalars(select(m.LoginAttempt)).all()) == 5
    clock.advance(minutes=15)
    assert start_session(engine, clock) is not None


def test_a_successful_login_ends_the_usernames_failure_streak(engine, people):
    clock = MovableClock()
    for _ in range(4):
        fail(engine, clock)
    start_session(engine, clock)
    for _ in range(4):
        fail(engine, clock)
    assert start_session(engine, clock) is not None


def test_twenty_failures_from_one_address_throttle_every_username_from_it(engine, people):
    clock = MovableClock()
    for number in range(20):
        fail(engine, clock, username=f"gaet{number}")
    with UnitOfWork(engine) as uow, pytest.raises(LoginThrottled):
        log_in(uow, clock, "sekretariat.nord", PASSWORD, CLIENT)
    with UnitOfWork(engine) as uow:
        assert log_in(uow, clock, "sekretariat.nord", PASSWORD, "198.51.100.7") is not None


def test_unknown_usernames_are_throttled_like_known_ones(engine, people):
    clock = MovableClock()
    for _ in range(5):
        fail(engine, clock, username="findes.ikke")
    with UnitOfWork(engine) as uow, pytest.raises(LoginThrottled):
        sign_in(uow, clock, "findes.ikke", PASSWORD, CLIENT)


# --- settings -------------------------------------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "RAMMEAFTALE_ENV",
        "RAMMEAFTALE_SECRET_KEY",
        "RAMMEAFTALE_SECRET_KEY_PREVIOUS",
        "RAMMEAFTALE_SESSION_IDLE_MINUTES",
        "RAMMEAFTALE_SESSION_ABSOLUTE_HOURS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAMMEAFTALE_CPR_KEY", "dGVzdC1vbmx5IENQUiBrZXk6IDMyIGJ5dGVzIGxvbmc=")  # deployed: required
    return monkeypatch


def test_production_settings_refuse_the_default_secret(environment):
    environment.setenv("RAMMEAFTALE_ENV", "production")
    with pytest.raises(ConfigurationError, match="RAMMEAFTALE_SECRET_KEY"):
        load_settings()
    environment.setenv("RAMMEAFTALE_SECRET_KEY", DEV_SECRET)
    with pytest.raises(ConfigurationError):
        load_settings()
    environment.setenv("RAMMEAFTALE_SECRET_KEY", "for-kort")
    with pytest.raises(ConfigurationError):
        load_settings()


def test_previous_secret_keys_are_a_comma_separated_list_each_as_long_as_the_current_key(environment):
    environment.setenv("RAMMEAFTALE_ENV", "production")
    environment.setenv("RAMMEAFTALE_SECRET_KEY", "s" * 48)
    assert load_settings().secret_key_previous == ()
    environment.setenv("RAMMEAFTALE_SECRET_KEY_PREVIOUS", f" {'p' * 32} , {'q' * 40},")
    assert load_settings().secret_key_previous == ("p" * 32, "q" * 40)
    for refused in ("for-kort", f"{'p' * 32},for-kort", DEV_SECRET, f"{DEV_SECRET},{'p' * 32}"):
        environment.setenv("RAMMEAFTALE_SECRET_KEY_PREVIOUS", refused)
        with pytest.raises(ConfigurationError, match="RAMMEAFTALE_SECRET_KEY_PREVIOUS") as refusal:
            load_settings()
        assert "for-kort" not in str(refusal.value)  # the message never repeats a key
    environment.setenv("RAMMEAFTALE_ENV", "development")
    environment.setenv("RAMMEAFTALE_SECRET_KEY_PREVIOUS", "for-kort")
    assert load_settings().secret_key_previous == ("for-kort",)  # anything goes under development


def test_the_session_cookie_is_named_with_the_host_prefix_only_in_production(environment):
    assert load_settings().session_cookie_name == "rammeaftale_session"
    environment.setenv("RAMMEAFTALE_ENV", "test")
    assert load_settings().session_cookie_name == "rammeaftale_session"
    environment.setenv("RAMMEAFTALE_ENV", "production")
    environment.setenv("RAMMEAFTALE_SECRET_KEY", "s" * 48)
    settings = load_settings()
    assert settings.session_cookie_name == "__Host-rammeaftale_session"
    assert "s" * 48 not in repr(settings)  # the keys stay out of logs and tracebacks


@pytest.mark.parametrize("mode", ["staging", "prod", "Production", "demo"])
def test_any_environment_other_than_development_or_test_refuses_the_default_secret(environment, mode):
    environment.setenv("RAMMEAFTALE_ENV", mode)
    with pytest.raises(ConfigurationError):
        load_settings()


def test_development_and_test_may_use_the_default_secret_and_production_accepts_a_real_one(environment):
    assert load_settings().secret_key == DEV_SECRET
    environment.setenv("RAMMEAFTALE_ENV", "test")
    assert load_settings().secret_key == DEV_SECRET
    environment.setenv("RAMMEAFTALE_ENV", "production")
    environment.setenv("RAMMEAFTALE_SECRET_KEY", "s" * 48)
    settings = load_settings()
    assert settings.production and settings.secret_key == "s" * 48


def test_session_timeouts_default_to_30_minutes_and_8_hours_and_come_from_the_environment(environment):
    settings = load_settings()
    assert (settings.session_idle, settings.session_absolute) == (timedelta(minutes=30), timedelta(hours=8))
    assert settings.session_cookie_max_age == 8 * 3600
    environment.setenv("RAMMEAFTALE_SESSION_IDLE_MINUTES", "15")
    environment.setenv("RAMMEAFTALE_SESSION_ABSOLUTE_HOURS", "4")
    settings = load_settings()
    assert (settings.session_idle, settings.session_cookie_max_age) == (timedelta(minutes=15), 4 * 3600)


@pytest.mark.parametrize(("idle", "absolute"), [("0", "8"), ("tredive", "8"), ("30", "-1"), ("600", "8")])
def test_nonsense_session_timeouts_are_refused(environment, idle, absolute):
    environment.setenv("RAMMEAFTALE_SESSION_IDLE_MINUTES", idle)
    environment.setenv("RAMMEAFTALE_SESSION_ABSOLUTE_HOURS", absolute)
    with pytest.raises(ConfigurationError):
        load_settings()
