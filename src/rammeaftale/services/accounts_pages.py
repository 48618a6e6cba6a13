"""Small reads the accounts pages need beyond ``accounts_queries`` and ``reserves`` (handbook § 7).

Scoped exactly like those: every function first goes through one of their access-checked reads
(``offer_accounts``, ``accounts_detail``, ``operator_ledger``, ``region_accounts``), so another
organisation's object answers NotFound here too. Nothing here decides a rule; the values come from the
stored accounts, the ledger, the rule set and the approved tariffs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rammeaftale.adapters.db.accounts_repositories import StoredAccounts, StoredEntry, created_in
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.rulesets import UnknownRuleSet, get_ruleset
from rammeaftale.domain.accounts_submission import FORMAT
from rammeaftale.domain.registry import Offer, OfferStatus
from rammeaftale.domain.rules import RuleSet
from rammeaftale.services.access import can_manage_offer_submissions
from rammeaftale.services.accounts import FINAL_TARIFF, tariff_cost_base
from rammeaftale.services.accounts_queries import AccountsDetail, offer_accounts
from rammeaftale.services.accounts_support import accounts_rules
from rammeaftale.services.context import Actor
from rammeaftale.services.errors import InvalidSubmission
from rammeaftale.services.reserves import operator_ledger


@dataclass(frozen=True)
class AccountsStart:
    """What the template and the web form of one offer's accounts year start from."""

    offer: Offer
    year: int
    ruleset_id: str
    prefill: dict[str, Any]  # the public accounts shape (docs/accounts-submission-json.md)
    budget: dict[str, Any] | None  # the approved tariff's costs (tariff JSON shape), for column D
    current: StoredAccounts | None  # the version a new submission would correct
    may_submit: bool
    buyers: list[tuple[int, str]]  # (kommunekode, name) of the region's municipalities (R-SUR-07 purchases)


def accounts_start(uow: UnitOfWork, actor: Actor, offer_id: int, year: int) -> AccountsStart:
    """The prefill of an accounts year: the current version's data when there is one (a correction starts
    from it), else the offer, year, rule set and the level of the other years (R-ACC-01); the cost base
    and budget from the year's approved tariff (R-SUR-01 measures against it)."""
    offer, versions = offer_accounts(uow, actor, offer_id)
    rules = accounts_rules(uow, offer.operator.region_code, year)
    current = next((a for a in versions if a.current and a.accounts_year == year and not a.target_group), None)
    others = [a for a in versions if a.current and a.accounts_year != year]
    prefill: dict[str, Any] = dict(current.data) if current is not None else {"format": FORMAT}
    prefill.update(ruleset=rules.id, accounts_year=year, offer_code=offer.code)
    if current is None:
        prefill["level"] = others[0].level if others else "offer"
    tariff = tariff_cost_base(uow, offer, year, "")
    if tariff is not None:
        prefill["cost_base"] = str(tariff[0])
    budget = None
    if len(offer.services) == 1:
        row = uow.submissions.latest(offer.services[0].id, year, FINAL_TARIFF)
        costs = row.payload.get("costs") if row is not None else None
        budget = dict(costs) if isinstance(costs, dict) else None
    buyers = sorted(
        (o.kommunekode, o.name)
        for o in uow.organisations.in_region(offer.operator.region_code)
        if o.kommunekode is not None and o.kind == "municipality"
    )
    return AccountsStart(
        offer, year, rules.id, prefill, budget, current, can_manage_offer_submissions(actor, offer), buyers
    )


def accounts_ruleset(accounts: StoredAccounts) -> RuleSet | None:
    """The rule set the accounts were assessed under (its limits and years, for the consequence in words)."""
    try:
        return get_ruleset(accounts.ruleset_id)
    except UnknownRuleSet:
        return None


def reserve_entries(uow: UnitOfWork, detail: AccountsDetail) -> list[StoredEntry]:
    """The ledger entries the accounts of this offer, year and target group booked, by this version or one it
    corrects (a correction books only a difference, R-SUR-01): the reserve with its expiry year.

    ``detail`` comes from ``accounts_detail``, which has checked the reader may see these accounts."""
    a = detail.accounts
    stored = uow.reserves.entries(a.operator_id)
    return created_in(stored, uow.accounts.chain_ids(a.offer_id, a.accounts_year, a.target_group))


def reserve_offers(uow: UnitOfWork, actor: Actor, organisation_id: int) -> list[Offer]:
    """The operator's offers in which a reserve may be used: covered by the agreement and not closed
    (R-SUR-02). Scoped by ``operator_ledger`` (NotFound for another organisation)."""
    operator_ledger(uow, actor, organisation_id)
    return sorted(
        (
            o
            for o in uow.offers.all()
            if o.operator.id == organisation_id and o.covered and o.current.status is not OfferStatus.CLOSED
        ),
        key=lambda o: o.code,
    )


def region_name(uow: UnitOfWork, region_code: int) -> str:
    region = uow.organisations.region(region_code)
    return region.name if region is not None else str(region_code)


@dataclass(frozen=True)
class Limits:
    """The rule set's limits of an accounts year, for the charts' reference lines (R-SUR-01, R-SUR-04)."""

    ruleset_id: str
    surplus_pct: Decimal
    deficit_pct: Decimal
    reserve_use_years: int
    expired_reserve_due_years: int


def accounts_years(uow: UnitOfWork, region_code: int, years: range) -> list[int]:
    """The years of ``years`` the region has a rule set for (the overview links only to those)."""
    found = []
    for year in years:
        try:
            accounts_rules(uow, region_code, year)
        except InvalidSubmission:
            continue
        found.append(year)
    return found


def accounts_limits(uow: UnitOfWork, region_code: int, year: int) -> Limits:
    rules = accounts_rules(uow, region_code, year)
    return Limits(
        rules.id,
        rules.decimal("reserve_max_pct"),
        rules.decimal("deficit_own_pct"),
        rules.integer("reserve_use_years"),
        rules.integer("expired_reserve_due_years"),
    )
