"""Loading and storing the register's cases and people, risk signals, alerts and spot checks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from jiuzhu_platform.scoping import region_clause
from monitoring.chain.adapters.orm import assistance_record
from monitoring.chain.domain.model import TEMPORARY, Step
from monitoring.warnings.adapters.orm import (
    alert,
    monitored_case,
    monitored_person,
    risk_signal,
    spot_check,
    spot_check_result,
)
from monitoring.warnings.domain.model import (
    ANTI_POVERTY,
    Alert,
    AlertStatus,
    MonitoredCase,
    Signal,
    SpotCheckDraw,
    SpotCheckFinding,
    SpotCheckOutcome,
    SpotCheckResult,
)
from shared.events.monitoring import AlertDisposition, RiskLevel
from shared.types import Period


class WarningRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self, table: Table) -> Any:
        dialect = self.session.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)

    # ---------------------------------------------------------------- cases and people

    async def upsert_case(self, case: MonitoredCase) -> None:
        values = _case_row(case)
        statement = self._insert(monitored_case).values(**values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["case_id"], set_={k: v for k, v in values.items() if k != "case_id"}
            )
        )

    async def get_case(self, case_id: UUID) -> MonitoredCase | None:
        row = (await self.session.execute(select(monitored_case).where(monitored_case.c.case_id == case_id))).mappings()
        found = row.first()
        return None if found is None else case_from_row(found)

    async def end_case(self, case_id: UUID, ended_on: date, reason: str) -> None:
        await self.session.execute(
            update(monitored_case)
            .where(monitored_case.c.case_id == case_id)
            .values(active=False, ended_on=ended_on, end_reason=reason)
        )

    async def add_people(self, household_id: UUID, refs: Collection[str]) -> None:
        if refs:
            statement = self._insert(monitored_person).on_conflict_do_nothing()
            await self.session.execute(statement, [{"person_ref": r, "household_id": household_id} for r in refs])

    async def assisted_elsewhere(self, household_id: UUID) -> list[tuple[str, str]]:
        """(county, category) of the active cases of other households that share a person with
        this one (by person reference)."""
        mine = select(monitored_person.c.person_ref).where(monitored_person.c.household_id == household_id)
        rows = await self.session.execute(
            select(monitored_case.c.region_code, monitored_case.c.category)
            .join(monitored_person, monitored_person.c.household_id == monitored_case.c.household_id)
            .where(
                monitored_person.c.person_ref.in_(mine.scalar_subquery()),
                monitored_person.c.household_id != household_id,
                monitored_case.c.active.is_(True),
                monitored_case.c.category != ANTI_POVERTY,
            )
            .distinct()
        )
        return [(r[0], r[1]) for r in rows]

    async def households_of(self, person_ref: str) -> list[UUID]:
        rows = await self.session.execute(
            select(monitored_person.c.household_id).where(monitored_person.c.person_ref == person_ref)
        )
        return [r[0] for r in rows]

    async def active_cases(self, household_ids: Collection[UUID]) -> list[MonitoredCase]:
        rows = await self.session.execute(
            select(monitored_case)
            .where(monitored_case.c.household_id.in_(sorted(household_ids)), monitored_case.c.active.is_(True))
            .order_by(monitored_case.c.opened_on, monitored_case.c.case_id)
        )
        return [case_from_row(r) for r in rows.mappings()]

    async def active_case_ids(self, region_code: str, category: str) -> list[UUID]:
        rows = await self.session.execute(
            select(monitored_case.c.case_id).where(
                monitored_case.c.region_code == region_code,
                monitored_case.c.category == category,
                monitored_case.c.active.is_(True),
            )
        )
        return [r[0] for r in rows]

    # ---------------------------------------------------------------- signals

    async def add_signal(self, signal: Signal, now: datetime) -> bool:
        """Store a signal once (by notice id); whether it was new."""
        statement = (
            self._insert(risk_signal)
            .values(
                notice_id=signal.notice_id,
                household_id=signal.household_id,
                person_ref=signal.person_ref,
                kind=signal.kind,
                occurred_on=signal.occurred_on,
                received_at=now,
            )
            .on_conflict_do_nothing()
            .returning(risk_signal.c.notice_id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def signals_of(self, household_id: UUID) -> list[Signal]:
        rows = await self.session.execute(select(risk_signal).where(risk_signal.c.household_id == household_id))
        return [
            Signal(r["notice_id"], r["household_id"], r["person_ref"], r["kind"], r["occurred_on"])
            for r in rows.mappings()
        ]

    async def death_of(self, household_id: UUID, person_ref: str) -> date | None:
        """The day the person was reported dead, as a member of this household (None: not)."""
        s = risk_signal
        died: date | None = await self.session.scalar(
            select(func.min(s.c.occurred_on)).where(
                s.c.household_id == household_id, s.c.person_ref == person_ref, s.c.kind == "death"
            )
        )
        return died

    async def paid_periods(self, household_id: UUID) -> list[Period]:
        """The benefit months paid to the household (its chain's settled case payments)."""
        r = assistance_record
        rows = await self.session.execute(
            select(r.c.detail).where(
                r.c.household_id == household_id, r.c.step == Step.PAID.value, r.c.category != TEMPORARY
            )
        )
        return [Period.parse(d) for (d,) in rows if d]

    # ---------------------------------------------------------------- alerts

    async def open_rules(self, household_id: UUID) -> frozenset[str]:
        rows = await self.session.execute(
            select(alert.c.rule).where(alert.c.household_id == household_id, alert.c.status != AlertStatus.CLOSED.value)
        )
        return frozenset(r[0] for r in rows)

    async def add_alerts(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            await self.session.execute(self._insert(alert), [_alert_row(a) for a in alerts])

    async def get_alert(self, alert_id: UUID, *, for_update: bool = False) -> Alert | None:
        query = select(alert).where(alert.c.alert_id == alert_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else _alert(row)

    async def save_alert(self, item: Alert) -> None:
        row = _alert_row(item)
        await self.session.execute(
            update(alert).where(alert.c.alert_id == item.alert_id).values(**row, version=alert.c.version + 1)
        )

    async def page_alerts(
        self, scope: RegionScope, *, status: str | None, limit: int, offset: int
    ) -> tuple[list[Alert], int]:
        where: list[Any] = [region_clause(scope, county=alert.c.region_code, town=alert.c.town_code)]
        if status is not None:
            where.append(alert.c.status == status)
        total = await self.session.scalar(select(func.count()).select_from(alert).where(*where))
        rows = await self.session.execute(
            select(alert).where(*where).order_by(alert.c.due_on, alert.c.alert_id).limit(limit).offset(offset)
        )
        return [_alert(r) for r in rows.mappings()], int(total or 0)

    async def escalate_overdue(self, today: date) -> int:
        result = await self.session.execute(
            update(alert)
            .where(and_(alert.c.status == AlertStatus.OPEN.value, alert.c.due_on < today))
            .values(status=AlertStatus.ESCALATED.value, version=alert.c.version + 1)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- spot checks

    async def add_draw(self, draw: SpotCheckDraw) -> None:
        await self.session.execute(
            self._insert(spot_check).values(
                draw_id=draw.draw_id,
                region_code=draw.region_code,
                category=draw.category,
                seed=str(draw.seed),
                share_percent=draw.share_percent,
                population=draw.population,
                draw=[[str(case), inspector] for case, inspector in draw.inspectors],
                drawn_at=draw.drawn_at,
                drawn_by=draw.drawn_by,
            )
        )

    async def add_result(self, result: SpotCheckResult) -> None:
        await self.session.execute(
            self._insert(spot_check_result).values(
                draw_id=result.draw_id,
                case_id=result.case_id,
                inspector=result.inspector,
                outcome=result.outcome.value,
                finding=result.finding.value if result.finding else None,
                note=result.note,
                recorded_by=result.recorded_by,
                recorded_on=result.recorded_on,
            )
        )

    async def results_of(self, draw_id: UUID) -> list[SpotCheckResult]:
        rows = await self.session.execute(
            select(spot_check_result)
            .where(spot_check_result.c.draw_id == draw_id)
            .order_by(spot_check_result.c.case_id)
        )
        return [
            SpotCheckResult(
                draw_id=r["draw_id"],
                case_id=r["case_id"],
                inspector=r["inspector"],
                outcome=SpotCheckOutcome(r["outcome"]),
                finding=SpotCheckFinding(r["finding"]) if r["finding"] else None,
                note=r["note"],
                recorded_by=r["recorded_by"],
                recorded_on=r["recorded_on"],
            )
            for r in rows.mappings()
        ]

    async def get_draw(self, draw_id: UUID) -> SpotCheckDraw | None:
        row = (await self.session.execute(select(spot_check).where(spot_check.c.draw_id == draw_id))).mappings().first()
        if row is None:
            return None
        pairs = tuple((UUID(case), inspector) for case, inspector in row["draw"])
        return SpotCheckDraw(
            draw_id=row["draw_id"],
            region_code=row["region_code"],
            category=row["category"],
            seed=int(row["seed"]),
            share_percent=row["share_percent"],
            population=row["population"],
            case_ids=tuple(case for case, _ in pairs),
            inspectors=pairs,
            drawn_at=row["drawn_at"],
            drawn_by=row["drawn_by"],
        )


def _case_row(case: MonitoredCase) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "household_id": case.household_id,
        "category": case.category,
        "region_code": case.region_code,
        "town_code": case.town_code,
        "payee_ref": case.payee_ref,
        "support_mode": case.support_mode,
        "active": case.active,
        "opened_on": case.opened_on,
        "filed": case.filed,
    }


def case_from_row(row: Any) -> MonitoredCase:
    """A `monitored_case` row (or a row with its columns) as the model."""
    return MonitoredCase(
        case_id=row["case_id"],
        household_id=row["household_id"],
        category=row["category"],
        region_code=row["region_code"],
        town_code=row["town_code"],
        payee_ref=row["payee_ref"],
        support_mode=row["support_mode"],
        active=row["active"],
        opened_on=row["opened_on"],
        filed=row["filed"],
    )


def _alert_row(item: Alert) -> dict[str, Any]:
    return {
        "alert_id": item.alert_id,
        "household_id": item.household_id,
        "case_id": item.case_id,
        "rule": item.rule,
        "rules_version": item.rules_version,
        "level": item.level.value,
        "score": item.score,
        "reasons": list(item.reasons),
        "region_code": item.region_code,
        "town_code": item.town_code,
        "raised_on": item.raised_on,
        "due_on": item.due_on,
        "status": item.status.value,
        "disposition": item.disposition.value if item.disposition else None,
        "evidence": item.evidence,
        "disposed_by": item.disposed_by,
        "disposed_on": item.disposed_on,
    }


def _alert(row: Any) -> Alert:
    return Alert(
        alert_id=row["alert_id"],
        household_id=row["household_id"],
        case_id=row["case_id"],
        rule=row["rule"],
        rules_version=row["rules_version"],
        level=RiskLevel(row["level"]),
        score=row["score"],
        reasons=tuple(row["reasons"]),
        region_code=row["region_code"],
        town_code=row["town_code"],
        raised_on=row["raised_on"],
        due_on=row["due_on"],
        status=AlertStatus(row["status"]),
        disposition=AlertDisposition(row["disposition"]) if row["disposition"] else None,
        evidence=row["evidence"],
        disposed_by=row["disposed_by"],
        disposed_on=row["disposed_on"],
    )
