"""Words for an assessment: every step and reason as a zh-CN and an English sentence, and a
short summary a caseworker can read to the citizen (pure; values in, text out)."""

from __future__ import annotations

from decimal import Decimal

from eligibility.assessment.domain.model import (
    CATEGORY_DIBAO,
    CATEGORY_MARGINAL,
    CATEGORY_NONE,
    CATEGORY_PHASE_OUT,
    CATEGORY_RIGID,
    CATEGORY_TEKUN,
    Assessment,
    Reason,
    Step,
)
from shared.types import format_fen, round_fen

CATEGORY_NAMES = {
    CATEGORY_TEKUN: ("特困人员救助供养", "support for destitute persons (特困)"),
    CATEGORY_DIBAO: ("最低生活保障", "minimum living guarantee (低保)"),
    CATEGORY_PHASE_OUT: ("低保渐退", "gradual exit from 低保 (渐退)"),
    CATEGORY_MARGINAL: ("低保边缘家庭", "low-income household at the margin of 低保 (低保边缘)"),
    CATEGORY_RIGID: ("刚性支出困难家庭", "household in hardship from rigid expenditure (刚性支出困难)"),
    CATEGORY_NONE: ("不符合救助条件", "not eligible"),
}

STEP_TEXT: dict[str, tuple[str, str]] = {
    "policy.standard": ("适用低保标准 {v} 元/人·月", "dibao standard applied: {v} yuan per person per month"),
    "unit.members": ("共同生活家庭成员 {v} 人", "{v} member(s) in the household unit"),
    "income.member_total": ("{s} 计入收入 月均 {v} 元", "{s}: counted income {v} yuan a month on average"),
    "income.employment_cost_deduction": (
        "{s} 扣减就业成本 月均 {v} 元",
        "{s}: employment-cost deduction {v} yuan a month",
    ),
    "income.household_monthly": ("家庭月均收入 {v} 元", "household income {v} yuan a month"),
    "dibao.gap": (
        "补差额 (标准×人数−家庭收入，向上取整到元) {v} 元",
        "gap (standard × members − income, rounded up to the yuan) {v} yuan",
    ),
    "dibao.floor": ("保底金额 {v} 元", "minimum amount {v} yuan"),
    "dibao.supplement": ("{s} 分类施保 {v} 元", "{s}: categorical supplement {v} yuan"),
    "dibao.total": ("低保金合计 {v} 元/月", "dibao total {v} yuan a month"),
    "dibao.phase_out": ("渐退期内按原金额 {v} 元/月发放", "during gradual exit the current {v} yuan a month continues"),
    "tekun.basic": ("{s} 基本生活标准 {v} 元/月", "{s}: basic living {v} yuan a month"),
    "tekun.care": ("{s} 照料护理标准 {v} 元/月", "{s}: care {v} yuan a month"),
    "price.subsidy_per_person": ("价格临时补贴 {v} 元/人", "price-linked subsidy {v} yuan per person"),
    "review.interval": ("复核周期 {v} 个月", "review every {v} months"),
}

