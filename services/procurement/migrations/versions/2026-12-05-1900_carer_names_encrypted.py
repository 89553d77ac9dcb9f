"""carer names encrypted at rest: the staff member on each visit record, and care assignments

A carer's name is a person's name: encrypted at rest (AES-256-GCM under the service's key
ring, `EncryptedString`), with no blind index (nobody searches by it). Names stored in clear
before are encrypted here, which needs the key ring: run it with `python -m procurement migrate`
(it passes the ring from `PROCUREMENT_PII_*`). A care assignment is kept as one JSON document
that names its carers: the document is encrypted as a whole (nothing queries inside it).

Revision ID: 4b9e2d7c6f13
Revises: 533df821966e
Create Date: 2026-12-05 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jiuzhu_platform.migrations import decrypt_to_plaintext, encrypt_plaintext

revision: str = "4b9e2d7c6f13"
down_revision: str | None = "533df821966e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTEXT = "procurement.visit.staff"
ASSIGNMENT = "procurement.care_assignment.doc"


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.alter_column("staff", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=False)
    encrypt_plaintext("visit", "id", "staff", CONTEXT)
    encrypt_plaintext("care_assignment", "id", "doc", ASSIGNMENT)


def downgrade() -> None:
    decrypt_to_plaintext("care_assignment", "id", "doc", ASSIGNMENT)
    decrypt_to_plaintext("visit", "id", "staff", CONTEXT)
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.alter_column("staff", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False)
