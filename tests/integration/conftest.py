"""Integration fixtures: the demo loaded into a database built by the migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from rammeaftale.demo import load_demo


@pytest.fixture
def demo(engine: Engine) -> Engine:
    load_demo(engine)
    return engine