REASON_TEXT: dict[str, tuple[str, str]] = {
    "unit.single_person": ("按单人户申请", "application as a single-person household"),
    "tekun.no_labour_capacity": ("{s} 无劳动能力", "{s}: no labour capacity"),
    "tekun.no_source_of_living": (
        "{s} 无生活来源 (收入 {a} 元，标准 {l} 元)",
        "{s}: no source of living (income {a}, standard {l} yuan)",
    ),
    "tekun.no_able_supporter": ("{s} 无法定义务人或义务人无履行能力", "{s}: no legal supporter able to support"),
    "dibao.income": (
        "家庭月收入 {a} 元，低于 标准×人数 {l} 元",
        "household income {a} yuan a month below standard × members {l} yuan",
    ),
    "assets.financial": ("金融资产 {a} 元，不超过上限 {l} 元", "financial assets {a} yuan within the limit {l} yuan"),
    "assets.vehicles": ("机动车 {a} 辆符合规定", "vehicles ({a}) within the rule"),
    "assets.dwellings": ("住房符合规定", "dwellings within the rule"),
    "assets.company": ("无企业持股或登记", "no company shares or registration"),
    "marginal.income": (
        "家庭月收入 {a} 元，低于 1.5倍标准×人数 {l} 元",
        "household income {a} yuan below 1.5 × standard × members {l} yuan",
    ),
    "rigid.data": (
        "具备认定刚性支出所需的12个月收入与支出信息",
        "12 months of income and the rigid expenditure are available",
    ),
    "rigid.income": (
        "12个月家庭收入 {a} 元，低于上年人均可支配收入×人数 {l} 元",
        "12-month income {a} yuan below prior-year disposable income × members {l} yuan",
    ),
    "rigid.expense_ratio": (
        "刚性支出 {a} 元，超过收入的规定比例 {l} 元",
        "rigid expenditure {a} yuan above the ratio of income {l} yuan",
    ),
    "temporary.emergency_ceiling": (
        "先行救助申请 {a} 元，不超过上限 {l} 元",
        "first aid asked {a} yuan within the ceiling {l} yuan",
    ),
    "temporary.repeat_limit": (
        "同一事由12个月内已救助 {a} 次，少于 {l} 次",
        "{a} grant(s) for the same cause in 12 months, fewer than {l}",
    ),
    "temporary.income": ("年化家庭收入 {a} 元，低于 {l} 元", "annualised income {a} yuan below {l} yuan"),
    "temporary.cap": ("支出 {a} 元，不超过救助上限 {l} 元", "expense {a} yuan within the cap {l} yuan"),
}


def yuan(fen: int, scale: int = 1) -> str:
    """Fen (× scale) as a yuan string with two places, for display: `fen / scale` to the nearest
    fen (half up), formatted (`shared.types.round_fen`, `format_fen`)."""
    return format_fen(round_fen(fen, scale, unit="fen", mode="half_up"))


def shown(unit: str, value: int | bool | str, scale: int = 1) -> str:
    """A step's or reason's value as people read it: money in yuan, floor area in m², else as is."""
    if unit in ("fen", "fen_x") and isinstance(value, int):
        return yuan(value, scale)
    if unit == "m2_centi" and isinstance(value, int):
        return str(Decimal(value) / 100)  # 6000 → "60", 6050 → "60.5"
    return str(value)


def step_text(step: Step) -> tuple[str, str]:
    zh, en = STEP_TEXT.get(step.code, (step.code + ": {v}", step.code + ": {v}"))
    v = shown(step.unit, step.value, step.scale)
    s = step.subject or ""
    return zh.format(v=v, s=s), en.format(v=v, s=s)


def reason_text(reason: Reason) -> tuple[str, str]:
    zh, en = REASON_TEXT.get(reason.code, (reason.code, reason.code))
    a = shown(reason.unit, reason.actual)
    limit = shown(reason.unit, reason.limit)
    s = reason.subject or ""
    zh, en = zh.format(a=a, l=limit, s=s), en.format(a=a, l=limit, s=s)
    if not reason.passed:
        zh, en = f"不满足: {zh}", f"not met: {en}"
    return zh, en


def summary(assessment: Assessment) -> tuple[str, str]:
    zh_name, en_name = CATEGORY_NAMES[assessment.category]
    total = yuan(assessment.monthly_total)
    version = assessment.policy_version
    note_zh = "（演示参数，非正式标准）" if assessment.policy_illustrative else ""
    note_en = " (illustrative demo parameters, not official values)" if assessment.policy_illustrative else ""
    if assessment.monthly_total:
        zh = f"认定为{zh_name}，每月 {total} 元；依据政策版本 {version}{note_zh}。"
        en = f"Assessed as {en_name}: {total} yuan a month, under policy version {version}{note_en}."
    else:
        failed = [r for r in assessment.reasons if not r.passed]
        because_zh = "；".join(reason_text(r)[0] for r in failed[:3])
        because_en = "; ".join(reason_text(r)[1] for r in failed[:3])
        zh = f"认定结果：{zh_name}。{because_zh}。依据政策版本 {version}{note_zh}。"
        en = f"Result: {en_name}. {because_en}. Policy version {version}{note_en}."
    if assessment.tekun_persons and assessment.category != CATEGORY_TEKUN:
        zh += f" 另有 {len(assessment.tekun_persons)} 人认定为特困人员。"
        en += f" {len(assessment.tekun_persons)} member(s) also assessed as destitute (特困)."
    return zh, en
