"""Issue 3, part 8: simultaneous use cases on SQLite (file database) and PostgreSQL.

Each thread has its own UnitOfWork on the same engine and waits at a barrier, so the use cases really
overlap. The loser of a race must see the winner's result and get a Conflict (409), never a database
error, a second approval or a duplicated version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from rammeaftale.adapters.db.repositories import AppendixRepository
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.submission import build_submission
from rammeaftale.services import appendix, registry, retry, submissions
from rammeaftale.services.errors import Conflict, InvalidSubmission, UseCaseError
from rammeaftale.services.retry import write_use_case
from tests.integration.helpers import NOW, login
from tests.unit.factories import submission_data


def submitted_fjordgaarden_2027(engine: Engine) -> int:
    operator = login(engine, "drift.aalborg")
    submission, reading = build_submission(submission_data(ruleset="nordjylland-2027-2028", budget_year=2027))
    with UnitOfWork(engine) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        submission_id, _ = submissions.save_draft(uow, operator, NOW, offer.services[0].id, submission, reading, "json")
    with UnitOfWork(engine) as uow:
        submissions.submit(uow, operator, NOW, submission_id)
    return submission_id


def simultaneously(engine: Engine, n: int, use_case: Callable[[UnitOfWork, int], Any]) -> list[Any]:
    """Run ``use_case(uow, i)`` for i in 0..n-1 in n threads at once, each with its own unit of work.

    An outcome is the use case's return value, or the exception it raised; in the order of i.
    """
    barrier = threading.Barrier(n)

    def one(i: int) -> Any:
        barrier.wait(timeout=30)
        try:
            with UnitOfWork(engine) as uow:
                return use_case(uow, i)
        except Exception as exc:
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def count(engine: Engine, statement: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(statement), params).scalar_one())


@pytest.mark.parametrize("n", [2, 5, 10])
def test_simultaneous_approvals_of_one_submission_end_with_exactly_one_approval(demo, n):
    submission_id = submitted_fjordgaarden_2027(demo)
    secretariat = login(demo, "sekretariat.nord")

    outcomes = simultaneously(
        demo, n, lambda uow, _: submissions.approve(uow, secretariat, NOW, submission_id, "Godkendt") or "approved"
    )

    assert outcomes.count("approved") == 1, outcomes
    losers = [o for o in outcomes if o != "approved"]
    assert all(isinstance(o, Conflict) for o in losers), losers
    assert all("Kun indsendte indberetninger kan godkendes (status er 'approved')" in o.message for o in losers)
    audit_rows = count(
        demo,
        "SELECT count(*) FROM audit_log WHERE entity = 'tariff_submission' AND entity_id = :id AND action = :a",
        id=str(submission_id),
        a="submission.approved",
    )
    assert audit_rows == 1
    with UnitOfWork(demo) as uow:
        row = uow.submissions.get(submission_id)
        assert row is not None and row.status == "approved" and row.decided_by == secretariat.user_id


def test_a_simultaneous_approval_and_return_leave_one_decision(demo):
    submission_id = submitted_fjordgaarden_2027(demo)
    secretariat = login(demo, "sekretariat.nord")

    def decide(uow: UnitOfWork, i: int) -> str:
        if i == 0:
            submissions.approve(uow, secretariat, NOW, submission_id)
            return "approved"
        submissions.return_to_operator(uow, secretariat, NOW, submission_id, "Mangler begrundelse")
        return "returned"

    outcomes = simultaneously(demo, 2, decide)
    decided = [o for o in outcomes if isinstance(o, str)]
    assert len(decided) == 1 and all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, str)), outcomes
    with UnitOfWork(demo) as uow:
        row = uow.submissions.get(submission_id)
        assert row is not None and row.status == decided[0]


@pytest.mark.parametrize("n", [2, 5])
def test_simultaneous_new_versions_of_a_published_appendix_get_consecutive_versions(demo, n):
    secretariat = login(demo, "sekretariat.nord")

    outcomes = simultaneously(
        demo, n, lambda uow, _: appendix.publish(uow, secretariat, NOW, 1081, 2026, "Rettet målgruppe")
    )

    versions = [o for o in outcomes if isinstance(o, int)]
    assert all(isinstance(o, int | Conflict) for o in outcomes), outcomes
    assert len(versions) == len(set(versions))
    with UnitOfWork(demo) as uow:
        stored = [a.version for a in uow.appendices.versions(1081, 2026)]
    assert stored == list(range(1, len(versions) + 2))  # version 1 from the demo, then one per success


def test_simultaneous_first_publications_give_version_one_once_and_refuse_the_others(demo):
    submission_id = submitted_fjordgaarden_2027(demo)
    secretariat = login(demo, "sekretariat.nord")
    with UnitOfWork(demo) as uow:
        submissions.approve(uow, secretariat, NOW, submission_id)

    outcomes = simultaneously(demo, 5, lambda uow, _: appendix.publish(uow, secretariat, NOW, 1081, 2027))

    assert outcomes.count(1) == 1, outcomes
    # the others see version 1 and, like anyone publishing again, are told a new version needs a reason
    assert all(isinstance(o, InvalidSubmission | Conflict) for o in outcomes if o != 1), outcomes
    assert count(demo, "SELECT count(*) FROM tariff_appendices WHERE region_code = 1081 AND year = 2027") == 1
    with UnitOfWork(demo) as uow:
        row = uow.submissions.get(submission_id)
        assert row is not None and row.status == "published"


def test_without_the_publication_lock_the_unique_version_still_holds_and_a_loser_gets_a_conflict(demo, monkeypatch):
    """The unique constraint on (region, year, version) is the last line: a clash is retried once, then 409."""
    monkeypatch.setattr(AppendixRepository, "lock_publication", lambda self, region_code, year: None)
    secretariat = login(demo, "sekretariat.nord")

    outcomes = simultaneously(demo, 5, lambda uow, _: appendix.publish(uow, secretariat, NOW, 1081, 2026, "Ny version"))

    assert all(isinstance(o, int | Conflict) for o in outcomes), outcomes
    versions = [o for o in outcomes if isinstance(o, int)]
    assert versions and len(versions) == len(set(versions))
    with UnitOfWork(demo) as uow:
        stored = [a.version for a in uow.appendices.versions(1081, 2026)]
    assert stored == sorted(set(stored)) and len(stored) == len(versions) + 1


def test_a_deadlock_on_postgresql_is_retried_and_both_use_cases_succeed(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one write lock per database: write use cases cannot deadlock there")
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO organisations (kind, name, region_code) VALUES ('region', 'A', 1), ('region', 'B', 2)")
        )
        first, second = conn.execute(text("SELECT id FROM organisations ORDER BY id")).scalars().all()
    attempts = [0, 0]
    both_hold_one = threading.Barrier(2)

    @write_use_case
    def rename_both(uow: UnitOfWork, i: int) -> int:
        attempts[i] += 1
        order = (first, second) if i == 0 else (second, first)
        uow.session.execute(text("UPDATE organisations SET name = name || '.' WHERE id = :id"), {"id": order[0]})
        if attempts[i] == 1:
            both_hold_one.wait(timeout=30)  # now each holds the row the other wants next
        uow.session.execute(text("UPDATE organisations SET name = name || '.' WHERE id = :id"), {"id": order[1]})
        uow.commit()
        return attempts[i]

    outcomes = simultaneously(engine, 2, rename_both)

    assert sorted(outcomes) == [1, 2], outcomes  # one went through, the deadlock victim succeeded on its retry
    assert count(engine, "SELECT count(*) FROM organisations WHERE name LIKE '%..'") == 2


class FakeDriverError(Exception):
    def __init__(self, sqlstate: str | None = None, sqlite_errorcode: int | None = None) -> None:
        super().__init__("simulated")
        self.sqlstate = sqlstate
        self.sqlite_errorcode = sqlite_errorcode


def failing(errors: list[DBAPIError]) -> tuple[Callable[..., str], list[int]]:
    calls: list[int] = []

    @write_use_case
    def use_case(uow: UnitOfWork) -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "done"

    return use_case, calls


@pytest.fixture
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "BACKOFF_SECONDS", 0.0)


def serialization_failure() -> OperationalError:
    return OperationalError("UPDATE …", {}, FakeDriverError(sqlstate="40001"))


def test_serialization_failures_deadlocks_and_a_busy_sqlite_are_retried(sqlite_engine, no_pause):
    errors: list[DBAPIError] = [
        serialization_failure(),
        OperationalError("UPDATE …", {}, FakeDriverError(sqlstate="40P01")),
        OperationalError("UPDATE …", {}, FakeDriverError(sqlite_errorcode=5)),  # SQLITE_BUSY
        OperationalError("UPDATE …", {}, FakeDriverError(sqlite_errorcode=517)),  # SQLITE_BUSY_SNAPSHOT
    ]
    use_case, calls = failing(errors)
    with UnitOfWork(sqlite_engine) as uow:
        assert use_case(uow) == "done"
    assert len(calls) == 5


def test_a_conflict_that_persists_becomes_a_409_conflict_not_a_database_error(sqlite_engine, no_pause):
    use_case, calls = failing([serialization_failure() for _ in range(retry.ATTEMPTS)])
    with UnitOfWork(sqlite_engine) as uow, pytest.raises(Conflict) as exc:
        use_case(uow)
    assert len(calls) == retry.ATTEMPTS and "Prøv igen" in exc.value.message


def test_a_unique_key_race_is_retried_once_and_then_answered_with_a_conflict(sqlite_engine, no_pause):
    clash = IntegrityError("INSERT …", {}, FakeDriverError(sqlstate="23505"))
    use_case, calls = failing([clash])
    with UnitOfWork(sqlite_engine) as uow:
        assert use_case(uow) == "done"
    use_case, calls = failing([clash, IntegrityError("INSERT …", {}, FakeDriverError(sqlite_errorcode=2067))])
    with UnitOfWork(sqlite_engine) as uow, pytest.raises(Conflict):
        use_case(uow)
    assert len(calls) == 2


def test_other_database_errors_and_use_case_errors_are_not_retried(sqlite_engine, no_pause):
    guard = IntegrityError("UPDATE …", {}, FakeDriverError(sqlstate="23000"))  # an immutability trigger
    use_case, calls = failing([guard])
    with UnitOfWork(sqlite_engine) as uow, pytest.raises(IntegrityError):
        use_case(uow)
    assert len(calls) == 1
    calls.clear()

    @write_use_case
    def refused(uow: UnitOfWork) -> None:
        calls.append(1)
        raise UseCaseError("Nej.")

    with UnitOfWork(sqlite_engine) as uow, pytest.raises(UseCaseError):
        refused(uow)
    assert len(calls) == 1


@pytest.mark.parametrize("n", [2, 5])
def test_simultaneous_changes_of_one_offer_from_the_same_date_leave_one_new_version_and_conflicts(demo, n):
    operator = login(demo, "drift.aalborg")
    with UnitOfWork(demo) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        before = len(uow.offers.versions(offer.id))

    def change(uow: UnitOfWork, i: int) -> str:
        registry.change_offer(
            uow, operator, NOW, offer.id, date(2027, 1, 1), f"DAS-beslutning {i}", agreed_places=26 + i
        )
        return "changed"

    outcomes = simultaneously(demo, n, change)

    assert outcomes.count("changed") == 1, outcomes
    losers = [o for o in outcomes if o != "changed"]
    assert all(isinstance(o, Conflict) and "efter den nuværende version" in o.message for o in losers), losers
    with UnitOfWork(demo) as uow:
        versions = uow.offers.versions(offer.id)
    assert len(versions) == before + 1
    assert [v.valid_to for v in versions].count(None) == 1
    assert count(demo, "SELECT count(*) FROM audit_log WHERE action = 'offer.changed'") == 1


def test_an_offer_change_is_retried_from_the_start_when_the_database_reports_a_transient_conflict(demo, no_pause):
    operator = login(demo, "drift.aalborg")
    calls: list[int] = []
    with UnitOfWork(demo) as uow:
        offer = uow.offers.by_code("N-851-01")
        assert offer is not None
        add_version = uow.offers.add_version

        def busy_once(*args: Any, **kwargs: Any) -> None:
            calls.append(1)
            if len(calls) == 1:
                raise serialization_failure()
            add_version(*args, **kwargs)

        uow.offers.add_version = busy_once  # type: ignore[method-assign]
        registry.change_offer(uow, operator, NOW, offer.id, date(2027, 1, 1), "DAS-beslutning", agreed_places=26)
    assert len(calls) == 2
    with UnitOfWork(demo) as uow:
        current = uow.offers.get(offer.id)
    assert current is not None and current.current.agreed_places == 26
    assert count(demo, "SELECT count(*) FROM audit_log WHERE action = 'offer.changed'") == 1
