"""payee account in force index

The account in force of a payee (the newest change of the newest `effective_from`, looked up
once per entitlement of a county's payroll) is the first entry of one index read backwards:
(payee_ref, effective_from, changed_at), carrying on PostgreSQL the account's id and its second
approval (an index-only lookup: no sort of the payee's changes, no read of the table; a tenth
off the calculation's reading of a county).

Revision ID: 9a4c6e2f8b13
Revises: 5e2a9c7d1b84
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9a4c6e2f8b13"
down_revision: str | None = "5e2a9c7d1b84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payee_account", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payee_account_in_force",
            ["payee_ref", "effective_from", "changed_at"],
            unique=False,
            postgresql_include=["account_id", "confirmed_by"],
        )
        batch_op.drop_index("ix_payee_account_payee_effective")


def downgrade() -> None:
    with op.batch_alter_table("payee_account", schema=None) as batch_op:
        batch_op.create_index("ix_payee_account_payee_effective", ["payee_ref", "effective_from"], unique=False)
        batch_op.drop_index("ix_payee_account_in_force")
