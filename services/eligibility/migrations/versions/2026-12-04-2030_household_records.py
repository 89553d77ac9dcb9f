"""household records: households, their members (one current household per resident ID), their versions

Revision ID: 8e2b6d0f1a73
Revises: 4d1a7b9e0c52
Create Date: 2026-12-04 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e2b6d0f1a73"
down_revision: str | None = "4d1a7b9e0c52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household",
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_household")),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_household_town_code"), ["town_code"], unique=False)
    op.create_table(
        "household_member",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Text(), nullable=False),
        sa.Column("resident_id_bidx", sa.String(length=64), nullable=False),
        sa.Column("current_resident_bidx", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("relationship", sa.String(length=20), nullable=False),
        sa.Column("hukou_type", sa.String(length=10), nullable=False),
        sa.Column("hukou_region_code", sa.String(length=6), nullable=True),
        sa.Column("residence_town_code", sa.String(length=12), nullable=True),
        sa.Column("disability_category", sa.String(length=20), nullable=True),
        sa.Column("disability_grade", sa.Integer(), nullable=True),
        sa.Column("serious_illness", sa.Boolean(), nullable=False),
        sa.Column("labour_capacity", sa.String(length=10), nullable=False),
        sa.Column("in_school", sa.Boolean(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("leave_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.household_id"], name=op.f("fk_household_member_household_id_household")
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_household_member")),
        sa.UniqueConstraint("current_resident_bidx", name=op.f("uq_household_member_current_resident_bidx")),
    )
    with op.batch_alter_table("household_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_member_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_household_member_resident_id_bidx"), ["resident_id_bidx"], unique=False)
    op.create_table(
        "household_version",
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.household_id"], name=op.f("fk_household_version_household_id_household")
        ),
        sa.PrimaryKeyConstraint("household_id", "version", name=op.f("pk_household_version")),
    )


def downgrade() -> None:
    op.drop_table("household_version")
    op.drop_table("household_member")
    op.drop_table("household")
