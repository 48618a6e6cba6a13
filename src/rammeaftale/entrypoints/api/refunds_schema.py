"""Request and response models of the refunds API (``routes_refunds.py``): health refund claims (R-REF-01),
Region Midtjylland's citizen schedules (handbook § 13) and the closing costs of interim offers (R-SET-08).

Explicit fields, amounts as decimal strings with øre (a JSON number is refused: no floats at the boundary),
dates ISO, request bodies that refuse unknown fields. A placement is named by its pseudonymous id only.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from rammeaftale.entrypoints.api.routes import Body, FindingOut


class HealthServiceIn(Body):
    """R-REF-01: one health service for a month: ``hours`` or a ``documented_cost`` (decimal strings)."""

    year: int = Field(ge=2000, le=2100)
    month: int  # 1–12; checked by the service (a Danish finding)
    name: str = Field(max_length=200)
    hours: str | None = Field(default=None, max_length=40)
    documented_cost: str | None = Field(default=None, max_length=40)


class HealthServiceOut(BaseModel):
    id: int
    placement_id: str
    year: int
    month: int


class HealthRefundClaimOut(BaseModel):
    placement: str  # the pseudonymous placement id
    claimant: int  # the kommunekode of the municipality where the offer lies
    debtor: int  # the paying municipality's kommunekode
    year: int
    month: int
    period_start: date
    period_end: date
    amount: str
    rule_id: str
    ruleset_id: str


class RefundRunOut(BaseModel):
    year: int
    month: int
    raised: int  # claims raised by this run
    already: int  # placements whose claim of the month was raised before (unchanged: claims are immutable)
    below_minimum: int  # below the rule set's minimum claim: no claim (R-REF-01)
    claims: list[HealthRefundClaimOut]  # the municipality's claims of the month, new and earlier
    total: str
    findings: list[FindingOut]


class ScheduledServiceIn(Body):
    name: str = Field(max_length=200)
    hours_per_week: str = Field(max_length=40)


class CitizenScheduleIn(Body):
    """§ 13: the basis tariff per day plus service hours per week at the region's common hourly rate."""

    effective_from: date
    basis_daily: str = Field(max_length=40)
    hourly_rate: str = Field(max_length=40)
    services: list[ScheduledServiceIn] = Field(default_factory=list, max_length=100)
    agreed_with_buyer: bool = False


class CitizenScheduleOut(BaseModel):
    placement_id: str
    version: int  # a replacement is a new version; nothing is overwritten
    effective_from: date


class ClosingCostsIn(Body):
    until: date  # R-SET-08: the last day of the documented closing costs (cut at the rule set's maximum)


class ClosingCostsOut(BaseModel):
    placement_id: str
    closing_costs_until: date
