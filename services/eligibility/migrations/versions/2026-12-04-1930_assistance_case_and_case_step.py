"""active cases (保障对象) and their timeline

Revision ID: 7a3d9c41e5f2
Revises: 5e1c0a7d2b90
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3d9c41e5f2"
down_revision: str | None = "5e1c0a7d2b90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assistance_case",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("monthly_fen", sa.Integer(), nullable=False),
        sa.Column("start_month", sa.String(length=7), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_assistance_case_application_id_application")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_assistance_case")),
        sa.UniqueConstraint("application_id", name=op.f("uq_assistance_case_application_id")),
    )
    with op.batch_alter_table("assistance_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assistance_case_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistance_case_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistance_case_town_code"), ["town_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistance_case_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_assistance_case_next_review_on"), ["next_review_on"], unique=False)
    op.create_table(
        "case_step",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("from_status", sa.String(length=30), nullable=False),
        sa.Column("to_status", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["assistance_case.case_id"], name=op.f("fk_case_step_case_id_assistance_case")),
        sa.PrimaryKeyConstraint("case_id", "seq", name=op.f("pk_case_step")),
    )


def downgrade() -> None:
    op.drop_table("case_step")
    op.drop_table("assistance_case")
