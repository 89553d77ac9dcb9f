"""proactive discovery: reports of households in hardship (主动发现), contact data encrypted

Revision ID: 3a7e1f9c2d84
Revises: 9b2f4e6a1c58
Create Date: 2026-12-05 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3a7e1f9c2d84"
down_revision: str | None = "9b2f4e6a1c58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discovery",
        sa.Column("discovery_id", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("hardships", sa.JSON(), nullable=False),
        sa.Column("person_ref", sa.String(length=60), nullable=True),
        sa.Column("masked_id", sa.String(length=18), nullable=True),
        sa.Column("contact_name", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("discovery_id", name=op.f("pk_discovery")),
        sa.UniqueConstraint("alert_id", name=op.f("uq_discovery_alert_id")),
    )
    with op.batch_alter_table("discovery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discovery_person_ref"), ["person_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_discovery_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_discovery_town_code"), ["town_code"], unique=False)


def downgrade() -> None:
    op.drop_table("discovery")
