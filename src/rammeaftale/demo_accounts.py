"""Demo accounts for 2023–2025 (issue 4): deterministic and fictitious, submitted by the operators through
the real use case (``submit_accounts``) with fixed clocks, so reserves, regulations and the audit trail
are real. Some offers are beyond +5 %, some beyond −5 %, most within; one is corrected, some come late,
some never come (R-CYC-01); reserves are booked and used.

The demo loads them in their place in the yearly cycle (``demo.load_demo``): a year's accounts arrive in
the spring before the autumn in which the tariffs two years on are submitted, so every tariff submission
of the demo is checked against the regulation due that year (R-SUR-03, R-SUR-05) by the tariff use case
itself. The figures are chosen so that the published appendices stay exactly as they were:

- 2023 accounts are due in the 2025 tariffs, which carry no regulation: every 2023 result is within the
  limits, except one surplus whose excess is repaid early to the buyers (R-SUR-07);
- 2024 accounts are due in the 2026 tariffs: an excess surplus of exactly the regulation the 2026 tariff
  carries (Fjordgården: the handbook's −250.000 kr., § 6.5; the larger offers: −80.000 kr.), or a result
  within the limits;
- deficits beyond −5 % need a higher tariff, so they are in 2025 accounts of offers that have no 2027
  submission yet; Fjordgården's 2025 surplus leaves −250.000 kr. due in 2027, so its 2027 template gives
  the handbook's 2.070,25 kr. a day again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Engine

from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.accounts import ResultKind, limit_amount
from rammeaftale.domain.accounts_submission import FORMAT, build_accounts_submission
from rammeaftale.domain.money import round_ore_half_up
from rammeaftale.domain.registry import Offer
from rammeaftale.services import reserves
from rammeaftale.services.accounts import submit_accounts, tariff_cost_base
from rammeaftale.services.accounts_support import accounts_rules
from rammeaftale.services.context import Actor, Clock

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class DemoAccounts:
    """One offer's accounts for one year: a result within the limit (``percent``) or beyond it (``excess``)."""

    offer: str
    year: int
    percent: str | None = None  # within the limit: the result in % of the cost base (+ surplus, − deficit)
    excess: int | None = None  # beyond the limit: kroner above it (+ surplus, − deficit)
    repaid: tuple[tuple[int, int], ...] = ()  # R-SUR-07: the whole excess repaid early, by (kommunekode, purchases)
    received: date | None = None  # default: mid-March after the accounts year, before the deadline (1 May)
    correction: tuple[str, date, str] | None = None  # (the corrected percent, when, the reason)
    remarks: str = ""


