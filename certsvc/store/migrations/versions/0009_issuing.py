"""Issuing at scale: audit entries chained after commit, claim slips sealed per import chunk, learner language.

``audit_entries.seq``, ``prev_hash`` and ``hash`` may be empty: writers insert entries
without locking the chain head and the chainer fills them in after the commit; a
partial index finds the entries still waiting.

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


PENDING = sa.text("seq IS NULL")


def upgrade() -> None:
    # Nothing refers to audit entries, so SQLite may copy the table to relax the columns.
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        for column, kind in (("seq", sa.BigInteger()), ("prev_hash", sa.String(64)), ("hash", sa.String(64))):
            batch_op.alter_column(column, existing_type=kind, nullable=True)
    op.create_index("ix_audit_entries_pending", "audit_entries", ["id"], sqlite_where=PENDING, postgresql_where=PENDING)
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
    # Entries not chained yet would have no place where every entry carries its hash: chain them first.
    pending = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_entries WHERE seq IS NULL")).scalar()
    if pending:
        raise RuntimeError(f"{pending} audit entries are not chained yet; run `certsvc audit verify` first")
    op.drop_index(op.f("ix_sealed_claim_slips_batch_id"), table_name="sealed_claim_slips")
    op.drop_table("sealed_claim_slips")
    op.execute("ALTER TABLE import_batches DROP COLUMN slips_taken_at")
    op.execute("ALTER TABLE learners DROP COLUMN language")
    op.drop_index(
        "ix_audit_entries_pending", table_name="audit_entries", sqlite_where=PENDING, postgresql_where=PENDING
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        for column, kind in (("seq", sa.BigInteger()), ("prev_hash", sa.String(64)), ("hash", sa.String(64))):
            batch_op.alter_column(column, existing_type=kind, nullable=False)
