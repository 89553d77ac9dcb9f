"""HTTP models of the payroll: run progress and totals, instructions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from payment.domain.model import PayrollRun
from payment.payroll.domain.model import RunTotals
from shared.types import NonEmptyStr, from_fen

# 回盘 examples (`POST /payroll-runs/{id}/bank-results`): the bank's answer to the pain.001 / CSV 代发
# file of run 40bad9d1-02ed-49b4-bd28-c5418e1320a4 (批次号 `JZ` + its id's first 30 hex digits),
# two instructions: one paid, one rejected (account closed). Replace the ids with your run's.
EXAMPLE_RESULT_CSV = (
    "批次号,总笔数,总金额,处理日期\n"
    "JZ40bad9d102ed49b4bd28c5418e1320,2,2395.00,2026-12-05\n"
    "序号,指令号,状态,失败原因,银行流水号,金额\n"
    "1,6a7afd44920448069a8ba60830deebd2,成功,,GZB202612050000001,1845.00\n"
    "2,34dbae248fbf4f9c97a47e7f015a8f9f,失败,账户已销户,,550.00\n"
)
EXAMPLE_RESULT_PAIN002 = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>GZB20261205RPT0001</MsgId><CreDtTm>2026-12-05T16:30:00+08:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>JZ40bad9d102ed49b4bd28c5418e1320</OrgnlMsgId>\
<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><OrgnlNbOfTxs>2</OrgnlNbOfTxs><OrgnlCtrlSum>2395.00</OrgnlCtrlSum>\
<GrpSts>PART</GrpSts>
<NbOfTxsPerSts><DtldNbOfTxs>1</DtldNbOfTxs><DtldSts>ACSC</DtldSts><DtldCtrlSum>1845.00</DtldCtrlSum></NbOfTxsPerSts>
<NbOfTxsPerSts><DtldNbOfTxs>1</DtldNbOfTxs><DtldSts>RJCT</DtldSts><DtldCtrlSum>550.00</DtldCtrlSum></NbOfTxsPerSts>
</OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>40bad9d102ed49b4bd28c5418e1320a4</OrgnlPmtInfId>
<TxInfAndSts><OrgnlEndToEndId>6a7afd44920448069a8ba60830deebd2</OrgnlEndToEndId><TxSts>ACSC</TxSts>\
<FctvIntrBkSttlmDt><Dt>2026-12-05</Dt></FctvIntrBkSttlmDt><AcctSvcrRef>GZB202612050000001</AcctSvcrRef>\
<OrgnlTxRef><Amt><InstdAmt Ccy="CNY">1845.00</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>
<TxInfAndSts><OrgnlEndToEndId>34dbae248fbf4f9c97a47e7f015a8f9f</OrgnlEndToEndId><TxSts>RJCT</TxSts>\
<StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf>\
<OrgnlTxRef><Amt><InstdAmt Ccy="CNY">550.00</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>
</OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>
"""


class StatusTotal(BaseModel):
    count: int
    amount: Decimal


class RunTotalsRead(BaseModel):
    count: int
    amount: Decimal = Field(description="Every instruction of the run (元)")
    arrears: Decimal = Field(description="补发: months before the run's own, in what pays (元)")
    by_status: dict[str, StatusTotal]
    by_programme: dict[str, Decimal] = Field(description="What pays (pending, exported, paid), by fund (元)")


def totals_read(t: RunTotals) -> RunTotalsRead:
    return RunTotalsRead(
        count=t.count,
        amount=from_fen(t.total_fen),
        arrears=from_fen(t.arrears_fen),
        by_status={s: StatusTotal(count=c, amount=from_fen(f)) for s, (c, f) in sorted(t.by_status.items())},
        by_programme={p: from_fen(f) for p, f in sorted(t.by_programme.items())},
    )


class RunDetail(BaseModel):
    id: UUID
    period: str
    county_code: str
    status: str
    created_at: datetime
    calculated_by: str | None
    calculated_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    budget_override: str | None
    exported_at: datetime | None
    settled_at: datetime | None
    totals: RunTotalsRead | None = None


def run_detail(run: PayrollRun, totals: RunTotals | None = None) -> RunDetail:
    return RunDetail(
        id=run.id,
        period=str(run.period),
        county_code=run.county_code,
        status=run.status.value,
        created_at=run.created_at,
        calculated_by=run.calculated_by,
        calculated_at=run.calculated_at,
        approved_by=run.approved_by,
        approved_at=run.approved_at,
        budget_override=run.budget_override,
        exported_at=run.exported_at,
        settled_at=run.settled_at,
        totals=None if totals is None else totals_read(totals),
    )


class RunPage(BaseModel):
    items: list[RunDetail]
    total: int
    limit: int
    offset: int


class Approval(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{}, {"budget_override": "县政府常务会议纪要〔2026〕12号同意追加"}]},
    )
    budget_override: NonEmptyStr | None = Field(
        default=None, max_length=500, description="Why the run may exceed a fund's budget (kept on the run)"
    )


class InstructionRead(BaseModel):
    instruction_id: UUID
    case_id: UUID | None
    grant_id: UUID | None
    household_id: UUID
    payee_masked: str
    period: str
    component: str
    programme: str
    amount: Decimal
    attempt: int
    arrears: bool
    status: str
    hold_reason: str | None
    failure_reason: str | None
    bank_reference: str | None
    settled_on: date | None


def instruction_read(row: dict[str, Any]) -> InstructionRead:
    return InstructionRead(
        **{k: v for k, v in row.items() if k in InstructionRead.model_fields}
        | {
            "amount": from_fen(row["amount_fen"]),
            "arrears": bool(row["arrears"]),
        }
    )


class InstructionPage(BaseModel):
    items: list[InstructionRead]
    total: int
    limit: int
    offset: int
