"""Pure procurement rules."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from procurement.domain.commands import RegisterProvider
from procurement.domain.model import Provider
from shared.events import ProviderRegistered, ProviderRegisteredData
from shared.types import registration_category


def register_provider(cmd: RegisterProvider, *, now: datetime) -> tuple[Provider, ProviderRegistered]:
    """Register a provider; its category (社会团体, 民办非企业单位, 企业 …) comes from the
    code's first two characters (DOMAIN-RULES §8.2), unknown prefixes are kept as None."""
    category = registration_category(cmd.credit_code)
    provider = Provider(
        id=uuid4(),
        credit_code=cmd.credit_code,
        name=cmd.name,
        registration_category=None if category is None else category.prefix,
        registered_at=now,
        correlation_id=cmd.correlation_id,
    )
    event = ProviderRegistered.create(
        ProviderRegisteredData(provider_id=provider.id, credit_code=cmd.credit_code, name=cmd.name),
        subject=str(provider.id),
        correlation_id=cmd.correlation_id,
        now=now,
    )
    return provider, event
