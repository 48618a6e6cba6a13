"""The monthly billing at national scale: one month for 100 000 active placements (issue 5).

A deterministic, clearly fictitious data set: 100 000 confirmed placements (negotiated daily tariffs,
standard and older contracts, payers in doubt, notices in the month, special offers and substitution
treatment, ATA and daily supplements) paid by 98 municipalities, written with core inserts (set-up, timed
apart). Timed: ``services.billing.run_month`` exactly as the API and the command line run it, on a fresh
SQLite file and a fresh PostgreSQL database, in two shapes:

* ``run`` (the headline figures): one run of one synthetic operator holding all 100 000 placements, i.e. one
  month's run at national volume in one transaction: 98 invoices and about 115 000 lines;
* ``by_operator`` (``--billing-by-operator``): the same nation as 100 operators (98 municipalities and the
  two regions) of 1 000 placements each, billed one run per operator, as a real month is.

``billing_rows_per_s_vs_copy``: the rate at which the PostgreSQL run writes its rows (invoices, lines and
refund claims through the repository's write path: rows serialised, COPY, keys, triggers) divided by the
rate of a raw ``COPY … FROM STDIN`` of the very same rows, dumped from the tables after the run, into tables
like the run's (the same columns, keys and indexes; no triggers). Both are measured right after the run on
the same server, best of three: the run's writes are replayed with the documents it wrote (renumbered) in a
transaction that is rolled back. Also reported: the ratio with the write time measured inside the run
itself (``rows_per_s_vs_copy_in_run``, a single measurement), against a bare COPY into tables without keys
(``rows_per_s_vs_bare_copy``), and over the run's whole wall time, placements read and bills computed
included (``rows_per_s_vs_copy_whole_run``).
"""

from __future__ import annotations

import io
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text

from rammeaftale.adapters.db import models as m
from rammeaftale.adapters.db.billing_repositories import BillingRepository, NewInvoice
from rammeaftale.adapters.db.engine import make_engine, migrate
from rammeaftale.adapters.db.placements_repositories import PlacementRepository
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.billing import run_month
from rammeaftale.services.context import Actor

YEAR, MONTH = 2025, 3
SEED = 20_250_301
PLACEMENTS = 100_000
MUNICIPALITIES = 98  # the payers; by operator, these and the two regions operate (100 operators)
REGIONS = (1081, 1082)  # the regions with rule sets
CREATED = datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
ISSUED = datetime(2025, 4, 1, 8, 0, tzinfo=UTC)  # billed in arrears on 1 April
BENCH = Actor(None, "benchmark", "system", None, None)
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WRITTEN = ("invoices", "invoice_lines", "refund_claims")
COPY_COLUMNS = {
    "invoices": (
        "id, operator_id, run_id, payer_kommunekode, year, month, period_start, period_end, kind, sequence, number, "
        "credits_id, credits_number, issued_on, due_on, total, line_count, status, ruleset_id, created_at"
    ),
    "invoice_lines": (
        "invoice_id, position, placement_id, placement_ref, kind, label, period_from, period_to, quantity, unit, "
        "unit_price, amount, rule_id"
    ),
    "refund_claims": (
        "invoice_id, claimant_kommunekode, debtor_kommunekode, placement_ref, period_from, period_to, amount, rule_id"
    ),
}


