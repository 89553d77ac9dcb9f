"""Pure rules of department notices: which department reports what, the date window, and the
stored notice plus its event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from uuid import uuid4

from shared.events.verification import (
    Department,
    DepartmentNoticeKind,
    DepartmentNoticeReceived,
    DepartmentNoticeReceivedData,
)
from shared.types import PersonRef, business_date
from verification.notices.domain.commands import ReceiveNotice
from verification.notices.domain.errors import NoticeRefused
from verification.notices.domain.model import Notice

D = Department
K = DepartmentNoticeKind

REPORTABLE_KINDS: Mapping[Department, frozenset[DepartmentNoticeKind]] = MappingProxyType(
    {
        D.PUBLIC_SECURITY: frozenset({K.DEATH, K.HUKOU_MOVED, K.VEHICLE_REGISTERED, K.IMPRISONED}),  # 户籍, 交管, 监所
        D.HUMAN_RESOURCES: frozenset({K.EMPLOYED, K.UNEMPLOYED}),  # 就业, 社保参保缴费, 失业登记
        D.NATURAL_RESOURCES: frozenset({K.PROPERTY_REGISTERED}),  # 不动产登记
        D.HOUSING: frozenset({K.PROPERTY_REGISTERED}),  # 商品房网签备案
        D.MARKET_REGULATION: frozenset({K.BUSINESS_REGISTERED}),  # 工商登记
        D.TAX: frozenset({K.EMPLOYED, K.BUSINESS_REGISTERED}),  # 工资薪金申报, 税务登记
        D.FINANCIAL: frozenset(),  # answers checks only; pushes nothing
        D.HEALTH: frozenset({K.DEATH, K.HOSPITALISED}),  # 死亡医学证明, 住院
        D.MEDICAL_SECURITY: frozenset({K.HOSPITALISED}),  # 住院结算
        D.DISABLED_PERSONS: frozenset({K.DISABILITY_CERTIFIED}),  # 残疾人证
        D.EDUCATION: frozenset({K.SCHOOL_ENROLLED}),  # 学籍
        D.CIVIL_AFFAIRS: frozenset({K.DEATH, K.MARRIED}),  # 殡葬 (火化), 婚姻登记
    }
)
"""Department → the kinds of fact it may report (its statutory records). Every department is
listed; a kind outside its set is refused (`kind_not_reported_by_department`)."""

EARLIEST_OCCURRED_ON = date(1900, 1, 1)
"""Nothing a notice reports happened before this (checked at the edge, with the schema)."""

FUTURE_TOLERANCE = timedelta(days=1)
"""A fact may be dated at most one day after today (Asia/Shanghai): clocks and time zones of
the departments' systems differ, a registration dated tomorrow is not."""


def latest_occurred_on(now: datetime) -> date:
    return business_date(now) + FUTURE_TOLERANCE


def check_notice(cmd: ReceiveNotice, *, now: datetime) -> None:
    """Refuse (`NoticeRefused`) what no department may push: a sender that is not the token's
    client, a kind outside the department's records, a fact dated after tomorrow."""
    if cmd.header_sender_id is not None and cmd.header_sender_id != cmd.sender_client_id:
        raise NoticeRefused.sender_mismatch()
    if cmd.kind not in REPORTABLE_KINDS.get(cmd.department, frozenset()):
        raise NoticeRefused.kind_not_reported(cmd.department.value, cmd.kind.value)
    latest = latest_occurred_on(now)
    if cmd.occurred_on > latest:
        raise NoticeRefused.in_future(cmd.occurred_on, latest)


def receive_notice(cmd: ReceiveNotice, person: PersonRef, *, now: datetime) -> tuple[Notice, DepartmentNoticeReceived]:
    """The stored notice and its event (subject: the person reference; no clear ID in it).
    `person` is the reference of `cmd.resident_id` under the city-wide key (computed by the
    service, which holds the key)."""
    check_notice(cmd, now=now)
    notice = Notice(
        id=uuid4(),
        sender_client_id=cmd.sender_client_id,
        message_id=cmd.message_id,
        department=cmd.department.value,
        kind=cmd.kind.value,
        person_name=cmd.person_name,
        resident_id=cmd.resident_id.value,
        masked_id=cmd.resident_id.masked(),
        person_ref=person.ref,
        occurred_on=cmd.occurred_on,
        reference=cmd.reference,
        sent_at=cmd.sent_at,
        received_at=now,
        correlation_id=cmd.correlation_id,
    )
    event = DepartmentNoticeReceived.create(
        DepartmentNoticeReceivedData(
            notice_id=notice.id,
            department=cmd.department,
            kind=cmd.kind,
            person=person,
            occurred_on=cmd.occurred_on,
            received_on=business_date(now),
        ),
        subject=person.ref,
        correlation_id=cmd.correlation_id,
        now=now,
    )
    return notice, event
