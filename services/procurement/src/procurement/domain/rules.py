"""Pure procurement rules."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from procurement.domain.model import Provider
from shared.events import ProviderRegistered, ProviderRegisteredData
from shared.types import registration_category


def register_provider(
    *, credit_code: str, name: str, correlation_id: str, now: datetime
) -> tuple[Provider, ProviderRegistered]:
    """Register a provider; its category (社会团体, 民办非企业单位, 企业 …) comes from the
    code's first two characters (DOMAIN-RULES §8.2), unknown prefixes are kept as None."""
    category = registration_category(credit_code)
    provider = Provider(
        id=uuid4(),
        credit_code=credit_code,
        name=name,
        registration_category=None if category is None else category.prefix,
        registered_at=now,
        correlation_id=correlation_id,
    )
    event = ProviderRegistered.create(
        ProviderRegisteredData(provider_id=provider.id, credit_code=credit_code, name=name),
        subject=str(provider.id),
        correlation_id=correlation_id,
        now=now,
    )
    return provider, event