@dataclass
class Timer:
    """Seconds spent inside the wrapped repository methods during the timed run, and what the run wrote."""

    seconds: dict[str, float] = field(default_factory=dict)
    written: list[list[NewInvoice]] = field(default_factory=list)  # the batches given to add_invoices

    def wrap(self, cls: type, name: str) -> Callable[[], None]:
        original = getattr(cls, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            if name == "add_invoices":
                self.written.append(list(args[1]))
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

        setattr(cls, name, timed)
        return lambda: setattr(cls, name, original)


@contextmanager
def timed_repositories() -> Iterator[Timer]:
    timer = Timer()
    undo = [
        timer.wrap(PlacementRepository, "billable"),
        timer.wrap(BillingRepository, "add_invoices"),
        timer.wrap(BillingRepository, "numbers_used"),
        timer.wrap(BillingRepository, "add_run"),
    ]
    try:
        yield timer
    finally:
        for u in undo:
            u()


# --- the synthetic nation ---------------------------------------------------------------------------------


def municipality_codes() -> list[int]:
    return list(range(101, 101 + MUNICIPALITIES))  # fictitious kommunekoder 101 … 198


def seed_nation(engine: Engine, placements: int = PLACEMENTS, by_operator: bool = False, seed: int = SEED) -> list[int]:
    """Organisations, one offer with one service per operator, ``placements`` placements shared evenly by the
    operators; returns the operator ids. ``by_operator``: every organisation operates; else Region
    Nordjylland (1081) alone."""
    rng = random.Random(seed)
    codes = municipality_codes()
    with engine.begin() as conn:
        for region in REGIONS:
            conn.execute(
                insert(m.Organisation).values(kind="region", name=f"Syntetisk Region {region}", region_code=region)
            )
            conn.execute(
                insert(m.AgreementPeriod).values(
                    region_code=region,
                    agreement_name="Syntetisk rammeaftale",
                    first_year=2025,
                    last_year=2026,
                    ruleset_id="nordjylland-2025-2026" if region == 1081 else "midtjylland-2025-2026",
                )
            )
        conn.execute(
            insert(m.Organisation),
            [
                {
                    "kind": "municipality",
                    "name": f"Syntetisk Kommune {code}",
                    "kommunekode": code,
                    "region_code": REGIONS[code % 2],
                }
                for code in codes
            ],
        )
        operators = [int(i) for i in conn.execute(text("SELECT id FROM organisations ORDER BY id")).scalars()]
        if not by_operator:
            operators = operators[:1]  # Region Nordjylland
        conn.execute(
            insert(m.Offer),
            [{"code": f"SYN-{n:03d}", "operator_id": op, "created_at": CREATED} for n, op in enumerate(operators)],
        )
        offers = {int(r.operator_id): int(r.id) for r in conn.execute(text("SELECT id, operator_id FROM offers"))}
        conn.execute(insert(m.Service), [{"offer_id": offers[op]} for op in operators])
        services = {int(r.offer_id): int(r.id) for r in conn.execute(text("SELECT id, offer_id FROM services"))}
        rows = list(_placements(rng, placements, operators, offers, services, codes))
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(m.PlacementRow), rows[start : start + 10_000])
        pks = [int(i) for i in conn.execute(text("SELECT id FROM placements ORDER BY id")).scalars()]
        supplements = list(_supplements(rng, pks))
        conn.execute(insert(m.PlacementSupplementRow), supplements)
    return operators


def _placements(
    rng: random.Random,
    count: int,
    operators: list[int],
    offers: dict[int, int],
    services: dict[int, int],
    codes: list[int],
) -> Iterator[dict[str, Any]]:
    month_start = date(YEAR, MONTH, 1)
    for n in range(count):
        operator = operators[n % len(operators)]
        acting = rng.choice(codes)
        draw = rng.random()
        paying = acting if draw < 0.6 else (None if draw < 0.65 else rng.choice(codes))
        start = date(2015, 1, 1) + timedelta(days=rng.randrange((month_start - date(2015, 1, 1)).days + 20))
        notice: dict[str, Any] = {"notice_given_on": None, "notice_final_date": None, "notice_kind": ""}
        if rng.random() < 0.08:
            final = max(start, month_start + timedelta(days=rng.randrange(31)))
            notice = {
                "notice_given_on": max(start, final - timedelta(days=rng.randrange(40))),
                "notice_final_date": final,
                "notice_kind": "final",
            }
        kind = rng.random()
        yield {
            "placement_id": f"P-S{n:09d}",
            "cpr_key_id": "synthetic",
            "cpr_ciphertext": "synthetic-no-cpr",
            "cpr_lookup": f"synthetic-{n}",
            "offer_id": offers[operator],
            "service_id": services[offers[operator]],
            "operator_id": operator,
            "level": "",
            "acting_municipality": acting,
            "paying_municipality": paying,
            "contract": "standard" if rng.random() < 0.7 else "older",
            "offer_kind": "standard" if kind < 0.9 else ("special" if kind < 0.95 else "substitution"),
            "start_date": start,
            "negotiated_tariff": Decimal(rng.randint(90_000, 520_000)) / 100,
            "notice_operator_agrees": False,
            "status": "confirmed",
            "source": "api",
            "created_at": CREATED,
            "refusal_reason": "",
            **notice,
        }


