"""placements: citizens' stays in offers and their supplementary services (issue 5, handbook §§ 8–9)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:00:00

* ``placements``: one row per placement, named by its pseudonymous ``placement_id`` (``P-`` + 10 base32
  characters). The CPR number is stored only encrypted (``cpr_key_id``, ``cpr_ciphertext``: AES-256-GCM)
  and as a keyed HMAC-SHA256 (``cpr_lookup``, indexed) for finding a citizen's placements without
  decrypting (``adapters/cpr_vault.py``). Status, notice and the CPR columns (a key rotation re-encrypts)
  change; every change is audited with before and after.
* ``placement_supplements``: supplementary services (ATA hours, an amount per day, a price per unit).

Nothing of a placement is ever deleted: DELETE (and TRUNCATE) is refused at database level on both
tables, and a placement's identity (``placement_id``, offer, service, operator, who registered it and
when) cannot be updated. PostgreSQL: ``guard_append_only()`` of migration 0002 BEFORE DELETE / TRUNCATE,
and ``guard_placement_identity()`` BEFORE UPDATE (SQLSTATE 23000, an IntegrityError in the driver).
SQLite: BEFORE DELETE and BEFORE UPDATE OF … triggers with ``RAISE(ABORT, …)``. A later migration that
rebuilds one of these tables in batch mode (which drops its triggers) must recreate them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(precision=16, scale=2)
QUANTITY = sa.Numeric(precision=12, scale=2)

# table -> (message on UPDATE (unused: only DELETE and TRUNCATE are refused), message on DELETE/TRUNCATE)
NEVER_DELETED = {
    "placements": (
        "En indskrivning kan ikke ændres på denne måde.",
        "En indskrivning kan ikke slettes; den kan afvises eller opsiges, og ændringer står i revisionssporet.",
    ),
    "placement_supplements": (
        "En tillægsydelse kan ikke ændres på denne måde.",
        "En tillægsydelse kan ikke slettes; den kan afsluttes med en slutdato.",
    ),
}
IDENTITY_COLUMNS = ("placement_id", "offer_id", "service_id", "operator_id", "created_at", "created_by")
IDENTITY_MESSAGE = "En indskrivnings id, tilbud, ydelse, driftsherre og oprettelse kan ikke ændres."


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.create_table(
        "placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.String(length=16), nullable=False),
        sa.Column("cpr_key_id", sa.String(length=16), nullable=False),
        sa.Column("cpr_ciphertext", sa.String(length=96), nullable=False),
        sa.Column("cpr_lookup", sa.String(length=64), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("acting_municipality", sa.Integer(), nullable=False),
        sa.Column("paying_municipality", sa.Integer(), nullable=True),
        sa.Column("contract", sa.String(length=20), nullable=False),
        sa.Column("offer_kind", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("respite_granted_days", sa.JSON(), nullable=True),
        sa.Column("negotiated_tariff", AMOUNT, nullable=True),
        sa.Column("agreed_notice_months", sa.Integer(), nullable=True),
        sa.Column("notice_given_on", sa.Date(), nullable=True),
        sa.Column("notice_final_date", sa.Date(), nullable=True),
        sa.Column("notice_kind", sa.String(length=20), nullable=False),
        sa.Column("notice_operator_agrees", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refused_by", sa.Integer(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"]),
        sa.ForeignKeyConstraint(["operator_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["confirmed_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["refused_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("placement_id"),
    )
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placements_cpr_lookup"), ["cpr_lookup"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_offer_id"), ["offer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_service_id"), ["service_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_acting_municipality"), ["acting_municipality"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_paying_municipality"), ["paying_municipality"], unique=False)
        batch_op.create_index(batch_op.f("ix_placements_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_placements_operator_status_start", ["operator_id", "status", "start_date"], unique=False
        )

    op.create_table(
        "placement_supplements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("hours_per_day", QUANTITY, nullable=True),
        sa.Column("staff_category", sa.String(length=100), nullable=False),
        sa.Column("hourly_cost", AMOUNT, nullable=True),
        sa.Column("absence_pct", QUANTITY, nullable=True),
        sa.Column("time_of_day", sa.String(length=60), nullable=False),
        sa.Column("time_coefficient_pct", QUANTITY, nullable=True),
        sa.Column("variable_costs_pct", QUANTITY, nullable=True),
        sa.Column("hourly_rate", AMOUNT, nullable=True),
        sa.Column("daily_amount", AMOUNT, nullable=True),
        sa.Column("unit_price", AMOUNT, nullable=True),
        sa.Column("deliveries", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["placement_pk"], ["placements.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("placement_supplements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placement_supplements_placement_pk"), ["placement_pk"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()


def _postgresql_guards() -> None:
    for table, (on_update, on_delete) in NEVER_DELETED.items():
        args = f"{_quote(on_update)}, {_quote(on_delete)}"
        op.execute(
            f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION guard_append_only({args})"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION guard_append_only({args})"
        )
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in IDENTITY_COLUMNS)
    op.execute(
        f"""
        CREATE FUNCTION guard_placement_identity() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF {changed} THEN
                RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = {_quote(IDENTITY_MESSAGE)};
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER placements_identity BEFORE UPDATE ON placements "
        "FOR EACH ROW EXECUTE FUNCTION guard_placement_identity()"
    )


def _sqlite_guards() -> None:
    for table, (_on_update, on_delete) in NEVER_DELETED.items():
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_quote(on_delete)}); END"
        )
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in IDENTITY_COLUMNS)
    op.execute(
        f"CREATE TRIGGER placements_identity BEFORE UPDATE ON placements WHEN {changed} "
        f"BEGIN SELECT RAISE(ABORT, {_quote(IDENTITY_MESSAGE)}); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in NEVER_DELETED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_never_deleted ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS placements_identity ON placements")
        op.execute("DROP FUNCTION IF EXISTS guard_placement_identity()")
    else:
        for table in NEVER_DELETED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.execute("DROP TRIGGER IF EXISTS placements_identity")
    with op.batch_alter_table("placement_supplements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placement_supplements_placement_pk"))
    op.drop_table("placement_supplements")
    with op.batch_alter_table("placements", schema=None) as batch_op:
        batch_op.drop_index("ix_placements_operator_status_start")
        for column in (
            "status",
            "paying_municipality",
            "acting_municipality",
            "operator_id",
            "service_id",
            "offer_id",
            "cpr_lookup",
        ):
            batch_op.drop_index(batch_op.f(f"ix_placements_{column}"))
    op.drop_table("placements")
