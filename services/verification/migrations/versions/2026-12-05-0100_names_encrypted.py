"""names encrypted at rest: consent subjects, persons of department notices

Names of people are personal data: encrypted at rest like resident IDs (AES-256-GCM under the
service's key ring, `EncryptedString`), with no blind index (nobody searches by name). Values
stored in clear before are encrypted here, which needs the key ring: run it with
`python -m <service> migrate` (it passes the ring from `<SVC>_PII_*`).

Revision ID: c3f8a2d6b915
Revises: 5a118cce1413
Create Date: 2026-12-05 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jiuzhu_platform.migrations import decrypt_to_plaintext, encrypt_plaintext

revision: str = "c3f8a2d6b915"
down_revision: str | None = "5a118cce1413"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.alter_column("subject_name", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=False)
    encrypt_plaintext("consent", "id", "subject_name", "verification.consent.subject_name")
    with op.batch_alter_table("department_notice", schema=None) as batch_op:
        batch_op.alter_column("person_name", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=False)
    encrypt_plaintext("department_notice", "id", "person_name", "verification.department_notice.person_name")


def downgrade() -> None:
    decrypt_to_plaintext("department_notice", "id", "person_name", "verification.department_notice.person_name")
    with op.batch_alter_table("department_notice", schema=None) as batch_op:
        batch_op.alter_column("person_name", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False)
    decrypt_to_plaintext("consent", "id", "subject_name", "verification.consent.subject_name")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.alter_column("subject_name", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False)
