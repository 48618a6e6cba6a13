"""Database configuration: engine from RAMMEAFTALE_DATABASE_URL, schema by Alembic migrations."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event

HERE = Path(__file__).parent
DEFAULT_SQLITE = Path.cwd() / "var" / "rammeaftale.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 15_000
WRITE_TRANSACTION = "rammeaftale_write"  # execution option set by a state-changing use case (services/retry.py)


def database_url() -> str:
    url = os.environ.get("RAMMEAFTALE_DATABASE_URL", "")
    if url:
        return url
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE}"


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """A write transaction takes SQLite's write lock before its first read (``BEGIN IMMEDIATE``).

    A concurrent writer then waits (busy_timeout) and reads what the first one committed, rather than
    deciding on a stale read. Other transactions keep pysqlite's default (a lock at the first write).
    """
    if connection.get_execution_options().get(WRITE_TRANSACTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE / "alembic"))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (the only way the schema is built)."""
    command.upgrade(alembic_config(engine), "head")
