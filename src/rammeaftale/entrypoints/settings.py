"""Configuration from the environment, with safe development defaults that refuse production."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEV_SECRET = "development-only-secret-change-me"


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    environment: str
    secret_key: str

    @property
    def production(self) -> bool:
        return self.environment == "production"


def load_settings() -> Settings:
    environment = os.environ.get("RAMMEAFTALE_ENV", "development")
    secret = os.environ.get("RAMMEAFTALE_SECRET_KEY", DEV_SECRET)
    if environment == "production" and (secret == DEV_SECRET or len(secret) < 32):
        raise ConfigurationError(
            "RAMMEAFTALE_SECRET_KEY skal sættes til en hemmelig værdi på mindst 32 tegn i produktion."
        )
    return Settings(environment, secret)
