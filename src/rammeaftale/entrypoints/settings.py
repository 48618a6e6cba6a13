"""Configuration from the environment, with safe development defaults that refuse production.

RAMMEAFTALE_ENV                     development (default) | test | anything else counts as deployed
RAMMEAFTALE_SECRET_KEY              signs the session cookie; required (>= 32 characters) when deployed
RAMMEAFTALE_SECRET_KEY_PREVIOUS     optional, comma-separated older keys whose cookies are still accepted
                                    (never used to sign; each >= 32 characters when deployed); see
                                    docs/operations.md, "Nøglerotation / secret key rotation"
RAMMEAFTALE_SESSION_IDLE_MINUTES    a session ends after this long without a request (default 30)
RAMMEAFTALE_SESSION_ABSOLUTE_HOURS  a session ends this long after login, however active (default 8)
RAMMEAFTALE_REQUIRE_SECOND_FACTOR   1: local accounts must set up a second factor (TOTP) before anything
                                    else; 0: optional. Default 1 when deployed, 0 in development and test
RAMMEAFTALE_CPR_KEY                 encrypts CPR numbers (AES-256-GCM) and keys their lookup HMAC: base64 of
                                    32 random bytes; comma-separated during a rotation (the first encrypts).
                                    Required when deployed; a fixed development key otherwise
                                    (``adapters/cpr_vault.py``, docs/decisions/0007)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

from rammeaftale.adapters.cpr_vault import CprKeyError, vault_from_setting

DEV_SECRET = "development-only-secret-change-me"
DEVELOPMENT_MODES = ("development", "test")
MIN_SECRET_LENGTH = 32
SESSION_COOKIE = "rammeaftale_session"
DEFAULT_IDLE_MINUTES = 30
DEFAULT_ABSOLUTE_HOURS = 8


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    environment: str
    secret_key: str = field(repr=False)
    session_idle_minutes: int = DEFAULT_IDLE_MINUTES
    session_absolute_hours: int = DEFAULT_ABSOLUTE_HOURS
    secret_key_previous: tuple[str, ...] = field(default=(), repr=False)
    require_second_factor: bool = False
    cpr_key: str = field(default="", repr=False)  # RAMMEAFTALE_CPR_KEY as given ("" in development: its key)

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def session_cookie_name(self) -> str:
        """`__Host-` in production (Secure, Path=/, no Domain); browsers refuse that prefix over plain http."""
        return f"__Host-{SESSION_COOKIE}" if self.production else SESSION_COOKIE

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_absolute(self) -> timedelta:
        return timedelta(hours=self.session_absolute_hours)

    @property
    def session_cookie_max_age(self) -> int:
        """Seconds the browser keeps the cookie: the absolute timeout (the server enforces both)."""
        return int(self.session_absolute.total_seconds())


def load_settings() -> Settings:
    environment = os.environ.get("RAMMEAFTALE_ENV", "development").strip().lower() or "development"
    secret = os.environ.get("RAMMEAFTALE_SECRET_KEY", DEV_SECRET)
    if environment not in DEVELOPMENT_MODES and (secret == DEV_SECRET or len(secret) < MIN_SECRET_LENGTH):
        raise ConfigurationError(
            f"RAMMEAFTALE_SECRET_KEY skal sættes til en hemmelig værdi på mindst {MIN_SECRET_LENGTH} tegn, "
            f"når RAMMEAFTALE_ENV er '{environment}' (standardværdien må kun bruges under udvikling)."
        )
    raw_previous = os.environ.get("RAMMEAFTALE_SECRET_KEY_PREVIOUS", "").split(",")
    previous = tuple(key.strip() for key in raw_previous if key.strip())
    if environment not in DEVELOPMENT_MODES and any(k == DEV_SECRET or len(k) < MIN_SECRET_LENGTH for k in previous):
        raise ConfigurationError(
            f"RAMMEAFTALE_SECRET_KEY_PREVIOUS må kun indeholde tidligere hemmelige nøgler på mindst "
            f"{MIN_SECRET_LENGTH} tegn hver, adskilt af komma, når RAMMEAFTALE_ENV er '{environment}' "
            f"(standardværdien må kun bruges under udvikling)."
        )
    idle = _positive_int("RAMMEAFTALE_SESSION_IDLE_MINUTES", DEFAULT_IDLE_MINUTES)
    absolute = _positive_int("RAMMEAFTALE_SESSION_ABSOLUTE_HOURS", DEFAULT_ABSOLUTE_HOURS)
    if timedelta(minutes=idle) > timedelta(hours=absolute):
        raise ConfigurationError(
            "RAMMEAFTALE_SESSION_IDLE_MINUTES må ikke være længere end RAMMEAFTALE_SESSION_ABSOLUTE_HOURS."
        )
    required = _flag("RAMMEAFTALE_REQUIRE_SECOND_FACTOR", environment not in DEVELOPMENT_MODES)
    cpr_key = os.environ.get("RAMMEAFTALE_CPR_KEY", "").strip()
    try:
        vault_from_setting(cpr_key, environment)  # refuses a missing or development key when deployed
    except CprKeyError as exc:
        raise ConfigurationError(str(exc)) from None
    return Settings(environment, secret, idle, absolute, previous, require_second_factor=required, cpr_key=cpr_key)


def _flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in ("0", "1"):
        raise ConfigurationError(f"{name} skal være 0 eller 1, ikke '{raw[:20]}'.")
    return raw == "1"


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} skal være et helt tal, ikke '{raw}'.") from None
    if value <= 0:
        raise ConfigurationError(f"{name} skal være større end 0.")
    return value
