"""Document versions every node sees: a status list's version, and the version of everything trust lists hold.

Revision ID: 0005_trust
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_trust"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.BigInteger(), server_default="0", nullable=False))
    op.create_table(
        "document_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_document_versions")),
    )


def downgrade() -> None:
    op.drop_table("document_versions")
    # In place (no batch copy on SQLite: credentials refer to status_lists, and foreign keys are on).
    op.execute("ALTER TABLE status_lists DROP COLUMN version")
