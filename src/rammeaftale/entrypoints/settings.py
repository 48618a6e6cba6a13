"""Configuration from the environment, with safe development defaults that refuse production.

RAMMEAFTALE_ENV                     development (default) | test | anything else counts as deployed
RAMMEAFTALE_SECRET_KEY              signs the session cookie; required (>= 32 characters) when deployed
RAMMEAFTALE_SESSION_IDLE_MINUTES    a session ends after this long without a request (default 30)
RAMMEAFTALE_SESSION_ABSOLUTE_HOURS  a session ends this long after login, however active (default 8)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

DEV_SECRET = "development-only-secret-change-me"
DEVELOPMENT_MODES = ("development", "test")
MIN_SECRET_LENGTH = 32
DEFAULT_IDLE_MINUTES = 30
DEFAULT_ABSOLUTE_HOURS = 8


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    environment: str
    secret_key: str
    session_idle_minutes: int = DEFAULT_IDLE_MINUTES
    session_absolute_hours: int = DEFAULT_ABSOLUTE_HOURS

    @property
    def production(self) -> bool:
        return self.environment == "production"

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
    idle = _positive_int("RAMMEAFTALE_SESSION_IDLE_MINUTES", DEFAULT_IDLE_MINUTES)
    absolute = _positive_int("RAMMEAFTALE_SESSION_ABSOLUTE_HOURS", DEFAULT_ABSOLUTE_HOURS)
    if timedelta(minutes=idle) > timedelta(hours=absolute):
        raise ConfigurationError(
            "RAMMEAFTALE_SESSION_IDLE_MINUTES må ikke være længere end RAMMEAFTALE_SESSION_ABSOLUTE_HOURS."
        )
    return Settings(environment, secret, idle, absolute)


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
