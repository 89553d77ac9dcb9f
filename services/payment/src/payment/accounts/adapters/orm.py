"""Payee accounts (收款账户): one row per account a payee ever had (the newest effective one is
used); the number encrypted with a blind index, masked for reading."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, String, Table, Uuid

from jiuzhu_platform.pii import EncryptedString, PiiField
from jiuzhu_platform.tables import UtcDateTime
from payment.adapters.orm import metadata

HOLDER_NAME_CONTEXT = "payment.payee_account.holder_name"
ACCOUNT_NUMBER = PiiField("account_number", kind="bank_account", context="payment.payee_account.account_number")

payee_account = Table(
    "payee_account",
    metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("payee_ref", String(56), nullable=False),
    Column("payee_masked", String(18), nullable=False),
    Column("holder_name", EncryptedString(HOLDER_NAME_CONTEXT), nullable=False),  # 户名: a person's name
    *ACCOUNT_NUMBER.columns(nullable=False),
    Column("account_masked", String(30), nullable=False),
    Column("bank_name", String(100), nullable=False),
    Column("bank_code", String(12), nullable=True),  # 联行号 (CNAPS), 12 digits
    Column("county_code", String(6), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
    Column("changed_by", String(200), nullable=False),
    Column("confirmed_by", String(200), nullable=True),
    Column("confirmed_at", UtcDateTime(), nullable=True),
    # The account in force (the newest change of the newest effective date) is the first entry
    # read backwards; on PostgreSQL the entry carries what the payroll asks of it (index only).
    Index(
        "ix_payee_account_in_force",
        "payee_ref",
        "effective_from",
        "changed_at",
        postgresql_include=["account_id", "confirmed_by"],
    ),
)
