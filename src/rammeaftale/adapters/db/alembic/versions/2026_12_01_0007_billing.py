"""billing: monthly runs, invoices and credit notes with their lines, invoice numbers, refund claims, disputes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:00:00

Issue 5, handbook § 9. The monthly run (``services/billing.py``) issues, in one transaction, one invoice per
payer and month (R-SET-01) and, after a change, a credit note for the earlier invoice and a new one
(R-SET-02). The database itself keeps what is issued as issued, in the way of migrations 0002 and 0005:

* ``billing_runs``, ``invoices``, ``invoice_lines`` and ``refund_claims`` are append-only: UPDATE, DELETE
  and TRUNCATE are refused (an issued invoice is corrected by a credit note and a new invoice, never edited).
* ``invoice_numbers`` holds the next number per operator, taken in the run's transaction (so a rolled-back
  run leaves no gap). The database checks that the numbering has no gaps: the counter, when inserted or
  updated, must be one more than both the number of the operator's invoices and credit notes and their
  highest ``sequence``; with ``sequence`` unique per operator and at least 1, the numbers are exactly
  1 … n. The row is never deleted.
* A line's and a claim's invoice must exist: checked by a trigger once per statement over the new rows
  (PostgreSQL: a transition table, fired by COPY too; SQLite: per row) rather than by a row-level foreign
  key, which costs a month's bulk write more than the write itself. Invoices are never deleted, so the
  check at insert is all a foreign key would do. A line's ``placement_id`` names the placement it bills
  (placements are never deleted either, migration 0006); it is written from the placements read in the
  same transaction and not checked again. Lines are keyed by (invoice, position), claims by (invoice,
  placement).
* ``disputes``: a buyer's objection to a line. A dispute may be resolved once (status 'open' to 'resolved',
  filling in the resolution columns); nothing else of it changes, and it is never deleted.

PostgreSQL: the append-only tables call ``guard_append_only()`` of migration 0002 with their own Danish
messages (SQLSTATE 23000, an IntegrityError in the driver); the two other guards are trigger functions of
their own, the dispute guard comparing the whole rows as jsonb minus the resolution columns. SQLite:
BEFORE UPDATE / BEFORE DELETE triggers with ``RAISE(ABORT, …)``, naming the columns. A later migration that
rebuilds one of these tables in batch mode (which drops its triggers) must recreate them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(precision=16, scale=2)

# table -> (message on UPDATE, message on DELETE/TRUNCATE); Danish, shown in the database error.
APPEND_ONLY = {
    "billing_runs": (
        "En faktureringskørsel kan ikke ændres: der kan kun tilføjes nye kørsler.",
        "En faktureringskørsel kan ikke slettes: der kan kun tilføjes nye kørsler.",
    ),
    "invoices": (
        "En udstedt faktura kan ikke ændres; ret den med en kreditnota og en ny faktura.",
        "En udstedt faktura kan ikke slettes; ret den med en kreditnota og en ny faktura.",
    ),
    "invoice_lines": (
        "En linje på en udstedt faktura kan ikke ændres; ret fakturaen med en kreditnota og en ny faktura.",
        "En linje på en udstedt faktura kan ikke slettes; ret fakturaen med en kreditnota og en ny faktura.",
    ),
    "refund_claims": (
        "Et refusionskrav fra en udstedt faktura kan ikke ændres; det følger fakturaen.",
        "Et refusionskrav fra en udstedt faktura kan ikke slettes; det følger fakturaen.",
    ),
}
NUMBER_GAP = (
    "Fakturanumrene skal være fortløbende uden huller: næste nummer skal være ét mere end antallet af "
    "driftsherrens udstedte fakturaer og kreditnotaer."
)
NUMBER_DELETE = "Fakturanummerrækken kan ikke slettes."
DISPUTE_CHANGE = "En indsigelse kan kun afgøres én gang; den kan ikke ændres bagefter."
DISPUTE_DELETE = "En indsigelse kan ikke slettes."
# What resolving a dispute fills in; every other column of disputes stays as it was raised.
RESOLUTION_COLUMNS = (
    "status",
    "resolution",
    "resolved_at",
    "resolved_by",
    "resolution_run_id",
    "credit_note_id",
    "new_invoice_id",
)
DISPUTE_COLUMNS = (
    "id",
    "invoice_id",
    "line_index",
    "buyer_id",
    "reason",
    "raised_on",
    "raised_at",
    "raised_by",
)


# child table -> its parent column; every new row must name an existing invoice (checked per statement).
PARENTS = {"invoice_lines": "invoice_id", "refund_claims": "invoice_id"}
NO_PARENT = "En fakturalinje eller et refusionskrav skal høre til en udstedt faktura."


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.create_table(
        "billing_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("ruleset_id", sa.String(length=100), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("placements", sa.Integer(), nullable=False),
        sa.Column("invoices_issued", sa.Integer(), nullable=False),
        sa.Column("credit_notes_issued", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("lines_written", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("billing_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_billing_runs_operator_id"), ["operator_id"], unique=False)

    op.create_table(
        "invoice_numbers",
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("operator_id"),
    )

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("payer_kommunekode", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("credits_id", sa.Integer(), nullable=True),
        sa.Column("credits_number", sa.String(length=40), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("total", AMOUNT, nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ruleset_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["billing_runs.id"]),
        sa.ForeignKeyConstraint(["credits_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "sequence"),
        sa.UniqueConstraint("credits_id"),
        sa.UniqueConstraint("number"),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name="ck_invoices_kind"),
        sa.CheckConstraint("sequence >= 1", name="ck_invoices_sequence"),
        sa.CheckConstraint("(kind = 'credit_note') = (credits_id IS NOT NULL)", name="ck_invoices_credits"),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_payer_kommunekode"), ["payer_kommunekode"], unique=False)
        batch_op.create_index("ix_invoices_operator_month", ["operator_id", "year", "month"], unique=False)

    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column("placement_ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("unit_price", AMOUNT, nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("rule_id", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", "position"),
    )

    op.create_table(
        "refund_claims",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("placement_ref", sa.String(length=64), nullable=False),
        sa.Column("claimant_kommunekode", sa.Integer(), nullable=False),
        sa.Column("debtor_kommunekode", sa.Integer(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("rule_id", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id", "placement_ref"),
    )
    with op.batch_alter_table("refund_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_refund_claims_claimant_kommunekode"), ["claimant_kommunekode"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_refund_claims_debtor_kommunekode"), ["debtor_kommunekode"], unique=False)

    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("line_index", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_by", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution_run_id", sa.Integer(), nullable=True),
        sa.Column("credit_note_id", sa.Integer(), nullable=True),
        sa.Column("new_invoice_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.ForeignKeyConstraint(["invoice_id", "line_index"], ["invoice_lines.invoice_id", "invoice_lines.position"]),
        sa.ForeignKeyConstraint(["buyer_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["raised_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["resolved_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["resolution_run_id"], ["billing_runs.id"]),
        sa.ForeignKeyConstraint(["credit_note_id"], ["invoices.id"]),
        sa.ForeignKeyConstraint(["new_invoice_id"], ["invoices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("status IN ('open', 'resolved')", name="ck_disputes_status"),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_buyer_id"), ["buyer_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()


def _missing_parent(table: str, row: str | None = None) -> str:
    """SQL that is true when a new row names an invoice that does not exist: for SQLite, of the row ``row``
    (NEW); for PostgreSQL, of any row of the statement's transition table ``new_rows``. There the distinct
    invoices (one per payer) are probed one by one through the primary key (``OFFSET 0`` keeps the probe a
    subplan, so no statement hashes the whole, ever growing, invoices table)."""
    column = PARENTS[table]
    if row is not None:
        return f"NOT EXISTS (SELECT 1 FROM invoices p WHERE p.id = {row}.{column})"
    return (
        f"EXISTS (SELECT 1 FROM (SELECT DISTINCT {column} AS id FROM new_rows) n "
        f"WHERE NOT EXISTS (SELECT 1 FROM invoices p WHERE p.id = n.id OFFSET 0))"
    )


def _postgresql_guards() -> None:
    # The lines' and claims' invoice, checked once per statement over the new rows (a transition table; COPY
    # fires it too) instead of a row-level foreign key per row: an invoice is never deleted.
    for table in PARENTS:
        op.execute(
            f"""
            CREATE FUNCTION guard_{table}_parents() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF {_missing_parent(table)} THEN
                    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', MESSAGE = {_quote(NO_PARENT)};
                END IF;
                RETURN NULL;
            END
            $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_parents AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION guard_{table}_parents()"
        )
    for table, (on_update, on_delete) in APPEND_ONLY.items():
        args = f"{_quote(on_update)}, {_quote(on_delete)}"
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION guard_append_only({args})"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION guard_append_only({args})"
        )
    op.execute(
        f"""
        CREATE FUNCTION guard_invoice_number() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP NOT IN ('INSERT', 'UPDATE') THEN
                RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = {_quote(NUMBER_DELETE)};
            END IF;
            IF (TG_OP = 'UPDATE' AND NEW.operator_id IS DISTINCT FROM OLD.operator_id)
               OR NEW.next_number IS DISTINCT FROM 1 + (SELECT count(*) FROM invoices WHERE operator_id = NEW.operator_id)
               OR NEW.next_number IS DISTINCT FROM 1 + (
                   SELECT coalesce(max(sequence), 0) FROM invoices WHERE operator_id = NEW.operator_id
               ) THEN
                RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = {_quote(NUMBER_GAP)};
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER invoice_numbers_gap_free BEFORE INSERT OR UPDATE OR DELETE ON invoice_numbers "
        "FOR EACH ROW EXECUTE FUNCTION guard_invoice_number()"
    )
    op.execute(
        "CREATE TRIGGER invoice_numbers_no_truncate BEFORE TRUNCATE ON invoice_numbers "
        "FOR EACH STATEMENT EXECUTE FUNCTION guard_invoice_number()"
    )
    resolution = "ARRAY[" + ", ".join(_quote(c) for c in RESOLUTION_COLUMNS) + "]"
    op.execute(
        f"""
        CREATE FUNCTION guard_dispute() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'UPDATE' THEN
                RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = {_quote(DISPUTE_DELETE)};
            END IF;
            IF OLD.status <> 'open' OR NEW.status <> 'resolved'
               OR (to_jsonb(NEW) - {resolution}) IS DISTINCT FROM (to_jsonb(OLD) - {resolution}) THEN
                RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = {_quote(DISPUTE_CHANGE)};
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER disputes_resolve_once BEFORE UPDATE OR DELETE ON disputes "
        "FOR EACH ROW EXECUTE FUNCTION guard_dispute()"
    )
    op.execute(
        "CREATE TRIGGER disputes_no_truncate BEFORE TRUNCATE ON disputes "
        "FOR EACH STATEMENT EXECUTE FUNCTION guard_dispute()"
    )


