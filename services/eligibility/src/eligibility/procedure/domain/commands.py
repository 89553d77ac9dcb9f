"""One command per procedural action, built by the route (or by a consumer) and handed to
`procedure.service.act` (pure values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eligibility.procedure.domain.model import (
    Action,
    ExtensionReason,
    Placement,
    ReviewMethod,
    SelfCareIndicator,
)


@dataclass(frozen=True, slots=True)
class RequestSupplement:
    missing_items: tuple[str, ...]
    action = Action.REQUEST_SUPPLEMENT


@dataclass(frozen=True, slots=True)
class Resubmit:
    note: str = ""
    action = Action.RESUBMIT


@dataclass(frozen=True, slots=True)
class Accept:
    note: str = ""
    action = Action.ACCEPT


@dataclass(frozen=True, slots=True)
class StartInvestigation:
    note: str = ""
    action = Action.START_INVESTIGATION


@dataclass(frozen=True, slots=True)
class RecordHomeVisit:
    visited_on: date
    investigators: tuple[str, ...]
    family_signed: bool
    findings: str
    action = Action.RECORD_HOME_VISIT


@dataclass(frozen=True, slots=True)
class RecordSelfCare:
    failed: frozenset[SelfCareIndicator]
    assessed_on: date
    action = Action.RECORD_SELF_CARE


@dataclass(frozen=True, slots=True)
class RecordPlacement:
    placement: Placement
    provider: str
    action = Action.RECORD_PLACEMENT


@dataclass(frozen=True, slots=True)
class RequestVerification:
    note: str = ""
    action = Action.REQUEST_VERIFICATION


@dataclass(frozen=True, slots=True)
class ReceiveVerificationReport:
    check_id: UUID
    complete: bool
    discrepancies: int
    verified_monthly_income_fen: int | None = None
    financial_assets_fen: int | None = None
    vehicle_count: int | None = None
    property_count: int | None = None
    departments_missing: tuple[str, ...] = ()
    action = Action.RECEIVE_VERIFICATION_REPORT


@dataclass(frozen=True, slots=True)
class NotifyIneligible:
    reasons: tuple[str, ...]
    action = Action.NOTIFY_INELIGIBLE


@dataclass(frozen=True, slots=True)
class Object:
    evidence: str
    action = Action.OBJECT


@dataclass(frozen=True, slots=True)
class Close:
    note: str = ""
    action = Action.CLOSE


@dataclass(frozen=True, slots=True)
class PreliminaryReview:
    amount_fen: int
    """The proposed amount: monthly for 低保/特困/边缘, one-off for 临时救助."""
    opinion: str
    action = Action.PRELIMINARY_REVIEW


@dataclass(frozen=True, slots=True)
class ClosePublicity:
    note: str = ""
    action = Action.CLOSE_PUBLICITY


@dataclass(frozen=True, slots=True)
class RecordPublicityObjection:
    summary: str
    action = Action.RECORD_PUBLICITY_OBJECTION


@dataclass(frozen=True, slots=True)
class ReviseOpinion:
    method: ReviewMethod
    recommend: bool
    amount_fen: int
    opinion: str
    action = Action.REVISE_OPINION


@dataclass(frozen=True, slots=True)
class RecordComplaint:
    summary: str
    action = Action.RECORD_COMPLAINT


@dataclass(frozen=True, slots=True)
class RecordCountyVisit:
    visited_on: date
    investigators: tuple[str, ...]
    family_signed: bool
    findings: str
    action = Action.RECORD_COUNTY_VISIT


@dataclass(frozen=True, slots=True)
class Approve:
    amount_fen: int
    note: str = ""
    action = Action.APPROVE


@dataclass(frozen=True, slots=True)
class Reject:
    reasons: tuple[str, ...]
    action = Action.REJECT


@dataclass(frozen=True, slots=True)
class Withdraw:
    reason: str = ""
    action = Action.WITHDRAW


@dataclass(frozen=True, slots=True)
class Terminate:
    reason: str
    action = Action.TERMINATE


@dataclass(frozen=True, slots=True)
class Extend:
    reason: ExtensionReason
    note: str = ""
    action = Action.EXTEND


ProcedureCommand = (
    RequestSupplement
    | Resubmit
    | Accept
    | StartInvestigation
    | RecordHomeVisit
    | RecordSelfCare
    | RecordPlacement
    | RequestVerification
    | ReceiveVerificationReport
    | NotifyIneligible
    | Object
    | Close
    | PreliminaryReview
    | ClosePublicity
    | RecordPublicityObjection
    | ReviseOpinion
    | RecordComplaint
    | RecordCountyVisit
    | Approve
    | Reject
    | Withdraw
    | Terminate
    | Extend
)
