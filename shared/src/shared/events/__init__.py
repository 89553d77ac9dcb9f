"""Every event type in Jiuzhu, and `parse_event`, the one way to read one.

Add a new event class to its producer's module and to `LATEST` below; add upcasters for old
versions to `UPCASTERS` (from the `<producer>_legacy.py` modules). `make schemas` refreshes the
committed JSON Schema snapshots.
"""

from __future__ import annotations

from functools import cache

from shared.events.base import Event, EventData, EventParseError, EventRegistry, Upcaster
from shared.events.eligibility import (
    ApplicationAccepted,
    ApplicationAcceptedData,
    ApplicationDecided,
    ApplicationDecidedData,
    ApplicationSubmitted,
    ApplicationSubmittedData,
    ApprovalLevel,
    AssistanceType,
    BenefitAmounts,
    BenefitChanged,
    BenefitChangedData,
    BenefitChangeReason,
    BenefitComponent,
    BenefitLine,
    CaseApproved,
    CaseApprovedData,
    CaseCategory,
    CaseTerminated,
    CaseTerminatedData,
    DecisionOutcome,
    PayoutChannel,
    PolicyVersion,
    ReasonCode,
    SupportMode,
    TemporaryAssistanceGranted,
    TemporaryAssistanceGrantedData,
    TemporaryAssistanceKind,
    TerminationReason,
)
from shared.events.eligibility_legacy import upcast_application_submitted_v1
from shared.events.monitoring import (
    AlertDisposed,
    AlertDisposedData,
    AlertDisposition,
    AlertRaised,
    AlertRaisedData,
    HouseholdRegistered,
    HouseholdRegisteredData,
    ReviewReason,
    ReviewRequested,
    ReviewRequestedData,
    RiskLevel,
    RuleCode,
)
from shared.events.payment import (
    PaymentFailed,
    PaymentFailedData,
    PaymentFailureReason,
    PaymentSettled,
    PaymentSettledData,
    PaymentTarget,
    PayrollRunCreated,
    PayrollRunCreatedData,
    RecoveryOpened,
    RecoveryOpenedData,
)
from shared.events.procurement import (
    ContractAwarded,
    ContractAwardedData,
    EvaluationCompleted,
    EvaluationCompletedData,
    ProviderRegistered,
    ProviderRegisteredData,
    ServiceCategory,
    ServiceDelivered,
    ServiceDeliveredData,
)
from shared.events.verification import (
    CheckCompleted,
    CheckCompletedData,
    CheckItem,
    CheckPurpose,
    ConsentRecorded,
    ConsentRecordedData,
    Department,
    DepartmentNoticeKind,
    DepartmentNoticeReceived,
    DepartmentNoticeReceivedData,
    Discrepancy,
)

LATEST: tuple[type[Event], ...] = (
    ApplicationSubmitted,
    ApplicationAccepted,
    ApplicationDecided,
    CaseApproved,
    BenefitChanged,
    CaseTerminated,
    TemporaryAssistanceGranted,
    ConsentRecorded,
    CheckCompleted,
    DepartmentNoticeReceived,
    PayrollRunCreated,
    PaymentSettled,
    PaymentFailed,
    RecoveryOpened,
    HouseholdRegistered,
    AlertRaised,
    AlertDisposed,
    ReviewRequested,
    ProviderRegistered,
    ContractAwarded,
    ServiceDelivered,
    EvaluationCompleted,
)

UPCASTERS: dict[str, Upcaster] = {
    "eligibility.application_submitted.v1": upcast_application_submitted_v1,
}


@cache
def registry() -> EventRegistry:
    """The registry of every known event type (built on first use, not at import)."""
    return EventRegistry(LATEST, UPCASTERS)


def parse_event(raw: bytes | str) -> Event:
    """Decode, upcast and validate one event; raises `EventParseError` for anything else."""
    return registry().parse(raw)


__all__ = [
    "LATEST",
    "UPCASTERS",
    "AlertDisposed",
    "AlertDisposedData",
    "AlertDisposition",
    "AlertRaised",
    "AlertRaisedData",
    "ApplicationAccepted",
    "ApplicationAcceptedData",
    "ApplicationDecided",
    "ApplicationDecidedData",
    "ApplicationSubmitted",
    "ApplicationSubmittedData",
    "ApprovalLevel",
    "AssistanceType",
    "BenefitAmounts",
    "BenefitChangeReason",
    "BenefitChanged",
    "BenefitChangedData",
    "BenefitComponent",
    "BenefitLine",
    "CaseApproved",
    "CaseApprovedData",
    "CaseCategory",
    "CaseTerminated",
    "CaseTerminatedData",
    "CheckCompleted",
    "CheckCompletedData",
    "CheckItem",
    "CheckPurpose",
    "ConsentRecorded",
    "ConsentRecordedData",
    "ContractAwarded",
    "ContractAwardedData",
    "DecisionOutcome",
    "Department",
    "DepartmentNoticeKind",
    "DepartmentNoticeReceived",
    "DepartmentNoticeReceivedData",
    "Discrepancy",
    "EvaluationCompleted",
    "EvaluationCompletedData",
    "Event",
    "EventData",
    "EventParseError",
    "EventRegistry",
    "HouseholdRegistered",
    "HouseholdRegisteredData",
    "PaymentFailed",
    "PaymentFailedData",
    "PaymentFailureReason",
    "PaymentSettled",
    "PaymentSettledData",
    "PaymentTarget",
    "PayoutChannel",
    "PayrollRunCreated",
    "PayrollRunCreatedData",
    "PolicyVersion",
    "ProviderRegistered",
    "ProviderRegisteredData",
    "ReasonCode",
    "RecoveryOpened",
    "RecoveryOpenedData",
    "ReviewReason",
    "ReviewRequested",
    "ReviewRequestedData",
    "RiskLevel",
    "RuleCode",
    "ServiceCategory",
    "ServiceDelivered",
    "ServiceDeliveredData",
    "SupportMode",
    "TemporaryAssistanceGranted",
    "TemporaryAssistanceGrantedData",
    "TemporaryAssistanceKind",
    "TerminationReason",
    "Upcaster",
    "parse_event",
    "registry",
]
