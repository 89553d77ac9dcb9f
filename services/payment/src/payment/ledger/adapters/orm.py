"""Tables of the ledger: entitlements (one row per case, its versions), temporary grants, and
the persons reported dead (from verification's notices)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Table, Uuid

from jiuzhu_platform.tables import UtcDateTime
from payment.adapters.orm import metadata

entitlement = Table(
    "entitlement",
    metadata,
    Column("case_id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("town_code", String(12), nullable=True),
    Column("category", String(30), nullable=False),
    Column("payee_ref", String(56), nullable=False, index=True),
    Column("payee_masked", String(18), nullable=False),
    Column("first_month", String(7), nullable=False),
    Column("entitled_until", String(7), nullable=True),
    # The month from which a calculation looks at the case's lines again, whatever the county's
    # last calculated run (None: only the months after it). Set to the first month when the
    # entitlement is saved, lowered to a line's month when the line is cancelled or fails,
    # cleared by the calculation page that looked (`payroll.adapters.repository.CALCULATE_PAGE`).
    Column("recheck_from", String(7), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    # A county's entitlements in case order: the payroll's keyset pages read only their own
    # page, not every entitlement of the county filtered by case id.
    Index("ix_entitlement_county_case", "county_code", "case_id"),
)

entitlement_version = Table(
    "entitlement_version",
    metadata,
    Column("case_id", Uuid, ForeignKey("entitlement.case_id", ondelete="CASCADE"), primary_key=True),
    Column("effective_from", String(7), primary_key=True),
    Column("amounts", JSON, nullable=False),  # component → fen per month
)

temporary_grant = Table(
    "temporary_grant",
    metadata,
    Column("grant_id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False),
    Column("county_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True),
    Column("payee_ref", String(56), nullable=False),
    Column("payee_masked", String(18), nullable=False),
    Column("amount_fen", Integer, nullable=False),
    Column("period", String(7), nullable=False),
    Column("by_bank", Integer, nullable=False),  # 1: through a run; 0: cash at the town
    Column("granted_on", Date, nullable=False),
)

deceased_person = Table(
    "deceased_person",
    metadata,
    Column("person_ref", String(56), primary_key=True),
    Column("died_on", Date, nullable=False),
    Column("reported_at", UtcDateTime(), nullable=False),
)
