"""objective financing: agreements, their keys, year-end true-ups; on-account and true-up invoices

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:10:00

Issue 5, item 4 (handbook § 10, R-OBJ-01 … R-OBJ-03, R-SET-12).

* ``financing_agreements``: an offer's objective financing for one year, registered by the region's
  secretariat: the yearly amount in whole kroner, the kind of key (R-OBJ-01) and whether the municipalities
  in the key hold a drawing right (R-OBJ-03). One per offer and year; append-only (the actual amount and key
  of the year go in the true-up, never into the agreement).
* ``financing_weights``: the key's weights by kommunekode, in order; ``stage`` 'plan' (the agreement's key,
  which the on-account installments follow) or 'actual' (the key of the year-end true-up). Append-only.
* ``financing_true_ups``: the year-end true-up of an agreement (R-SET-12), at most one; the run that issued its
  invoices and credit notes. Append-only.
* ``invoices`` and ``billing_runs`` get ``purpose``: 'month' (the monthly run, as before), 'on_account' (an
  installment of objective financing) or 'true_up'. On-account and true-up invoices name their agreement
  (``financing_id``) and, on account, the installment; a unique index keeps one installment per agreement and
  payer, so issuing it again can create nothing. They take the operator's numbers like every invoice, so the
  numbering stays gap-free (migration 0007's guard counts all of them).

Adding columns does not rebuild the tables (``ALTER TABLE … ADD COLUMN`` on both databases), so the guards of
migration 0007 stay. Guards on the new tables as in migrations 0002 and 0008.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(precision=16, scale=2)
WEIGHT = sa.Numeric(precision=18, scale=6)

APPEND_ONLY = {
    "financing_agreements": (
        "En aftale om objektiv finansiering kan ikke ændres; årets faktiske beløb og nøgle indgår i årsafregningen.",
        "En aftale om objektiv finansiering kan ikke slettes.",
    ),
    "financing_weights": (
        "En fordelingsnøgle kan ikke ændres (R-OBJ-01).",
        "En fordelingsnøgle kan ikke slettes (R-OBJ-01).",
    ),
    "financing_true_ups": (
        "En årsafregning af objektiv finansiering kan ikke ændres (R-SET-12).",
        "En årsafregning af objektiv finansiering kan ikke slettes (R-SET-12).",
    ),
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.create_table(
        "financing_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("key_kind", sa.String(length=30), nullable=False),
        sa.Column("drawing_right", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"]),
        sa.ForeignKeyConstraint(["operator_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offer_id", "year", name="uq_financing_agreements_offer_year"),
        sa.CheckConstraint("amount >= 0", name="ck_financing_agreements_amount"),
    )
    with op.batch_alter_table("financing_agreements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_financing_agreements_operator_id"), ["operator_id"])
        batch_op.create_index(batch_op.f("ix_financing_agreements_region_code"), ["region_code"])

    op.create_table(
        "financing_weights",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kommunekode", sa.Integer(), nullable=False),
        sa.Column("weight", WEIGHT, nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["financing_agreements.id"]),
        sa.PrimaryKeyConstraint("agreement_id", "stage", "position"),
        sa.UniqueConstraint("agreement_id", "stage", "kommunekode", name="uq_financing_weights_municipality"),
        sa.CheckConstraint("weight >= 0", name="ck_financing_weights_weight"),
        sa.CheckConstraint("stage IN ('plan', 'actual')", name="ck_financing_weights_stage"),
    )

    op.create_table(
        "financing_true_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("actual_amount", AMOUNT, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["agreement_id"], ["financing_agreements.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["billing_runs.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agreement_id", name="uq_financing_true_ups_agreement"),
        sa.CheckConstraint("actual_amount >= 0", name="ck_financing_true_ups_amount"),
    )

    op.add_column("billing_runs", sa.Column("purpose", sa.String(length=20), nullable=False, server_default="month"))
    op.add_column("invoices", sa.Column("purpose", sa.String(length=20), nullable=False, server_default="month"))
    op.add_column("invoices", sa.Column("financing_id", sa.Integer(), nullable=True))
    op.add_column("invoices", sa.Column("installment", sa.Integer(), nullable=True))
    op.create_index(
        "uq_invoices_installment", "invoices", ["financing_id", "installment", "payer_kommunekode"], unique=True
    )

    if op.get_bind().dialect.name == "postgresql":
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
    else:
        for table, (on_update, on_delete) in APPEND_ONLY.items():
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, {_quote(on_update)}); END"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, {_quote(on_delete)}); END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    op.drop_index("uq_invoices_installment", table_name="invoices")
    for table, column in (
        ("invoices", "installment"),
        ("invoices", "financing_id"),
        ("invoices", "purpose"),
        ("billing_runs", "purpose"),
    ):
        if postgresql:
            op.drop_column(table, column)
        else:  # SQLite 3.35+ drops a column in place, keeping the tables' guards of migration 0007
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    for table in ("financing_true_ups", "financing_weights", "financing_agreements"):
        op.drop_table(table)
