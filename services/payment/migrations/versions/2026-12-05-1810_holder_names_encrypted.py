"""holder names encrypted at rest: 户名 of payee accounts

An account holder's name is a person's name: encrypted at rest like the account number
(AES-256-GCM under the service's key ring, `EncryptedString`), with no blind index (nobody
searches by name). Values stored in clear before are encrypted here, which needs the key ring:
run it with `python -m payment migrate` (it passes the ring from `PAYMENT_PII_*`).

Revision ID: 8d4c2b7e5a16
Revises: 2f6d8e41c7a0
Create Date: 2026-12-05 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from jiuzhu_platform.migrations import decrypt_to_plaintext, encrypt_plaintext

revision: str = "8d4c2b7e5a16"
down_revision: str | None = "2f6d8e41c7a0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTEXT = "payment.payee_account.holder_name"


def upgrade() -> None:
    with op.batch_alter_table("payee_account", schema=None) as batch_op:
        batch_op.alter_column("holder_name", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=False)
    encrypt_plaintext("payee_account", "account_id", "holder_name", CONTEXT)


def downgrade() -> None:
    decrypt_to_plaintext("payee_account", "account_id", "holder_name", CONTEXT)
    with op.batch_alter_table("payee_account", schema=None) as batch_op:
        batch_op.alter_column("holder_name", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False)
