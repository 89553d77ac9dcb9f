"""the people of a case by person reference (department notices find cases by it)

Revision ID: 2c8f5e7a9b31
Revises: 9b6e2f0c8d11
Create Date: 2026-12-04 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2c8f5e7a9b31"
down_revision: str | None = "9b6e2f0c8d11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_person",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("person_ref", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["assistance_case.case_id"], name=op.f("fk_case_person_case_id_assistance_case")),
        sa.PrimaryKeyConstraint("case_id", "person_ref", name=op.f("pk_case_person")),
    )
    with op.batch_alter_table("case_person", schema=None) as batch_op:
        batch_op.create_index("ix_case_person_person_ref", ["person_ref"], unique=False)


def downgrade() -> None:
    op.drop_table("case_person")
