"""Schemathesis fuzzes every API operation, in process, once per role: no server error, no schema violation.

The schema is the app's own ``/api/openapi.json``. Each role (anonymous, operator drift.aalborg,
secretariat sekretariat.nord, buyer koeb.thisted; HTTP Basic) gets a fresh demo database per backend,
shared by its operations. Each operation gets 100 generated cases per role on SQLite and on PostgreSQL
(1000 and 300 with ``RAMMEAFTALE_SECURITY_LONG=1``), half valid and half invalid data (schemathesis'
positive and negative modes), derandomized so that CI sees the same cases every run. Every case is checked by ``not_a_server_error``, ``response_schema_conformance``
and ``status_code_conformance``; the run does not stop at the first failure: it counts them all and
fails with the first few. Every response body is handed to the CPR scan (``test_cpr_scan.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python.asgi import ASGIClient, get_client
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from rammeaftale.adapters.db.engine import make_engine
from rammeaftale.entrypoints.app import create_app
from tests.security.conftest import BACKENDS, EVIDENCE, ROLES, SecurityApp, long_run, write_figures

pytestmark = pytest.mark.security

CASES_PER_OPERATION = {"sqlite": 1000, "postgresql": 300} if long_run() else {"sqlite": 100, "postgresql": 100}
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
SHOWN_FAILURES = 3


def _load_schema() -> Any:
    """The app's OpenAPI schema, read over ASGI from an app whose database is never touched."""
    return schemathesis.openapi.from_asgi("/api/openapi.json", create_app(make_engine("sqlite://")))


SCHEMA = _load_schema()
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


@dataclass
class Tally:
    """What one role's fuzzing found, per operation."""

    cases: int = 0
    server_errors: int = 0
    schema_violations: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "server_errors": self.server_errors,
            "schema_violations": self.schema_violations,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


TALLIES: dict[tuple[str, str, str], Tally] = {}


class RoleClients:
    """One fresh demo app per backend and role, created when that role is first fuzzed there."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        self.clients: dict[tuple[str, str], ASGIClient] = {}

    def get(self, backend: str, role: str, admin_url: str | None) -> ASGIClient:
        if (backend, role) not in self.clients:
            target: SecurityApp = self.factory(backend, admin_url)
            client = get_client(target.app)  # type: ignore[arg-type]  # starlette types scopes as MutableMapping
            client.__enter__()
            client.auth = ROLES[role]
            self.clients[(backend, role)] = client
        return self.clients[(backend, role)]


@pytest.fixture(scope="module")
def role_clients(security_app_factory: Any) -> Iterator[RoleClients]:
    clients = RoleClients(security_app_factory)
    yield clients
    for client in clients.clients.values():
        client.__exit__(None, None, None)
    write_figures("fuzz", fuzz_figures())


def fuzz_figures() -> dict[str, Any]:
    return {
        "schemathesis_cases": sum(t.cases for t in TALLIES.values()),
        "server_errors": sum(t.server_errors for t in TALLIES.values()),
        "schema_violations": sum(t.schema_violations for t in TALLIES.values()),
        "cases_per_operation": CASES_PER_OPERATION,
        "operations": len(OPERATIONS),
        "roles": list(ROLES),
        "backends": sorted({backend for backend, _, _ in TALLIES}),
        "per_operation": {f"{b} {role} {label}": t.as_dict() for (b, role, label), t in sorted(TALLIES.items())},
    }


def _sent_text(case: Any) -> str:
    parts = [case.formatted_path if hasattr(case, "formatted_path") else "", repr(case.path_parameters)]
    parts += [repr(case.query), repr(case.headers), repr(case.cookies)]
    body = case.body
    parts.append(body.decode("latin-1") if isinstance(body, bytes) else json.dumps(body, default=repr))
    return " ".join(parts)


def fuzz(backend: str, role: str, label: str, client: ASGIClient, examples: int) -> Tally:
    operation = OPERATIONS[label]
    tally = TALLIES.setdefault((backend, role, label), Tally())
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        EVIDENCE.client_sent(_sent_text(case))
        tally.cases += 1
        try:
            response = case.call(session=client)
        except Exception as exc:  # the app raised instead of answering: a server error (500 to a real client)
            tally.server_errors += 1
            tally.statuses[500] = tally.statuses.get(500, 0) + 1
            if len(tally.failures) < SHOWN_FAILURES:
                tally.failures.append(f"{case.method} {case.formatted_path} {case.query!r} raised {exc!r}")
            return
        finally:
            client.cookies.clear()  # every case stands alone: HTTP Basic, never a session cookie
        tally.statuses[response.status_code] = tally.statuses.get(response.status_code, 0) + 1
        EVIDENCE.response(f"fuzz {backend} {role} {case.method} {case.path}", response.text, dict(response.headers))
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            if response.status_code >= 500:
                tally.server_errors += 1
            else:
                tally.schema_violations += len(group.exceptions)
            if len(tally.failures) < SHOWN_FAILURES:
                titles = "; ".join(f"{type(f).__name__}: {f.title}" for f in group.exceptions)
                tally.failures.append(
                    f"{case.method} {response.request.url} -> {response.status_code}: {titles}\n{response.text[:300]}"
                )

    run()
    return tally


@pytest.mark.parametrize("label", sorted(OPERATIONS))
@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_operation_answers_each_role_without_server_errors_and_as_its_schema_says(
    backend: str, role: str, label: str, role_clients: RoleClients, request: pytest.FixtureRequest
) -> None:
    admin_url = request.getfixturevalue("postgres_server") if backend == "postgresql" else None
    client = role_clients.get(backend, role, admin_url)
    tally = fuzz(backend, role, label, client, CASES_PER_OPERATION[backend])
    assert tally.cases >= 1  # an operation without parameters has only one distinct case (GET /api/csrf)
    assert tally.server_errors == 0 and tally.schema_violations == 0, "\n\n".join(tally.failures)


def test_the_fuzzer_covers_every_operation_of_the_schema_for_every_role() -> None:
    paths = SCHEMA.raw_schema["paths"]
    methods = {"get", "post", "put", "patch", "delete"}
    declared = {f"{m.upper()} {path}" for path, item in paths.items() for m in item if m in methods}
    assert declared == set(OPERATIONS) and len(OPERATIONS) >= 17
