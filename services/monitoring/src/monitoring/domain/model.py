"""The low-income population register (低收入人口监测名册), pure model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class RegisterEntry:
    """A household in the monitoring register. `assistance_types` lists every kind of
    assistance the household has applied for, in the order first seen."""

    household_id: UUID
    region_code: str
    reason: str
    assistance_types: tuple[str, ...]
    source_event_id: UUID
    registered_at: datetime
    updated_at: datetime
    correlation_id: str
