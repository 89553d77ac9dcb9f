"""The pure rules of department notices: who reports what, the date window, the event."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from jiuzhu_platform.person_ref import person_ref, person_ref_key_from_config
from jiuzhu_platform.testing import TEST_PERSON_REF_KEY
from shared.events.verification import Department, DepartmentNoticeKind
from shared.types import ResidentId
from verification.notices.domain import rules
from verification.notices.domain.commands import ReceiveNotice
from verification.notices.domain.errors import NoticeRefused

NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)  # 2026-12-05 04:00 in Asia/Shanghai
ID = ResidentId("11010519491231002X")
PERSON = person_ref(ID, person_ref_key_from_config(TEST_PERSON_REF_KEY))


def command(**changes: object) -> ReceiveNotice:
    values: dict[str, object] = {
        "sender_client_id": "dept_gaj",
        "message_id": "m-1",
        "department": Department.PUBLIC_SECURITY,
        "kind": DepartmentNoticeKind.DEATH,
        "person_name": "李四",
        "resident_id": ID,
        "occurred_on": date(2026, 11, 30),
        "correlation_id": "c-1",
    }
    values.update(changes)
    return ReceiveNotice(**values)  # type: ignore[arg-type]


class TestReportableKinds:
    def test_every_department_is_listed_and_every_kind_has_a_reporter(self) -> None:
        assert set(rules.REPORTABLE_KINDS) == set(Department)
        reported = set().union(*rules.REPORTABLE_KINDS.values())
        assert reported == set(DepartmentNoticeKind)

    @pytest.mark.parametrize(
        ("department", "kind"),
        [
            (Department.EDUCATION, DepartmentNoticeKind.DEATH),
            (Department.FINANCIAL, DepartmentNoticeKind.EMPLOYED),
            (Department.HEALTH, DepartmentNoticeKind.VEHICLE_REGISTERED),
        ],
    )
    def test_a_kind_outside_the_departments_records_is_refused(
        self, department: Department, kind: DepartmentNoticeKind
    ) -> None:
        with pytest.raises(NoticeRefused) as refused:
            rules.receive_notice(command(department=department, kind=kind), PERSON, now=NOW)

        assert refused.value.reason == "kind_not_reported_by_department"


class TestDates:
    def test_tomorrow_in_shanghai_is_the_latest_day(self) -> None:
        assert rules.latest_occurred_on(NOW) == date(2026, 12, 6)
        rules.receive_notice(command(occurred_on=date(2026, 12, 6)), PERSON, now=NOW)

        with pytest.raises(NoticeRefused) as refused:
            rules.receive_notice(command(occurred_on=date(2026, 12, 7)), PERSON, now=NOW)
        assert refused.value.reason == "occurred_in_future"


class TestReceived:
    def test_the_notice_and_its_event_name_the_person_by_reference_only(self) -> None:
        notice, event = rules.receive_notice(command(header_sender_id="dept_gaj"), PERSON, now=NOW)

        assert (notice.resident_id, notice.masked_id, notice.person_ref) == (ID.value, ID.masked(), PERSON.ref)
        assert event.subject == PERSON.ref
        assert event.data.person == PERSON
        assert event.data.received_on == date(2026, 12, 5)
        assert ID.value.encode() not in event.to_json_bytes()

    def test_a_header_naming_another_sender_is_refused(self) -> None:
        with pytest.raises(NoticeRefused) as refused:
            rules.receive_notice(command(header_sender_id="dept_other"), PERSON, now=NOW)

        assert refused.value.reason == "sender_mismatch"
