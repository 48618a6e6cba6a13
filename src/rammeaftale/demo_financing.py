"""The demo's objective financing (handbook § 10): one agreement per region for 2025, with a drawing right.

- Region Nordjylland's counselling service "Rådgivningen Nord" (N-1081-02) is financed by the municipalities'
  populations; the 2025 installments are invoiced month by month and the year is trued up in January 2026
  against a lower actual amount, so the demo shows the credit notes of a true-up (R-SET-12).
- Region Midtjylland's "Søhusene" (M-1082-02) is financed by the 0–17-year-olds; January to June 2025 are
  invoiced on account, the rest is left for the operator to try.

The monthly demo billing (``demo_billing.py``) invoices each month's installment before it runs the month, so
the operator's numbers follow the dates. The figures are fictitious (rounded, not official statistics).
Kept out of ``load_demo`` like the billing: the test suite's demo starts with no agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.services.context import Actor, Clock
from rammeaftale.services.errors import NotFound
from rammeaftale.services.financing import find_agreement, issue_installments, register_agreement, true_up_agreement

YEAR = 2025


@dataclass(frozen=True)
class DemoAgreement:
    offer: str
    operator: int  # the region code: both demo agreements finance a region's own offer
    secretariat: str  # the login that registers it
    amount: int
    key_kind: str
    weights: dict[int, int]  # kommunekode -> weight
    invoiced_through: int  # the last installment the demo invoices
    actual: int | None = None  # the year-end true-up's actual amount, None: not trued up in the demo


AGREEMENTS = (
    DemoAgreement(
        "N-1081-02",
        1081,
        "sekretariat.nord",
        2_400_000,
        "population",
        {
            773: 20000,
            787: 43000,
            810: 36000,
            813: 58000,
            820: 36000,
            825: 1700,
            840: 30000,
            846: 41000,
            849: 38000,
            851: 222000,
            860: 64000,
        },
        invoiced_through=12,
        actual=2_310_000,
    ),
    DemoAgreement(
        "M-1082-02",
        1082,
        "sekretariat.midt",
        3_600_000,
        "sub_population",
        {
            615: 20000,
            657: 18000,
            661: 12000,
            665: 3600,
            671: 4000,
            706: 8500,
            707: 7000,
            710: 12500,
            727: 4900,
            730: 20000,
            740: 20500,
            741: 400,
            746: 14500,
            751: 70000,
            756: 9000,
            760: 11500,
            766: 10000,
            779: 9000,
            791: 20500,
        },
        invoiced_through=6,
    ),
)


def _at(year: int, month: int, day: int) -> Clock:
    moment = datetime(year, month, day, 9, 0, tzinfo=UTC)
    return lambda: moment


def register_demo_agreements(engine: Engine, actors: dict[str, Actor]) -> int:
    """Register the demo agreements not registered yet (2 January 2025); returns how many were registered."""
    registered = 0
    for demo in AGREEMENTS:
        with UnitOfWork(engine) as uow:
            try:
                find_agreement(uow, actors[demo.secretariat], demo.offer, YEAR)
                continue
            except NotFound:
                pass
            weights = [(code, Decimal(weight)) for code, weight in demo.weights.items()]
            register_agreement(
                uow, actors[demo.secretariat], _at(YEAR, 1, 2), demo.offer, YEAR, demo.amount, demo.key_kind, weights
            )
            registered += 1
    return registered


def invoice_demo_installment(engine: Engine, operator: Actor, operator_code: int, month: int) -> int:
    """Invoice the operator's demo installment of ``month`` on its first day; returns how many invoices."""
    issued = 0
    for demo in AGREEMENTS:
        if demo.operator != operator_code or month > demo.invoiced_through:
            continue
        with UnitOfWork(engine) as uow:
            agreement = find_agreement(uow, operator, demo.offer, YEAR)
            if agreement.trued_up:
                continue
            issued += len(issue_installments(uow, operator, _at(YEAR, month, 1), agreement.id, month).issued)
    return issued


def finish_demo_year(engine: Engine, operators: dict[int, Actor]) -> int:
    """The installments after the billed months and the year-end true-up (20 January 2026) where the demo has
    one; returns how many invoices and credit notes were issued."""
    issued = 0
    for demo in AGREEMENTS:
        operator = operators[demo.operator]
        for month in range(1, demo.invoiced_through + 1):
            issued += invoice_demo_installment(engine, operator, demo.operator, month)
        if demo.actual is None:
            continue
        with UnitOfWork(engine) as uow:
            agreement = find_agreement(uow, operator, demo.offer, YEAR)
            if agreement.trued_up:
                continue
            issued += len(true_up_agreement(uow, operator, _at(YEAR + 1, 1, 20), agreement.id, demo.actual).issued)
    return issued
