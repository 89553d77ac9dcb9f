"""Verification entities (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID


class RevocationReason(StrEnum):
    """Why an authorisation stops (DOMAIN-RULES §6.3: it is re-signed on a membership change or a
    re-application, and the signer may withdraw it)."""

    WITHDRAWN = "withdrawn"  # 本人撤回授权
    MEMBER_LEFT = "member_left"  # 家庭成员变动
    RE_SIGNED = "re_signed"  # 重新签署
    ENTERED_IN_ERROR = "entered_in_error"  # 录入错误


@dataclass(frozen=True)
class Consent:
    """授权书: a household member's written authorisation for the economic-status check
    (家庭经济状况核对, DOMAIN-RULES §6.3). Without it no department may be queried."""

    id: UUID
    household_id: UUID
    region_code: str | None
    """县级区划代码 of the household (None for consents recorded before regions were kept:
    visible to city-wide staff only)."""
    town_code: str | None
    """乡镇（街道）代码, when known: town caseworkers see only their town's records."""
    subject_name: str
    subject_resident_id: str | None
    """The full number: encrypted at rest, masked in responses (`subject_masked_id`); None for
    consents stored before encryption at rest."""
    subject_masked_id: str
    purpose: str
    signed_on: date
    recorded_at: datetime
    correlation_id: str
    subject_ref: str | None = None
    """The person reference (`pr1_…`) of the signer: how a check finds the authorisation of a
    member named in an event. None for consents recorded before person references."""
    valid_until: date | None = None
    """Last day it may be used; None: valid while assistance lasts (the 泰州 form's rule)."""
    revoked_at: datetime | None = None
    revoked_reason: RevocationReason | None = None

    def valid_on(self, day: date) -> bool:
        """Signed by `day`, not expired, not revoked."""
        return (
            self.revoked_at is None and self.signed_on <= day and (self.valid_until is None or day <= self.valid_until)
        )

    @property
    def area_code(self) -> str | None:
        """The most precise area the record is placed in (town, else county)."""
        return self.town_code or self.region_code
