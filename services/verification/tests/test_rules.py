"""Pure verification rules: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest

from shared.events import ConsentRecorded, parse_event
from shared.types import NaiveDatetimeError, ResidentId
from verification.domain import rules
from verification.domain.commands import RecordConsent
from verification.domain.errors import ConsentSignedInFuture
from verification.domain.model import Consent

MASKED = "1101**********002X"
# 2026-03-01 23:30 in Shanghai (UTC+8), still 1 March
LATE_EVENING_SHANGHAI = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
# 2026-03-02 00:30 in Shanghai, while UTC is still on 1 March
JUST_AFTER_MIDNIGHT_SHANGHAI = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)


def record(**overrides: Any) -> tuple[Consent, ConsentRecorded]:
    arguments: dict[str, Any] = {
        "household_id": uuid4(),
        "subject_name": "李四",
        "region_code": "520102",
        "subject_resident_id": ResidentId("11010519491231002X"),
        "purpose": "低保申请核对",
        "signed_on": date(2026, 3, 1),
        "correlation_id": "corr-1",
        "now": LATE_EVENING_SHANGHAI,
    }
    arguments.update(overrides)
    now = arguments.pop("now")
    return rules.record_consent(RecordConsent(**arguments), now=now, subject_ref="pr1_" + "a" * 52)


class TestRecordConsent:
    def test_consent_signed_today_is_recorded(self) -> None:
        household_id = uuid4()

        consent, event = record(household_id=household_id, signed_on=date(2026, 3, 1))

        assert consent.household_id == household_id
        assert consent.signed_on == date(2026, 3, 1)
        assert consent.recorded_at == LATE_EVENING_SHANGHAI
        assert consent.subject_masked_id == MASKED
        assert consent.correlation_id == "corr-1"
        assert isinstance(event, ConsentRecorded)
        assert event.subject == str(household_id)
        assert event.data.consent_id == consent.id
        assert event.data.household_id == household_id
        assert event.data.subject_masked_id == MASKED
        assert event.data.purpose == "低保申请核对"
        assert event.time == LATE_EVENING_SHANGHAI

    def test_consent_signed_in_the_past_is_recorded(self) -> None:
        consent, _ = record(signed_on=date(2020, 1, 1))

        assert consent.signed_on == date(2020, 1, 1)

    def test_event_survives_a_round_trip_through_bytes(self) -> None:
        _, event = record()

        assert parse_event(event.to_json_bytes()) == event


class TestConsentDateAgainstTheShanghaiBusinessDay:
    def test_tomorrow_in_shanghai_is_refused_late_in_the_evening(self) -> None:
        with pytest.raises(ConsentSignedInFuture) as info:
            record(signed_on=date(2026, 3, 2), now=LATE_EVENING_SHANGHAI)

        assert info.value.status_code == 400
        assert info.value.detail == "the consent cannot be signed in the future (2026-03-02)"
        assert info.value.message_zh == "授权书签署日期不能晚于今天 (2026-03-02)"

    def test_shanghai_date_is_accepted_while_utc_is_still_the_day_before(self) -> None:
        consent, _ = record(signed_on=date(2026, 3, 2), now=JUST_AFTER_MIDNIGHT_SHANGHAI)

        assert consent.signed_on == date(2026, 3, 2)

    def test_day_after_the_shanghai_date_is_refused_just_after_midnight(self) -> None:
        with pytest.raises(ConsentSignedInFuture):
            record(signed_on=date(2026, 3, 3), now=JUST_AFTER_MIDNIGHT_SHANGHAI)

    def test_an_instant_in_another_zone_is_judged_by_its_shanghai_date(self) -> None:
        # 2026-03-01 20:00 in New York (UTC-5) is 2026-03-02 09:00 in Shanghai
        new_york_evening = datetime(2026, 3, 1, 20, 0, tzinfo=timezone(timedelta(hours=-5)))

        consent, _ = record(signed_on=date(2026, 3, 2), now=new_york_evening)

        assert consent.signed_on == date(2026, 3, 2)

    def test_naive_clock_reading_is_refused(self) -> None:
        with pytest.raises(NaiveDatetimeError):
            record(now=datetime(2026, 3, 1, 12, 0))  # naive on purpose
