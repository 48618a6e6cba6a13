"""`make security`: the long security runs, and their figures in bench/security.json.

1. pytest with ``RAMMEAFTALE_SECURITY_LONG=1`` over tests/security (schemathesis: 1000 cases per
   operation and role on SQLite, 300 on PostgreSQL; the hostile corpus over HTTP on both backends and
   through the CLI as a real subprocess per file; the CPR scan last, over everything the run logged),
   plus tests/e2e/test_tenancy_matrix.py and tests/integration/test_concurrency.py when they exist.
   Each of them writes its figures into a scratch folder of this run (``RAMMEAFTALE_SECURITY_REPORT``;
   the file names are decided in ``tests/report.py``, which writes and reads them).
2. The cross-tenant figures: ``tenancy.json`` of that folder when the tenancy matrix test wrote it
   (``{"cross_tenant_requests": int, "unauthorised_successes": int, ...details}``), else a matrix
   computed here over the API with the demo users (every user and an anonymous visitor against every
   submission, service, offer and region that is not theirs).
3. bench/security.json with the figures, printed. Exit 1 when a test failed or a figure misses its bar.

Not a pytest test: run it as ``.venv/bin/python benchmarks/security.py`` (``--quick`` for the CI sizes).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.report, the one place that names the report files

from tests.report import REPORT_ENV, read_figures  # noqa: E402

BENCH = ROOT / "bench"
OUT = BENCH / "security.json"
SUITES = ("tests/security", "tests/e2e/test_tenancy_matrix.py", "tests/integration/test_concurrency.py")
TODAY = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PASSWORD = "demo1234"
BARS = {"unauthorised_successes": 0, "server_errors": 0, "schema_violations": 0, "cpr_hits": 0}


def run_tests(report: Path, quick: bool) -> int:
    suites = [suite for suite in SUITES if (ROOT / suite).exists()]
    env = {**os.environ, REPORT_ENV: str(report)}
    if not quick:
        env["RAMMEAFTALE_SECURITY_LONG"] = "1"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--durations=5", *suites]
    print("$", " ".join(command), flush=True)
    return subprocess.call(command, cwd=ROOT, env=env)


# --- the fallback cross-tenant matrix ----------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    username: str | None
    role: str
    organisation_id: int | None
    region_code: int | None


@dataclass(frozen=True)
class Attempt:
    method: str
    url: str
    body: bytes | None
    entitled: set[tuple[str, int]]  # (role, organisation id) or ("secretariat", region code) allowed in


def _rows(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    from sqlalchemy import text

    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def _attempts(engine: Any, body: bytes) -> Iterator[Attempt]:
    submissions = _rows(
        engine,
        "SELECT s.id, s.operator_id, o.region_code FROM tariff_submissions s "
        "JOIN organisations o ON o.id = s.operator_id",
    )
    services = _rows(
        engine,
        "SELECT v.id, f.operator_id, o.region_code FROM services v JOIN offers f ON f.id = v.offer_id "
        "JOIN organisations o ON o.id = f.operator_id",
    )
    offers = _rows(
        engine, "SELECT f.id, f.operator_id, o.region_code FROM offers f JOIN organisations o ON o.id = f.operator_id"
    )
    regions = sorted({row[0] for row in _rows(engine, "SELECT region_code FROM organisations")})
    comment = json.dumps({"comment": "Forsøg"}).encode()
    for sid, operator, region in submissions:
        owner, overseer = {("operator", operator)}, {("secretariat", region)}
        yield Attempt("GET", f"/api/submissions/{sid}", None, owner | overseer)
        yield Attempt("POST", f"/api/submissions/{sid}/submit", b"{}", owner)
        yield Attempt("POST", f"/api/submissions/{sid}/approve", comment, overseer)
        yield Attempt("POST", f"/api/submissions/{sid}/return", comment, overseer)
        yield Attempt("POST", f"/api/submissions/{sid}/corrections?reason=Fors%C3%B8g", body, owner)
    for service, operator, region in services:
        owner, overseer = {("operator", operator)}, {("secretariat", region)}
        yield Attempt("GET", f"/api/services/{service}/template?year=2027", None, owner | overseer)
        yield Attempt("POST", f"/api/services/{service}/submissions", body, owner)
    for offer, operator, region in offers:
        change = json.dumps({"valid_from": "2030-01-01", "reason": "Forsøg", "agreed_places": "1"}).encode()
        yield Attempt(
            "POST", f"/api/offers/{offer}/versions", change, {("operator", operator), ("secretariat", region)}
        )
    for region in regions:
        yield Attempt("GET", f"/api/cycle/{region}/2027", None, {("secretariat", region)})
        reason = json.dumps({"reason": "Forsøg"}).encode()
        yield Attempt("POST", f"/api/appendices/{region}/2027/publish", reason, {("secretariat", region)})


def _entitled(who: Who, attempt: Attempt) -> bool:
    if who.username is None:
        return False
    if who.role == "secretariat":
        return ("secretariat", who.region_code or -1) in attempt.entitled
    return (who.role, who.organisation_id or -1) in attempt.entitled


def tenancy_matrix() -> dict[str, Any]:
    """Every demo user and an anonymous visitor against every object that is not theirs; 2xx is a failure."""
    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from rammeaftale.adapters.db.engine import make_engine, migrate
    from rammeaftale.demo import load_demo
    from rammeaftale.entrypoints.app import create_app
    from rammeaftale.services import auth

    auth.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # cheap: 3 000 Basic sign-ins
    fixture = json.loads((ROOT / "tests" / "fixtures" / "fjordgaarden-2026.json").read_text(encoding="utf-8"))
    fixture.update(ruleset="nordjylland-2027-2028", budget_year=2027)
    body = json.dumps(fixture).encode()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'tenancy.sqlite3'}")
        migrate(engine)
        load_demo(engine)
        people = [
            Who(name, role, org, region)
            for name, role, org, region in _rows(
                engine,
                "SELECT u.username, u.role, u.organisation_id, o.region_code FROM users u "
                "JOIN organisations o ON o.id = u.organisation_id",
            )
        ]
        people.append(Who(None, "anonymous", None, None))
        attempts = list(_attempts(engine, body))
        requests = successes = entitled_reads = entitled_read_successes = 0
        examples: list[str] = []
        with TestClient(create_app(engine, lambda: TODAY), raise_server_exceptions=False) as client:
            for who in people:
                auth_pair = (who.username, PASSWORD) if who.username else None
                for attempt in attempts:
                    if _entitled(who, attempt):
                        if attempt.method == "GET":  # a control: the matrix would see a success
                            entitled_reads += 1
                            ok = client.get(attempt.url, auth=auth_pair).status_code == 200
                            entitled_read_successes += int(ok)
                            client.cookies.clear()
                        continue
                    response = client.request(
                        attempt.method,
                        attempt.url,
                        content=attempt.body,
                        auth=auth_pair,
                        headers={"content-type": "application/json"},
                    )
                    client.cookies.clear()
                    requests += 1
                    if response.status_code < 300:
                        successes += 1
                        examples.append(f"{who.username} {attempt.method} {attempt.url} -> {response.status_code}")
        engine.dispose()
    return {
        "cross_tenant_requests": requests,
        "unauthorised_successes": successes,
        "source": "benchmarks/security.py (fallback matrix)",
        "control_entitled_reads": entitled_reads,
        "control_entitled_read_successes": entitled_read_successes,
        "examples": examples[:10],
    }


def tenancy_figures(report: Path) -> dict[str, Any]:
    """The tenancy matrix test's figures of this run (``tenancy.json`` in ``report``), else the fallback."""
    written = read_figures(report, "tenancy")
    if "cross_tenant_requests" in written and "unauthorised_successes" in written:
        written.setdefault("source", "tests/e2e/test_tenancy_matrix.py")
        return written
    return tenancy_matrix()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The long security runs and bench/security.json")
    parser.add_argument("--quick", action="store_true", help="the CI sizes instead of the long runs")
    parser.add_argument("--skip-tests", action="store_true", help="only the tenancy matrix (for a quick look)")
    args = parser.parse_args(argv)
    started = time.time()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder)
        code = 0 if args.skip_tests else run_tests(report, args.quick)
        fuzz, hostile, cpr = (read_figures(report, name) for name in ("fuzz", "hostile", "cpr"))
        tenancy = tenancy_figures(report)
    figures: dict[str, Any] = {
        "cross_tenant_requests": tenancy.get("cross_tenant_requests"),
        "unauthorised_successes": tenancy.get("unauthorised_successes"),
        "hostile_files": hostile.get("hostile_files"),
        "hostile_refused": hostile.get("hostile_refused"),
        "schemathesis_cases": fuzz.get("schemathesis_cases"),
        "server_errors": fuzz.get("server_errors"),
        "schema_violations": fuzz.get("schema_violations"),
        "cpr_hits": cpr.get("cpr_hits"),
        "details": {
            "tests_exit_code": code,
            "long_run": not args.quick,
            "seconds": round(time.time() - started, 1),
            "tenancy": tenancy,
            "fuzz": {k: v for k, v in fuzz.items() if k != "per_operation"},
            "hostile": hostile,
            "cpr": cpr,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }
    BENCH.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    misses = [name for name, bar in BARS.items() if figures[name] != bar]
    if figures["hostile_refused"] is None or figures["hostile_refused"] != figures["hostile_files"]:
        misses.append("hostile_refused")
    if misses and not args.skip_tests:
        print(f"Off the bar: {', '.join(misses)}", file=sys.stderr)
    return 1 if code != 0 or (misses and not args.skip_tests) else 0


if __name__ == "__main__":
    sys.exit(main())
