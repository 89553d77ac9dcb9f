"""Chain use cases: the steps other features and events add, and a household's chain. Never
commits (the consumer's or the request's transaction does)."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import RegionScope
from monitoring import service as register_service
from monitoring.chain.adapters.repository import ChainRepository
from monitoring.chain.domain import rules
from monitoring.chain.domain.model import TEMPORARY, ChainRecord, Step
from monitoring.warnings.domain.model import Alert, MonitoredCase
from shared.events import PaymentSettled, TemporaryAssistanceGranted
from shared.types import to_fen
from shared.types.business_time import business_date

logger = logging.getLogger(__name__)


def raised(item: Alert) -> ChainRecord:
    return ChainRecord(
        item.alert_id,
        item.household_id,
        Step.ALERT_RAISED,
        item.raised_on,
        item.region_code,
        item.town_code,
        category=item.rule,
        detail=item.level.value,
    )


def disposed(item: Alert) -> ChainRecord:
    assert item.disposition is not None
    assert item.disposed_on is not None
    return ChainRecord(
        uuid.uuid5(item.alert_id, "disposed"),
        item.household_id,
        Step.ALERT_DISPOSED,
        item.disposed_on,
        item.region_code,
        item.town_code,
        category=item.rule,
        detail=item.disposition.value,
    )


def case_terminated(case: MonitoredCase, record_id: uuid.UUID, on: date, reason: str) -> ChainRecord:
    return ChainRecord(
        record_id,
        case.household_id,
        Step.CASE_TERMINATED,
        on,
        case.region_code,
        case.town_code,
        category=case.category,
        detail=reason,
    )


async def temporary_granted(session: AsyncSession, event: TemporaryAssistanceGranted, now: datetime) -> None:
    """A 临时救助 grant: a step of the chain, and the household counts as 临时救助 for 12 months."""
    data = event.data
    record = ChainRecord(
        event.id,
        data.household_id,
        Step.TEMPORARY_GRANTED,
        data.granted_on,
        data.region_code,
        data.town_code,
        category=data.kind.value,
        amount_fen=to_fen(data.amount),
        detail="case_by_case" if data.case_by_case else data.payout.value,
    )
    await ChainRepository(session).add([record])


async def payment_settled(session: AsyncSession, event: PaymentSettled, now: datetime) -> None:
    """Money that reached the household (spending, by the household's area and by programme:
    the case's category, or 临时救助 for a grant)."""
    data = event.data
    repository = ChainRepository(session)
    programme = TEMPORARY if data.case_id is None else await repository.category_of(data.case_id) or "benefit"
    area = await repository.area_of(data.household_id)
    if area is None:
        logger.info("payment for a household not in the register", extra={"household_id": str(data.household_id)})
        return
    record = ChainRecord(
        event.id,
        data.household_id,
        Step.PAID,
        data.settled_on,
        area[0],
        area[1],
        category=programme,
        amount_fen=to_fen(data.amount),
        detail=str(data.period),
    )
    await repository.add([record])


async def household_chain(
    session: AsyncSession, scope: RegionScope, household_id: uuid.UUID, now: datetime
) -> tuple[list[str], list[ChainRecord]]:
    """A household's categories now and its chain, if it is within the caller's `scope`."""
    await register_service.get_household(session, scope, household_id)
    repository = ChainRepository(session)
    records = await repository.of_household(household_id)
    categories = rules.categories(await repository.active_categories(household_id), records, business_date(now))
    return categories, records
