"""instruction updates in place

No index on (run_id, status) and a fill factor of 70 on PostgreSQL: a run's export and
settlement change no indexed column, so the lines are updated in place (HOT), not rewritten
with every index (half the time of the export of a county's run).

Revision ID: 2f6d8e41c7a0
Revises: 7c1e5f0a2b93
Create Date: 2026-12-05 17:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2f6d8e41c7a0"
down_revision: str | None = "7c1e5f0a2b93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_instruction_run_status")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("alter table payment_instruction set (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("alter table payment_instruction reset (fillfactor)")
    with op.batch_alter_table("payment_instruction", schema=None) as batch_op:
        batch_op.create_index("ix_payment_instruction_run_status", ["run_id", "status"], unique=False)
