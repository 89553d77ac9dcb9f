"""list imports: a department's bulk list (deaths) matched against the register, once per file

Revision ID: 5e3a9c1d7f42
Revises: b41d7e2c9a60
Create Date: 2026-12-05 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "5e3a9c1d7f42"
down_revision: str | None = "b41d7e2c9a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "list_import",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("alerts_raised", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_list_import")),
        sa.UniqueConstraint("kind", "region_code", "digest", name="uq_list_import_file"),
    )


def downgrade() -> None:
    op.drop_table("list_import")
