"""application procedure state, its timeline, staff relatives (回避) and applicant notices

Revision ID: 5e1c0a7d2b90
Revises: 0b2852e5ba97
Create Date: 2026-12-04 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1c0a7d2b90"
down_revision: str | None = "0b2852e5ba97"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "application_procedure",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("assigned_to", sa.String(length=200), nullable=True),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("next_due_step", sa.String(length=60), nullable=True),
        sa.Column("provisional", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_application_procedure_application_id_application")
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_application_procedure")),
    )
    with op.batch_alter_table("application_procedure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_procedure_stage"), ["stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_application_procedure_assigned_to"), ["assigned_to"], unique=False)
        batch_op.create_index(batch_op.f("ix_application_procedure_next_due"), ["next_due"], unique=False)

    op.create_table(
        "application_step",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.String(length=20), nullable=False),
        sa.Column("from_stage", sa.String(length=30), nullable=False),
        sa.Column("to_stage", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_application_step_application_id_application")
        ),
        sa.PrimaryKeyConstraint("application_id", "seq", name=op.f("pk_application_step")),
    )

    op.create_table(
        "staff_relative",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("relative_resident_id", sa.Text(), nullable=False),
        sa.Column("relative_resident_id_bidx", sa.String(length=64), nullable=False),
        sa.Column("relationship", sa.String(length=30), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_relative")),
        sa.UniqueConstraint("account", "relative_resident_id_bidx", name="uq_staff_relative_account_relative"),
    )
    with op.batch_alter_table("staff_relative", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_relative_account"), ["account"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_staff_relative_relative_resident_id_bidx"), ["relative_resident_id_bidx"], unique=False
        )

    op.create_table(
        "applicant_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["application.id"], name=op.f("fk_applicant_notice_application_id_application")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applicant_notice")),
    )
    with op.batch_alter_table("applicant_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applicant_notice_application_id"), ["application_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_applicant_notice_household_id"), ["household_id"], unique=False)


def downgrade() -> None:
    op.drop_table("applicant_notice")
    op.drop_table("staff_relative")
    op.drop_table("application_step")
    op.drop_table("application_procedure")
