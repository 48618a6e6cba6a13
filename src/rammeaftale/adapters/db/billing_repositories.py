"""Queries of the monthly billing: runs, invoices and credit notes, their lines, refund claims, disputes.

Handbook § 9, issue 5; tables of migration 0007. Invoices, lines, claims and runs are append-only (the
database refuses UPDATE and DELETE): this repository only adds and reads them. Rows are mapped to plain
values before they leave; lines carry the domain's ``InvoiceLine``.

An invoice is *current* while no credit note credits it; a credit note is never current. The lines are
written in bulk (PostgreSQL: ``COPY``; SQLite: one ``executemany``), never as ORM objects, so a month of a
hundred thousand placements is written at close to the database's raw rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

from rammeaftale.adapters.db import models as m
from rammeaftale.domain.invoices import DocumentKind
from rammeaftale.domain.periods import Period
from rammeaftale.domain.refund_claims import RefundClaim
from rammeaftale.domain.settlement import InvoiceLine, LineKind

MONTH, ON_ACCOUNT, TRUE_UP = "month", "on_account", "true_up"  # what an invoice or a run is for (migration 0009)

INVOICE_COLUMNS = (
    "id",
    "operator_id",
    "run_id",
    "payer_kommunekode",
    "year",
    "month",
    "period_start",
    "period_end",
    "kind",
    "sequence",
    "number",
    "credits_id",
    "credits_number",
    "issued_on",
    "due_on",
    "total",
    "line_count",
    "status",
    "ruleset_id",
    "created_at",
    "purpose",
    "financing_id",
    "installment",
)
LINE_COLUMNS = (
    "invoice_id",
    "position",
    "placement_id",
    "placement_ref",
    "kind",
    "label",
    "period_from",
    "period_to",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "rule_id",
)
CLAIM_COLUMNS = (
    "invoice_id",
    "claimant_kommunekode",
    "debtor_kommunekode",
    "placement_ref",
    "period_from",
    "period_to",
    "amount",
    "rule_id",
)
# PostgreSQL types of the columns above, for binary COPY.
COPY_TYPES = {
    "invoices": (
        "int4",
        "int4",
        "int4",
        "int4",
        "int4",
        "int4",
        "date",
        "date",
        "varchar",
        "int4",
        "varchar",
        "int4",
        "varchar",
        "date",
        "date",
        "numeric",
        "int4",
        "varchar",
        "varchar",
        "timestamptz",
        "varchar",
        "int4",
        "int4",
    ),
    "invoice_lines": (
        "int4",
        "int4",
        "int4",
        "varchar",
        "varchar",
        "text",
        "date",
        "date",
        "numeric",
        "varchar",
        "numeric",
        "numeric",
        "varchar",
    ),
    "refund_claims": ("int4", "int4", "int4", "varchar", "date", "date", "numeric", "varchar"),
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class StoredInvoice:
    """An issued invoice or credit note. ``credited_by`` is the number of the credit note that cancels it."""

    id: int
    operator_id: int
    run_id: int
    payer: int  # the payer's kommunekode
    year: int
    month: int
    period: Period
    kind: DocumentKind
    sequence: int
    number: str
    credits_id: int | None
    credits_number: str
    issued_on: date
    due_on: date
    total: Decimal
    line_count: int
    status: str
    ruleset_id: str
    created_at: datetime
    credited_by: str | None = None
    credited_by_id: int | None = None
    purpose: str = MONTH  # month | on_account | true_up (objective financing, R-SET-12)
    financing_id: int | None = None
    installment: int | None = None

    @property
    def current(self) -> bool:
        return self.kind is DocumentKind.INVOICE and self.credited_by is None


@dataclass(frozen=True)
class StoredLine:
    invoice_id: int
    position: int
    placement_id: int | None
    line: InvoiceLine


@dataclass(frozen=True)
class StoredRun:
    id: int
    operator_id: int
    year: int
    month: int
    ruleset_id: str
    issued_on: date
    started_at: datetime
    finished_at: datetime
    actor_name: str
    placements: int
    invoices_issued: int
    credit_notes_issued: int
    unchanged: int
    lines_written: int
    findings: list[dict[str, Any]]


@dataclass(frozen=True)
class StoredDispute:
    id: int
    invoice_id: int
    line_index: int
    buyer_id: int
    reason: str
    raised_on: date
    raised_at: datetime
    raised_by: int | None
    status: str  # open | resolved
    resolution: str
    resolved_at: datetime | None
    resolved_by: int | None
    resolution_run_id: int | None
    credit_note_id: int | None
    new_invoice_id: int | None


@dataclass(frozen=True)
class NewInvoice:
    """What the run issues: the header; ``lines`` are (placement id or None, domain line)."""

    operator_id: int
    run_id: int
    payer: int
    year: int
    month: int
    period: Period
    kind: DocumentKind
    sequence: int
    number: str
    credits_id: int | None
    credits_number: str
    issued_on: date
    due_on: date
    total: Decimal
    ruleset_id: str
    created_at: datetime
    lines: tuple[tuple[int | None, InvoiceLine], ...]
    claims: tuple[RefundClaim, ...] = ()
    purpose: str = MONTH
    financing_id: int | None = None
    installment: int | None = None


def _invoice(row: Any, credited_by: str | None = None, credited_by_id: int | None = None) -> StoredInvoice:
    return StoredInvoice(
        id=row.id,
        operator_id=row.operator_id,
        run_id=row.run_id,
        payer=row.payer_kommunekode,
        year=row.year,
        month=row.month,
        period=Period(row.period_start, row.period_end),
        kind=DocumentKind(row.kind),
        sequence=row.sequence,
        number=row.number,
        credits_id=row.credits_id,
        credits_number=row.credits_number,
        issued_on=row.issued_on,
        due_on=row.due_on,
        total=row.total,
        line_count=row.line_count,
        status=row.status,
        ruleset_id=row.ruleset_id,
        created_at=_utc(row.created_at),
        credited_by=credited_by,
        credited_by_id=credited_by_id,
        purpose=row.purpose,
        financing_id=row.financing_id,
        installment=row.installment,
    )


def _issued(invoice_id: int, inv: NewInvoice) -> StoredInvoice:
    return StoredInvoice(
        id=invoice_id,
        operator_id=inv.operator_id,
        run_id=inv.run_id,
        payer=inv.payer,
        year=inv.year,
        month=inv.month,
        period=inv.period,
        kind=inv.kind,
        sequence=inv.sequence,
        number=inv.number,
        credits_id=inv.credits_id,
        credits_number=inv.credits_number,
        issued_on=inv.issued_on,
        due_on=inv.due_on,
        total=inv.total,
        line_count=len(inv.lines),
        status="issued",
        ruleset_id=inv.ruleset_id,
        created_at=_utc(inv.created_at),
        purpose=inv.purpose,
        financing_id=inv.financing_id,
        installment=inv.installment,
    )


_KINDS = {kind.value: kind for kind in LineKind}
_KIND_VALUES = {kind: kind.value for kind in LineKind}


class _Lines:
    """Maps line rows (``LINE_COLUMNS`` in order) to stored lines; a month's lines share a few periods."""

    def __init__(self) -> None:
        self.periods: dict[tuple[date, date], Period] = {}

    def __call__(self, row: tuple[Any, ...]) -> StoredLine:
        invoice_id, position, placement_id, ref, kind, label, start, end, quantity, unit, price, amount, rule = row
        period = self.periods.get((start, end))
        if period is None:
            period = self.periods[(start, end)] = Period(start, end)
        line = InvoiceLine(ref, _KINDS[kind], label, period, quantity, unit, price, amount, rule)
        return StoredLine(invoice_id, position, placement_id, line)


