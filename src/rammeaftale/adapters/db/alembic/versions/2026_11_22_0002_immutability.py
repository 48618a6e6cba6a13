"""immutability: database guards on the audit trail and published records; the log of reads of citizen data

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:00:00

Issue 3, part 4 (audit): the database itself refuses what the application must never do, so a bug, a
hand-written SQL statement or a compromised process cannot rewrite history.

* ``audit_log`` and ``personal_data_reads`` are append-only: UPDATE and DELETE are refused.
* ``tariff_appendices`` and ``appendix_lines`` are published documents: a new version is a new row,
  so UPDATE and DELETE are refused.
* ``tariff_submissions`` rows whose status is 'approved' or 'published' cannot be deleted, and an
  update may change nothing but the status, and that only from 'approved' to 'published' (what
  ``services.appendix.publish`` does). A correction is a new row (``services.submissions.correct``).

PostgreSQL: plpgsql trigger functions that RAISE with SQLSTATE 23000 (integrity_constraint_violation,
so the driver raises an IntegrityError), row triggers BEFORE UPDATE OR DELETE, and statement triggers
BEFORE TRUNCATE. The submission guard compares the whole rows as jsonb minus ``status``, so a column
added later is covered without touching the trigger.

SQLite: BEFORE UPDATE / BEFORE DELETE triggers with ``RAISE(ABORT, …)`` (SQLITE_CONSTRAINT_TRIGGER,
an IntegrityError in pysqlite). SQLite has no row-to-row comparison, so the submission guard names
the columns; a later migration that adds a column to ``tariff_submissions`` or rebuilds one of these
tables in batch mode (which drops its triggers) must recreate the triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# table -> (message on UPDATE, message on DELETE/TRUNCATE); Danish, shown in the database error.
APPEND_ONLY = {
    "audit_log": (
        "Revisionssporet kan ikke ændres: der kan kun tilføjes nye rækker.",
        "Revisionssporet kan ikke slettes: der kan kun tilføjes nye rækker.",
    ),
    "personal_data_reads": (
        "Loggen over opslag i borgerdata kan ikke ændres: der kan kun tilføjes nye rækker.",
        "Loggen over opslag i borgerdata kan ikke slettes: der kan kun tilføjes nye rækker.",
    ),
    "tariff_appendices": (
        "Et offentliggjort takstbilag kan ikke ændres; offentliggør en ny version med en begrundelse.",
        "Et offentliggjort takstbilag kan ikke slettes; offentliggør en ny version med en begrundelse.",
    ),
    "appendix_lines": (
        "En linje i et offentliggjort takstbilag kan ikke ændres; offentliggør en ny version med en begrundelse.",
        "En linje i et offentliggjort takstbilag kan ikke slettes; offentliggør en ny version med en begrundelse.",
    ),
}
FINAL_CONTENT = "En godkendt eller offentliggjort indberetning kan ikke ændres; lav en rettelse som en ny version med en begrundelse."
FINAL_STATUS = "En godkendt indberetning kan kun skifte status til offentliggjort, og en offentliggjort slet ikke."
FINAL_DELETE = "En godkendt eller offentliggjort indberetning kan ikke slettes."
# Every column of tariff_submissions except status, as of this revision (SQLite names them one by one).
SUBMISSION_COLUMNS = (
    "id",
    "offer_id",
    "service_id",
    "operator_id",
    "budget_year",
    "version",
    "source",
    "ruleset_id",
    "payload",
    "result",
    "findings",
    "daily_tariff",
    "cost_base",
    "remarks",
    "late",
    "created_at",
    "created_by",
    "submitted_at",
    "submitted_by",
    "decided_at",
    "decided_by",
    "decision_comment",
    "supersedes_id",
    "correction_reason",
)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.create_table(
        "personal_data_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("subject_ref", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("personal_data_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personal_data_reads_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_personal_data_reads_subject_ref"), ["subject_ref"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER IF EXISTS tariff_submissions_final ON tariff_submissions")
        op.execute("DROP TRIGGER IF EXISTS tariff_submissions_no_truncate ON tariff_submissions")
        op.execute("DROP FUNCTION IF EXISTS guard_append_only()")
        op.execute("DROP FUNCTION IF EXISTS guard_final_submission()")
    else:
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        op.execute("DROP TRIGGER IF EXISTS tariff_submissions_final_content")
        op.execute("DROP TRIGGER IF EXISTS tariff_submissions_final_status")
        op.execute("DROP TRIGGER IF EXISTS tariff_submissions_final_delete")

    with op.batch_alter_table("personal_data_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_data_reads_subject_ref"))
        batch_op.drop_index(batch_op.f("ix_personal_data_reads_at"))
    op.drop_table("personal_data_reads")


def _postgresql_guards() -> None:
    # TG_ARGV[0]: message on UPDATE, TG_ARGV[1]: on DELETE and TRUNCATE.
    op.execute(
        """
        CREATE FUNCTION guard_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = TG_ARGV[0];
            END IF;
            RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = TG_ARGV[1];
        END
        $$
        """
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
        CREATE FUNCTION guard_final_submission() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = {_quote(FINAL_DELETE)};
            END IF;
            IF TG_OP = 'DELETE' THEN
                IF OLD.status IN ('approved', 'published') THEN
                    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = {_quote(FINAL_DELETE)};
                END IF;
                RETURN OLD;
            END IF;
            IF OLD.status IN ('approved', 'published') THEN
                IF (to_jsonb(NEW) - 'status') IS DISTINCT FROM (to_jsonb(OLD) - 'status') THEN
                    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = {_quote(FINAL_CONTENT)};
                END IF;
                IF NOT (NEW.status = OLD.status OR (OLD.status = 'approved' AND NEW.status = 'published')) THEN
                    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = {_quote(FINAL_STATUS)};
                END IF;
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER tariff_submissions_final BEFORE UPDATE OR DELETE ON tariff_submissions "
        "FOR EACH ROW EXECUTE FUNCTION guard_final_submission()"
    )
    op.execute(
        "CREATE TRIGGER tariff_submissions_no_truncate BEFORE TRUNCATE ON tariff_submissions "
        "FOR EACH STATEMENT EXECUTE FUNCTION guard_final_submission()"
    )


def _sqlite_guards() -> None:
    for table, (on_update, on_delete) in APPEND_ONLY.items():
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_quote(on_update)}); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_quote(on_delete)}); END"
        )
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in SUBMISSION_COLUMNS)
    op.execute(
        "CREATE TRIGGER tariff_submissions_final_content BEFORE UPDATE ON tariff_submissions "
        f"WHEN OLD.status IN ('approved', 'published') AND ({changed}) "
        f"BEGIN SELECT RAISE(ABORT, {_quote(FINAL_CONTENT)}); END"
    )
    op.execute(
        "CREATE TRIGGER tariff_submissions_final_status BEFORE UPDATE OF status ON tariff_submissions "
        "WHEN OLD.status IN ('approved', 'published') "
        "AND NOT (NEW.status IS OLD.status OR (OLD.status = 'approved' AND NEW.status = 'published')) "
        f"BEGIN SELECT RAISE(ABORT, {_quote(FINAL_STATUS)}); END"
    )
    op.execute(
        "CREATE TRIGGER tariff_submissions_final_delete BEFORE DELETE ON tariff_submissions "
        "WHEN OLD.status IN ('approved', 'published') "
        f"BEGIN SELECT RAISE(ABORT, {_quote(FINAL_DELETE)}); END"
    )
