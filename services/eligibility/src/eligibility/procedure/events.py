"""The events of an application's procedure, a case's life and a grant (EVENTS.md), built from
what the rules decided and written to the outbox in the caller's transaction. People appear
only as person references (`PersonRef`: a keyed pseudonym and the masked ID), never clear IDs.

Amounts: a case's monthly amount is published as one line (the payee, the main component of
its category) until the assessment's per-member breakdown is stored with the decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from eligibility.adapters.orm import outbox
from eligibility.cases.domain.model import Case, CaseCategory
from eligibility.cases.domain.rules import CaseChange
from eligibility.grants.domain.model import Grant, PaidBy, RemainderRoute
from eligibility.procedure.domain.model import CaseFile, Placement, Stage
from jiuzhu_platform.outbox import add_event
from shared.events import (
    ApplicationAccepted,
    ApplicationAcceptedData,
    ApplicationDecided,
    ApplicationDecidedData,
    BenefitAmounts,
    BenefitChanged,
    BenefitChangedData,
    BenefitComponent,
    BenefitLine,
    CaseApproved,
    CaseApprovedData,
    CaseTerminated,
    CaseTerminatedData,
    DecisionOutcome,
    PayoutChannel,
    SupportMode,
    TemporaryAssistanceGranted,
    TemporaryAssistanceGrantedData,
    TemporaryAssistanceKind,
)
from shared.events import ApprovalLevel as EventLevel
from shared.events import CaseCategory as EventCategory
from shared.types import PersonRef, from_fen

MAIN_COMPONENT: dict[CaseCategory, BenefitComponent] = {
    CaseCategory.DIBAO: BenefitComponent.GAP,
    CaseCategory.TEKUN: BenefitComponent.BASIC_LIVING,
    CaseCategory.MARGINAL: BenefitComponent.GAP,
    CaseCategory.RIGID_EXPENDITURE: BenefitComponent.GAP,
}


@dataclass(frozen=True, slots=True)
class Publisher:
    """Writes events to the outbox of `session` under one correlation id."""

    session: AsyncSession
    correlation_id: str
    now: datetime

    async def accepted(
        self, case: CaseFile, *, region_code: str, town_code: str | None, members: tuple[PersonRef, ...]
    ) -> None:
        assert case.accepted_on is not None
        data = ApplicationAcceptedData(
            application_id=case.application_id,
            household_id=case.household_id,
            assistance_type=case.assistance_type,
            region_code=region_code,
            town_code=town_code,
            accepted_on=case.accepted_on,
            members=members,
        )
        await self._add(
            ApplicationAccepted.create(
                data, subject=str(case.household_id), correlation_id=self.correlation_id, now=self.now
            )
        )

    async def decided(self, case: CaseFile, *, opened_id: UUID | None) -> None:
        """`opened_id`: the case an approval opened, or the grant it paid (临时救助)."""
        decision = case.decision
        assert decision is not None
        approved = case.stage is Stage.APPROVED
        data = ApplicationDecidedData(
            application_id=case.application_id,
            household_id=case.household_id,
            assistance_type=case.assistance_type,
            outcome=DecisionOutcome.APPROVED if approved else DecisionOutcome.REJECTED,
            reasons=() if approved else _codes(decision.reasons),
            case_id=opened_id if approved else None,
            decided_on=decision.on,
            deciding_level=EventLevel(decision.level.value),
        )
        await self._add(
            ApplicationDecided.create(
                data, subject=str(case.household_id), correlation_id=self.correlation_id, now=self.now
            )
        )

    async def case_approved(self, opened: Case, case_file: CaseFile, *, payee: PersonRef) -> None:
        placement = case_file.placement
        data = CaseApprovedData(
            case_id=opened.case_id,
            household_id=opened.household_id,
            application_id=opened.application_id,
            category=EventCategory(opened.category.value),
            amounts=_amounts(opened, payee),
            payee=payee,
            effective_from=opened.start_month,
            policy_version=opened.policy_version,
            region_code=opened.region_code,
            town_code=opened.town_code,
            support_mode=None
            if opened.category is not CaseCategory.TEKUN
            else (
                SupportMode.CENTRALISED
                if placement and placement.placement is Placement.INSTITUTIONAL
                else SupportMode.DISPERSED
            ),
            conflict_of_interest=case_file.conflict_of_interest,
        )
        await self._add(
            CaseApproved.create(
                data, subject=str(opened.household_id), correlation_id=self.correlation_id, now=self.now
            )
        )

    async def case_changed(self, change: CaseChange, *, payee: PersonRef) -> None:
        case = change.case
        if change.benefit is not None:
            amounts = _amounts(case, payee, monthly_fen=change.benefit.monthly_fen)
            data = BenefitChangedData(
                case_id=case.case_id,
                household_id=case.household_id,
                amounts=amounts,
                effective_from=change.benefit.effective_month,
                reason=change.benefit.reason,
                policy_version=case.policy_version,
            )
            await self._add(
                BenefitChanged.create(
                    data, subject=str(case.household_id), correlation_id=self.correlation_id, now=self.now
                )
            )
        if change.terminated is not None:
            ended = change.terminated
            terminated = CaseTerminatedData(
                case_id=case.case_id,
                household_id=case.household_id,
                reason=ended.reason,
                terminated_on=ended.decided_on,
                last_paid_month=ended.last_paid_month if ended.last_paid_month >= case.start_month else None,
                overpaid_from=ended.overpaid_from if ended.last_paid_month >= case.start_month else None,
            )
            await self._add(
                CaseTerminated.create(
                    terminated, subject=str(case.household_id), correlation_id=self.correlation_id, now=self.now
                )
            )

    async def granted(self, grant: Grant, *, payee: PersonRef) -> None:
        if grant.household_id is None:
            return  # first aid to a person with no household record: the grant list has it
        data = TemporaryAssistanceGrantedData(
            grant_id=grant.grant_id,
            household_id=grant.household_id,
            kind=TemporaryAssistanceKind(grant.kind.value),
            amount=from_fen(grant.granted_fen),
            approval_level=EventLevel(grant.approval_level.value),
            case_by_case=grant.remainder_route is RemainderRoute.CASE_BY_CASE,
            payout=PayoutChannel.CASH_AT_TOWN if grant.paid_by is PaidBy.TOWN_CASH else PayoutChannel.BANK,
            payee=payee,
            granted_on=grant.granted_on,
            region_code=grant.region_code,
            town_code=grant.town_code,
        )
        await self._add(
            TemporaryAssistanceGranted.create(
                data, subject=str(grant.household_id), correlation_id=self.correlation_id, now=self.now
            )
        )

    async def _add(self, event: object) -> None:
        await add_event(self.session, outbox, event, now=self.now)  # type: ignore[arg-type]


def _amounts(case: Case, payee: PersonRef, *, monthly_fen: int | None = None) -> BenefitAmounts:
    monthly = from_fen(case.monthly_fen if monthly_fen is None else monthly_fen)
    return BenefitAmounts(
        lines=(BenefitLine(member=payee, component=MAIN_COMPONENT[case.category], monthly=monthly),),
        monthly_total=monthly,
    )


def _codes(reasons: tuple[str, ...]) -> tuple[str, ...]:
    """Written reasons are prose for people; the event carries codes. Free text maps to
    `written_reasons` (the notice and the timeline keep the words)."""
    codes = tuple(r for r in reasons if _is_code(r))
    return codes or ("written_reasons",)


def _is_code(text: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*", text) is not None
