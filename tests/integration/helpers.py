"""Helpers shared by the integration tests: a fixed clock and demo logins."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.auth import authenticate
from rammeaftale.services.context import Actor
from tests.conftest import fixed_clock

NOW = fixed_clock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))


def login(engine: Engine, username: str) -> Actor:
    with UnitOfWork(engine) as uow:
        actor = authenticate(uow, username, "demo1234")
    assert actor is not None
    return actor
