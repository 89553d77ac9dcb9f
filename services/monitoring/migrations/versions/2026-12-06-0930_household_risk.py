"""household risk scores: one row per household the warning rules score, rewritten by the recompute

Revision ID: 2b7e9d4c6a13
Revises: 8d2f4b6a1c39
Create Date: 2026-12-06 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2b7e9d4c6a13"
down_revision: str | None = "8d2f4b6a1c39"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_risk",
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("rules_version", sa.String(length=20), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household_risk")),
    )
    op.create_index("ix_household_risk_area_score", "household_risk", ["region_code", "score"])


def downgrade() -> None:
    op.drop_index("ix_household_risk_area_score", table_name="household_risk")
    op.drop_table("household_risk")
