"""The table of proactive-discovery reports (the contact's name, phone and the account of the
hardship are personal data: encrypted at rest)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, String, Table, Uuid

from jiuzhu_platform.pii import EncryptedString
from monitoring.adapters.orm import metadata

discovery = Table(
    "discovery",
    metadata,
    Column("discovery_id", Uuid, primary_key=True),
    Column("alert_id", Uuid, nullable=False, unique=True),
    Column("region_code", String(6), nullable=False, index=True),
    Column("town_code", String(12), nullable=True, index=True),
    Column("channel", String(20), nullable=False),
    Column("hardships", JSON, nullable=False),
    Column("person_ref", String(60), nullable=True, index=True),
    Column("masked_id", String(18), nullable=True),
    Column("contact_name", EncryptedString("monitoring.discovery.contact_name"), nullable=False),
    Column("contact_phone", EncryptedString("monitoring.discovery.contact_phone"), nullable=True),
    Column("description", EncryptedString("monitoring.discovery.description"), nullable=False),
    Column("reported_by", String(200), nullable=False),
    Column("reported_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("household_id", Uuid, nullable=True),
    Column("application_id", Uuid, nullable=True),
)
