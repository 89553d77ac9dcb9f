"""department notices pushed by departments

Revision ID: 7d1e4b2a9c30
Revises: c5554d06bb23
Create Date: 2026-12-04 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7d1e4b2a9c30'
down_revision: str | None = 'c5554d06bb23'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('department_notice',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sender_client_id', sa.String(length=200), nullable=False),
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('person_name', sa.String(length=100), nullable=False),
    sa.Column('resident_id', sa.Text(), nullable=False),
    sa.Column('resident_id_bidx', sa.String(length=64), nullable=False),
    sa.Column('masked_id', sa.String(length=18), nullable=False),
    sa.Column('person_ref', sa.String(length=60), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_notice')),
    sa.UniqueConstraint('sender_client_id', 'message_id', name=op.f('uq_department_notice_sender_client_id'))
    )
    with op.batch_alter_table('department_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_notice_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_notice_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_notice_occurred_on'), ['occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_notice_person_ref'), ['person_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_notice_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_department_notice_resident_id_bidx'), ['resident_id_bidx'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('department_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_notice_resident_id_bidx'))
        batch_op.drop_index(batch_op.f('ix_department_notice_received_at'))
        batch_op.drop_index(batch_op.f('ix_department_notice_person_ref'))
        batch_op.drop_index(batch_op.f('ix_department_notice_occurred_on'))
        batch_op.drop_index(batch_op.f('ix_department_notice_kind'))
        batch_op.drop_index(batch_op.f('ix_department_notice_department'))

    op.drop_table('department_notice')
