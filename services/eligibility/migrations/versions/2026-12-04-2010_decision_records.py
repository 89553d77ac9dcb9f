"""decision records: each assessment an application receives (inputs encrypted, result, policy version, who)

Revision ID: 4d1a7b9e0c52
Revises: 2c8f5e7a9b31
Create Date: 2026-12-04 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4d1a7b9e0c52"
down_revision: str | None = "2c8f5e7a9b31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("policy_version", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("monthly_total_fen", sa.Integer(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_decision_record_application_id_application")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_record")),
    )
    with op.batch_alter_table("decision_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_record_application_id"), ["application_id"], unique=False)


def downgrade() -> None:
    op.drop_table("decision_record")
