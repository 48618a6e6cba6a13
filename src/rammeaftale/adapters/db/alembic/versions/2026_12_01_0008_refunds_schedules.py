"""refunds and schedules: health services and health refund claims (R-REF-01), citizen schedules (§ 13),
closing costs of interim offers (R-SET-08)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:30:00

Issue 5, items 2 and 4a.

* ``health_services``: a municipal health service (home care, dental care, physiotherapy …) registered by
  the municipality where the offer lies, for one placement and month, in hours or at a documented cost
  (R-REF-01). Append-only: a correction is a new row.
* ``health_refund_claims``: the month's claim of the offer's municipality (claimant) on the paying
  municipality (debtor) for one placement (R-REF-01). An issued claim is immutable (append-only); one claim
  per placement and month, so running the month again adds nothing.
* ``citizen_schedules`` and ``citizen_schedule_services``: Region Midtjylland's citizen schedule (§ 13):
  basis daily tariff + service hours per week at one hourly rate, effective from a date. Append-only
  versions: a replacement is a new version (a later ``effective_from`` or a higher ``version``).
* ``closing_costs``: the day to which an interim offer's documented closing costs are paid (R-SET-08), per
  placement; append-only, the newest row counts.

Guards as in migrations 0002 and 0007: PostgreSQL ``guard_append_only()`` row and truncate triggers with
Danish messages, SQLite BEFORE UPDATE / BEFORE DELETE triggers with ``RAISE(ABORT, …)``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(precision=16, scale=2)
HOURS = sa.Numeric(precision=12, scale=2)

APPEND_ONLY = {
    "health_services": (
        "En registreret sundhedsydelse kan ikke ændres; registrér en ny.",
        "En registreret sundhedsydelse kan ikke slettes.",
    ),
    "health_refund_claims": (
        "Et rejst refusionskrav for sundhedsydelser kan ikke ændres (R-REF-01).",
        "Et rejst refusionskrav for sundhedsydelser kan ikke slettes (R-REF-01).",
    ),
    "citizen_schedules": (
        "Et borgerskema kan ikke ændres; erstat det med en ny version.",
        "Et borgerskema kan ikke slettes; erstat det med en ny version.",
    ),
    "citizen_schedule_services": (
        "En ydelse på et borgerskema kan ikke ændres; erstat skemaet med en ny version.",
        "En ydelse på et borgerskema kan ikke slettes; erstat skemaet med en ny version.",
    ),
    "closing_costs": (
        "Lukkeomkostninger kan ikke ændres; registrér en ny dato (R-SET-08).",
        "Lukkeomkostninger kan ikke slettes; registrér en ny dato (R-SET-08).",
    ),
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.create_table(
        "health_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hours", HOURS, nullable=True),
        sa.Column("documented_cost", AMOUNT, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["placement_id"], ["placements.id"]),
        sa.ForeignKeyConstraint(["municipality_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name="ck_health_services_month"),
        sa.CheckConstraint(
            "(hours IS NOT NULL AND hours >= 0) OR (documented_cost IS NOT NULL AND documented_cost >= 0)",
            name="ck_health_services_priced",
        ),
    )
    with op.batch_alter_table("health_services", schema=None) as batch_op:
        batch_op.create_index("ix_health_services_placement_month", ["placement_id", "year", "month"])
        batch_op.create_index(batch_op.f("ix_health_services_municipality_id"), ["municipality_id"])

    op.create_table(
        "health_refund_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("placement_ref", sa.String(length=64), nullable=False),
        sa.Column("claimant_kommunekode", sa.Integer(), nullable=False),
        sa.Column("debtor_kommunekode", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=False),
        sa.Column("rule_id", sa.String(length=20), nullable=False),
        sa.Column("ruleset_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["placement_id"], ["placements.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("placement_id", "year", "month", name="uq_health_refund_claims_month"),
        sa.CheckConstraint("amount > 0", name="ck_health_refund_claims_amount"),
    )
    with op.batch_alter_table("health_refund_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_refund_claims_claimant_kommunekode"), ["claimant_kommunekode"])
        batch_op.create_index(batch_op.f("ix_health_refund_claims_debtor_kommunekode"), ["debtor_kommunekode"])

    op.create_table(
        "citizen_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("basis_daily", AMOUNT, nullable=False),
        sa.Column("hourly_rate", AMOUNT, nullable=False),
        sa.Column("agreed_with_buyer", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["placement_id"], ["placements.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("placement_id", "version", name="uq_citizen_schedules_version"),
        sa.CheckConstraint("basis_daily >= 0 AND hourly_rate >= 0", name="ck_citizen_schedules_amounts"),
    )
    with op.batch_alter_table("citizen_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citizen_schedules_placement_id"), ["placement_id"])

    op.create_table(
        "citizen_schedule_services",
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("hours_per_week", HOURS, nullable=False),
        sa.ForeignKeyConstraint(["schedule_id"], ["citizen_schedules.id"]),
        sa.PrimaryKeyConstraint("schedule_id", "position"),
        sa.CheckConstraint("hours_per_week >= 0", name="ck_citizen_schedule_services_hours"),
    )

    op.create_table(
        "closing_costs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["placement_id"], ["placements.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("closing_costs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closing_costs_placement_id"), ["placement_id"])

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
    for table in (
        "closing_costs",
        "citizen_schedule_services",
        "citizen_schedules",
        "health_refund_claims",
        "health_services",
    ):
        op.drop_table(table)
