"""The notices an applicant receives at each decision (书面告知), in zh-CN and English (pure).

The mobile app polls them (`GET /v1/eligibility/notices`); delivery by SMS or post is an
adapter's job (`NoticeSender` in production), not the rules'.
"""

from __future__ import annotations

from dataclasses import dataclass

from eligibility.procedure.domain.model import Action, CaseFile, Stage, StepRecord
from shared.types import format_fen


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str


APPEAL_ZH = "如不服本决定，可依法申请行政复议或提起行政诉讼。"
APPEAL_EN = "You may apply for administrative reconsideration or bring an administrative lawsuit against this decision."


def notice_for(case: CaseFile, step: StepRecord) -> Notice | None:
    """The notice this step owes the applicant, or None (internal steps)."""
    reasons_zh = "；".join(step.reasons)
    if step.action is Action.REQUEST_SUPPLEMENT:
        items = "、".join(case.missing_items)
        return Notice(
            "supplement_requested",
            "请补齐申请材料（一次性告知）",
            "Please complete your application (all missing items)",
            f"您的申请材料不齐全，请一次性补齐以下材料：{items}。",
            f"Your application is incomplete. Please provide all of the following: {items}.",
        )
    if step.action is Action.ACCEPT:
        return Notice(
            "accepted",
            "申请已受理",
            "Application accepted",
            "您的申请已受理，工作人员将在3个工作日内开始家庭经济状况调查，请配合入户调查。",
            "Your application was accepted. Staff will start the household investigation within 3 working days; "
            "please be available for the home visit.",
        )
    if step.to_stage is Stage.NOTIFIED_INELIGIBLE:
        return Notice(
            "ineligible_notified",
            "经调查核对，暂不符合条件",
            "Not eligible after investigation",
            f"经调查和信息核对，您家庭暂不符合条件，理由：{reasons_zh}。如有异议，可提供证据申请复查。",
            f"After the investigation and data verification your household does not qualify. Reasons: {reasons_zh}. "
            "If you disagree, you may object with evidence and ask for a re-check.",
        )
    if step.to_stage is Stage.PUBLICIZING and case.publicity_until is not None:
        return Notice(
            "publicized",
            "初审意见公示",
            "Preliminary opinion publicized",
            f"乡镇（街道）初审意见已在村（社区）公示至 {case.publicity_until.isoformat()}，"
            "公示内容仅含姓名、家庭人口数和救助金额。",
            f"The town's preliminary opinion is posted in your village or community until "
            f"{case.publicity_until.isoformat()}; it shows only the name, household size and amount.",
        )
    if step.to_stage is Stage.APPROVED and case.decision is not None:
        month = case.decision.effective_month.isoformat()[:7] if case.decision.effective_month else ""
        amount = format_fen(case.decision.amount_fen)
        return Notice(
            "approved",
            "救助申请已批准",
            "Assistance approved",
            f"您的申请已审核确认，救助金额 {amount} 元，自 {month} 起发放。",
            f"Your application was approved: {amount} yuan, paid from {month}.",
        )
    if step.to_stage is Stage.REJECTED:
        return Notice(
            "rejected",
            "不予确认决定",
            "Application refused",
            f"您的申请不予确认，理由：{reasons_zh}。{APPEAL_ZH}",
            f"Your application was refused. Reasons: {reasons_zh}. {APPEAL_EN}",
        )
    if step.to_stage is Stage.TERMINATED:
        return Notice(
            "terminated",
            "终止办理",
            "Procedure ended",
            f"因{step.note}，您的申请终止办理。{APPEAL_ZH}",
            f"Your application was ended because: {step.note}. {APPEAL_EN}",
        )
    if step.to_stage is Stage.WITHDRAWN:
        return Notice(
            "withdrawn", "申请已撤回", "Application withdrawn", "您的申请已撤回。", "Your application was withdrawn."
        )
    return None
