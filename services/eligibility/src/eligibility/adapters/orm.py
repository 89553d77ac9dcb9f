"""What the eligibility service's features share: one metadata (one Alembic history) and the
platform's outbox, inbox and audit tables. Each feature defines its own tables on `metadata`
(`applications/adapters/orm.py`, `policy/adapters/orm.py`)."""

from __future__ import annotations

from jiuzhu_platform.audit import define_audit_table
from jiuzhu_platform.tables import define_inbox_table, define_outbox_table, make_metadata

metadata = make_metadata()
outbox = define_outbox_table(metadata)
inbox = define_inbox_table(metadata)
audit_log = define_audit_table(metadata)
