"""assistance chain: one row per step of a household's assistance (一户一条救助链)

Revision ID: 9b2f4e6a1c58
Revises: 5e3a9c1d7f42
Create Date: 2026-12-05 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b2f4e6a1c58"
down_revision: str | None = "5e3a9c1d7f42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assistance_record",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("category", sa.String(length=80), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_assistance_record")),
    )
    with op.batch_alter_table("assistance_record", schema=None) as batch_op:
        batch_op.create_index("ix_assistance_record_household", ["household_id", "occurred_on"], unique=False)
        batch_op.create_index("ix_assistance_record_step_area", ["step", "region_code", "occurred_on"], unique=False)


def downgrade() -> None:
    op.drop_table("assistance_record")
