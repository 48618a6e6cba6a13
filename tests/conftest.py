"""Shared fixtures: databases built by the migrations, on SQLite and (when available) PostgreSQL.

With RAMMEAFTALE_REQUIRE_POSTGRES=1 (set by .ci/run) a missing PostgreSQL fails the run instead of
skipping; likewise RAMMEAFTALE_REQUIRE_BROWSER=1 for the headless Chromium tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.services.context import Clock

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FIXTURES = Path(__file__).parent / "fixtures"


def required(name: str) -> bool:
    return os.environ.get(name, "") == "1"


def postgres_admin_url() -> str:
    url = os.environ.get("RAMMEAFTALE_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def _postgres_available(url: str) -> str | None:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return None
    except Exception as exc:  # any driver or network error means: not available
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    url = postgres_admin_url()
    problem = _postgres_available(url)
    if problem:
        if required("RAMMEAFTALE_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required but not reachable at {url}: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    yield url


def _fresh_postgres(admin_url: str) -> tuple[str, str]:
    name = f"rammeaftale_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = admin_url.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def _drop_postgres(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database whose schema was built by `alembic upgrade head`, on each backend."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
        migrate(eng)
        yield eng
        eng.dispose()
        return
    admin_url = request.getfixturevalue("postgres_server")
    name, url = _fresh_postgres(admin_url)
    eng = make_engine(url)
    try:
        migrate(eng)
        yield eng
    finally:
        eng.dispose()
        _drop_postgres(admin_url, name)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    migrate(eng)
    yield eng
    eng.dispose()


def fixed_clock(moment: datetime = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)) -> Clock:
    return lambda: moment


@pytest.fixture
def clock() -> Clock:
    return fixed_clock()


@pytest.fixture
def fjordgaarden_json() -> bytes:
    return (FIXTURES / "fjordgaarden-2026.json").read_bytes()


@pytest.fixture
def libreoffice_csv(tmp_path: Path):
    """Convert an .xlsx file to CSV with headless LibreOffice and return the text (proves it opens there)."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        if required("RAMMEAFTALE_REQUIRE_LIBREOFFICE"):
            pytest.fail("LibreOffice is required but not installed (.ci/run installs libreoffice-calc-nogui)")
        pytest.skip("LibreOffice is not installed")

    def convert(source: Path) -> str:
        outdir = tmp_path / "csv"
        subprocess.run(
            [
                office,
                f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
                "--headless",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76",
                "--outdir",
                str(outdir),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        return (outdir / f"{source.stem}.csv").read_text(encoding="utf-8")

    return convert
