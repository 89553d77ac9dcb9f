"""Payee account endpoints (收款账户): record an account (who is paid where, from which day),
confirm a change (a second officer), read them masked."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.access import AuditDep
from jiuzhu_platform.auth import PROTECTED, Principal, RegionNotAllowed, RegionScope, requires
from jiuzhu_platform.deps import ReadSessionDep, RuntimeDep, SessionDep
from jiuzhu_platform.errors import RequestInvalid
from jiuzhu_platform.http_errors import refusals
from jiuzhu_platform.person_ref import person_ref
from payment.accounts.adapters.repository import AccountRepository
from payment.accounts.domain import rules
from payment.accounts.domain.errors import AccountNotFound, AlreadyConfirmed, SameOfficerConfirms
from payment.accounts.domain.model import PayeeAccount
from shared.types import BankAccountNumber, CountyCode, NonEmptyStr, ResidentId, TownCode

router = APIRouter(prefix="/v1/payment", tags=["payee accounts"])

Writer = Annotated[Principal, requires("payment:accounts:write")]
Reader = Annotated[Principal, requires("payment:payroll:read")]


class AccountCreate(BaseModel):
    """The account a payee is paid into, from `effective_from` (a change is held from the bank
    for 7 days unless a second officer confirms it)."""

    model_config = ConfigDict(
        extra="forbid",
        hide_input_in_errors=True,
        json_schema_extra={
            "examples": [
                {
                    "resident_id": "520102198001011235",
                    "holder_name": "张三",
                    "account_number": "6222021234567890128",
                    "bank_name": "中国工商银行贵阳南明支行",
                    "bank_code": "102701000019",
                    "county_code": "520102",
                    "effective_from": "2026-12-01",
                }
            ]
        },
    )
    resident_id: ResidentId = Field(description="The payee (领取人)")
    holder_name: NonEmptyStr = Field(max_length=100, description="户名: must be the payee's name at the bank")
    account_number: BankAccountNumber
    bank_name: NonEmptyStr = Field(max_length=100)
    bank_code: str | None = Field(default=None, pattern=r"^\d{12}$", description="联行号 (CNAPS), 12 digits")
    county_code: CountyCode
    town_code: TownCode | None = Field(default=None, description="The payee's town; a town caseworker's own by default")
    effective_from: date = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))


class AccountRead(BaseModel):
    account_id: UUID
    payee_masked: str
    holder_name: str
    account_masked: str
    bank_name: str
    bank_code: str | None
    county_code: str
    effective_from: date
    changed_at: datetime
    changed_by: str
    confirmed_by: str | None
    confirmed_at: datetime | None


def account_read(a: PayeeAccount) -> AccountRead:
    return AccountRead(
        account_id=a.account_id,
        payee_masked=a.payee_masked,
        holder_name=a.holder_name,
        account_masked=a.account_masked,
        bank_name=a.bank_name,
        bank_code=a.bank_code,
        county_code=a.county_code,
        effective_from=a.effective_from,
        changed_at=a.changed_at,
        changed_by=a.changed_by,
        confirmed_by=a.confirmed_by,
        confirmed_at=a.confirmed_at,
    )


@router.post(
    "/payee-accounts",
    status_code=status.HTTP_201_CREATED,
    summary="Record a payee's bank account (number encrypted, masked when read)",
    responses=refusals(*PROTECTED, RegionNotAllowed, RequestInvalid),
)
async def create_account(
    body: AccountCreate, caller: Writer, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> AccountRead:
    scope = RegionScope.for_principal(caller)
    town = scope.default_town(body.county_code, body.town_code)
    scope.require(region_code=town or body.county_code)
    account = PayeeAccount(
        account_id=uuid.uuid4(),
        payee_ref=person_ref(body.resident_id, runtime.settings.person_ref_secret()).ref,
        payee_masked=body.resident_id.masked(),
        holder_name=body.holder_name,
        account_number=body.account_number.value,
        account_masked=body.account_number.masked(),
        bank_name=body.bank_name,
        bank_code=body.bank_code,
        county_code=body.county_code,
        effective_from=body.effective_from,
        changed_at=runtime.now(),
        changed_by=caller.subject,
    )
    await AccountRepository(session).add(account)
    await audit.state_change(session, target_id=account.account_id, details={"action": "account_recorded"})
    return account_read(account)


async def _account(session: AsyncSession, scope: RegionScope, account_id: UUID) -> PayeeAccount:
    account = await AccountRepository(session).get(account_id)
    if account is None:
        raise AccountNotFound(account_id)
    scope.require(region_code=account.county_code)
    return account


@router.post(
    "/payee-accounts/{account_id}/confirm",
    summary="第二人确认: another officer confirms an account change, so the next calculation pays it",
    responses=refusals(
        *PROTECTED, RegionNotAllowed, AccountNotFound, SameOfficerConfirms, AlreadyConfirmed, RequestInvalid
    ),
)
async def confirm_account(
    account_id: UUID, caller: Writer, session: SessionDep, runtime: RuntimeDep, audit: AuditDep
) -> AccountRead:
    account = await _account(session, RegionScope.for_principal(caller), account_id)
    confirmed = rules.confirm(account, caller.subject, runtime.now())
    await AccountRepository(session).confirm(confirmed)
    await audit.state_change(session, target_id=account_id, details={"action": "account_confirmed"})
    return account_read(confirmed)


@router.get(
    "/payee-accounts/{account_id}",
    summary="A payee account (number masked)",
    responses=refusals(*PROTECTED, RegionNotAllowed, AccountNotFound, RequestInvalid),
)
async def get_account(account_id: UUID, caller: Reader, session: ReadSessionDep) -> AccountRead:
    return account_read(await _account(session, RegionScope.for_principal(caller), account_id))
