"""Queries of the accounts, their regulations and the reserve ledger (issue 4, handbook § 7).

All three tables are append-only (migration 0005): these repositories only add and read. Rows are
mapped to plain values before they leave; ledger lines carry the domain's ``ReserveEntry``.

The current version of an accounts chain (offer, accounts year, target group) is the row that no other
row supersedes; a regulation counts while its accounts are current (or, from an expired reserve, always).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from rammeaftale.adapters.db import models as m
from rammeaftale.domain.accounts import EntryKind, ReserveEntry

TARIFF = "tariff"  # a regulation that enters the budget year's tariff
REPAYMENT = "repayment"  # an early repayment to one buyer (R-SUR-07)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class StoredAccounts:
    """One stored version of accounts with its § 7 consequence (amounts in kroner, signed as documented
    on ``AccountsSubmissionRow``); ``current`` says no later version supersedes it."""

    id: int
    offer_id: int
    operator_id: int
    accounts_year: int
    target_group: str
    version: int
    level: str
    ruleset_id: str
    source: str
    data: dict[str, Any]
    findings: list[dict[str, Any]]
    new_offer: bool
    costs_total: Decimal
    income_total: Decimal
    cost_base: Decimal
    cost_base_source: str
    cost_base_submissions: list[int]
    result: Decimal
    percent: Decimal
    kind: str
    limit: Decimal
    within_limit: Decimal
    excess: Decimal
    tariff_effect: Decimal
    due_year: int
    spread: bool
    reserved: Decimal
    early_repayment: Decimal
    rule_ids: list[str]
    remarks: str
    received_at: datetime
    late: bool
    submitted_by: int | None
    supersedes_id: int | None
    correction_reason: str
    current: bool


@dataclass(frozen=True)
class StoredRegulation:
    id: int
    offer_id: int
    operator_id: int
    budget_year: int
    kind: str  # tariff | repayment
    amount: Decimal
    interest: Decimal
    origin_year: int
    accounts_submission_id: int | None
    ledger_entry_id: int | None
    buyer_id: int | None
    purchases: Decimal | None
    rule_ids: list[str]
    note: str
    created_at: datetime

    @property
    def total(self) -> Decimal:
        """What enters the tariff's regulation line: the amount plus its interest (R-SUR-06)."""
        return self.amount + self.interest


@dataclass(frozen=True)
class StoredEntry:
    """One ledger line: the domain entry plus where it came from."""

    id: int
    operator_id: int
    entry: ReserveEntry
    accounts_submission_id: int | None
    created_at: datetime
    created_by: int | None


def _accounts(row: m.AccountsSubmissionRow, current: bool) -> StoredAccounts:
    return StoredAccounts(
        id=row.id,
        offer_id=row.offer_id,
        operator_id=row.operator_id,
        accounts_year=row.accounts_year,
        target_group=row.target_group,
        version=row.version,
        level=row.level,
        ruleset_id=row.ruleset_id,
        source=row.source,
        data=dict(row.data),
        findings=list(row.findings),
        new_offer=row.new_offer,
        costs_total=row.costs_total,
        income_total=row.income_total,
        cost_base=row.cost_base,
        cost_base_source=row.cost_base_source,
        cost_base_submissions=[int(i) for i in row.cost_base_submissions],
        result=row.result,
        percent=row.percent,
        kind=row.kind,
        limit=row.limit_amount,
        within_limit=row.within_limit,
        excess=row.excess,
        tariff_effect=row.tariff_effect,
        due_year=row.due_year,
        spread=row.spread,
        reserved=row.reserved,
        early_repayment=row.early_repayment,
        rule_ids=[str(r) for r in row.rule_ids],
        remarks=row.remarks,
        received_at=_utc(row.received_at),
        late=row.late,
        submitted_by=row.submitted_by,
        supersedes_id=row.supersedes_id,
        correction_reason=row.correction_reason,
        current=current,
    )


def _regulation(row: m.AccountsRegulationRow) -> StoredRegulation:
    return StoredRegulation(
        id=row.id,
        offer_id=row.offer_id,
        operator_id=row.operator_id,
        budget_year=row.budget_year,
        kind=row.kind,
        amount=row.amount,
        interest=row.interest,
        origin_year=row.origin_year,
        accounts_submission_id=row.accounts_submission_id,
        ledger_entry_id=row.ledger_entry_id,
        buyer_id=row.buyer_id,
        purchases=row.purchases,
        rule_ids=[str(r) for r in row.rule_ids],
        note=row.note,
        created_at=_utc(row.created_at),
    )


