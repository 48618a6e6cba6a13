"""Queries of objective financing: agreements and their keys, true-ups, and the drawing rights the monthly run
applies (handbook § 10, R-SET-12; tables of migration 0009). Append-only: this repository adds and reads.
On-account and true-up invoices are invoices (``BillingRepository``); here they are only found by agreement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from rammeaftale.adapters.db import models as m
from rammeaftale.domain.financing import KeyKind

PLAN, ACTUAL = "plan", "actual"


@dataclass(frozen=True)
class StoredAgreement:
    """An agreement with its key (``weights``: kommunekode and weight, in order) and, once trued up, the
    actual amount and key."""

    id: int
    offer_id: int
    offer_code: str
    operator_id: int
    region_code: int
    year: int
    amount: Decimal
    key_kind: KeyKind
    drawing_right: bool
    weights: tuple[tuple[int, Decimal], ...]
    created_at: datetime
    actual_amount: Decimal | None = None
    actual_weights: tuple[tuple[int, Decimal], ...] = ()

    @property
    def trued_up(self) -> bool:
        return self.actual_amount is not None


class FinancingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_agreement(self, weights: Sequence[tuple[int, Decimal]], **values: object) -> int:
        agreement_id = int(
            self.session.execute(
                insert(m.FinancingAgreementRow).values(**values).returning(m.FinancingAgreementRow.id)
            ).scalar_one()
        )
        self._add_weights(agreement_id, PLAN, weights)
        return agreement_id

    def add_true_up(self, agreement_id: int, weights: Sequence[tuple[int, Decimal]], **values: object) -> None:
        self.session.execute(insert(m.FinancingTrueUpRow).values(agreement_id=agreement_id, **values))
        self._add_weights(agreement_id, ACTUAL, weights)

    def _add_weights(self, agreement_id: int, stage: str, weights: Sequence[tuple[int, Decimal]]) -> None:
        rows = [
            {"agreement_id": agreement_id, "stage": stage, "position": n, "kommunekode": code, "weight": weight}
            for n, (code, weight) in enumerate(weights)
        ]
        if rows:
            self.session.execute(insert(m.FinancingWeightRow), rows)

    def find(self, offer_id: int, year: int) -> StoredAgreement | None:
        """The offer's agreement for the year, if there is one."""
        found = self._agreements(m.FinancingAgreementRow.offer_id == offer_id, m.FinancingAgreementRow.year == year)
        return found[0] if found else None

    def get(self, agreement_id: int) -> StoredAgreement | None:
        found = self._agreements(m.FinancingAgreementRow.id == agreement_id)
        return found[0] if found else None

    def of_region(self, region_code: int, year: int | None = None) -> list[StoredAgreement]:
        conditions: list[Any] = [m.FinancingAgreementRow.region_code == region_code]
        if year is not None:
            conditions.append(m.FinancingAgreementRow.year == year)
        return self._agreements(*conditions)

    def of_operator(self, operator_id: int, year: int | None = None) -> list[StoredAgreement]:
        conditions: list[Any] = [m.FinancingAgreementRow.operator_id == operator_id]
        if year is not None:
            conditions.append(m.FinancingAgreementRow.year == year)
        return self._agreements(*conditions)

    def of_municipality(self, kommunekode: int, year: int | None = None) -> list[StoredAgreement]:
        """The agreements whose key (plan or actual) names the municipality."""
        named = select(m.FinancingWeightRow.agreement_id).where(m.FinancingWeightRow.kommunekode == kommunekode)
        conditions: list[Any] = [m.FinancingAgreementRow.id.in_(named)]
        if year is not None:
            conditions.append(m.FinancingAgreementRow.year == year)
        return self._agreements(*conditions)

    def _agreements(self, *conditions: Any) -> list[StoredAgreement]:
        rows = self.session.execute(
            select(m.FinancingAgreementRow, m.Offer.code, m.FinancingTrueUpRow.actual_amount)
            .join(m.Offer, m.Offer.id == m.FinancingAgreementRow.offer_id)
            .outerjoin(m.FinancingTrueUpRow, m.FinancingTrueUpRow.agreement_id == m.FinancingAgreementRow.id)
            .where(*conditions)
            .order_by(m.FinancingAgreementRow.year, m.Offer.code)
        ).all()
        weights = self._weights([row.id for row, _, _ in rows])
        return [
            StoredAgreement(
                id=row.id,
                offer_id=row.offer_id,
                offer_code=code,
                operator_id=row.operator_id,
                region_code=row.region_code,
                year=row.year,
                amount=Decimal(row.amount),
                key_kind=KeyKind(row.key_kind),
                drawing_right=row.drawing_right,
                weights=tuple(weights[(row.id, PLAN)]),
                created_at=row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC),
                actual_amount=None if actual is None else Decimal(actual),
                actual_weights=tuple(weights[(row.id, ACTUAL)]),
            )
            for row, code, actual in rows
        ]

    def _weights(self, agreement_ids: Sequence[int]) -> dict[tuple[int, str], list[tuple[int, Decimal]]]:
        found: dict[tuple[int, str], list[tuple[int, Decimal]]] = defaultdict(list)
        if not agreement_ids:
            return found
        rows = self.session.execute(
            select(m.FinancingWeightRow)
            .where(m.FinancingWeightRow.agreement_id.in_(list(agreement_ids)))
            .order_by(m.FinancingWeightRow.agreement_id, m.FinancingWeightRow.stage, m.FinancingWeightRow.position)
        ).scalars()
        for w in rows:
            found[(w.agreement_id, w.stage)].append((w.kommunekode, Decimal(w.weight)))
        return found

    def drawing_rights(self, operator_id: int, year: int) -> dict[int, frozenset[int]]:
        """R-OBJ-03: for each placement (placements.id) in an offer of the operator with a drawing-right agreement
        for the year, the kommunekoder holding the right (weight above 0 in the agreement's key)."""
        rows = self.session.execute(
            select(m.PlacementRow.id, m.FinancingWeightRow.kommunekode)
            .join(m.FinancingAgreementRow, m.FinancingAgreementRow.offer_id == m.PlacementRow.offer_id)
            .join(m.FinancingWeightRow, m.FinancingWeightRow.agreement_id == m.FinancingAgreementRow.id)
            .where(
                m.PlacementRow.operator_id == operator_id,
                m.FinancingAgreementRow.year == year,
                m.FinancingAgreementRow.drawing_right.is_(True),
                m.FinancingWeightRow.stage == PLAN,
                m.FinancingWeightRow.weight > 0,
            )
        )
        holders: dict[int, set[int]] = defaultdict(set)
        for pk, code in rows:
            holders[int(pk)].add(int(code))
        return {pk: frozenset(codes) for pk, codes in holders.items()}
