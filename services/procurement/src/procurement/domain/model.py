"""Procurement entities (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class Provider:
    """承接主体: a social organisation (or other eligible body) that may deliver purchased
    social-assistance services. Identified by its unified social credit code."""

    id: UUID
    credit_code: str
    name: str
    registration_category: str | None
    registered_at: datetime
    correlation_id: str
