"""Loading and storing applications (the service layer never writes SQL)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.applications.adapters.orm import APPLICANT_RESIDENT_ID
from eligibility.applications.adapters.orm import application as application_table
from eligibility.applications.domain.model import Application, ApplicationStatus
from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.pii import session_key_ring
from jiuzhu_platform.scoping import region_clause
from shared.events import AssistanceType


class ApplicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, application: Application) -> None:
        ring = session_key_ring(self.session)
        values = asdict(application) | APPLICANT_RESIDENT_ID.values(ring, application.applicant_resident_id)
        await self.session.execute(insert(application_table), values)

    async def by_applicant(self, resident_id: str, scope: RegionScope, *, limit: int = 200) -> list[Application]:
        """Applications of one applicant within `scope`, newest first, found by the blind index."""
        table = application_table
        index = table.c[APPLICANT_RESIDENT_ID.index_name]
        statement = (
            select(table)
            .where(
                index == APPLICANT_RESIDENT_ID.index(session_key_ring(self.session), resident_id),
                region_clause(
                    scope, county=table.c.region_code, town=table.c.town_code, household=table.c.household_id
                ),
            )
            .order_by(table.c.submitted_at.desc())
            .limit(limit)
        )
        return [_to_model(row) for row in (await self.session.execute(statement)).mappings()]

    async def household_of_applicant(self, resident_id: str) -> tuple[UUID, str, str | None] | None:
        """The household (id, county, town) of this person's newest application, if any."""
        table = application_table
        index = APPLICANT_RESIDENT_ID.index(session_key_ring(self.session), resident_id)
        row = (
            await self.session.execute(
                select(table.c.household_id, table.c.region_code, table.c.town_code)
                .where(table.c[APPLICANT_RESIDENT_ID.index_name] == index)
                .order_by(table.c.submitted_at.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    async def areas_of_household(self, household_id: UUID) -> list[tuple[str, str | None]]:
        """Where the household's applications are placed (county, town)."""
        table = application_table
        rows = await self.session.execute(
            select(table.c.region_code, table.c.town_code).where(table.c.household_id == household_id).distinct()
        )
        return [(r[0], r[1]) for r in rows.all()]

    async def get(self, application_id: UUID) -> Application | None:
        row = (
            (await self.session.execute(select(application_table).where(application_table.c.id == application_id)))
            .mappings()
            .first()
        )
        return None if row is None else _to_model(row)


def _to_model(row: Any) -> Application:
    values = {k: v for k, v in row.items() if k not in ("version", APPLICANT_RESIDENT_ID.index_name)}
    values["assistance_type"] = AssistanceType(values["assistance_type"])
    values["status"] = ApplicationStatus(values["status"])
    return Application(**values)