def _supplements(rng: random.Random, pks: list[int]) -> Iterator[dict[str, Any]]:
    """5 % with ATA hours in the evening (R-SUP-02), 3 % with an amount per day from mid-February."""
    for pk in pks:
        draw = rng.random()
        if draw >= 0.08:
            continue
        ata = draw < 0.05
        yield {
            "placement_pk": pk,
            "kind": "ata" if ata else "daily",
            "name": "Aftenstøtte" if ata else "Ekstra nattevagt",
            "start_date": date(2025, 1, 1) if ata else date(2025, 2, 15),
            "end_date": None,
            "hours_per_day": Decimal("1.50") if ata else None,
            "hourly_rate": Decimal("385.00") if ata else None,
            "daily_amount": None if ata else Decimal("412.50"),
            "time_of_day": "aften" if ata else "",
            "staff_category": "",
            "created_at": CREATED,
        }


# --- the timed run -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillingRun:
    seconds: float
    placements_read_s: float
    write_s: float
    invoices: int
    lines: int
    claims: int
    total: Decimal
    rerun_s: float  # the same month run again right after: it must issue nothing
    written: list[list[NewInvoice]]  # what the run's writes wrote, to replay them

    @property
    def rows(self) -> int:
        return self.invoices + self.lines + self.claims


def bill_the_nation(engine: Engine, operators: list[int]) -> BillingRun:
    """The month billed, one run per operator; seconds of the runs and of their placement reads and writes."""
    with timed_repositories() as timer:
        started = time.perf_counter()
        invoices = 0
        total = Decimal(0)
        for operator_id in operators:
            with UnitOfWork(engine) as uow:
                result = run_month(uow, BENCH, lambda: ISSUED, operator_id, YEAR, MONTH)
            invoices += len(result.issued)
            total += result.total
        seconds = time.perf_counter() - started
    with engine.connect() as conn:
        lines = int(conn.execute(text("SELECT count(*) FROM invoice_lines")).scalar_one())
        claims = int(conn.execute(text("SELECT count(*) FROM refund_claims")).scalar_one())
    write_s = sum(timer.seconds.get(k, 0.0) for k in ("add_invoices", "numbers_used", "add_run"))
    started = time.perf_counter()
    for operator_id in operators:
        with UnitOfWork(engine) as uow:
            again = run_month(uow, BENCH, lambda: ISSUED, operator_id, YEAR, MONTH)
        if again.issued:
            raise AssertionError("a re-run of the month issued documents")
    rerun_s = time.perf_counter() - started
    read_s = timer.seconds.get("billable", 0.0)
    return BillingRun(seconds, read_s, write_s, invoices, lines, claims, total, rerun_s, timer.written)


def raw_copy_seconds(engine: Engine, repeat: int = 3) -> dict[str, float]:
    """COPY the rows the run wrote, dumped as they are, back in (one transaction per table set, best of
    ``repeat``): ``bare`` into tables of the same columns only; ``same_keys`` into tables like the run's (the
    same columns, primary keys, unique keys, indexes and checks; no triggers, no foreign keys)."""
    dumps: dict[str, bytes] = {}
    raw: Any = engine.raw_connection()
    best: dict[str, float] = {}
    try:
        with raw.cursor() as cursor:
            for table in WRITTEN:
                buffer = io.BytesIO()
                with cursor.copy(f"COPY (SELECT {COPY_COLUMNS[table]} FROM {table}) TO STDOUT") as copy:
                    for chunk in copy:
                        buffer.write(chunk)
                dumps[table] = buffer.getvalue()
                cursor.execute(
                    f"CREATE TEMP TABLE bare_{table} AS SELECT {COPY_COLUMNS[table]} FROM {table} WITH NO DATA"
                )
                cursor.execute(f"CREATE TEMP TABLE same_keys_{table} (LIKE {table} INCLUDING ALL)")
        raw.commit()
        for _ in range(repeat):
            for kind in ("bare", "same_keys"):
                with raw.cursor() as cursor:
                    cursor.execute("TRUNCATE " + ", ".join(f"{kind}_{t}" for t in WRITTEN))
                raw.commit()
                started = time.perf_counter()
                with raw.cursor() as cursor:
                    for table in WRITTEN:
                        with cursor.copy(f"COPY {kind}_{table} ({COPY_COLUMNS[table]}) FROM STDIN") as copy:
                            copy.write(dumps[table])
                raw.commit()
                best[kind] = min(best.get(kind, float("inf")), time.perf_counter() - started)
        return best
    finally:
        raw.close()


