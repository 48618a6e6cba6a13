"""Monthly billing runs started from the web page, run in a background thread so the page can show progress.

A small in-process registry (one per app, ``jobs_of``): each job has a random, unguessable id
(``secrets.token_urlsafe``) and is bound to the operator organisation that started it; another organisation
asking for it gets NotFound, as for an id that does not exist. The thread opens its own unit of work on the
app's engine (as ``entrypoints/deps.get_uow`` does per request) and calls the same use case as the API
(``services/billing.run_month``): the run is still one transaction with one audit entry. The run reports
(placements billed, placements in all) through its progress callback; the status page reads the job.

In-process only: after a restart the status of a running job is gone (its transaction is rolled back with the
process; a finished run is in the database and its invoices on the month's page).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from fastapi import FastAPI
from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.billing import RunResult, run_month
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import NotFound, UseCaseError

_log = logging.getLogger(__name__)
MAX_JOBS = 200  # the oldest finished jobs are forgotten beyond this
UNEXPECTED = "Kørslen mislykkedes af en uventet fejl. Intet er faktureret; prøv igen, eller kontakt support."


@dataclass(frozen=True)
class RunSummary:
    """What the status page shows of a finished run."""

    issued: tuple[str, ...]  # numbers of the invoices and credit notes issued
    credit_notes: int
    unchanged: int
    invoices: int
    total: Decimal
    findings: tuple[tuple[str, str, str], ...]  # (rule id, severity, Danish message)


def summary_of(run: RunResult) -> RunSummary:
    return RunSummary(
        tuple(i.number for i in run.issued),
        len(run.credit_notes),
        run.unchanged,
        len(run.invoices),
        run.total,
        tuple((f.rule_id, f.severity.value, f.message) for f in run.findings),
    )


@dataclass
class BillingJob:
    id: str
    organisation_id: int
    year: int
    month: int
    done: int = 0
    total: int = 0
    state: str = "running"  # running | done | failed
    result: RunSummary | None = None
    error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report(self, done: int, total: int) -> None:
        with self.lock:
            self.done, self.total = done, total

    @property
    def finished(self) -> bool:
        return self.state != "running"


class JobRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, BillingJob] = OrderedDict()

    def add(self, job: BillingJob) -> BillingJob:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                oldest = next((k for k, j in self._jobs.items() if j.finished), None)
                if oldest is None:
                    break
                del self._jobs[oldest]
        return job

    def get(self, job_id: str, organisation_id: int | None) -> BillingJob:
        """The job when it belongs to ``organisation_id``; else NotFound (no hint that it exists)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or organisation_id is None or job.organisation_id != organisation_id:
            raise NotFound("Kørslen findes ikke.")
        return job

    def start(self, engine: Engine, actor: Actor, clock: Clock, operator_id: int, year: int, month: int) -> BillingJob:
        job = self.add(BillingJob(secrets.token_urlsafe(24), operator_id, year, month))
        thread = threading.Thread(
            target=_run, args=(job, engine, actor, clock), name=f"billing-{operator_id}", daemon=True
        )
        thread.start()
        return job


def _run(job: BillingJob, engine: Engine, actor: Actor, clock: Clock) -> None:
    try:
        with UnitOfWork(engine) as uow:
            run = run_month(uow, actor, clock, job.organisation_id, job.year, job.month, job.report)
        summary, state, error = summary_of(run), "done", ""
    except UseCaseError as exc:
        summary, state, error = None, "failed", exc.message
    except Exception:  # the thread must end with a status, never die silently
        _log.exception("Billing run %s for organisation %s failed", job.id, job.organisation_id)
        summary, state, error = None, "failed", UNEXPECTED
    with job.lock:
        job.result, job.state, job.error = summary, state, error


def jobs_of(app: FastAPI) -> JobRegistry:
    """The app's job registry, made on first use."""
    with _REGISTRY_LOCK:  # two first requests at once must not make two registries
        registry = getattr(app.state, "billing_jobs", None)
        if not isinstance(registry, JobRegistry):
            registry = app.state.billing_jobs = JobRegistry()
        return registry


_REGISTRY_LOCK = threading.Lock()
