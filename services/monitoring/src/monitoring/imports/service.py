"""List-import use cases. Never commits (the request's transaction does)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.auth import AccessLevel, RegionNotAllowed, RegionScope
from jiuzhu_platform.outbox import add_events
from jiuzhu_platform.person_ref import person_ref
from monitoring.adapters.orm import outbox
from monitoring.chain import service as chain
from monitoring.chain.adapters.repository import ChainRepository
from monitoring.imports.adapters.repository import ImportRepository
from monitoring.imports.domain import rules
from monitoring.imports.domain.errors import ImportNotFound, ListRefused
from monitoring.imports.domain.model import (
    INTEGRITY_RULE_OF,
    SIGNAL_OF,
    ListedMember,
    ListImport,
    ListKind,
    ListRow,
    RowRejected,
)
from monitoring.warnings import service as warnings_service
from monitoring.warnings.adapters.repository import WarningRepository
from monitoring.warnings.adapters.rule_files import rules_in_force
from monitoring.warnings.domain import rules as warning_rules
from monitoring.warnings.domain.model import Alert, MonitoredCase, Signal
from shared.events import Event
from shared.events.monitoring import ReviewReason
from shared.types import ResidentId
from shared.types.business_time import business_date

MAX_BYTES = 64 * 1024 * 1024
"""The largest list taken in one request (a city's deaths of a year are a few MB)."""


def _area(scope: RegionScope, region_code: str | None) -> str | None:
    """The county a list is matched in: a county's staff their own; the city any or all."""
    if scope.level is AccessLevel.CITY:
        return region_code
    if scope.level is AccessLevel.COUNTY and scope.region_code is not None:
        if region_code is not None and region_code != scope.region_code:
            scope.require(region_code=region_code)
        return scope.region_code
    raise RegionNotAllowed("only county or city staff import lists", "仅县级或市级工作人员可导入名单")


async def import_death_list(
    session: AsyncSession,
    scope: RegionScope,
    data: bytes,
    *,
    source: str,
    region_code: str | None,
    by: str,
    person_ref_key: bytes,
    now: Callable[[], datetime],
) -> tuple[ListImport, bool]:
    """死亡名单比对: every listed person of the register whose household has an active case
    becomes an integrity finding (the alert a death notice raises, due in 3 days) and a review
    request to eligibility; a household with such an alert still open gets no second one. The
    same file again (same area) is the same import: (the import, whether it was new)."""
    return await import_list(
        session,
        scope,
        data,
        kind=ListKind.DEATHS,
        source=source,
        region_code=region_code,
        by=by,
        person_ref_key=person_ref_key,
        now=now,
    )


async def import_list(
    session: AsyncSession,
    scope: RegionScope,
    data: bytes,
    *,
    kind: ListKind,
    source: str,
    region_code: str | None,
    by: str,
    person_ref_key: bytes,
    now: Callable[[], datetime],
) -> tuple[ListImport, bool]:
    """A department's list matched against the register in one pass. Deaths: integrity
    findings and review requests (`import_death_list`). 财政供养 and staff-relative lists:
    integrity findings for assisted households (a staff relative's only where the case was not
    单独登记备案), a task each while one is open. 重病/重残/失业 lists: each listed person is a
    risk signal for their household, scored by the warning rules like a department's notice, so
    a household whose signals reach a rule's threshold gets its alert. 防返贫 lists:
    `import_anti_poverty_list`."""
    if kind is ListKind.ANTI_POVERTY:
        return await import_anti_poverty_list(
            session, scope, data, source=source, region_code=region_code, by=by, person_ref_key=person_ref_key, now=now
        )
    area = _area(scope, region_code)
    digest = hashlib.sha256(data).hexdigest()
    repository = ImportRepository(session)
    existing = await repository.find(kind, area, digest)
    if existing is not None:
        return existing, False
    at = now()
    today = business_date(at)
    accepted, total, rejected, rejections = _read(data, today, person_ref_key)
    import_id = uuid.uuid4()
    deaths = kind is ListKind.DEATHS
    integrity_rule = INTEGRITY_RULE_OF.get(kind)
    matches = await repository.match(
        list(accepted.values()),
        region_code=area,
        open_rule=integrity_rule,
        recipients_only=integrity_rule is not None,
        unfiled_only=kind is ListKind.STAFF_RELATIVES,
    )
    signals = [
        Signal(
            uuid.uuid5(import_id, f"{row.person_ref}|{case.household_id}"),
            case.household_id,
            row.person_ref,
            SIGNAL_OF[kind],
            row.occurred_on,
        )
        for row, case in matches
        if kind in SIGNAL_OF
    ]
    await repository.add_signals(signals, at)
    if integrity_rule is not None:
        alerts = [
            warning_rules.integrity_finding(
                integrity_rule, case, row.occurred_on, today, uuid.uuid4(), version=rules_in_force(today).version
            )
            for row, case in matches
        ]
    else:
        alerts = await _scored(session, [case for _, case in matches], today)
    await WarningRepository(session).add_alerts(alerts)
    await ChainRepository(session).add([chain.raised(a) for a in alerts])
    cause = f"list-import-{import_id}"
    staged: list[Event] = []
    for finding in alerts:
        staged.append(warnings_service.alert_raised(finding, correlation_id=cause, causation_id=str(import_id), now=at))
        if deaths:
            staged.append(
                warnings_service.review_requested(
                    finding, ReviewReason.ALERT, correlation_id=cause, causation_id=str(import_id), now=at
                )
            )
    await add_events(session, outbox, staged, now=at)
    result = ListImport(
        import_id=import_id,
        kind=kind,
        digest=digest,
        region_code=area,
        source=source,
        rows=total,
        rejected=rejected,
        matched=len(matches),
        alerts_raised=len(alerts),
        imported_by=by,
        imported_at=at,
        rejections=tuple(rejections),
    )
    await repository.add(result)
    return result, True


async def import_anti_poverty_list(
    session: AsyncSession,
    scope: RegionScope,
    data: bytes,
    *,
    source: str,
    region_code: str | None,
    by: str,
    person_ref_key: bytes,
    now: Callable[[], datetime],
) -> tuple[ListImport, bool]:
    """防止返贫监测对象名单 (quarterly, from the rural-revitalisation department): each listed
    household enters the register as a 防返贫 household (its members' signals scored like a
    边缘 household's), in the household the register already knows for any of its members; a
    household of the area's earlier lists that this one no longer has leaves monitoring
    (解除监测). The list is the area's whole list: a county's staff send their county's, the
    city its own (every county) or one county's."""
    area = _area(scope, region_code)
    digest = hashlib.sha256(data).hexdigest()
    repository = ImportRepository(session)
    existing = await repository.find(ListKind.ANTI_POVERTY, area, digest)
    if existing is not None:
        return existing, False
    at = now()
    today = business_date(at)
    text = _text(data)
    ref_of = _ref_of(person_ref_key)
    members: list[ListedMember] = []
    rejections: list[RowRejected] = []
    rejected = total = 0
    with _header_checked():
        for item in rules.read_household_rows(io.StringIO(text, newline=""), today=today, ref_of=ref_of, county=area):
            total += 1
            if isinstance(item, RowRejected):
                rejected += 1
                if len(rejections) < rules.MAX_REJECTIONS_KEPT:
                    rejections.append(item)
            else:
                members.append(item)
    known = await repository.households_of([ListRow(m.line, m.person_ref, m.occurred_on) for m in members])
    entries, people = rules.anti_poverty_households(members, known)
    before = await repository.anti_poverty_case_ids(area)
    delisted = sorted(before - {e.case_id for e in entries})
    await repository.end_monitoring(delisted, today)
    import_id = uuid.uuid4()
    await repository.put_under_monitoring(entries, people, import_id=import_id, now=at)
    result = ListImport(
        import_id=import_id,
        kind=ListKind.ANTI_POVERTY,
        digest=digest,
        region_code=area,
        source=source,
        rows=total,
        rejected=rejected,
        matched=len(entries),
        alerts_raised=0,
        imported_by=by,
        imported_at=at,
        rejections=tuple(rejections),
        delisted=len(delisted),
    )
    await repository.add(result)
    return result, True


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListRefused("list_encoding", "the list is not UTF-8 text", "名单须为UTF-8编码的CSV文本") from None


def _ref_of(person_ref_key: bytes) -> Callable[[ResidentId], str]:
    def ref_of(resident_id: ResidentId) -> str:
        return person_ref(resident_id, person_ref_key).ref

    return ref_of


@contextlib.contextmanager
def _header_checked() -> Iterator[None]:
    try:
        yield
    except rules.ListHeaderInvalid as error:
        raise ListRefused("list_header", f"the list's header lacks: {error}", f"名单表头缺少列：{error}") from None


def _read(data: bytes, today: date, person_ref_key: bytes) -> tuple[dict[str, ListRow], int, int, list[RowRejected]]:
    """(the accepted rows by person, rows read, rows rejected, the first rejections)."""
    text = _text(data)
    accepted: dict[str, ListRow] = {}
    rejections: list[RowRejected] = []
    rejected = total = 0
    with _header_checked():
        for item in rules.read_rows(io.StringIO(text, newline=""), today=today, ref_of=_ref_of(person_ref_key)):
            total += 1
            if isinstance(item, RowRejected):
                rejected += 1
                if len(rejections) < rules.MAX_REJECTIONS_KEPT:
                    rejections.append(item)
            else:
                accepted.setdefault(item.person_ref, item)
    return accepted, total, rejected, rejections


async def _scored(session: AsyncSession, cases: Sequence[MonitoredCase], today: date) -> list[Alert]:
    """The alerts the warning rules raise now for the households of `cases`, over all their
    signals (the list's just added), as `notice_received` does for one notice."""
    warnings = WarningRepository(session)
    ruleset = rules_in_force(today)
    raised: list[Alert] = []
    for case in cases:
        household = case.household_id
        active = await warnings.active_cases([household])
        raised += warning_rules.alerts_to_raise(
            ruleset=ruleset,
            household_id=household,
            categories=frozenset(c.category for c in active),
            signals=await warnings.signals_of(household),
            open_rules=await warnings.open_rules(household),
            case=active[0] if active else case,
            today=today,
            new_id=uuid.uuid4,
        )
    return raised


async def get_import(session: AsyncSession, scope: RegionScope, import_id: uuid.UUID) -> ListImport:
    item = await ImportRepository(session).get(import_id)
    if item is None:
        raise ImportNotFound(import_id)
    if item.region_code is None:
        if scope.level is not AccessLevel.CITY:
            raise ImportNotFound(import_id)
    else:
        scope.require(region_code=item.region_code)
    return item
