"""Rejection reasons from a fixed list: ``credentials.reject_code``; earlier free-text reasons become "other".

The free text stays in ``reject_reason`` as the officer's note. The partial index the
indicators read rejections from now covers the code too.

Revision ID: 0008_staff
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_staff"
down_revision: str | Sequence[str] | None = "0005_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REJECTED = sa.text("state = 'rejected'")


def upgrade() -> None:
    # Both in place (no batch copy of the table on SQLite: other tables' rows refer to it).
    op.add_column("credentials", sa.Column("reject_code", sa.String(length=40), nullable=True))
    op.drop_index("ix_credentials_rejected", table_name="credentials", sqlite_where=REJECTED, postgresql_where=REJECTED)
    # Every reason given before the list existed was free text: it counts as "other", kept as the note.
    op.execute(
        "UPDATE credentials SET reject_code = 'other' "
        "WHERE reject_code IS NULL AND (state = 'rejected' OR reject_reason IS NOT NULL)"
    )
    op.create_index(
        "ix_credentials_rejected",
        "credentials",
        ["learner_id", "issued_at", "provider_id", "reject_code", "reject_reason"],
        unique=False,
        sqlite_where=REJECTED,
        postgresql_where=REJECTED,
    )


def downgrade() -> None:
    # A reason chosen from the list without a note keeps its code as text, so no rejection loses its reason.
    op.execute(
        "UPDATE credentials SET reject_reason = reject_code WHERE reject_reason IS NULL AND reject_code IS NOT NULL"
    )
    op.drop_index("ix_credentials_rejected", table_name="credentials", sqlite_where=REJECTED, postgresql_where=REJECTED)
    # Dropped in place: SQLite (3.35+) can, and copying the table would break the rows that refer to it.
    op.execute("ALTER TABLE credentials DROP COLUMN reject_code")
    op.create_index(
        "ix_credentials_rejected",
        "credentials",
        ["learner_id", "issued_at", "provider_id", "reject_reason"],
        unique=False,
        sqlite_where=REJECTED,
        postgresql_where=REJECTED,
    )