def _dispute(row: m.DisputeRow) -> StoredDispute:
    return StoredDispute(
        id=row.id,
        invoice_id=row.invoice_id,
        line_index=row.line_index,
        buyer_id=row.buyer_id,
        reason=row.reason,
        raised_on=row.raised_on,
        raised_at=_utc(row.raised_at),
        raised_by=row.raised_by,
        status=row.status,
        resolution=row.resolution,
        resolved_at=_utc(row.resolved_at) if row.resolved_at is not None else None,
        resolved_by=row.resolved_by,
        resolution_run_id=row.resolution_run_id,
        credit_note_id=row.credit_note_id,
        new_invoice_id=row.new_invoice_id,
    )


def _run(row: m.BillingRunRow) -> StoredRun:
    return StoredRun(
        id=row.id,
        operator_id=row.operator_id,
        year=row.year,
        month=row.month,
        ruleset_id=row.ruleset_id,
        issued_on=row.issued_on,
        started_at=_utc(row.started_at),
        finished_at=_utc(row.finished_at),
        actor_name=row.actor_name,
        placements=row.placements,
        invoices_issued=row.invoices_issued,
        credit_notes_issued=row.credit_notes_issued,
        unchanged=row.unchanged,
        lines_written=row.lines_written,
        findings=list(row.findings),
    )


