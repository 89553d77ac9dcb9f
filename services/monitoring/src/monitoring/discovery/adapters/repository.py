"""Storing and finding discovery reports."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.scoping import region_clause
from monitoring.discovery.adapters.orm import discovery
from monitoring.discovery.domain.model import Channel, Discovery, DiscoveryStatus, Hardship


class DiscoveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, item: Discovery) -> None:
        await self.session.execute(insert(discovery).values(**_row(item)))

    async def get(self, discovery_id: UUID) -> Discovery | None:
        query = select(discovery).where(discovery.c.discovery_id == discovery_id)
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else _model(row)

    async def open_for(self, person_refs: Collection[str]) -> list[Discovery]:
        """Open reports naming any of these people (oldest first), locked for the update."""
        if not person_refs:
            return []
        rows = await self.session.execute(
            select(discovery)
            .where(discovery.c.person_ref.in_(sorted(person_refs)), discovery.c.status == DiscoveryStatus.OPEN.value)
            .order_by(discovery.c.reported_on, discovery.c.discovery_id)
            .with_for_update()
        )
        return [_model(r) for r in rows.mappings()]

    async def mark_applied(self, item: Discovery, household_id: UUID, application_id: UUID) -> None:
        await self.session.execute(
            update(discovery)
            .where(discovery.c.discovery_id == item.discovery_id)
            .values(status=DiscoveryStatus.APPLIED.value, household_id=household_id, application_id=application_id)
        )

    async def page(
        self, scope: RegionScope, *, status: str | None, limit: int, offset: int
    ) -> tuple[list[Discovery], int]:
        where: list[Any] = [region_clause(scope, county=discovery.c.region_code, town=discovery.c.town_code)]
        if status is not None:
            where.append(discovery.c.status == status)
        total = await self.session.scalar(select(func.count()).select_from(discovery).where(*where))
        rows = await self.session.execute(
            select(discovery)
            .where(*where)
            .order_by(discovery.c.reported_on.desc(), discovery.c.discovery_id)
            .limit(limit)
            .offset(offset)
        )
        return [_model(r) for r in rows.mappings()], int(total or 0)


def _row(d: Discovery) -> dict[str, Any]:
    return {
        "discovery_id": d.discovery_id,
        "alert_id": d.alert_id,
        "region_code": d.region_code,
        "town_code": d.town_code,
        "channel": d.channel.value,
        "hardships": [h.value for h in d.hardships],
        "person_ref": d.person_ref,
        "masked_id": d.masked_id,
        "contact_name": d.contact_name,
        "contact_phone": d.contact_phone,
        "description": d.description,
        "reported_by": d.reported_by,
        "reported_on": d.reported_on,
        "status": d.status.value,
        "household_id": d.household_id,
        "application_id": d.application_id,
    }


def _model(m: Any) -> Discovery:
    return Discovery(
        discovery_id=m["discovery_id"],
        alert_id=m["alert_id"],
        region_code=m["region_code"],
        town_code=m["town_code"],
        channel=Channel(m["channel"]),
        hardships=tuple(Hardship(h) for h in m["hardships"]),
        person_ref=m["person_ref"],
        masked_id=m["masked_id"],
        contact_name=m["contact_name"],
        contact_phone=m["contact_phone"],
        description=m["description"],
        reported_by=m["reported_by"],
        reported_on=m["reported_on"],
        status=DiscoveryStatus(m["status"]),
        household_id=m["household_id"],
        application_id=m["application_id"],
    )
