"""instruction grant index partial

`ix_payment_instruction_grant` holds only the lines of a grant (临时救助 paid through the bank):
a case's line has no grant, and the million NULL keys of a county's run all went to the same
end of the index from every calculation worker at once, for no lookup that ever reads them.

Revision ID: 5e2a9c7d1b84
Revises: 3b9e7d1f0c42
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e2a9c7d1b84"
down_revision: str | None = "3b9e7d1f0c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_GRANT = sa.text("grant_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_instruction_grant")
        batch_op.create_index(
            "ix_payment_instruction_grant",
            ["grant_id"],
            unique=False,
            postgresql_where=HAS_GRANT,
            sqlite_where=HAS_GRANT,
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_instruction_grant")
        batch_op.create_index("ix_payment_instruction_grant", ["grant_id"], unique=False)
