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
    town_code: str | None = None
    """乡镇（街道）代码 when the application named it (town-level staff see their town's entries)."""

    @property
    def area_code(self) -> str:
        """The most precise area the household is placed in (town, else county)."""
        return self.town_code or self.region_code
