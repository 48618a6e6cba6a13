"""JSON API of the accounts and the reserve ledger (handbook § 7, issue 4). Thin: parse, call the services,
build the response field by field. Amounts are decimal strings with øre.

Who: operators submit their offers' accounts and use their reserves; the operator reads its own, the
region's secretariat its region's; buyers and board members are refused (403), anonymous callers 401.
Objects of another organisation answer 404 (``services/accounts_support.py``, ``services/access.py``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile

from rammeaftale.adapters.db.accounts_repositories import StoredAccounts, StoredRegulation
from rammeaftale.adapters.excel.accounts_reader import locate_accounts_xlsx
from rammeaftale.adapters.json_submission import UnreadableInput, locate_json
from rammeaftale.domain.money import MoneyError, amount
from rammeaftale.entrypoints.api.accounts_schema import (
    AccountsDetailOut,
    AccountsLineOut,
    AccountsOut,
    ClosureTransfer,
    DueLineOut,
    DueYearOut,
    EntryOut,
    ExpiredOut,
    ExpiringOut,
    LedgerOut,
    LotOut,
    NoFields,
    OfferAccountsOut,
    OfferBalanceOut,
    OfferRefOut,
    RegionAccountsOut,
    RegulationOut,
    ReserveUse,
    YearBalanceOut,
)
from rammeaftale.entrypoints.api.routes import ERROR_RESPONSES, JSON_BODY, OPERATOR_OR_SECRETARIAT, FindingOut
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep, integers_in_range, request_fields
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.services import accounts_compute, accounts_queries, compute, reserves
from rammeaftale.services.accounts import submit_accounts
from rammeaftale.services.accounts_support import purchases_by_kommunekode, read_accounts_json
from rammeaftale.services.context import Actor, today
from rammeaftale.services.errors import InvalidSubmission

router = APIRouter(tags=["regnskaber"], responses=ERROR_RESPONSES, dependencies=[Depends(integers_in_range)])
Year = Annotated[int, Path(ge=2000, le=2100)]


# --- building the responses ------------------------------------------------------------------------------


def _kr(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _accounts(a: StoredAccounts) -> dict[str, Any]:
    return {
        "id": a.id,
        "offer_id": a.offer_id,
        "accounts_year": a.accounts_year,
        "target_group": a.target_group,
        "version": a.version,
        "current": a.current,
        "level": a.level,
        "source": a.source,
        "received_at": a.received_at,
        "late": a.late,
        "cost_base": _kr(a.cost_base),
        "cost_base_source": a.cost_base_source,
        "costs_total": _kr(a.costs_total),
        "income_total": _kr(a.income_total),
        "result": _kr(a.result),
        "percent": f"{a.percent:.2f}",
        "kind": a.kind,
        "limit": _kr(a.limit),
        "within_limit": _kr(a.within_limit),
        "excess": _kr(a.excess),
        "tariff_effect": _kr(a.tariff_effect),
        "due_year": a.due_year,
        "spread": a.spread,
        "reserved": _kr(a.reserved),
        "early_repayment": _kr(a.early_repayment),
        "rule_ids": list(a.rule_ids),
        "remarks": a.remarks,
        "supersedes_id": a.supersedes_id,
        "correction_reason": a.correction_reason,
        "findings": [FindingOut(**f) for f in a.findings],
    }


def _regulation(r: StoredRegulation, buyers: dict[int, str]) -> RegulationOut:
    return RegulationOut(
        id=r.id,
        kind=r.kind,
        budget_year=r.budget_year,
        amount=_kr(r.amount),
        interest=_kr(r.interest),
        total=_kr(r.total),
        origin_year=r.origin_year,
        buyer_id=r.buyer_id,
        buyer=buyers.get(r.buyer_id) if r.buyer_id is not None else None,
        purchases=None if r.purchases is None else _kr(r.purchases),
        rule_ids=list(r.rule_ids),
        note=r.note,
    )


def _detail(uow: UowDep, actor: Actor, accounts_id: int) -> AccountsDetailOut:
    d = accounts_queries.accounts_detail(uow, actor, accounts_id)
    return AccountsDetailOut(
        **_accounts(d.accounts),
        offer_code=d.offer.code,
        data=d.accounts.data,
        regulations=[_regulation(r, d.buyers) for r in d.regulations],
    )


def _ledger(view: reserves.LedgerView) -> LedgerOut:
    return LedgerOut(
        operator_id=view.operator.id,
        operator=view.operator.name,
        balance=_kr(view.balance),
        by_origin_year=[YearBalanceOut(origin_year=y, balance=_kr(b)) for y, b in view.by_origin_year.items()],
        by_offer=[OfferBalanceOut(offer_id=o, balance=_kr(b)) for o, b in view.by_offer.items()],
        lots=[
            LotOut(
                offer_id=lot.offer_id,
                offer_code=lot.offer_code,
                origin_year=lot.origin_year,
                expiry_year=lot.expiry_year,
                balance=_kr(lot.balance),
            )
            for lot in view.lots
        ],
        entries=[
            EntryOut(
                id=e.id,
                kind=e.kind.value,
                offer_id=e.offer_id,
                offer_code=e.offer_code,
                amount=_kr(e.amount),
                origin_year=e.origin_year,
                expiry_year=e.expiry_year,
                booked_year=e.booked_year,
                other_offer_id=e.other_offer_id,
                accounts_submission_id=e.accounts_submission_id,
                note=e.note,
                created_at=e.created_at,
            )
            for e in view.lines
        ],
    )


def _ref(r: accounts_queries.OfferRef) -> OfferRefOut:
    return OfferRefOut(
        offer_id=r.offer_id,
        offer_code=r.offer_code,
        offer_name=r.offer_name,
        operator_id=r.operator_id,
        operator=r.operator,
    )


def _line(line: accounts_queries.AccountsLine) -> AccountsLineOut:
    a = line.accounts
    return AccountsLineOut(
        offer=_ref(line.offer),
        accounts_id=a.id,
        target_group=a.target_group,
        kind=a.kind,
        result=_kr(a.result),
        percent=f"{a.percent:.2f}",
        excess=_kr(a.excess),
        tariff_effect=_kr(a.tariff_effect),
        due_year=a.due_year,
        late=a.late,
        received_at=a.received_at,
    )


# --- routes ------------------------------------------------------------------------------------------------


@router.post(
    "/offers/{offer_id}/accounts", status_code=201, openapi_extra=JSON_BODY, dependencies=[policy(Policy.OPERATOR)]
)
async def submit_accounts_json(
    offer_id: int,
    request: Request,
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> AccountsDetailOut:
    """Submit accounts in the public JSON shape (docs/accounts-submission-json.md), numbers exact; a second
    submission for the same year is a correction and needs ``reason``. An optional top-level ``purchases``
    object (kommunekode -> purchases in the accounts year) shares an early repayment (R-SUR-07); any other
    unknown field is refused with its finding (422) and nothing is saved."""
    raw = await request.body()
    with compute.refusal_logged(raw, None, **request_fields(request, actor)):
        try:
            submission, findings, raw_purchases = read_accounts_json(raw)
        except UnreadableInput as exc:
            raise InvalidSubmission(str(exc), []) from exc
        purchases, more = purchases_by_kommunekode(uow, raw_purchases)
        reading = [*findings, *more]
        submitted = submit_accounts(
            uow,
            actor,
            clock,
            offer_id,
            submission,
            "json",
            reason,
            purchases=purchases,
            reading_findings=reading,
            locate=locate_json,
        )
    return _detail(uow, actor, submitted.accounts_id)


@router.post("/offers/{offer_id}/accounts/file", status_code=201, dependencies=[policy(Policy.OPERATOR)])
async def submit_accounts_file(
    offer_id: int,
    request: Request,
    uow: UowDep,
    actor: UserDep,
    clock: ClockDep,
    file: Annotated[UploadFile, File()],
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> AccountsDetailOut:
    """Submit accounts as the XLSX regnskabsskema or a JSON file; findings point to sheet and cell or JSON path."""
    raw = await file.read(compute.MAX_UPLOAD_BYTES + 1)
    name = compute.display_name(file.filename or "regnskab")
    with compute.refusal_logged(raw, name, **request_fields(request, actor)):
        if len(raw) > compute.MAX_UPLOAD_BYTES:
            raise InvalidSubmission("Filen er for stor (højst 5 MB).", [])
        try:
            submission, findings, xlsx = accounts_compute.read_accounts_file(raw, name)
        except compute.Unreadable as exc:
            raise InvalidSubmission(str(exc), []) from exc

        def locate(found: list[Any]) -> list[Any]:
            return locate_accounts_xlsx(found, name) if xlsx else locate_json(found)

        source = "xlsx" if xlsx else "json"
        submitted = submit_accounts(
            uow, actor, clock, offer_id, submission, source, reason, reading_findings=findings, locate=locate
        )
    return _detail(uow, actor, submitted.accounts_id)


@router.get("/offers/{offer_id}/accounts", dependencies=[policy(OPERATOR_OR_SECRETARIAT)])
def offer_accounts(offer_id: int, uow: UowDep, actor: UserDep) -> OfferAccountsOut:
    """Every version of the offer's accounts, newest year first; ``current`` marks the ones that count."""
    offer, versions = accounts_queries.offer_accounts(uow, actor, offer_id)
    return OfferAccountsOut(
        offer_id=offer.id,
        offer_code=offer.code,
        offer_name=offer.current.name,
        versions=[AccountsOut(**_accounts(a)) for a in versions],
    )


