"""accounts: accounts submissions, the regulations they cause, and the operators' reserve ledger (issue 4)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 20:00:00

Handbook § 7. Three tables, all three append-only at database level, in the way of migration 0002:

* ``accounts_submissions``: one row per version of an offer's (or target group's) accounts for a year.
  A stored row is always submitted; a correction is a new row with ``supersedes_id`` and a reason, so
  the current version is the one no other row supersedes. No row is ever changed or deleted.
* ``accounts_regulations``: what a version (or an expired reserve, R-SUR-02) puts into a budget year's
  tariff (``kind = 'tariff'``, signed as the tariff's regulation line) or repays to a buyer early
  (``kind = 'repayment'``, R-SUR-07). A correction's regulations replace the earlier version's by being
  the current version's, never by changing or deleting the earlier rows.
* ``reserve_ledger_entries``: the operators' reserves, created / used / expired / transferred / repaid;
  the balance is the sum of the entries.

PostgreSQL: row triggers BEFORE UPDATE OR DELETE and statement triggers BEFORE TRUNCATE calling
``guard_append_only()`` of migration 0002 with this table's Danish messages (SQLSTATE 23000, an
IntegrityError in the driver). SQLite: BEFORE UPDATE / BEFORE DELETE triggers with ``RAISE(ABORT, …)``.
A later migration that rebuilds one of these tables in batch mode (which drops its triggers) must
recreate them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(precision=16, scale=2)
PERCENT = sa.Numeric(precision=22, scale=2)  # |result| < 10^14 and cost base >= 0.01 kr.

# table -> (message on UPDATE, message on DELETE/TRUNCATE); Danish, shown in the database error.
APPEND_ONLY = {
    "accounts_submissions": (
        "Et indsendt regnskab kan ikke ændres; lav en rettelse som en ny version med en begrundelse.",
        "Et indsendt regnskab kan ikke slettes; lav en rettelse som en ny version med en begrundelse.",
    ),
    "accounts_regulations": (
        "En regulering fra et regnskab kan ikke ændres; en rettelse af regnskabet erstatter den.",
        "En regulering fra et regnskab kan ikke slettes; en rettelse af regnskabet erstatter den.",
    ),
    "reserve_ledger_entries": (
        "En postering i hensættelsesregnskabet kan ikke ændres: der kan kun tilføjes nye posteringer.",
        "En postering i hensættelsesregnskabet kan ikke slettes: der kan kun tilføjes nye posteringer.",
    ),
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.create_table(
        "accounts_submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("accounts_year", sa.Integer(), nullable=False),
        sa.Column("target_group", sa.String(length=400), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("ruleset_id", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("new_offer", sa.Boolean(), nullable=False),
        sa.Column("costs_total", AMOUNT, nullable=False),
        sa.Column("income_total", AMOUNT, nullable=False),
        sa.Column("cost_base", AMOUNT, nullable=False),
        sa.Column("cost_base_source", sa.String(length=10), nullable=False),
        sa.Column("cost_base_submissions", sa.JSON(), nullable=False),
        sa.Column("result", AMOUNT, nullable=False),
        sa.Column("percent", PERCENT, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("limit_amount", AMOUNT, nullable=False),
        sa.Column("within_limit", AMOUNT, nullable=False),
        sa.Column("excess", AMOUNT, nullable=False),
        sa.Column("tariff_effect", AMOUNT, nullable=False),
        sa.Column("due_year", sa.Integer(), nullable=False),
        sa.Column("spread", sa.Boolean(), nullable=False),
        sa.Column("reserved", AMOUNT, nullable=False),
        sa.Column("early_repayment", AMOUNT, nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"]),
        sa.ForeignKeyConstraint(["operator_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["submitted_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["supersedes_id"], ["accounts_submissions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offer_id", "accounts_year", "target_group", "version"),
        sa.UniqueConstraint("supersedes_id"),
    )
    with op.batch_alter_table("accounts_submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_submissions_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_submissions_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_submissions_accounts_year"), ["accounts_year"], unique=False)

    op.create_table(
        "reserve_ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("origin_year", sa.Integer(), nullable=False),
        sa.Column("expiry_year", sa.Integer(), nullable=False),
        sa.Column("booked_year", sa.Integer(), nullable=False),
        sa.Column("other_offer_id", sa.Integer(), nullable=True),
        sa.Column("accounts_submission_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["operator_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"]),
        sa.ForeignKeyConstraint(["other_offer_id"], ["offers.id"]),
        sa.ForeignKeyConstraint(["accounts_submission_id"], ["accounts_submissions.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reserve_ledger_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reserve_ledger_entries_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reserve_ledger_entries_offer_id"), ["offer_id"], unique=False)

    op.create_table(
        "accounts_regulations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("budget_year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("interest", AMOUNT, nullable=False),
        sa.Column("origin_year", sa.Integer(), nullable=False),
        sa.Column("accounts_submission_id", sa.Integer(), nullable=True),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=True),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("purchases", AMOUNT, nullable=True),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"]),
        sa.ForeignKeyConstraint(["operator_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["accounts_submission_id"], ["accounts_submissions.id"]),
        sa.ForeignKeyConstraint(["ledger_entry_id"], ["reserve_ledger_entries.id"]),
        sa.ForeignKeyConstraint(["buyer_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("accounts_regulations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_regulations_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_accounts_regulations_budget_year"), ["budget_year"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_accounts_regulations_accounts_submission_id"), ["accounts_submission_id"], unique=False
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
    with op.batch_alter_table("accounts_regulations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_regulations_accounts_submission_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_regulations_budget_year"))
        batch_op.drop_index(batch_op.f("ix_accounts_regulations_offer_id"))
    op.drop_table("accounts_regulations")
    with op.batch_alter_table("reserve_ledger_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reserve_ledger_entries_offer_id"))
        batch_op.drop_index(batch_op.f("ix_reserve_ledger_entries_operator_id"))
    op.drop_table("reserve_ledger_entries")
    with op.batch_alter_table("accounts_submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_accounts_submissions_accounts_year"))
        batch_op.drop_index(batch_op.f("ix_accounts_submissions_operator_id"))
        batch_op.drop_index(batch_op.f("ix_accounts_submissions_offer_id"))
    op.drop_table("accounts_submissions")
