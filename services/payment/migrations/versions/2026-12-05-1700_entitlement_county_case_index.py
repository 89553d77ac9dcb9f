"""entitlement county case index

A county's entitlements in case order come from one index, so each keyset page of the payroll
reads its own page only (the county index alone made every page scan the whole county).

Revision ID: 7c1e5f0a2b93
Revises: 4d8b9a998517
Create Date: 2026-12-05 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c1e5f0a2b93"
down_revision: str | None = "4d8b9a998517"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entitlement", schema=None) as batch_op:
        batch_op.create_index("ix_entitlement_county_case", ["county_code", "case_id"], unique=False)
        batch_op.drop_index(batch_op.f("ix_entitlement_county_code"))


def downgrade() -> None:
    with op.batch_alter_table("entitlement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entitlement_county_code"), ["county_code"], unique=False)
        batch_op.drop_index("ix_entitlement_county_case")