def _with_credits(*conditions: Any) -> Select[Any]:
    """Invoices (rows of the table) with the number and id of the credit note that credits each (None when it
    is current), in number order."""
    invoices = m.InvoiceRow.__table__
    credit = invoices.alias("credit")
    return (
        select(invoices, credit.c.number.label("credited_by"), credit.c.id.label("credited_by_id"))
        .outerjoin(credit, credit.c.credits_id == invoices.c.id)
        .where(*conditions)
        .order_by(invoices.c.operator_id, invoices.c.sequence)
    )


class BillingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def purchases_of_offer(self, offer_id: int, year: int) -> dict[int, Decimal]:
        """What each payer (kommunekode) was billed for the offer's placements in a year, net of credit notes
        (their lines are negated), for sharing an early repayment by purchases (R-SUR-07)."""
        rows = self.session.execute(
            select(m.InvoiceRow.payer_kommunekode, func.sum(m.InvoiceLineRow.amount))
            .join(m.InvoiceLineRow, m.InvoiceLineRow.invoice_id == m.InvoiceRow.id)
            .join(m.PlacementRow, m.PlacementRow.id == m.InvoiceLineRow.placement_id)
            .where(m.PlacementRow.offer_id == offer_id, m.InvoiceRow.year == year)
            .group_by(m.InvoiceRow.payer_kommunekode)
        )
        return {int(code): Decimal(str(total)) for code, total in rows if total}

    # --- serialising the runs of one operator, and its numbers ------------------------------------------

    def lock(self, operator_id: int) -> None:
        """Serialise billing of one operator until the transaction ends (runs, corrections, numbers).

        PostgreSQL: a transaction-scoped advisory lock, so a second run waits and then reads what the first
        one issued. SQLite: the write use case already holds the database's write lock (``BEGIN IMMEDIATE``).
        """
        if self.session.get_bind().dialect.name == "postgresql":
            key = f"billing:{operator_id}"
            self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))

    def next_number(self, operator_id: int) -> int:
        """The operator's next invoice number, its counter row locked until the transaction ends (a first
        run creates the row at 1). Numbers are used by ``add_invoices`` and then ``numbers_used``, in the
        caller's transaction, so a rolled-back run gives them back and no number is ever skipped."""
        found = self.session.execute(
            select(m.InvoiceNumberRow.next_number)
            .where(m.InvoiceNumberRow.operator_id == operator_id)
            .with_for_update()
        ).scalar_one_or_none()
        if found is None:
            self.session.execute(insert(m.InvoiceNumberRow).values(operator_id=operator_id, next_number=1))
            return 1
        return int(found)

    def numbers_used(self, operator_id: int, next_number: int) -> None:
        """Move the counter past the numbers just issued (the database checks there is no gap)."""
        self.session.execute(
            update(m.InvoiceNumberRow)
            .where(m.InvoiceNumberRow.operator_id == operator_id)
            .values(next_number=next_number)
        )

    # --- writing --------------------------------------------------------------------------------------

    def add_run(self, **values: Any) -> int:
        return int(
            self.session.execute(insert(m.BillingRunRow).values(**values).returning(m.BillingRunRow.id)).scalar_one()
        )

    def add_invoices(self, invoices: Sequence[NewInvoice]) -> list[StoredInvoice]:
        """Write the invoices, their lines and refund claims in bulk (three bulk writes whatever their number);
        returns them as stored, in order."""
        if not invoices:
            return []
        ids = self._new_invoice_ids(len(invoices))
        headers = [
            (
                invoice_id,
                inv.operator_id,
                inv.run_id,
                inv.payer,
                inv.year,
                inv.month,
                inv.period.start,
                inv.period.end,
                inv.kind.value,
                inv.sequence,
                inv.number,
                inv.credits_id,
                inv.credits_number,
                inv.issued_on,
                inv.due_on,
                inv.total,
                len(inv.lines),
                "issued",
                inv.ruleset_id,
                inv.created_at,
                inv.purpose,
                inv.financing_id,
                inv.installment,
            )
            for invoice_id, inv in zip(ids, invoices, strict=True)
        ]
        self._bulk(m.InvoiceRow.__table__, INVOICE_COLUMNS, headers)
        lines = _line_rows(ids, invoices)
        claims = (
            (
                invoice_id,
                c.claimant,
                c.debtor,
                c.placement_id,
                c.period.start,
                c.period.end,
                c.amount,
                c.rule_id,
            )
            for invoice_id, inv in zip(ids, invoices, strict=True)
            for c in inv.claims
        )
        self._bulk(m.InvoiceLineRow.__table__, LINE_COLUMNS, lines)
        self._bulk(m.RefundClaimRow.__table__, CLAIM_COLUMNS, claims)
        return [_issued(invoice_id, inv) for invoice_id, inv in zip(ids, invoices, strict=True)]

    def _new_invoice_ids(self, count: int) -> list[int]:
        """Ids for ``count`` new invoices, taken before they are written in bulk: PostgreSQL's sequence (safe
        under concurrency); on SQLite the write transaction holds the database's only write lock, so the next
        ids after the highest are this transaction's."""
        if self.session.get_bind().dialect.name == "postgresql":
            taken = self.session.execute(
                text("SELECT nextval(pg_get_serial_sequence('invoices', 'id')) FROM generate_series(1, :n)"),
                {"n": count},
            ).scalars()
            return sorted(int(i) for i in taken)
        highest = self.session.execute(select(func.coalesce(func.max(m.InvoiceRow.id), 0))).scalar_one()
        return list(range(int(highest) + 1, int(highest) + 1 + count))

    def _bulk(self, table: Any, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Append rows at the database's bulk rate, in this transaction: a binary ``COPY … FROM STDIN`` on
        PostgreSQL, streamed as the rows are made; on SQLite one ``executemany`` of the driver, the values bound
        by the columns' own SQLAlchemy types (as a core insert binds them, without its per-row overhead). A
        driver error comes out as SQLAlchemy's (``IntegrityError`` …), as from any other statement."""
        connection = self.session.connection()
        dialect = connection.dialect
        names = ", ".join(columns)
        if dialect.name != "postgresql":
            binds = [(n, table.c[c].type.dialect_impl(dialect).bind_processor(dialect)) for n, c in enumerate(columns)]
            processed = [(n, bind) for n, bind in binds if bind is not None]
            values = [_bound(row, processed) for row in rows]
            if values:
                marks = ", ".join("?" for _ in columns)
                connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", values)
            return
        sql = f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)"
        raw: Any = connection.connection.dbapi_connection
        try:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                copy.set_types(list(COPY_TYPES[table.name]))
                for row in rows:
                    copy.write_row(row)
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc

    # --- reading invoices -------------------------------------------------------------------------------

    def _invoices(self, *conditions: Any) -> list[StoredInvoice]:
        rows = self.session.execute(_with_credits(*conditions))
        return [_invoice(row, row.credited_by, row.credited_by_id) for row in rows]

    def get(self, invoice_id: int) -> StoredInvoice | None:
        found = self._invoices(m.InvoiceRow.id == invoice_id)
        return found[0] if found else None

    def by_ids(self, invoice_ids: Iterable[int]) -> list[StoredInvoice]:
        ids = list(invoice_ids)
        return self._invoices(m.InvoiceRow.id.in_(ids)) if ids else []

    def of_month(self, operator_id: int, year: int, month: int) -> list[StoredInvoice]:
        """Every invoice and credit note of an operator's monthly run for a month, in number order (not the
        on-account and true-up invoices of objective financing, which the monthly run never corrects)."""
        return self._invoices(
            m.InvoiceRow.operator_id == operator_id,
            m.InvoiceRow.year == year,
            m.InvoiceRow.month == month,
            m.InvoiceRow.purpose == MONTH,
        )

    def of_financing(self, agreement_id: int) -> list[StoredInvoice]:
        """The on-account and true-up invoices and credit notes of one financing agreement, in number order."""
        return self._invoices(m.InvoiceRow.financing_id == agreement_id)

    def of_operator(self, operator_id: int, year: int | None = None, month: int | None = None) -> list[StoredInvoice]:
        return self._invoices(m.InvoiceRow.operator_id == operator_id, *_month_filter(year, month))

    def to_payer(self, kommunekode: int, year: int | None = None, month: int | None = None) -> list[StoredInvoice]:
        """Every invoice and credit note to one payer, from all operators."""
        return self._invoices(m.InvoiceRow.payer_kommunekode == kommunekode, *_month_filter(year, month))

    def lines(self, invoice_ids: Sequence[int]) -> dict[int, list[StoredLine]]:
        """The lines of the invoices, by invoice id, in position order (one query)."""
        found: dict[int, list[StoredLine]] = {i: [] for i in invoice_ids}
        if not invoice_ids:
            return found
        table = m.InvoiceLineRow.__table__
        rows = self.session.execute(
            select(*(table.c[c] for c in LINE_COLUMNS))
            .where(table.c.invoice_id.in_(list(invoice_ids)))
            .order_by(table.c.invoice_id, table.c.position)
        ).tuples()
        line = _Lines()
        for row in rows:
            found[row[0]].append(line(row))
        return found

    def claims(self, invoice_ids: Sequence[int]) -> dict[int, list[RefundClaim]]:
        """The refund claims (R-SET-01) billed on the invoices, by invoice id (one query)."""
        found: dict[int, list[RefundClaim]] = {i: [] for i in invoice_ids}
        if not invoice_ids:
            return found
        table = m.RefundClaimRow.__table__
        rows = self.session.execute(
            select(table)
            .where(table.c.invoice_id.in_(list(invoice_ids)))
            .order_by(table.c.invoice_id, table.c.placement_ref)
        )
        for r in rows:
            found[r.invoice_id].append(
                RefundClaim(
                    r.claimant_kommunekode,
                    r.debtor_kommunekode,
                    r.placement_ref,
                    Period(r.period_from, r.period_to),
                    Decimal(r.amount),
                    r.rule_id,
                )
            )
        return found

    def current_claims(
        self, kommunekode: int, year: int | None = None, month: int | None = None
    ) -> list[tuple[StoredInvoice, RefundClaim]]:
        """Refund claims of current invoices where the municipality claims or owes (R-SET-01)."""
        table = m.RefundClaimRow.__table__
        credit = aliased(m.InvoiceRow)
        invoice_ids = select(m.InvoiceRow.id).where(
            m.InvoiceRow.kind == DocumentKind.INVOICE.value,
            ~select(credit.id).where(credit.credits_id == m.InvoiceRow.id).exists(),
            *_month_filter(year, month),
        )
        rows = list(
            self.session.execute(
                select(table)
                .where(
                    table.c.invoice_id.in_(invoice_ids),
                    (table.c.claimant_kommunekode == kommunekode) | (table.c.debtor_kommunekode == kommunekode),
                )
                .order_by(table.c.invoice_id, table.c.placement_ref)
            )
        )
        invoices = {i.id: i for i in self.by_ids({r.invoice_id for r in rows})}
        return [
            (
                invoices[r.invoice_id],
                RefundClaim(
                    r.claimant_kommunekode,
                    r.debtor_kommunekode,
                    r.placement_ref,
                    Period(r.period_from, r.period_to),
                    Decimal(r.amount),
                    r.rule_id,
                ),
            )
            for r in rows
        ]

    # --- runs -----------------------------------------------------------------------------------------------

    def runs(self, operator_id: int, year: int | None = None, month: int | None = None) -> list[StoredRun]:
        """The operator's monthly runs (not the issues of objective financing), oldest first."""
        query = select(m.BillingRunRow).where(
            m.BillingRunRow.operator_id == operator_id, m.BillingRunRow.purpose == MONTH
        )
        if year is not None:
            query = query.where(m.BillingRunRow.year == year)
        if month is not None:
            query = query.where(m.BillingRunRow.month == month)
        return [_run(r) for r in self.session.scalars(query.order_by(m.BillingRunRow.id))]

    # --- disputes ---------------------------------------------------------------------------------------------

    def add_dispute(self, row: m.DisputeRow) -> int:
        self.session.add(row)
        self.session.flush()
        return row.id

    def dispute(self, dispute_id: int, *, for_update: bool = False) -> StoredDispute | None:
        query = select(m.DisputeRow).where(m.DisputeRow.id == dispute_id)
        row = self.session.scalar(query.with_for_update() if for_update else query)
        return _dispute(row) if row is not None else None

    def disputes(self, invoice_ids: Sequence[int]) -> list[StoredDispute]:
        if not invoice_ids:
            return []
        rows = self.session.scalars(
            select(m.DisputeRow).where(m.DisputeRow.invoice_id.in_(list(invoice_ids))).order_by(m.DisputeRow.id)
        )
        return [_dispute(r) for r in rows]

    def open_dispute_of_line(self, invoice_id: int, line_index: int) -> StoredDispute | None:
        row = self.session.scalar(
            select(m.DisputeRow)
            .where(
                m.DisputeRow.invoice_id == invoice_id,
                m.DisputeRow.line_index == line_index,
                m.DisputeRow.status == "open",
            )
            .limit(1)
        )
        return _dispute(row) if row is not None else None

    def open_disputes_by_invoice(self, invoice_ids: Sequence[int]) -> dict[int, int]:
        """How many open disputes each invoice has (only invoices with one)."""
        if not invoice_ids:
            return {}
        rows = self.session.execute(
            select(m.DisputeRow.invoice_id, func.count())
            .where(m.DisputeRow.invoice_id.in_(list(invoice_ids)), m.DisputeRow.status == "open")
            .group_by(m.DisputeRow.invoice_id)
        )
        return {int(i): int(n) for i, n in rows}

    def resolve_dispute(self, dispute_id: int, **values: Any) -> None:
        """The one change a dispute ever has: open -> resolved (the database refuses any other)."""
        self.session.execute(
            update(m.DisputeRow)
            .where(and_(m.DisputeRow.id == dispute_id, m.DisputeRow.status == "open"))
            .values(status="resolved", **values)
        )


