"""JSON API of objective financing (handbook § 10, R-SET-12). Thin: parse, call ``services/financing.py``,
build the response field by field.

Who: the secretariat registers its region's agreements; the offer's operator issues the on-account invoices
and the year-end true-up; everyone reads the agreements they are party to (the secretariat its region's, the
operator its own, a municipality those whose key names it, with only its own invoices). Objects of another
organisation answer 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from rammeaftale.adapters.db.billing_repositories import StoredInvoice
from rammeaftale.adapters.db.financing_repositories import StoredAgreement
from rammeaftale.entrypoints.api.billing_schema import InvoiceOut
from rammeaftale.entrypoints.api.financing_schema import (
    AgreementDetailOut,
    AgreementIn,
    AgreementOut,
    FinancingIssueOut,
    InstallmentOut,
    InstallmentsIn,
    ShareOut,
    TrueUpIn,
    TrueUpLineOut,
)
from rammeaftale.entrypoints.api.routes import ERROR_RESPONSES
from rammeaftale.entrypoints.api.routes_billing import invoice_out
from rammeaftale.entrypoints.deps import ClockDep, UowDep, UserDep, integers_in_range
from rammeaftale.entrypoints.policies import Policy, policy
from rammeaftale.services import billing_queries, financing
from rammeaftale.services.financing import FinancingIssue

router = APIRouter(tags=["objektiv finansiering"], responses=ERROR_RESPONSES, dependencies=[Depends(integers_in_range)])
YearFilter = Annotated[int | None, Query(ge=2000, le=2100)]
PARTIES = Policy.AUTHENTICATED  # every role: each sees only the agreements it is party to


def _agreement(a: StoredAgreement) -> AgreementOut:
    return AgreementOut(
        id=a.id,
        offer=a.offer_code,
        operator_id=a.operator_id,
        region_code=a.region_code,
        year=a.year,
        amount=f"{a.amount:.0f}",
        key_kind=a.key_kind.value,
        drawing_right=a.drawing_right,
        actual_amount=None if a.actual_amount is None else f"{a.actual_amount:.0f}",
        created_at=a.created_at,
    )


def _invoices(uow: UowDep, invoices: Sequence[StoredInvoice]) -> list[InvoiceOut]:
    return [invoice_out(v) for v in billing_queries.views_of(uow, invoices)]


def _issue(uow: UowDep, result: FinancingIssue) -> FinancingIssueOut:
    return FinancingIssueOut(
        agreement=_agreement(result.agreement),
        issued=_invoices(uow, result.issued),
        invoices=_invoices(uow, result.invoices),
    )


def _kr(value: Decimal) -> str:
    return f"{value:.0f}"


@router.post("/financing/agreements", status_code=201, dependencies=[policy(Policy.SECRETARIAT)])
def register_agreement(body: AgreementIn, uow: UowDep, actor: UserDep, clock: ClockDep) -> AgreementOut:
    """Register an offer's objective financing for a year: amount, key (R-OBJ-01), drawing right (R-OBJ-03)."""
    weights = [(w.municipality, w.weight) for w in body.weights]
    return _agreement(
        financing.register_agreement(
            uow, actor, clock, body.offer, body.year, body.amount, body.key_kind, weights, body.drawing_right
        )
    )


@router.get("/financing/agreements", dependencies=[policy(PARTIES)])
def list_agreements(uow: UowDep, actor: UserDep, year: YearFilter = None) -> list[AgreementOut]:
    """The agreements the caller is party to (of a year)."""
    return [_agreement(a) for a in financing.agreements(uow, actor, year)]


@router.get("/financing/agreements/{agreement_id}", dependencies=[policy(PARTIES)])
def get_agreement(agreement_id: int, uow: UowDep, actor: UserDep) -> AgreementDetailOut:
    """One agreement: its shares (R-OBJ-02), installments and true-up (R-SET-12), and the caller's invoices."""
    d = financing.agreement_detail(uow, actor, agreement_id)
    weights = dict(d.agreement.weights)
    return AgreementDetailOut(
        **_agreement(d.agreement).model_dump(),
        installments_per_year=d.installments_per_year,
        shares=[
            ShareOut(municipality=int(a.municipality), weight=f"{weights[int(a.municipality)]:f}", amount=_kr(a.amount))
            for a in d.distribution.allocations
        ],
        installments=[
            InstallmentOut(municipality=int(i.municipality), number=i.number, amount=_kr(i.amount))
            for i in d.installments
        ],
        true_up=[
            TrueUpLineOut(
                municipality=int(line.municipality),
                paid_on_account=f"{line.paid_on_account:.2f}",
                final_share=_kr(line.final_share),
                difference=f"{line.difference:.2f}",
            )
            for line in (d.true_up.lines if d.true_up else ())
        ],
        invoices=_invoices(uow, d.invoices),
        invoiced=f"{d.invoiced:.2f}",
    )


@router.post("/financing/agreements/{agreement_id}/installments", dependencies=[policy(Policy.OPERATOR)])
def issue_installments(
    agreement_id: int, body: InstallmentsIn, uow: UowDep, actor: UserDep, clock: ClockDep
) -> FinancingIssueOut:
    """Invoice the on-account installments that have begun (R-SET-12); again: nothing new."""
    return _issue(uow, financing.issue_installments(uow, actor, clock, agreement_id, body.through))


@router.post("/financing/agreements/{agreement_id}/true-up", dependencies=[policy(Policy.OPERATOR)])
def true_up(agreement_id: int, body: TrueUpIn, uow: UowDep, actor: UserDep, clock: ClockDep) -> FinancingIssueOut:
    """True the year up against the actual amount: invoices and credit notes for the differences (R-SET-12)."""
    weights = None if body.weights is None else [(w.municipality, w.weight) for w in body.weights]
    return _issue(uow, financing.true_up_agreement(uow, actor, clock, agreement_id, body.actual_amount, weights))
