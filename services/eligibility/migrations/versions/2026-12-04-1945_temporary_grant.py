"""临时救助 grants (emergency first aid and 支出型 one-off grants)

Revision ID: 9b6e2f0c8d11
Revises: 7a3d9c41e5f2
Create Date: 2026-12-04 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b6e2f0c8d11"
down_revision: str | None = "7a3d9c41e5f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "temporary_grant",
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("recipient_name", sa.String(length=100), nullable=False),
        sa.Column("recipient_resident_id", sa.Text(), nullable=False),
        sa.Column("recipient_resident_id_bidx", sa.String(length=64), nullable=False),
        sa.Column("recipient_masked_id", sa.String(length=18), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("requested_fen", sa.Integer(), nullable=False),
        sa.Column("granted_fen", sa.Integer(), nullable=False),
        sa.Column("remainder_fen", sa.Integer(), nullable=False),
        sa.Column("remainder_route", sa.String(length=30), nullable=False),
        sa.Column("approval_level", sa.String(length=10), nullable=False),
        sa.Column("paid_by", sa.String(length=20), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("backfill_due", sa.Date(), nullable=True),
        sa.Column("backfill_provisional", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("backfilled_on", sa.Date(), nullable=True),
        sa.Column("backfill_note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_temporary_grant_application_id_application")
        ),
        sa.PrimaryKeyConstraint("grant_id", name=op.f("pk_temporary_grant")),
        sa.UniqueConstraint("application_id", name=op.f("uq_temporary_grant_application_id")),
    )
    with op.batch_alter_table("temporary_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_temporary_grant_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_temporary_grant_town_code"), ["town_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_temporary_grant_household_id"), ["household_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_temporary_grant_recipient_resident_id_bidx"), ["recipient_resident_id_bidx"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_temporary_grant_backfill_due"), ["backfill_due"], unique=False)


def downgrade() -> None:
    op.drop_table("temporary_grant")
