"""One way to run a state-changing use case under concurrency (issue 3, part 8).

``@write_use_case`` wraps a use case ``fn(uow, ...)`` that commits its own unit of work:

* It starts a fresh write transaction. What the caller read in the same unit of work before (the
  acting user, say) is committed first; then, on SQLite, the transaction begins with ``BEGIN
  IMMEDIATE`` (``adapters/db/engine.py``), so SQLite's single write lock is taken before the use case
  reads anything: a concurrent writer waits (``busy_timeout``) and then reads the committed state.
  On PostgreSQL (READ COMMITTED) rows are serialised with ``SELECT … FOR UPDATE``
  (``uow.submissions.get_for_update``) or an advisory lock (``uow.appendices.lock_publication``),
  with every status check made after the lock.
* It retries the whole use case, from a rolled-back session, when the database reports a transient
  conflict: PostgreSQL serialization failure (40001), deadlock (40P01) or lock timeout (55P03),
  SQLite "database is locked/busy". Up to ``ATTEMPTS`` times with a short, jittered backoff.
* A unique-key race (two writers computed the same next version number: 23505 on PostgreSQL,
  SQLITE_CONSTRAINT_UNIQUE on SQLite) is retried once; the retry sees the other writer's row.
* When the attempts are spent, the caller gets ``Conflict`` (HTTP 409) with a Danish message,
  never a database error. Any other error rolls the transaction back and propagates unchanged.

Every use case that numbers something (appendix versions now, invoice numbers later) or changes a
status must go through this decorator, so that the same rules apply everywhere.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

from rammeaftale.adapters.db.engine import WRITE_TRANSACTION
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.errors import Conflict

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 5  # for transient conflicts (serialization failure, deadlock, busy database)
UNIQUE_ATTEMPTS = 2  # a unique-key race is retried once
BACKOFF_SECONDS = 0.02  # first pause; doubles per attempt, plus up to the same again at random

# serialization_failure, deadlock_detected, lock_not_available
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
UNIQUE_SQLSTATE = "23505"
SQLITE_BUSY, SQLITE_LOCKED = 5, 6
SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY = 2067, 1555
_ACTIVE = "rammeaftale_write_use_case"  # session.info flag: a use case called from another one joins it

TRANSIENT_MESSAGE = "Andre ændrede de samme data samtidig, og ændringen kunne ikke gennemføres. Prøv igen."
UNIQUE_MESSAGE = "Andre gemte en ændring af de samme data samtidig. Genindlæs siden, og prøv igen."


def is_transient(exc: DBAPIError) -> bool:
    """A conflict between concurrent transactions that a retry from the start resolves."""
    if getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)


def is_unique_violation(exc: DBAPIError) -> bool:
    """Two writers inserted the same key (e.g. the same next version number)."""
    if getattr(exc.orig, "sqlstate", None) == UNIQUE_SQLSTATE:
        return True
    return getattr(exc.orig, "sqlite_errorcode", None) in (SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY)


def begin_write(uow: UnitOfWork) -> None:
    """End what the caller read in this unit of work, and begin a write transaction."""
    session = uow.session
    if session.in_transaction():
        session.commit()
    options: Any = {WRITE_TRANSACTION: True}  # read by the SQLite "begin" hook in engine.py
    session.connection(execution_options=options)


def _pause(attempt: int) -> None:
    delay = BACKOFF_SECONDS * 2 ** (attempt - 1)
    time.sleep(delay + random.uniform(0, delay))


def write_use_case(fn: Callable[Concatenate[UnitOfWork, P], R]) -> Callable[Concatenate[UnitOfWork, P], R]:
    """Run ``fn`` in its own write transaction, retried on transient conflicts (see the module)."""

    @wraps(fn)
    def run(uow: UnitOfWork, /, *args: P.args, **kwargs: P.kwargs) -> R:
        session = uow.session
        if session.info.get(_ACTIVE):  # called from another write use case: part of its transaction
            return fn(uow, *args, **kwargs)
        attempt = 0
        while True:
            attempt += 1
            begin_write(uow)
            session.info[_ACTIVE] = True
            try:
                return fn(uow, *args, **kwargs)
            except DBAPIError as exc:
                session.rollback()
                if is_transient(exc):
                    if attempt >= ATTEMPTS:
                        raise Conflict(TRANSIENT_MESSAGE) from exc
                elif is_unique_violation(exc):
                    if attempt >= UNIQUE_ATTEMPTS:
                        raise Conflict(UNIQUE_MESSAGE) from exc
                else:
                    raise
            except BaseException:
                session.rollback()  # a refused use case changes nothing and releases its locks at once
                raise
            finally:
                session.info.pop(_ACTIVE, None)
            _pause(attempt)

    return run