def replayed_write_seconds(engine: Engine, batches: list[list[NewInvoice]], repeat: int = 3) -> float:
    """The run's own writes (``add_invoices`` with the very documents it wrote, renumbered so they fit beside
    them) replayed in a transaction that is rolled back, best of ``repeat``: the run's write path (rows
    serialised, COPY, keys, triggers) measured the way the raw COPY is."""
    best = float("inf")
    for n in range(1, repeat + 1):
        again = [
            [replace(i, sequence=i.sequence + n * 10_000_000, number=f"{i.number}-R{n}") for i in batch]
            for batch in batches
        ]
        with UnitOfWork(engine) as uow:
            started = time.perf_counter()
            for batch in again:
                uow.billing.add_invoices(batch)
            uow.session.flush()
            best = min(best, time.perf_counter() - started)
            uow.session.rollback()
    return best


def _measure(engine: Engine, placements: int, by_operator: bool) -> tuple[BillingRun, int]:
    migrate(engine)
    operators = seed_nation(engine, placements, by_operator)
    return bill_the_nation(engine, operators), len(operators)


def sqlite_figures(placements: int = PLACEMENTS, by_operator: bool = False) -> dict[str, Any]:
    with TemporaryDirectory(prefix="billing-bench-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        try:
            run, operators = _measure(engine, placements, by_operator)
        finally:
            engine.dispose()
    return {"operators": operators, **_figures(run)}


def postgres_admin_url() -> str:
    url = os.environ.get("RAMMEAFTALE_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def postgres_figures(placements: int = PLACEMENTS, by_operator: bool = False) -> dict[str, Any]:
    """``{"skipped": reason}`` when no PostgreSQL server is reachable."""
    admin_url = postgres_admin_url()
    name = f"rammeaftale_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: the figures are left out, with the reason
        return {"skipped": str(exc).splitlines()[0]}
    engine = make_engine(f"{admin_url.rsplit('/', 1)[0]}/{name}")
    try:
        run, operators = _measure(engine, placements, by_operator)
        copy_s = raw_copy_seconds(engine)
        replayed_s = replayed_write_seconds(engine, run.written)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    figures = {"operators": operators, **_figures(run)}
    same_keys, bare = copy_s["same_keys"], copy_s["bare"]
    figures.update(
        raw_copy_s=round(same_keys, 3),
        raw_copy_rows_per_s=round(run.rows / same_keys),
        replayed_write_s=round(replayed_s, 3),
        rows_per_s_vs_copy=round(same_keys / replayed_s, 3),
        rows_per_s_vs_copy_in_run=round(same_keys / run.write_s, 3),
        rows_per_s_vs_copy_whole_run=round(same_keys / run.seconds, 3),
        bare_copy_s=round(bare, 3),
        rows_per_s_vs_bare_copy=round(bare / replayed_s, 3),
    )
    return figures


def _figures(run: BillingRun) -> dict[str, Any]:
    return {
        "seconds": round(run.seconds, 3),
        "placements_read_s": round(run.placements_read_s, 3),
        "write_s": round(run.write_s, 3),
        "compute_and_rest_s": round(run.seconds - run.placements_read_s - run.write_s, 3),
        "invoices": run.invoices,
        "lines": run.lines,
        "refund_claims": run.claims,
        "rows_written": run.rows,
        "write_rows_per_s": round(run.rows / run.write_s) if run.write_s else None,
        "rerun_issuing_nothing_s": round(run.rerun_s, 3),
        "total": f"{run.total:.2f}",
    }


def billing_benchmark(placements: int = PLACEMENTS, by_operator: bool = False) -> dict[str, Any]:
    """The figures for bench/results.json: the month's run on both databases, the COPY ratio, the details;
    with ``by_operator`` also the same month billed as 100 operators."""
    run = {"sqlite": sqlite_figures(placements), "postgresql": postgres_figures(placements)}
    postgres = run["postgresql"]
    measured = "seconds" in postgres
    details: dict[str, Any] = {"placements": placements, "payers": MUNICIPALITIES, "month": f"{YEAR}-{MONTH:02d}"}
    details["run"] = run
    if by_operator:
        details["by_operator"] = {
            "sqlite": sqlite_figures(placements, by_operator=True),
            "postgresql": postgres_figures(placements, by_operator=True),
        }
    return {
        "billing_month_100k_sqlite_s": run["sqlite"]["seconds"],
        "billing_month_100k_postgres_s": postgres["seconds"] if measured else None,
        "billing_rows_per_s_vs_copy": postgres["rows_per_s_vs_copy"] if measured else None,
        "billing_rows_per_s_vs_copy_whole_run": postgres["rows_per_s_vs_copy_whole_run"] if measured else None,
        "billing": details,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(billing_benchmark(by_operator="--billing-by-operator" in sys.argv), indent=2))
