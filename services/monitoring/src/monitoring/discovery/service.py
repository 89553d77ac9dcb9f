"""Proactive-discovery use cases. Never commits (the request's or consumer's transaction does)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import AccessLevel, RegionNotAllowed, RegionScope
from jiuzhu_platform.outbox import add_events
from jiuzhu_platform.person_ref import person_ref
from monitoring.adapters.orm import outbox, register_entry
from monitoring.chain import service as chain
from monitoring.chain.adapters.orm import assistance_record
from monitoring.chain.adapters.repository import ChainRepository
from monitoring.discovery.adapters.repository import DiscoveryRepository
from monitoring.discovery.domain import rules
from monitoring.discovery.domain.errors import DiscoveryNotFound
from monitoring.discovery.domain.model import Channel, Discovery, Hardship
from monitoring.domain.rules import REASON_DISCOVERED
from monitoring.warnings import service as warnings_service
from monitoring.warnings.adapters.orm import alert
from monitoring.warnings.adapters.repository import WarningRepository
from monitoring.warnings.adapters.rule_files import rules_in_force
from monitoring.warnings.domain import rules as warning_rules
from shared.events import ApplicationAccepted
from shared.events.monitoring import AlertDisposition
from shared.types import ResidentId
from shared.types.business_time import business_date

APPLIED_EVIDENCE = "主动发现的家庭已提出申请并被受理 (the household applied and the application was accepted)"


async def report(
    session: AsyncSession,
    scope: RegionScope,
    *,
    region_code: str,
    town_code: str | None,
    channel: Channel,
    hardships: tuple[Hardship, ...],
    resident_id: ResidentId | None,
    contact_name: str,
    contact_phone: str | None,
    description: str,
    by: str,
    person_ref_key: bytes,
    correlation_id: str,
    now: datetime,
) -> Discovery:
    """主动发现: a household in hardship reported by a worker or the hotline, in the caller's
    area (a town's staff in their town), becomes the town's task (an alert due in 7 days)."""
    town = scope.default_town(region_code, town_code)
    if town is not None and town[:6] != region_code:
        raise RegionNotAllowed("the town is not in that county", "乡镇（街道）不属于该县（区）")
    scope.require(region_code=town or region_code)
    if scope.level is AccessLevel.CITY and town is None:
        raise RegionNotAllowed("a report names the town to send it to", "上报须指明所属乡镇（街道）")
    today = business_date(now)
    ref = person_ref(resident_id, person_ref_key) if resident_id is not None else None
    item = Discovery(
        discovery_id=uuid.uuid4(),
        alert_id=uuid.uuid4(),
        region_code=region_code,
        town_code=town,
        channel=channel,
        hardships=hardships,
        person_ref=ref.ref if ref else None,
        masked_id=ref.masked_id if ref else None,
        contact_name=contact_name,
        contact_phone=contact_phone,
        description=description,
        reported_by=by,
        reported_on=today,
    )
    task = rules.task_of(item, today=today, household_id=item.discovery_id, version=rules_in_force(today).version)
    await DiscoveryRepository(session).add(item)
    await WarningRepository(session).add_alerts([task])
    await ChainRepository(session).add([chain.raised(task)])
    await add_events(
        session,
        outbox,
        [
            warnings_service.alert_raised(
                task, correlation_id=correlation_id, causation_id=str(item.discovery_id), now=now
            )
        ],
        now=now,
    )
    return item


async def application_accepted(session: AsyncSession, event: ApplicationAccepted, now: datetime) -> None:
    """A reported person's household applied and was accepted: the report is done, its task
    closes as delivered (落实救助帮扶), and the register counts the household as found by
    monitoring (检出率)."""
    data = event.data
    repository = DiscoveryRepository(session)
    found = await repository.open_for({m.ref for m in data.members})
    if not found:
        return
    warnings = WarningRepository(session)
    today = business_date(now)
    closed = []
    for item in found:
        await repository.mark_applied(item, data.household_id, data.application_id)
        # the task and its step of the chain were the report's own until the household was known
        await session.execute(
            update(alert).where(alert.c.alert_id == item.alert_id).values(household_id=data.household_id)
        )
        await session.execute(
            update(assistance_record)
            .where(assistance_record.c.record_id == item.alert_id)
            .values(household_id=data.household_id)
        )
        task = await warnings.get_alert(item.alert_id, for_update=True)
        if task is None or task.status.value == "closed":
            continue
        done = warning_rules.dispose(task, AlertDisposition.DELIVER, APPLIED_EVIDENCE, "system", today)
        await warnings.save_alert(done)
        closed.append(done)
    await session.execute(
        update(register_entry)
        .where(register_entry.c.household_id == data.household_id)
        .values(reason=REASON_DISCOVERED, updated_at=now)
    )
    await ChainRepository(session).add([chain.disposed(t) for t in closed])


async def get_discovery(session: AsyncSession, scope: RegionScope, discovery_id: uuid.UUID) -> Discovery:
    item = await DiscoveryRepository(session).get(discovery_id)
    if item is None:
        raise DiscoveryNotFound(discovery_id)
    scope.require(region_code=item.town_code or item.region_code)
    return item


async def list_discoveries(
    session: AsyncSession, scope: RegionScope, *, status: str | None, limit: int, offset: int
) -> tuple[list[Discovery], int]:
    if scope.level is AccessLevel.NONE:
        raise RegionNotAllowed("the caller has no area to list", "调用方没有可查看的辖区")
    return await DiscoveryRepository(session).page(scope, status=status, limit=limit, offset=offset)
