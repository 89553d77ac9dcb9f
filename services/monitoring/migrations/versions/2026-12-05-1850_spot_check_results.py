"""spot check results: one row per drawn case checked (the inspector's note encrypted)

Revision ID: 6c5d3e8f1a27
Revises: 3a7e1f9c2d84
Create Date: 2026-12-05 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6c5d3e8f1a27"
down_revision: str | None = "3a7e1f9c2d84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spot_check_result",
        sa.Column("draw_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("inspector", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("finding", sa.String(length=30), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("draw_id", "case_id", name=op.f("pk_spot_check_result")),
    )


def downgrade() -> None:
    op.drop_table("spot_check_result")
