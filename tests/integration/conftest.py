"""Integration fixtures: the demo loaded into a database built by the migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from rammeaftale.demo import load_demo


@pytest.fixture
def demo(engine: Engine) -> Engine:
    """The demo without its accounts (issue 4), so a test's accounts are the first of their offer and year;
    ``tests/e2e/test_web_accounts.py`` covers the demo's own accounts."""
    load_demo(engine, accounts=False)
    return engine
