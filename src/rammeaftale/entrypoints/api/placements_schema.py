"""Request and response models of the placements API (``routes_placements.py``): explicit fields, amounts as
decimal strings with øre, request bodies that refuse unknown fields. The CPR number appears only masked
(``cpr_masked``: ``DDMMYY-xxxx``), except in ``CprOut``, the answer to a party's POST .../cpr.

The two bodies that carry a CPR number (registering, searching) are read by the services, not by FastAPI,
so a refused body is answered with findings that never repeat the number (FastAPI's own validation errors
echo the input).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from rammeaftale.entrypoints.api.routes import Body, FindingOut


class MunicipalityOut(BaseModel):
    kommunekode: int
    name: str


class NoticeOut(BaseModel):
    given_on: date
    final_date: date
    kind: str  # final | provisional | acute_closure
    operator_agrees: bool
    counts: bool  # a provisional notice counts only once the operator agrees (R-SET-04)


class TariffOut(BaseModel):
    effective_from: date
    daily: str
    label: str


class DeliveryOut(BaseModel):
    day: date
    quantity: str


class SupplementOut(BaseModel):
    id: int
    kind: str  # ata | daily | unit
    name: str
    start: date | None
    end: date | None
    hours_per_day: str | None
    staff_category: str
    hourly_cost: str | None
    absence_pct: str | None
    time_of_day: str
    time_coefficient_pct: str | None
    variable_costs_pct: str | None
    hourly_rate: str | None  # the ATA rate (R-SUP-02)
    daily_amount: str | None
    unit_price: str | None
    deliveries: list[DeliveryOut]
    created_at: datetime


class PartyOut(BaseModel):
    """How the caller stands to the placement."""

    operator: bool
    acting_municipality: bool
    paying_municipality: bool
    may_reveal_cpr: bool


class PlacementOut(BaseModel):
    placement_id: str
    cpr_masked: str
    status: str  # registered | confirmed | refused
    offer_id: int
    offer_code: str
    offer_name: str
    service_id: int
    service_name: str
    level: str
    operator_id: int
    operator_name: str
    acting_municipality: MunicipalityOut
    paying_municipality: MunicipalityOut | None  # None: in doubt (R-SET-01)
    contract: str  # standard | older
    offer_kind: str  # standard | special | substitution | interim
    start_date: date
    respite_granted_days: list[date] | None
    negotiated_tariff: str | None
    agreed_notice_months: int | None
    notice: NoticeOut | None
    tariffs: list[TariffOut]
    supplements: list[SupplementOut]
    source: str
    created_at: datetime
    confirmed_at: datetime | None
    refused_at: datetime | None
    refusal_reason: str
    you: PartyOut


class RegisteredOut(PlacementOut):
    findings: list[FindingOut]


class PlacementListOut(BaseModel):
    total: int
    limit: int
    offset: int
    placements: list[PlacementOut]


class ImportedOut(BaseModel):
    count: int
    placement_ids: list[str]
    findings: list[FindingOut]


class SupplementAddedOut(BaseModel):
    supplement_id: int
    findings: list[FindingOut]
    placement: PlacementOut


class CprOut(BaseModel):
    placement_id: str
    cpr: str


class Empty(Body):
    pass


class Refusal(Body):
    reason: str = Field(min_length=1, max_length=2000)


class NoticeIn(Body):
    final_date: date
    kind: Literal["final", "provisional", "acute_closure"] = "final"
    given_on: date | None = None


class DeliveryIn(Body):
    day: date
    quantity: str = Field(max_length=40)


class SupplementIn(Body):
    """``ata``: start, hours_per_day, hourly_cost, absence_pct, time_coefficient_pct (and time_of_day,
    staff_category); ``daily``: start and daily_amount; ``unit``: unit_price and deliveries. Numbers as
    decimal strings ("1.5", "220.00"); percentages in % ("30")."""

    kind: Literal["ata", "daily", "unit"]
    name: str = Field(min_length=1, max_length=200)
    start: date | None = None
    end: date | None = None
    hours_per_day: str | None = Field(default=None, max_length=40)
    staff_category: str = Field(default="", max_length=100)
    hourly_cost: str | None = Field(default=None, max_length=40)
    absence_pct: str | None = Field(default=None, max_length=40)
    time_of_day: str = Field(default="", max_length=60)
    time_coefficient_pct: str | None = Field(default=None, max_length=40)
    daily_amount: str | None = Field(default=None, max_length=40)
    unit_price: str | None = Field(default=None, max_length=40)
    deliveries: list[DeliveryIn] = Field(default_factory=list, max_length=1000)


class SupplementEnd(Body):
    end: date


_TEXT: dict[str, Any] = {"type": "string", "maxLength": 200}
_CODE: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 9999}
PLACEMENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "cpr": {"type": "string", "description": "DDMMÅÅ-SSSS eller 10 cifre"},
                        "service_id": {"type": "integer"},
                        "offer_code": _TEXT,
                        "service": _TEXT,
                        "level": _TEXT,
                        "acting_municipality": _CODE,
                        "paying_municipality": {"type": ["integer", "null"], "minimum": 0, "maximum": 9999},
                        "contract": {"type": "string", "enum": ["standard", "older"]},
                        "offer_kind": {"type": "string", "enum": ["standard", "special", "substitution", "interim"]},
                        "start_date": {"type": "string", "format": "date"},
                        "respite_granted_days": {"type": "array", "items": {"type": "string", "format": "date"}},
                        "negotiated_tariff": {"type": "string"},
                        "agreed_notice_months": {"type": "integer", "minimum": 0, "maximum": 12},
                    },
                    "required": ["cpr", "acting_municipality", "start_date"],
                }
            }
        },
    }
}
SEARCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"cpr": {"type": "string"}}, "required": ["cpr"]}
            }
        },
    }
}