ACCOUNTS = (
    # 2023: measured against the cost base the accounts state (the system holds no 2023 tariffs)
    DemoAccounts("N-851-01", 2023, percent="3.40", remarks="Fiktive demodata: færre vikartimer end budgetteret."),
    DemoAccounts(
        "N-1081-01",
        2023,
        percent="-2.10",
        correction=("-2.65", date(2024, 4, 18), "Revisionens bemærkninger: skyldige feriepenge manglede (fiktivt)."),
    ),
    DemoAccounts(
        "N-860-01",
        2023,
        excess=64_000,
        repaid=((860, 1_150_000), (813, 620_000), (849, 310_000)),
        remarks="Fiktive demodata: høj belægning; overskuddet ud over grænsen betales tilbage til køberne nu.",
    ),
    DemoAccounts("N-787-01", 2023, percent="1.20"),
    DemoAccounts("N-813-01", 2023, percent="-3.80"),
    DemoAccounts("N-1081-02", 2023, percent="4.60"),
    DemoAccounts("N-810-01", 2023, percent="2.30"),
    DemoAccounts("M-1082-01", 2023, percent="4.10"),
    DemoAccounts("M-1082-02", 2023, percent="-1.50"),
    DemoAccounts("M-751-01", 2023, percent="5.00"),
    DemoAccounts("M-657-01", 2023, percent="0.80"),
    DemoAccounts("M-730-01", 2023, percent="-3.00"),
    DemoAccounts("M-661-01", 2023, percent="2.20"),
    # 2024: measured against the published 2024 tariffs; due in 2026
    DemoAccounts("N-851-01", 2024, excess=250_000, remarks="Fiktive demodata: højere belægning end budgetteret."),
    DemoAccounts("N-1081-01", 2024, excess=80_000),
    DemoAccounts("N-860-01", 2024, excess=80_000),
    DemoAccounts("N-787-01", 2024, percent="-1.90"),
    DemoAccounts("N-1081-02", 2024, percent="-3.20"),
    DemoAccounts("N-810-01", 2024, excess=80_000),
    DemoAccounts("M-1082-01", 2024, excess=80_000),
    DemoAccounts("M-1082-02", 2024, percent="2.70"),
    DemoAccounts("M-751-01", 2024, excess=80_000),
    DemoAccounts("M-657-01", 2024, percent="3.90"),
    DemoAccounts("M-730-01", 2024, percent="-4.40", received=date(2025, 6, 10)),
    # 2025: measured against the published 2025 tariffs; due in 2027 (the open cycle)
    DemoAccounts("N-851-01", 2025, excess=250_000, remarks="Fiktive demodata: højere belægning end budgetteret."),
    DemoAccounts(
        "N-1081-02", 2025, excess=-75_000, remarks="Fiktive demodata: flere behandlingstimer end budgetteret."
    ),
    DemoAccounts("N-1081-01", 2025, percent="1.80"),
    DemoAccounts("N-860-01", 2025, percent="-0.90", received=date(2026, 5, 20)),
    DemoAccounts("M-1082-02", 2025, excess=60_000),
    DemoAccounts("M-730-01", 2025, excess=-95_000, remarks="Fiktive demodata: ekstra nattevagter hele året."),
    DemoAccounts("M-751-01", 2025, percent="3.30"),
)


@dataclass(frozen=True)
class DemoReserveUse:
    """R-SUR-02: an operator uses reserves in one of its covered offers, after the accounts of ``after``."""

    after: int
    offer: str
    amount: int
    year: int
    on: date
    note: str


RESERVE_USES = (
    DemoReserveUse(
        2023, "N-1081-01", 150_000, 2024, date(2024, 6, 3), "Dækning af underskuddet i 2023 (R-SUR-04), fiktivt."
    ),
    DemoReserveUse(
        2024,
        "N-851-01",
        250_000,
        2025,
        date(2025, 9, 1),
        "Kvalitetsudvikling: kompetenceforløb for personalet (fiktivt).",
    ),
    DemoReserveUse(
        2025, "M-751-01", 100_000, 2026, date(2026, 6, 15), "Effektivisering: nyt vagtplanssystem (fiktivt)."
    ),
)

# A fictitious cost structure (per mille of the costs) in the tariff's categories and lines (R-TAR-02).
COST_SHARES: dict[str, Any] = {
    "personnel": {"top_management": 62, "citizen_related_staff": 646, "temporary_staff": 28, "technical_staff": 51},
    "civil_servant_pension": 6,
    "activities": 34,
    "administration": {"local": 25, "central_overhead": 40, "supervision_fee": 3},
    "competence_development": 9,
    "property": {"maintenance": 17, "insurance_taxes_utilities": 31},
    "depreciation": {"buildings": 24, "equipment": 5},
    "financing_income": 2,
    "financing_costs": {"property": 18, "other_capital": 1, "working_capital": 2},
}


def _krone(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)


def _clock(day: date) -> Clock:
    moment = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
    return lambda: moment


def _operator(uow: UnitOfWork, actors: dict[str, Actor], offer: Offer) -> Actor:
    """The operator's demo login, or a system actor of its organisation (operators without a login)."""
    for actor in actors.values():
        if actor.role == "operator" and actor.organisation_id == offer.operator.id and actor.user_id is not None:
            return actor
    organisation = uow.organisations.get(offer.operator.id)
    assert organisation is not None
    return Actor(None, f"demo-{organisation.name}", "operator", organisation.id, organisation.region_code)


def _cost_base(uow: UnitOfWork, offer: Offer, year: int) -> Decimal:
    """The year's approved tariff's cost base; for 2023 (no tariffs in the system) 97 % of 2024's, stated."""
    tariff = tariff_cost_base(uow, offer, year, "")
    if tariff is not None:
        return tariff[0]
    next_year = tariff_cost_base(uow, offer, year + 1, "")
    assert next_year is not None, (offer.code, year)
    return _krone(next_year[0] * Decimal("0.97"))


