"""one phone account per resident ID: the blind index of a bound resident ID is unique

Revision ID: 6f0e3c2a7d14
Revises: f46d1b9520bd
Create Date: 2026-12-04 20:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6f0e3c2a7d14"
down_revision: str | None = "f46d1b9520bd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("citizen_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_identity_resident_id_bidx"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_citizen_identity_resident_id_bidx"), ["resident_id_bidx"]
        )


def downgrade() -> None:
    with op.batch_alter_table("citizen_identity", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_citizen_identity_resident_id_bidx"), type_="unique")
        batch_op.create_index(batch_op.f("ix_citizen_identity_resident_id_bidx"), ["resident_id_bidx"], unique=False)
