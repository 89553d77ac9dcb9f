"""entitlement.recheck_from: the month from which a case's lines are looked at again

A calculation looks at the months after the county's last calculated run, and at a case's
months from `recheck_from` on: set (to the first month) when the case's entitlement is saved,
lowered to a line's month when the line is cancelled or fails at the bank, cleared by the
calculation page that looked. Existing entitlements are marked from their first month: the next
calculation looks at all of them once, as before.

Revision ID: 3b9e7d1f0c42
Revises: 8d4c2b7e5a16
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b9e7d1f0c42"
down_revision: str | None = "8d4c2b7e5a16"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entitlement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recheck_from", sa.String(length=7), nullable=True))
    op.execute("update entitlement set recheck_from = first_month")


def downgrade() -> None:
    with op.batch_alter_table("entitlement", schema=None) as batch_op:
        batch_op.drop_column("recheck_from")