@router.get("/accounts/{accounts_id}", dependencies=[policy(OPERATOR_OR_SECRETARIAT)])
def get_accounts(accounts_id: int, uow: UowDep, actor: UserDep) -> AccountsDetailOut:
    """One accounts version: its consequence (§ 7), the data as submitted, and its regulations."""
    return _detail(uow, actor, accounts_id)


@router.get("/operators/{organisation_id}/reserves", dependencies=[policy(OPERATOR_OR_SECRETARIAT)])
def operator_reserves(organisation_id: int, uow: UowDep, actor: UserDep) -> LedgerOut:
    """The operator's reserve ledger: entries, reserves with a balance, balances (each a sum of entries)."""
    return _ledger(reserves.operator_ledger(uow, actor, organisation_id))


@router.post("/offers/{offer_id}/reserves/use", dependencies=[policy(Policy.OPERATOR)])
def use_reserve(offer_id: int, body: ReserveUse, uow: UowDep, actor: UserDep, clock: ClockDep) -> LedgerOut:
    """R-SUR-02: use reserves in this covered offer; refused (422) beyond what is available that year."""
    try:
        value = amount(body.amount)
    except MoneyError as exc:
        raise InvalidSubmission(f"Beløbet kan ikke læses: {exc}", []) from exc
    reserves.use_reserve(uow, actor, clock, offer_id, value, body.note, body.year)
    assert actor.organisation_id is not None
    return _ledger(reserves.operator_ledger(uow, actor, actor.organisation_id))


