"""The demo's billed months: `rammeaftale demo` (and so `make run`) bills January to June 2025 for every demo
operator through the real monthly run (services/billing.py), each on the first day of the following month, so a
buyer logging in finds invoices and a consolidated statement, and an operator finds the later months to run.

Kept out of ``load_demo``: the test suite's demo starts with no month billed, so each test runs the months it
reads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.demo import OFFERS, OPERATOR_LOGINS, _actors
from rammeaftale.demo_financing import finish_demo_year, invoice_demo_installment, register_demo_agreements
from rammeaftale.demo_schedules import register_demo_schedules
from rammeaftale.services.billing import run_month
from rammeaftale.services.context import Actor, Clock

BILLED_YEAR = 2025
BILLED_MONTHS = range(1, 7)


def _clock(month: int) -> Clock:
    """The month is billed on the first day of the following month, at 10:00 UTC."""
    following = date(BILLED_YEAR + month // 12, month % 12 + 1, 1)
    moment = datetime(following.year, following.month, following.day, 10, 0, tzinfo=UTC)
    return lambda: moment


def bill_demo_months(engine: Engine) -> int:
    """Run the demo months for every demo operator, with the demo's objective financing (its agreements first,
    so their drawing rights are billed at 0 kr., R-OBJ-03, and each month's on-account installment before the
    month); returns how many invoices and credit notes were issued (0 when everything was issued already: the
    runs are idempotent, R-SET-02)."""
    actors = _actors(engine)
    register_demo_agreements(engine, actors)
    register_demo_schedules(engine, actors[OPERATOR_LOGINS[1082]])  # section 13, before the months are billed
    operators: dict[int, Actor] = {}
    issued = 0
    for code in sorted({offer.operator for offer in OFFERS}):
        actor: Actor = actors[OPERATOR_LOGINS.get(code, f"operator:{code}")]
        assert actor.organisation_id is not None
        operators[code] = actor
        for month in BILLED_MONTHS:
            issued += invoice_demo_installment(engine, actor, code, month)
            with UnitOfWork(engine) as uow:
                result = run_month(uow, actor, _clock(month), actor.organisation_id, BILLED_YEAR, month)
            issued += len(result.issued)
    return issued + finish_demo_year(engine, operators)