def _entry(row: m.ReserveLedgerEntryRow) -> StoredEntry:
    entry = ReserveEntry(
        kind=EntryKind(row.kind),
        offer_id=row.offer_id,
        amount=row.amount,
        origin_year=row.origin_year,
        expiry_year=row.expiry_year,
        booked_year=row.booked_year,
        other_offer_id=row.other_offer_id,
        note=row.note,
    )
    return StoredEntry(row.id, row.operator_id, entry, row.accounts_submission_id, _utc(row.created_at), row.created_by)


def _superseded() -> ColumnElement[bool]:
    """True for an accounts row that a later version supersedes."""
    newer = aliased(m.AccountsSubmissionRow)
    return exists().where(newer.supersedes_id == m.AccountsSubmissionRow.id)


def _current_accounts_ids() -> Select[tuple[int]]:
    return select(m.AccountsSubmissionRow.id).where(~_superseded())


class AccountsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: m.AccountsSubmissionRow) -> int:
        self.session.add(row)
        self.session.flush()
        return row.id

    def get(self, accounts_id: int) -> StoredAccounts | None:
        found = self._load(select(m.AccountsSubmissionRow).where(m.AccountsSubmissionRow.id == accounts_id))
        return found[0] if found else None

    def next_version(self, offer_id: int, year: int, target_group: str) -> int:
        latest = self.session.scalar(
            select(func.max(m.AccountsSubmissionRow.version)).where(
                m.AccountsSubmissionRow.offer_id == offer_id,
                m.AccountsSubmissionRow.accounts_year == year,
                m.AccountsSubmissionRow.target_group == target_group,
            )
        )
        return (latest or 0) + 1

    def current(self, offer_id: int, year: int, target_group: str) -> StoredAccounts | None:
        """The current version of one chain (offer, accounts year, target group), or None."""
        found = self._load(
            select(m.AccountsSubmissionRow).where(
                m.AccountsSubmissionRow.offer_id == offer_id,
                m.AccountsSubmissionRow.accounts_year == year,
                m.AccountsSubmissionRow.target_group == target_group,
                ~_superseded(),
            )
        )
        return found[0] if found else None

    def chain_ids(self, offer_id: int, year: int, target_group: str) -> set[int]:
        """Every version of one chain."""
        rows = self.session.scalars(
            select(m.AccountsSubmissionRow.id).where(
                m.AccountsSubmissionRow.offer_id == offer_id,
                m.AccountsSubmissionRow.accounts_year == year,
                m.AccountsSubmissionRow.target_group == target_group,
            )
        )
        return set(rows)

    def for_offer(self, offer_id: int) -> list[StoredAccounts]:
        """Every version of an offer's accounts: newest year first, then target group, newest version first."""
        return self._load(
            select(m.AccountsSubmissionRow)
            .where(m.AccountsSubmissionRow.offer_id == offer_id)
            .order_by(
                m.AccountsSubmissionRow.accounts_year.desc(),
                m.AccountsSubmissionRow.target_group,
                m.AccountsSubmissionRow.version.desc(),
            )
        )

    def current_for_offers(self, offer_ids: Sequence[int], year: int | None = None) -> list[StoredAccounts]:
        """The current versions of the offers' accounts (of one accounts year, or all years)."""
        if not offer_ids:
            return []
        query = select(m.AccountsSubmissionRow).where(m.AccountsSubmissionRow.offer_id.in_(offer_ids), ~_superseded())
        if year is not None:
            query = query.where(m.AccountsSubmissionRow.accounts_year == year)
        return self._load(
            query.order_by(
                m.AccountsSubmissionRow.accounts_year,
                m.AccountsSubmissionRow.offer_id,
                m.AccountsSubmissionRow.target_group,
            )
        )

    def has_any(self, offer_id: int) -> bool:
        count = self.session.scalar(
            select(func.count())
            .where(m.AccountsSubmissionRow.offer_id == offer_id)
            .select_from(m.AccountsSubmissionRow)
        )
        return bool(count)

    def _load(self, query: Select[tuple[m.AccountsSubmissionRow]]) -> list[StoredAccounts]:
        rows = list(self.session.scalars(query))
        if not rows:
            return []
        ids = [r.id for r in rows]
        superseded = set(
            self.session.scalars(
                select(m.AccountsSubmissionRow.supersedes_id).where(m.AccountsSubmissionRow.supersedes_id.in_(ids))
            )
        )
        return [_accounts(r, r.id not in superseded) for r in rows]


class RegulationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_all(self, rows: Iterable[m.AccountsRegulationRow]) -> None:
        self.session.add_all(list(rows))
        self.session.flush()

    def for_accounts(self, accounts_id: int) -> list[StoredRegulation]:
        rows = self.session.scalars(
            select(m.AccountsRegulationRow)
            .where(m.AccountsRegulationRow.accounts_submission_id == accounts_id)
            .order_by(m.AccountsRegulationRow.id)
        )
        return [_regulation(r) for r in rows]

    def current(
        self, offer_ids: Sequence[int], budget_year: int | None = None, kind: str | None = TARIFF
    ) -> list[StoredRegulation]:
        """The regulations that count: from current accounts, or from expired reserves; by budget year."""
        if not offer_ids:
            return []
        counted = or_(
            m.AccountsRegulationRow.accounts_submission_id.is_(None),
            m.AccountsRegulationRow.accounts_submission_id.in_(_current_accounts_ids()),
        )
        query = select(m.AccountsRegulationRow).where(m.AccountsRegulationRow.offer_id.in_(offer_ids), counted)
        if budget_year is not None:
            query = query.where(m.AccountsRegulationRow.budget_year == budget_year)
        if kind is not None:
            query = query.where(m.AccountsRegulationRow.kind == kind)
        rows = self.session.scalars(
            query.order_by(
                m.AccountsRegulationRow.budget_year, m.AccountsRegulationRow.offer_id, m.AccountsRegulationRow.id
            )
        )
        return [_regulation(r) for r in rows]


class ReserveLedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, operator_id: int) -> None:
        """Serialise changes of one operator's ledger until the transaction ends (balances are checked
        after the lock). PostgreSQL: a transaction-scoped advisory lock; SQLite: the write use case holds
        the database's write lock already (``BEGIN IMMEDIATE``)."""
        if self.session.get_bind().dialect.name == "postgresql":
            key = f"reserve_ledger:{operator_id}"
            self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))

    def entries(self, operator_id: int) -> list[StoredEntry]:
        rows = self.session.scalars(
            select(m.ReserveLedgerEntryRow)
            .where(m.ReserveLedgerEntryRow.operator_id == operator_id)
            .order_by(m.ReserveLedgerEntryRow.id)
        )
        return [_entry(r) for r in rows]

    def for_operators(self, operator_ids: Sequence[int]) -> dict[int, list[StoredEntry]]:
        if not operator_ids:
            return {}
        rows = self.session.scalars(
            select(m.ReserveLedgerEntryRow)
            .where(m.ReserveLedgerEntryRow.operator_id.in_(operator_ids))
            .order_by(m.ReserveLedgerEntryRow.id)
        )
        found: dict[int, list[StoredEntry]] = {}
        for row in rows:
            found.setdefault(row.operator_id, []).append(_entry(row))
        return found

    def operators_with_entries(self, operator_ids: Sequence[int]) -> list[int]:
        if not operator_ids:
            return []
        rows = self.session.scalars(
            select(m.ReserveLedgerEntryRow.operator_id)
            .where(m.ReserveLedgerEntryRow.operator_id.in_(operator_ids))
            .distinct()
            .order_by(m.ReserveLedgerEntryRow.operator_id)
        )
        return list(rows)

    def add(
        self,
        operator_id: int,
        entries: Iterable[ReserveEntry],
        now: datetime,
        created_by: int | None,
        accounts_submission_id: int | None = None,
    ) -> list[int]:
        """Append entries (never change one); returns their ids in order."""
        rows = [
            m.ReserveLedgerEntryRow(
                operator_id=operator_id,
                offer_id=e.offer_id,
                kind=e.kind.value,
                amount=e.amount,
                origin_year=e.origin_year,
                expiry_year=e.expiry_year,
                booked_year=e.booked_year,
                other_offer_id=e.other_offer_id,
                accounts_submission_id=accounts_submission_id,
                note=e.note,
                created_at=now,
                created_by=created_by,
            )
            for e in entries
        ]
        self.session.add_all(rows)
        self.session.flush()
        return [r.id for r in rows]


def created_in(entries: Iterable[StoredEntry], accounts_ids: set[int]) -> list[StoredEntry]:
    """The ``created`` lines booked by the given accounts versions (one chain's reserves)."""
    return [e for e in entries if e.entry.kind is EntryKind.CREATED and e.accounts_submission_id in accounts_ids]