@router.post("/offers/{offer_id}/reserves/transfer", dependencies=[policy(Policy.OPERATOR)])
def transfer_reserve(offer_id: int, body: ClosureTransfer, uow: UowDep, actor: UserDep, clock: ClockDep) -> LedgerOut:
    """R-CLO-01: a closing offer's whole reserve moves to another covered offer of the operator."""
    reserves.transfer_on_closure(uow, actor, clock, offer_id, body.to_offer_id)
    assert actor.organisation_id is not None
    return _ledger(reserves.operator_ledger(uow, actor, actor.organisation_id))


@router.post("/regions/{region_code}/reserves/{year}/expire", dependencies=[policy(Policy.SECRETARIAT)])
def expire_reserves(
    region_code: int, year: Year, body: NoFields, uow: UowDep, actor: UserDep, clock: ClockDep
) -> list[ExpiredOut]:
    """R-SUR-02: reserves past their expiry year expire into a later tariff as a reduction (once)."""
    expired = reserves.expire_reserves(uow, actor, clock, region_code, year)
    return [
        ExpiredOut(
            offer_id=e.offer_id,
            origin_year=e.origin_year,
            expiry_year=e.expiry_year,
            amount=_kr(e.amount),
            due_year=e.due_year,
        )
        for e in expired
    ]


@router.get("/regions/{region_code}/accounts/{year}", dependencies=[policy(Policy.SECRETARIAT)])
def region_accounts(region_code: int, year: Year, uow: UowDep, actor: UserDep, clock: ClockDep) -> RegionAccountsOut:
    """The secretariat's overview of an accounts year: beyond ±5 %, regulations due per budget year,
    reserves expiring in the next two years, late and missing accounts (R-CYC-01)."""
    view = accounts_queries.region_accounts(uow, actor, region_code, year, today(clock))
    return RegionAccountsOut(
        region_code=view.region_code,
        year=view.year,
        deadline=view.deadline,
        deadline_passed=view.deadline_passed,
        received=[_line(line) for line in view.received],
        beyond_limit=[_line(line) for line in view.beyond_limit],
        late=[_line(line) for line in view.late],
        regulations_due=[
            DueYearOut(
                budget_year=d.budget_year,
                total=_kr(d.total),
                lines=[
                    DueLineOut(offer=_ref(x.offer), amount=_kr(x.amount), rule_ids=list(x.rule_ids)) for x in d.lines
                ],
            )
            for d in view.regulations_due
        ],
        expiring_reserves=[
            ExpiringOut(
                offer=_ref(e.offer), origin_year=e.origin_year, expiry_year=e.expiry_year, balance=_kr(e.balance)
            )
            for e in view.expiring_reserves
        ],
        not_received=[_ref(r) for r in view.not_received],
        missing=[_ref(r) for r in view.missing],
    )
