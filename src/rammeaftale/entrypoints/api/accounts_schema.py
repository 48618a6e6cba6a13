"""Request and response models of the accounts API (``routes_accounts.py``): explicit fields, amounts as
decimal strings with øre, request bodies that refuse unknown fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from rammeaftale.entrypoints.api.routes import Body, FindingOut
from rammeaftale.entrypoints.deps import MAX_DB_INTEGER


class RegulationOut(BaseModel):
    id: int
    kind: str  # tariff: enters the budget year's tariff; repayment: repaid to one buyer (R-SUR-07)
    budget_year: int
    amount: str
    interest: str
    total: str
    origin_year: int
    buyer_id: int | None
    buyer: str | None
    purchases: str | None
    rule_ids: list[str]
    note: str


class AccountsOut(BaseModel):
    id: int
    offer_id: int
    accounts_year: int
    target_group: str
    version: int
    current: bool
    level: str
    source: str
    received_at: datetime
    late: bool
    cost_base: str
    cost_base_source: str
    costs_total: str
    income_total: str
    result: str
    percent: str
    kind: str
    limit: str
    within_limit: str
    excess: str
    tariff_effect: str
    due_year: int
    spread: bool
    reserved: str
    early_repayment: str
    rule_ids: list[str]
    remarks: str
    supersedes_id: int | None
    correction_reason: str
    findings: list[FindingOut]


class AccountsDetailOut(AccountsOut):
    offer_code: str
    data: dict[str, Any]
    regulations: list[RegulationOut]


class OfferAccountsOut(BaseModel):
    offer_id: int
    offer_code: str
    offer_name: str
    versions: list[AccountsOut]


class EntryOut(BaseModel):
    id: int
    kind: str
    offer_id: int
    offer_code: str
    amount: str
    origin_year: int
    expiry_year: int
    booked_year: int
    other_offer_id: int | None
    accounts_submission_id: int | None
    note: str
    created_at: datetime


class LotOut(BaseModel):
    offer_id: int
    offer_code: str
    origin_year: int
    expiry_year: int
    balance: str


class YearBalanceOut(BaseModel):
    origin_year: int
    balance: str


class OfferBalanceOut(BaseModel):
    offer_id: int
    balance: str


class LedgerOut(BaseModel):
    operator_id: int
    operator: str
    balance: str
    by_origin_year: list[YearBalanceOut]
    by_offer: list[OfferBalanceOut]
    lots: list[LotOut]
    entries: list[EntryOut]


class OfferRefOut(BaseModel):
    offer_id: int
    offer_code: str
    offer_name: str
    operator_id: int
    operator: str


class AccountsLineOut(BaseModel):
    offer: OfferRefOut
    accounts_id: int
    target_group: str
    kind: str
    result: str
    percent: str
    excess: str
    tariff_effect: str
    due_year: int
    late: bool
    received_at: datetime


class DueLineOut(BaseModel):
    offer: OfferRefOut
    amount: str
    rule_ids: list[str]


class DueYearOut(BaseModel):
    budget_year: int
    total: str
    lines: list[DueLineOut]


class ExpiringOut(BaseModel):
    offer: OfferRefOut
    origin_year: int
    expiry_year: int
    balance: str


class RegionAccountsOut(BaseModel):
    region_code: int
    year: int
    deadline: date
    deadline_passed: bool
    received: list[AccountsLineOut]
    beyond_limit: list[AccountsLineOut]
    late: list[AccountsLineOut]
    regulations_due: list[DueYearOut]
    expiring_reserves: list[ExpiringOut]
    not_received: list[OfferRefOut]
    missing: list[OfferRefOut]


class ExpiredOut(BaseModel):
    offer_id: int
    origin_year: int
    expiry_year: int
    amount: str
    due_year: int


class ReserveUse(Body):
    """R-SUR-02: use reserves in one of the operator's covered offers."""

    amount: str = Field(max_length=40)
    note: str = Field(default="", max_length=500)
    year: int | None = Field(default=None, ge=2000, le=2100)


class ClosureTransfer(Body):
    """R-CLO-01: move the whole reserve of a closing offer to another covered offer of the operator."""

    to_offer_id: int = Field(ge=1, le=MAX_DB_INTEGER)


class NoFields(Body):
    pass