def _result(plan: DemoAccounts, cost_base: Decimal, uow: UnitOfWork, offer: Offer) -> Decimal:
    if plan.percent is not None:
        return round_ore_half_up(cost_base * Decimal(plan.percent) / HUNDRED)
    assert plan.excess is not None
    kind = ResultKind.SURPLUS if plan.excess > 0 else ResultKind.DEFICIT
    limit = limit_amount(cost_base, kind, accounts_rules(uow, offer.operator.region_code, plan.year))
    return (limit + abs(plan.excess)) * (1 if plan.excess > 0 else -1)


def _costs(total: Decimal) -> dict[str, Any]:
    costs: dict[str, Any] = {}
    for key, share in COST_SHARES.items():
        if isinstance(share, dict):
            costs[key] = {line: str(_krone(total * w / 1000)) for line, w in share.items()}
        else:
            costs[key] = str(_krone(total * share / 1000))
    return costs


def _data(uow: UnitOfWork, offer: Offer, plan: DemoAccounts, percent: str | None = None) -> dict[str, Any]:
    """The accounts in the public JSON shape: costs in the tariff's lines, income = costs + the result."""
    if percent is not None:
        plan = DemoAccounts(plan.offer, plan.year, percent=percent, remarks=plan.remarks)
    cost_base = _cost_base(uow, offer, plan.year)
    result = _result(plan, cost_base, uow, offer)
    rules = accounts_rules(uow, offer.operator.region_code, plan.year)
    data: dict[str, Any] = {
        "format": FORMAT,
        "ruleset": rules.id,
        "accounts_year": plan.year,
        "offer_code": offer.code,
        "level": "offer",
        "costs": _costs(cost_base - result / 2),
        "income": {"tariff_income": "0"},
        "cost_base": str(cost_base),
        "remarks": plan.remarks or "Fiktive demodata.",
    }
    draft, findings = build_accounts_submission(data)
    assert draft is not None, findings
    income = draft.costs_total + result
    other = _krone(income * Decimal("0.012"))
    data["income"] = {"tariff_income": str(income - other), "other_income": str(other)}
    if plan.repaid:
        data["early_repayment"] = str(plan.excess)
    return data


def _submit(engine: Engine, actors: dict[str, Actor], plan: DemoAccounts) -> None:
    with UnitOfWork(engine) as uow:
        offer = uow.offers.by_code(plan.offer)
        assert offer is not None
        purchases = {}
        for code, value in plan.repaid:
            buyer = uow.organisations.by_kommunekode(code)
            assert buyer is not None
            purchases[buyer.id] = Decimal(value)
        submission, findings = build_accounts_submission(_data(uow, offer, plan))
        assert submission is not None, findings
        received = plan.received or date(plan.year + 1, 3, 14)
        actor = _operator(uow, actors, offer)
        submit_accounts(uow, actor, _clock(received), offer.id, submission, "demo", purchases=purchases)
    if plan.correction is not None:
        percent, day, reason = plan.correction
        with UnitOfWork(engine) as uow:
            offer = uow.offers.by_code(plan.offer)
            assert offer is not None
            corrected, findings = build_accounts_submission(_data(uow, offer, plan, percent))
            assert corrected is not None, findings
            submit_accounts(uow, _operator(uow, actors, offer), _clock(day), offer.id, corrected, "demo", reason)


def load_demo_accounts(engine: Engine, actors: dict[str, Actor], year: int) -> None:
    """The demo accounts of ``year`` and the reserve uses that follow them (the demo registry must be loaded,
    and the tariffs the accounts are measured against published)."""
    for plan in ACCOUNTS:
        if plan.year == year:
            _submit(engine, actors, plan)
    for use in RESERVE_USES:
        if use.after == year:
            with UnitOfWork(engine) as uow:
                offer = uow.offers.by_code(use.offer)
                assert offer is not None
                actor = _operator(uow, actors, offer)
                reserves.use_reserve(uow, actor, _clock(use.on), offer.id, Decimal(use.amount), use.note, use.year)