def _line_rows(ids: Sequence[int], invoices: Sequence[NewInvoice]) -> Iterator[tuple[Any, ...]]:
    """The invoices' lines as rows of ``LINE_COLUMNS``: the hot loop of a month's write (a hundred thousand
    lines), so the kind's value comes from a dict rather than the enum's descriptor and each line's period
    is read once."""
    kinds = _KIND_VALUES
    for invoice_id, inv in zip(ids, invoices, strict=True):
        for position, (placement_id, line) in enumerate(inv.lines):
            period = line.period
            yield (
                invoice_id,
                position,
                placement_id,
                line.placement_id,
                kinds[line.kind],
                line.label,
                period.start,
                period.end,
                line.quantity,
                line.unit,
                line.unit_price,
                line.amount,
                line.rule_id,
            )


def _bound(row: tuple[Any, ...], binds: Sequence[tuple[int, Any]]) -> tuple[Any, ...]:
    values = list(row)
    for n, bind in binds:
        if values[n] is not None:
            values[n] = bind(values[n])
    return tuple(values)


def _month_filter(year: int | None, month: int | None) -> list[Any]:
    conditions: list[Any] = []
    if year is not None:
        conditions.append(m.InvoiceRow.year == year)
    if month is not None:
        conditions.append(m.InvoiceRow.month == month)
    return conditions
