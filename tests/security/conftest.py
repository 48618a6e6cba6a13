"""Security tests: the app under attack in process, and the evidence the CPR scan reads at the end.

* ``EVIDENCE`` collects, for the whole test run, every log record (a capturing handler on the root and
  the uvicorn loggers, installed at configure time, before any test runs, plus a log-record factory
  that sees records whose logger does not propagate or whose handlers uvicorn's ``dictConfig``
  replaced) and every HTTP response the security tests see.
* ``test_cpr_scan.py`` is moved to the very end of the run, so it scans what every other test logged.
* ``security_app`` builds a fresh database by the migrations, loads the demo and serves the real app.
  Demo passwords are hashed with a cheap argon2id for speed (the fuzzer signs in with HTTP Basic on
  every request); the hashing itself is proved in tests/integration/test_sessions.py.
* ``RAMMEAFTALE_SECURITY_LONG=1`` (``make security``) selects the long runs; with
  ``RAMMEAFTALE_SECURITY_REPORT=DIR`` each test writes its figures as JSON into DIR for
  ``benchmarks/security.py`` (``write_figures``, from ``tests/report.py``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.demo import DEMO_PASSWORD, load_demo
from rammeaftale.entrypoints.app import create_app
from tests.report import write_figures as write_figures  # the security tests import it from here

CPR_PATTERN = re.compile(r"\b[0-3]\d[01]\d\d{2}-?\d{4}\b")
CPR_SCAN_FILE = "test_cpr_scan.py"
CAPTURED_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "rammeaftale", "sqlalchemy", "httpx")
TODAY = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)

OPERATOR = ("drift.aalborg", DEMO_PASSWORD)
SECRETARIAT = ("sekretariat.nord", DEMO_PASSWORD)
BUYER = ("koeb.thisted", DEMO_PASSWORD)
ROLES: dict[str, tuple[str, str] | None] = {
    "anonymous": None,
    "operator": OPERATOR,
    "secretariat": SECRETARIAT,
    "buyer": BUYER,
}


def long_run() -> bool:
    return os.environ.get("RAMMEAFTALE_SECURITY_LONG", "") == "1"


# --- evidence for the CPR scan --------------------------------------------------------------------------


@dataclass
class Evidence:
    """Everything the run logged and every response body the security tests saw, for the CPR scan."""

    logs: list[str] = field(default_factory=list)
    responses: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    sent: set[str] = field(default_factory=set)  # CPR-shaped strings the fuzzer itself sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    def log(self, text: str) -> None:
        with self.lock:
            self.logs.append(text)

    def response(self, where: str, text: str, headers: dict[str, str] | None = None) -> None:
        header_text = "\n".join(f"{k}: {v}" for k, v in (headers or {}).items())
        with self.lock:
            self.responses.append((where, f"{where}\n{header_text}\n{text}"))

    def client_sent(self, *texts: str) -> None:
        """Remember CPR-shaped strings a client put in its own request: an echo of them is not a leak."""
        with self.lock:
            for text in texts:
                self.sent.update(CPR_PATTERN.findall(text))


EVIDENCE = Evidence()


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            EVIDENCE.log(self.format(record))
        except Exception:  # a record that cannot be formatted is still scanned through the factory
            self.handleError(record)


_CAPTURE = _Capture()


def _capture_every_record() -> None:
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:
            text = str(record.msg)
        EVIDENCE.log(f"{record.name} {record.levelname} {text}")
        return record

    logging.setLogRecordFactory(factory)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "security: security tests that attack the app (tests/security)")
    root = logging.getLogger()
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)  # what production logs, so that what it would log is scanned
    for name in CAPTURED_LOGGERS:
        logger = logging.getLogger(name)
        if _CAPTURE not in logger.handlers:
            logger.addHandler(_CAPTURE)
    _capture_every_record()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The CPR scan runs last, after every other test of the run has logged what it logs."""
    last = [item for item in items if item.path.name == CPR_SCAN_FILE]
    if last:
        items[:] = [item for item in items if item.path.name != CPR_SCAN_FILE] + last


# --- the app under attack -------------------------------------------------------------------------------


@dataclass
class SecurityApp:
    app: FastAPI
    engine: Engine

    def count(self, table: str) -> int:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _cheap_hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, hash_len=16, salt_len=16)


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="module")
def security_app_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., SecurityApp]]:
    """Fresh demo apps, each on its own database built by the migrations; cheap password hashes.

    ``make()`` gives SQLite; ``make("postgresql", admin_url)`` a fresh PostgreSQL database (dropped after).
    """
    from rammeaftale.services import auth
    from tests.conftest import _drop_postgres, _fresh_postgres

    patch = pytest.MonkeyPatch()
    if hasattr(auth, "HASHER"):
        patch.setattr(auth, "HASHER", _cheap_hasher())
    cleanups: list[Callable[[], None]] = []

    def make(backend: str = "sqlite", admin_url: str | None = None) -> SecurityApp:
        if backend == "sqlite":
            folder = tmp_path_factory.mktemp("security-db")
            engine = make_engine(f"sqlite:///{folder / 'security.sqlite3'}")
            cleanups.append(engine.dispose)
        else:
            assert admin_url is not None, "PostgreSQL needs the postgres_server fixture's URL"
            name, url = _fresh_postgres(admin_url)
            engine = make_engine(url)
            cleanups.append(engine.dispose)
            cleanups.append(lambda: _drop_postgres(admin_url, name))
        migrate(engine)
        load_demo(engine)
        return SecurityApp(create_app(engine, lambda: TODAY), engine)

    yield make
    for cleanup in cleanups:  # each engine is disposed before its PostgreSQL database is dropped
        cleanup()
    patch.undo()
