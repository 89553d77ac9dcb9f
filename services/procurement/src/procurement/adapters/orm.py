"""Tables owned by the procurement service: one row per aggregate with its searchable columns,
the rest of the aggregate as JSON text (`doc`; no resident IDs: people are person references)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, Uuid

from jiuzhu_platform.audit import define_audit_table
from jiuzhu_platform.pii import EncryptedString
from jiuzhu_platform.tables import UtcDateTime, define_inbox_table, define_outbox_table, make_metadata

metadata = make_metadata()
outbox = define_outbox_table(metadata)
inbox = define_inbox_table(metadata)
audit_log = define_audit_table(metadata)

provider = Table(
    "provider",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("credit_code", String(18), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("registration_category", String(2), nullable=True),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    # grade, grade history, conditions with evidence, violations, blacklist, contact (JSON)
    Column("profile", Text, nullable=False, server_default="{}"),
)

project = Table(
    "project",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("region_code", String(12), nullable=False),
    Column("town_code", String(12), nullable=True),
    Column("purchaser", String(200), nullable=False),
    Column("service_item", String(50), nullable=False),
    Column("budget_item", String(50), nullable=False),
    Column("fiscal_year", Integer, nullable=False),
    Column("method", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("budget_fen", BigInteger, nullable=False),
    Column("bid_deadline", UtcDateTime(), nullable=False),
    Column("doc", Text, nullable=False),
    Index("ix_project_purchase_year", "region_code", "fiscal_year", "budget_item", "service_item"),
)

bid = Table(
    "bid",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("project.id"), nullable=False),
    Column("provider_id", Uuid, ForeignKey("provider.id"), nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("price_fen", BigInteger, nullable=False),
    Column("proposal", Text, nullable=False),
    UniqueConstraint("project_id", "provider_id", name="uq_bid_project_provider"),
)

contract = Table(
    "contract",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("project_id", Uuid, ForeignKey("project.id"), nullable=False, unique=True),
    Column("provider_id", Uuid, ForeignKey("provider.id"), nullable=False),
    Column("region_code", String(12), nullable=False),
    Column("service_item", String(50), nullable=False),
    Column("term_start", Date, nullable=False),
    Column("term_end", Date, nullable=False),
    Column("value_fen", BigInteger, nullable=False),
    Column("doc", Text, nullable=False),
    Index("ix_contract_region_item", "region_code", "service_item"),
)

care_assignment = Table(
    "care_assignment",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("case_id", Uuid, nullable=False, unique=True),
    Column("region_code", String(12), nullable=False),
    Column("town_code", String(12), nullable=True),
    Column("household_id", Uuid, nullable=False),
    Column("state", String(20), nullable=False),
    Column("contract_id", Uuid, ForeignKey("contract.id"), nullable=True, index=True),
    # the assignment as JSON, carers' names included: encrypted at rest as a whole
    Column("doc", EncryptedString("procurement.care_assignment.doc"), nullable=False),
)

visit = Table(
    "visit",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("contract_id", Uuid, ForeignKey("contract.id"), nullable=False),
    Column("assignment_id", Uuid, ForeignKey("care_assignment.id"), nullable=True),
    Column("person_ref", String(100), nullable=False),
    Column("staff", EncryptedString("procurement.visit.staff"), nullable=False),  # the carer's name
    Column("visited_at", UtcDateTime(), nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("content", Text, nullable=False),
    Column("satisfaction", Integer, nullable=True),
    Column("region_code", String(12), nullable=False),
    Index("ix_visit_contract_time", "contract_id", "visited_at"),
)

evaluation = Table(
    "evaluation",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("contract_id", Uuid, ForeignKey("contract.id"), nullable=False),
    Column("period", String(7), nullable=False),
    Column("score", Integer, nullable=False),
    Column("amount_due_fen", BigInteger, nullable=False),
    Column("doc", Text, nullable=False),
    UniqueConstraint("contract_id", "period", name="uq_evaluation_contract_period"),
)
