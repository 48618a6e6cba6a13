"""Request and response models of the objective financing API (``routes_financing.py``): amounts in whole
kroner as decimal strings, invoice totals with øre, request bodies that refuse unknown fields."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from rammeaftale.entrypoints.api.billing_schema import InvoiceOut
from rammeaftale.entrypoints.api.routes import Body


class WeightIn(Body):
    municipality: int = Field(ge=0, le=9999, description="Kommunekoden")
    weight: str = Field(max_length=40, description="Vægten: befolkningstal, delbefolkning eller forbrug")


class AgreementIn(Body):
    offer: str = Field(min_length=1, max_length=40, description="Tilbuddets kode")
    year: int = Field(ge=2000, le=2100)
    amount: str = Field(max_length=40, description="Årets beløb i hele kroner (R-OBJ-02)")
    key_kind: str = Field(max_length=30, description="population | sub_population | historical_use (R-OBJ-01)")
    weights: list[WeightIn] = Field(max_length=200)
    drawing_right: bool = True


class InstallmentsIn(Body):
    through: int | None = Field(default=None, ge=1, le=12, description="Til og med rate nr.")


class TrueUpIn(Body):
    actual_amount: str = Field(max_length=40, description="Årets faktiske beløb i hele kroner")
    weights: list[WeightIn] | None = Field(default=None, max_length=200, description="Faktisk nøgle")


class ShareOut(BaseModel):
    municipality: int
    weight: str
    amount: str


class InstallmentOut(BaseModel):
    municipality: int
    number: int
    amount: str


class TrueUpLineOut(BaseModel):
    municipality: int
    paid_on_account: str
    final_share: str
    difference: str


class AgreementOut(BaseModel):
    id: int
    offer: str
    operator_id: int
    region_code: int
    year: int
    amount: str
    key_kind: str
    drawing_right: bool
    actual_amount: str | None
    created_at: datetime


class AgreementDetailOut(AgreementOut):
    installments_per_year: int
    shares: list[ShareOut]
    installments: list[InstallmentOut]
    true_up: list[TrueUpLineOut]
    invoices: list[InvoiceOut]
    invoiced: str


class FinancingIssueOut(BaseModel):
    agreement: AgreementOut
    issued: list[InvoiceOut]
    invoices: list[InvoiceOut]
