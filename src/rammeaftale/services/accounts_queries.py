"""Reads of the accounts (handbook § 7): an offer's versions, one version, the secretariat's region overview,
and the regulation a budget year's tariff must carry (``regulation_due``, read by the tariff cycle).

Scoped like tariff submissions: the operator reads its organisation's, the secretariat its region's;
anything else answers NotFound (buyers and board members are refused by the routes' policies).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rammeaftale.adapters.db.accounts_repositories import REPAYMENT, StoredAccounts, StoredRegulation
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.domain.money import ZERO
from rammeaftale.domain.registry import Offer, OfferStatus
from rammeaftale.services.access import can_read_submissions, require_secretariat_of
from rammeaftale.services.accounts_support import accounts_rules
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import NotFound
from rammeaftale.services.reserves import load_ledger

EXPIRING_WITHIN_YEARS = 2


@dataclass(frozen=True)
class AccountsDetail:
    """One accounts version with the regulations it causes (tariff lines and early repayments)."""

    accounts: StoredAccounts
    offer: Offer
    regulations: list[StoredRegulation]
    buyers: dict[int, str]  # organisation id -> name, for the repayment lines


def _readable_offer(uow: UnitOfWork, actor: Actor, offer_id: int) -> Offer:
    offer = uow.offers.get(offer_id)
    if offer is None or not can_read_submissions(actor, offer):
        raise NotFound("Tilbuddet findes ikke.")
    return offer


def offer_accounts(uow: UnitOfWork, actor: Actor, offer_id: int) -> tuple[Offer, list[StoredAccounts]]:
    """Every version of an offer's accounts, newest year first (``current`` marks the versions that count)."""
    offer = _readable_offer(uow, actor, offer_id)
    return offer, uow.accounts.for_offer(offer.id)


def accounts_detail(uow: UnitOfWork, actor: Actor, accounts_id: int) -> AccountsDetail:
    accounts = uow.accounts.get(accounts_id)
    offer = uow.offers.get(accounts.offer_id) if accounts else None
    if accounts is None or offer is None or not can_read_submissions(actor, offer):
        raise NotFound("Regnskabet findes ikke.")
    regulations = uow.regulations.for_accounts(accounts.id)
    buyers = {}
    for r in regulations:
        if r.buyer_id is not None and r.buyer_id not in buyers:
            organisation = uow.organisations.get(r.buyer_id)
            buyers[r.buyer_id] = organisation.name if organisation else ""
    return AccountsDetail(accounts, offer, regulations, buyers)


def regulation_due(uow: UnitOfWork, offer_id: int, budget_year: int) -> Decimal | None:
    """R-SUR-03 / R-SUR-05: what the offer's tariff for ``budget_year`` must carry in its regulation line
    (signed: negative lowers it), with interest (R-SUR-06): the sum of the current regulations due that year,
    from current accounts and expired reserves (R-SUR-02). 0 when the offer has accounts but nothing is due
    that year; None when there is nothing to go by (no accounts and no regulation for the offer)."""
    due = uow.regulations.current([offer_id], budget_year)
    if not due and not uow.accounts.has_any(offer_id):
        return None
    return sum((r.total for r in due), ZERO)


# --- the secretariat's region overview ---------------------------------------------------------------------


@dataclass(frozen=True)
class OfferRef:
    offer_id: int
    offer_code: str
    offer_name: str
    operator_id: int
    operator: str


@dataclass(frozen=True)
class AccountsLine:
    """One current accounts version of an offer in the overview."""

    offer: OfferRef
    accounts: StoredAccounts


@dataclass(frozen=True)
class DueLine:
    offer: OfferRef
    amount: Decimal  # with interest, signed as the regulation line
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class DueYear:
    budget_year: int
    total: Decimal
    lines: list[DueLine]


@dataclass(frozen=True)
class ExpiringReserve:
    offer: OfferRef
    origin_year: int
    expiry_year: int
    balance: Decimal


@dataclass(frozen=True)
class RegionAccounts:
    region_code: int
    year: int
    deadline: date
    deadline_passed: bool
    received: list[AccountsLine]  # every current accounts version of the year (beyond the limit or not)
    beyond_limit: list[AccountsLine]
    regulations_due: list[DueYear]
    expiring_reserves: list[ExpiringReserve]
    late: list[AccountsLine]
    not_received: list[OfferRef]  # covered offers without accounts for the year
    missing: list[OfferRef]  # R-CYC-01: not received after the deadline (R-CYC-04: listed, not dropped)


def _ref(offer: Offer) -> OfferRef:
    return OfferRef(offer.id, offer.code, offer.current.name, offer.operator.id, offer.operator.name)


def region_accounts(uow: UnitOfWork, actor: Actor, region_code: int, year: int, today: date) -> RegionAccounts:
    """The secretariat's view of one accounts year in its region.

    - offers beyond ±5 % (the rule set's limits) in the year's current accounts;
    - regulations due per budget year from the current accounts of every year and from expired reserves;
    - reserves whose last year of use is one of the two years after the accounts year (R-SUR-02);
    - late accounts (R-CYC-01) and, after the deadline, every covered offer without accounts (missing).
    """
    require_secretariat_of(actor, region_code)
    rules = accounts_rules(uow, region_code, year)
    deadline = rules.accounts_deadline(year)
    offers = {o.id: o for o in uow.offers.in_region(region_code)}
    refs = {offer_id: _ref(o) for offer_id, o in offers.items()}
    current = uow.accounts.current_for_offers(sorted(offers), year)
    received = [AccountsLine(refs[a.offer_id], a) for a in current]
    beyond = [b for b in received if b.accounts.excess > ZERO]
    late = [b for b in received if b.accounts.late]
    with_accounts = {a.offer_id for a in current}
    covered = [o for o in offers.values() if o.covered and o.current.status is not OfferStatus.CLOSED]
    not_received = [refs[o.id] for o in covered if o.id not in with_accounts]
    by_year: dict[int, list[DueLine]] = {}
    for r in uow.regulations.current(sorted(offers)):
        if r.kind != REPAYMENT:
            by_year.setdefault(r.budget_year, []).append(DueLine(refs[r.offer_id], r.total, tuple(r.rule_ids)))
    due = [DueYear(y, sum((line.amount for line in lines), ZERO), lines) for y, lines in sorted(by_year.items())]
    expiring: list[ExpiringReserve] = []
    window = range(year + 1, year + 1 + EXPIRING_WITHIN_YEARS)
    for operator_id in uow.reserves.operators_with_entries(sorted({o.operator.id for o in offers.values()})):
        ledger, _ = load_ledger(uow, operator_id)
        for (offer_id, origin), (balance, expiry) in ledger.lots().items():
            if expiry in window and offer_id in refs:
                expiring.append(ExpiringReserve(refs[offer_id], origin, expiry, balance))
    return RegionAccounts(
        region_code=region_code,
        year=year,
        deadline=deadline,
        deadline_passed=today > deadline,
        received=received,
        beyond_limit=beyond,
        regulations_due=due,
        expiring_reserves=sorted(expiring, key=lambda e: (e.expiry_year, e.offer.offer_code, e.origin_year)),
        late=late,
        not_received=sorted(not_received, key=lambda r: (r.operator, r.offer_name)),
        missing=sorted(not_received, key=lambda r: (r.operator, r.offer_name)) if today > deadline else [],
    )