def _sqlite_guards() -> None:
    for table in PARENTS:
        op.execute(
            f"CREATE TRIGGER {table}_parents BEFORE INSERT ON {table} WHEN {_missing_parent(table, 'NEW')} "
            f"BEGIN SELECT RAISE(ABORT, {_quote(NO_PARENT)}); END"
        )
    for table, (on_update, on_delete) in APPEND_ONLY.items():
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_quote(on_update)}); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_quote(on_delete)}); END"
        )
    gap = (
        "NEW.next_number IS NOT 1 + (SELECT count(*) FROM invoices WHERE operator_id = NEW.operator_id) "
        "OR NEW.next_number IS NOT 1 + "
        "(SELECT coalesce(max(sequence), 0) FROM invoices WHERE operator_id = NEW.operator_id)"
    )
    op.execute(
        f"CREATE TRIGGER invoice_numbers_gap_free_insert BEFORE INSERT ON invoice_numbers WHEN {gap} "
        f"BEGIN SELECT RAISE(ABORT, {_quote(NUMBER_GAP)}); END"
    )
    op.execute(
        "CREATE TRIGGER invoice_numbers_gap_free BEFORE UPDATE ON invoice_numbers "
        f"WHEN NEW.operator_id IS NOT OLD.operator_id OR {gap} "
        f"BEGIN SELECT RAISE(ABORT, {_quote(NUMBER_GAP)}); END"
    )
    op.execute(
        "CREATE TRIGGER invoice_numbers_no_delete BEFORE DELETE ON invoice_numbers "
        f"BEGIN SELECT RAISE(ABORT, {_quote(NUMBER_DELETE)}); END"
    )
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in DISPUTE_COLUMNS)
    op.execute(
        "CREATE TRIGGER disputes_resolve_once BEFORE UPDATE ON disputes "
        f"WHEN OLD.status IS NOT 'open' OR NEW.status IS NOT 'resolved' OR {changed} "
        f"BEGIN SELECT RAISE(ABORT, {_quote(DISPUTE_CHANGE)}); END"
    )
    op.execute(
        "CREATE TRIGGER disputes_no_delete BEFORE DELETE ON disputes "
        f"BEGIN SELECT RAISE(ABORT, {_quote(DISPUTE_DELETE)}); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        for trigger, table in (
            ("invoice_numbers_gap_free", "invoice_numbers"),
            ("invoice_numbers_no_truncate", "invoice_numbers"),
            ("disputes_resolve_once", "disputes"),
            ("disputes_no_truncate", "disputes"),
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for table in PARENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_parents ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS guard_{table}_parents()")
        op.execute("DROP FUNCTION IF EXISTS guard_invoice_number()")
        op.execute("DROP FUNCTION IF EXISTS guard_dispute()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        for trigger in (
            "invoice_lines_parents",
            "refund_claims_parents",
            "invoice_numbers_gap_free_insert",
            "invoice_numbers_gap_free",
            "invoice_numbers_no_delete",
            "disputes_resolve_once",
            "disputes_no_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    for table in ("disputes", "refund_claims", "invoice_lines", "invoices", "invoice_numbers", "billing_runs"):
        op.drop_table(table)
