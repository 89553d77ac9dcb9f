"""names encrypted at rest: applicants, household members, temporary assistance recipients

Names of people are personal data: encrypted at rest like resident IDs (AES-256-GCM under the
service's key ring, `EncryptedString`), with no blind index (nobody searches by name). Values
stored in clear before are encrypted here, which needs the key ring: run it with
`python -m <service> migrate` (it passes the ring from `<SVC>_PII_*`).

Revision ID: b7c1e5d9a204
Revises: 8e2b6d0f1a73
Create Date: 2026-12-05 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jiuzhu_platform.migrations import decrypt_to_plaintext, encrypt_plaintext

revision: str = "b7c1e5d9a204"
down_revision: str | None = "8e2b6d0f1a73"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.alter_column("applicant_name", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=False)
    encrypt_plaintext("application", "id", "applicant_name", "eligibility.application.applicant_name")
    with op.batch_alter_table("household_member", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=False)
    encrypt_plaintext("household_member", "member_id", "name", "eligibility.household_member.name")
    with op.batch_alter_table("temporary_grant", schema=None) as batch_op:
        batch_op.alter_column("recipient_name", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=False)
    encrypt_plaintext("temporary_grant", "grant_id", "recipient_name", "eligibility.temporary_grant.recipient_name")


def downgrade() -> None:
    decrypt_to_plaintext("temporary_grant", "grant_id", "recipient_name", "eligibility.temporary_grant.recipient_name")
    with op.batch_alter_table("temporary_grant", schema=None) as batch_op:
        batch_op.alter_column("recipient_name", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False)
    decrypt_to_plaintext("household_member", "member_id", "name", "eligibility.household_member.name")
    with op.batch_alter_table("household_member", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False)
    decrypt_to_plaintext("application", "id", "applicant_name", "eligibility.application.applicant_name")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.alter_column("applicant_name", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False)
