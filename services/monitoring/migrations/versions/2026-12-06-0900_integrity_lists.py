"""integrity lists: a case's 单独登记备案 flag (for the staff-relatives check) and the households a
防返贫 list import ended

Revision ID: 8d2f4b6a1c39
Revises: 6c5d3e8f1a27
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8d2f4b6a1c39"
down_revision: str | None = "6c5d3e8f1a27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("monitored_case", sa.Column("filed", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("list_import", sa.Column("delisted", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("list_import", "delisted")
    op.drop_column("monitored_case", "filed")
