"""Use cases of the operators' reserve ledger (handbook § 7): use, expire, move on closure; and the ledger read.

Every change goes through the domain's ``ReserveLedger`` (append-only; each balance is a sum of entries)
and is refused, with its findings, where the ledger refuses it. One transaction and one audit entry each;
the operator's ledger is locked first, so balances are checked on what is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rammeaftale.adapters.db.accounts_repositories import TARIFF, StoredEntry
from rammeaftale.adapters.db.models import AccountsRegulationRow
from rammeaftale.adapters.db.uow import UnitOfWork
from rammeaftale.adapters.rulesets import all_rulesets
from rammeaftale.domain.accounts import (
    EntryKind,
    ExpiredReserve,
    LedgerOffer,
    ReserveEntry,
    ReserveLedger,
)
from rammeaftale.domain.findings import Finding
from rammeaftale.domain.money import ZERO
from rammeaftale.domain.registry import OfferStatus, Organisation
from rammeaftale.domain.rules import RuleSet
from rammeaftale.services.access import require_secretariat_of
from rammeaftale.services.accounts_support import accounts_rules, error, offer_for_operator
from rammeaftale.services.audit import audit
from rammeaftale.services.context import Actor, Clock, today
from rammeaftale.services.errors import Forbidden, InvalidSubmission, NotFound
from rammeaftale.services.retry import write_use_case

CLOSING = (OfferStatus.CLOSING, OfferStatus.CLOSED)


def load_ledger(uow: UnitOfWork, operator_id: int) -> tuple[ReserveLedger, list[StoredEntry]]:
    stored = uow.reserves.entries(operator_id)
    return ReserveLedger(operator_id, tuple(e.entry for e in stored)), stored


def _refused(message: str, findings: tuple[Finding, ...] | list[Finding]) -> InvalidSubmission:
    return InvalidSubmission(message, list(findings))


def _entries(entries: tuple[ReserveEntry, ...]) -> list[dict[str, object]]:
    return [
        {"kind": e.kind.value, "offer_id": e.offer_id, "amount": f"{e.amount:.2f}", "origin_year": e.origin_year}
        for e in entries
    ]


@write_use_case
def use_reserve(
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    offer_id: int,
    amount: Decimal,
    note: str = "",
    year: int | None = None,
) -> int:
    """R-SUR-02: use the operator's reserves in one of its covered offers (``year``: today's by default).

    Drawn from the reserves that expire first (the domain's rule); refused when more than is available in
    that year, or the offer is outside the agreement. Returns the number of ledger entries added.
    """
    uow.offers.lock(offer_id)
    offer = offer_for_operator(uow, actor, offer_id)
    uow.reserves.lock(offer.operator.id)
    ledger, _ = load_ledger(uow, offer.operator.id)
    when = year if year is not None else today(clock).year
    note = note.replace("\x00", "").strip()[:500]
    changed, findings = ledger.use(LedgerOffer.of(offer), amount, when, note)
    if changed is None:
        raise _refused("Hensættelsen kan ikke bruges.", findings)
    new = changed.entries[len(ledger.entries) :]
    uow.reserves.add(offer.operator.id, new, clock(), actor.user_id)
    audit(
        uow,
        clock,
        actor,
        "reserve.used",
        "reserve_ledger",
        offer.operator.id,
        offer_id=offer.id,
        year=when,
        note=note,
        before={"balance": f"{ledger.balance():.2f}"},
        after={"balance": f"{changed.balance():.2f}", "entries": _entries(new)},
    )
    uow.commit()
    return len(new)


@write_use_case
def expire_reserves(uow: UnitOfWork, actor: Actor, clock: Clock, region_code: int, year: int) -> list[ExpiredReserve]:
    """R-SUR-02 (§ 15): in ``year``, every reserve of the region's operators whose expiry year has passed
    expires; each becomes a regulation lowering the owning offer's tariff in the year the domain says
    (expiry year + ``expired_reserve_due_years``). The region's secretariat runs it; running it again
    expires nothing."""
    require_secretariat_of(actor, region_code)
    rules = _expiry_rules(uow, region_code, year)
    operators = [o.id for o in uow.organisations.in_region(region_code)]
    expired_all: list[ExpiredReserve] = []
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for operator_id in uow.reserves.operators_with_entries(operators):
        uow.reserves.lock(operator_id)
        ledger, _ = load_ledger(uow, operator_id)
        changed, expired = ledger.expire(year, rules)
        new = changed.entries[len(ledger.entries) :]
        if not new:
            continue
        ids = uow.reserves.add(operator_id, new, clock(), actor.user_id)
        uow.regulations.add_all(
            _expiry_regulation(operator_id, e, entry_id, actor, clock())
            for e, entry_id in zip(expired, ids, strict=True)
        )
        before[str(operator_id)] = f"{ledger.balance():.2f}"
        after[str(operator_id)] = f"{changed.balance():.2f}"
        expired_all.extend(expired)
    audit(
        uow,
        clock,
        actor,
        "reserves.expired",
        "region",
        region_code,
        year=year,
        expired=[
            {"offer_id": e.offer_id, "origin_year": e.origin_year, "amount": f"{e.amount:.2f}", "due_year": e.due_year}
            for e in expired_all
        ],
        before={"balances": before},
        after={"balances": after},
    )
    uow.commit()
    return expired_all


def _expiry_rules(uow: UnitOfWork, region_code: int, year: int) -> RuleSet:
    """The year's rule set; a year beyond the known periods uses the region's latest one (as handbook § 5
    starts a later period: a copy of the latest known rule set), so a reserve can expire on time."""
    try:
        return accounts_rules(uow, region_code, year)
    except InvalidSubmission:
        known = [r for r in all_rulesets() if r.region_code == region_code and r.first_year <= year]
        if not known:
            raise
        return max(known, key=lambda r: r.first_year)


def _expiry_regulation(
    operator_id: int, e: ExpiredReserve, entry_id: int, actor: Actor, now: datetime
) -> AccountsRegulationRow:
    return AccountsRegulationRow(
        offer_id=e.offer_id,
        operator_id=operator_id,
        budget_year=e.due_year,
        kind=TARIFF,
        amount=e.tariff_effect,
        interest=ZERO,
        origin_year=e.origin_year,
        accounts_submission_id=None,
        ledger_entry_id=entry_id,
        buyer_id=None,
        purchases=None,
        rule_ids=["R-SUR-02"],
        note=f"Hensættelse fra {e.origin_year}, ubrugt efter {e.expiry_year}, nedsætter taksten",
        created_at=now,
        created_by=actor.user_id,
    )


@write_use_case
def transfer_on_closure(uow: UnitOfWork, actor: Actor, clock: Clock, offer_id: int, to_offer_id: int) -> Decimal:
    """R-CLO-01: a closing (or closed) offer's whole reserve moves to another covered offer of the operator.

    Each reserve keeps its year of origin and expiry year; the operator's balance stays the same.
    Returns the amount moved.
    """
    uow.offers.lock(offer_id)
    offer = offer_for_operator(uow, actor, offer_id)
    target = uow.offers.get(to_offer_id)
    if target is None:
        raise NotFound("Tilbuddet, som saldoen skal flyttes til, findes ikke.")
    if offer.current.status not in CLOSING:
        finding = error("R-CLO-01", "offer", "Kun et tilbud, der lukker eller er lukket, kan få sin saldo flyttet.")
        raise _refused("Saldoen kan ikke flyttes.", [finding])
    uow.reserves.lock(offer.operator.id)
    ledger, _ = load_ledger(uow, offer.operator.id)
    changed, findings = ledger.transfer_on_closure(offer.id, LedgerOffer.of(target), today(clock).year)
    if changed is None:
        raise _refused("Saldoen kan ikke flyttes.", findings)
    new = changed.entries[len(ledger.entries) :]
    uow.reserves.add(offer.operator.id, new, clock(), actor.user_id)
    moved = ledger.balance(offer.id)
    audit(
        uow,
        clock,
        actor,
        "reserve.transferred_on_closure",
        "reserve_ledger",
        offer.operator.id,
        offer_id=offer.id,
        to_offer_id=target.id,
        amount=f"{moved:.2f}",
        before={"closing_offer": f"{moved:.2f}", "to_offer": f"{ledger.balance(target.id):.2f}"},
        after={"closing_offer": f"{changed.balance(offer.id):.2f}", "to_offer": f"{changed.balance(target.id):.2f}"},
    )
    uow.commit()
    return moved


# --- the ledger, read -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerLine:
    id: int
    kind: EntryKind
    offer_id: int
    offer_code: str
    offer_name: str
    amount: Decimal
    origin_year: int
    expiry_year: int
    booked_year: int
    other_offer_id: int | None
    accounts_submission_id: int | None
    note: str
    created_at: datetime


@dataclass(frozen=True)
class Lot:
    """One reserve with a balance: (offer, year of origin), its expiry year (R-SUR-02)."""

    offer_id: int
    offer_code: str
    origin_year: int
    expiry_year: int
    balance: Decimal


@dataclass(frozen=True)
class LedgerView:
    operator: Organisation
    lines: list[LedgerLine]
    lots: list[Lot]
    balance: Decimal  # the sum of the entries
    by_origin_year: dict[int, Decimal]
    by_offer: dict[int, Decimal]


def operator_ledger(uow: UnitOfWork, actor: Actor, organisation_id: int) -> LedgerView:
    """An operator's ledger: its entries, every reserve with a balance, and the balances (sums of entries).

    The operator sees its own, the secretariat its region's operators'; another organisation: NotFound.
    """
    organisation = uow.organisations.get(organisation_id)
    if not (actor.is_operator or actor.is_secretariat):
        raise Forbidden("Din rolle giver ikke adgang til hensættelser.")
    own = actor.is_operator and actor.organisation_id == organisation_id
    region = organisation is not None and actor.is_secretariat and actor.region_code == organisation.region_code
    if organisation is None or not (own or region):
        raise NotFound("Driftsherren findes ikke.")
    ledger, stored = load_ledger(uow, organisation_id)
    offers = {o.id: o for o in uow.offers.all() if o.operator.id == organisation_id}
    offer_ids = {e.entry.offer_id for e in stored}
    for missing in offer_ids - set(offers):
        found = uow.offers.get(missing)
        if found is not None:
            offers[missing] = found

    def code(offer_id: int) -> str:
        return offers[offer_id].code if offer_id in offers else str(offer_id)

    lines = [
        LedgerLine(
            e.id,
            e.entry.kind,
            e.entry.offer_id,
            code(e.entry.offer_id),
            offers[e.entry.offer_id].current.name if e.entry.offer_id in offers else "",
            e.entry.amount,
            e.entry.origin_year,
            e.entry.expiry_year,
            e.entry.booked_year,
            e.entry.other_offer_id,
            e.accounts_submission_id,
            e.entry.note,
            e.created_at,
        )
        for e in stored
    ]
    by_origin: dict[int, Decimal] = {}
    by_offer: dict[int, Decimal] = {}
    for e in ledger.entries:
        by_origin[e.origin_year] = by_origin.get(e.origin_year, ZERO) + e.amount
        by_offer[e.offer_id] = by_offer.get(e.offer_id, ZERO) + e.amount
    lots = [
        Lot(offer_id, code(offer_id), origin, expiry, balance)
        for (offer_id, origin), (balance, expiry) in ledger.lots().items()
    ]
    return LedgerView(
        organisation, lines, lots, ledger.balance(), dict(sorted(by_origin.items())), dict(sorted(by_offer.items()))
    )
