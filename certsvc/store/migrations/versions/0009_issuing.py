"""Issuing at scale: claim slips sealed per import chunk, the learner's language.

``sealed_claim_slips`` keeps a cohort's claim codes and PINs encrypted (under a key the
KEK derives, never stored) until the provider takes the slips; ``import_batches.
slips_taken_at`` records that they were taken. ``learners.language`` (default ``en``)
says in which language a learner's slip is printed.

Revision ID: 0009_issuing
Revises: 0008_staff
Create Date: 2026-12-01 13:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_issuing"
down_revision: str | Sequence[str] | None = "0008_staff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added in place (no batch copy on SQLite: other tables' rows refer to these).
    op.add_column("learners", sa.Column("language", sa.String(length=16), nullable=False, server_default="en"))
    op.add_column("import_batches", sa.Column("slips_taken_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "sealed_claim_slips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["import_batches.id"], name=op.f("fk_sealed_claim_slips_batch_id_import_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_claim_slips")),
    )
    op.create_index(op.f("ix_sealed_claim_slips_batch_id"), "sealed_claim_slips", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sealed_claim_slips_batch_id"), table_name="sealed_claim_slips")
    op.drop_table("sealed_claim_slips")
    op.execute("ALTER TABLE import_batches DROP COLUMN slips_taken_at")
    op.execute("ALTER TABLE learners DROP COLUMN language")
