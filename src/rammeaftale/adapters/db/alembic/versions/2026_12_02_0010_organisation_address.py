"""organisations: CVR number and postal address, for the documents' parties (R-SET-13)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:00:00

Issue 5, item 5. An invoice to a public body names the parties by EAN (GLN), CVR number and address
(OIOUBL 2.1: ``cac:PartyLegalEntity``, ``cac:PartyTaxScheme``, ``cac:PostalAddress``). The registry kept
neither, so documents carried a placeholder CVR. ``cvr`` is NULL where it is not known (the documents keep the
placeholder then); the address columns are empty strings where not known. Adding columns does not rebuild the
table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = (
    ("cvr", sa.String(length=8), None),
    ("street", sa.String(length=200), ""),
    ("postal_code", sa.String(length=10), ""),
    ("city", sa.String(length=100), ""),
)


def upgrade() -> None:
    for name, kind, default in COLUMNS:
        nullable = default is None
        op.add_column("organisations", sa.Column(name, kind, nullable=nullable, server_default=default))


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, _, _ in reversed(COLUMNS):
        if postgresql:
            op.drop_column("organisations", name)
        else:  # SQLite 3.35+ drops a column in place (no table rebuild)
            op.execute(f"ALTER TABLE organisations DROP COLUMN {name}")
