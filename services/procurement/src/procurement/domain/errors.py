"""Procurement domain errors: each a 4xx in the common error shape, with its stable `reason`
(the class name in snake case) and a zh-CN message.

- 404: what was named does not exist;
- 409: the request is valid but the state or the time does not allow it (sealed bids, late
  bids, wrong project state);
- 422 (`RuleRefused`): the request breaks a rule of DOMAIN-RULES §9 (method, negative list,
  term, supplier conditions, blacklist, grade)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from jiuzhu_platform.errors import BadRequest, Conflict, DomainError, NotFound


class RuleRefused(DomainError):
    """422: refused by a procurement rule (DOMAIN-RULES §9)."""

    status_code = 422


class ProviderNotFound(NotFound):
    def __init__(self, provider_id: UUID) -> None:
        super().__init__(f"provider {provider_id} not found", message_zh=f"未找到承接主体 {provider_id}")


class ProviderExists(Conflict):
    def __init__(self, credit_code: str, existing_id: UUID) -> None:
        super().__init__(
            f"a provider with credit code {credit_code} is already registered: {existing_id}",
            message_zh=f"统一社会信用代码 {credit_code} 已登记: {existing_id}",
        )


class ProjectNotFound(NotFound):
    def __init__(self, project_id: UUID) -> None:
        super().__init__(f"project {project_id} not found", message_zh=f"未找到采购项目 {project_id}")


class ContractNotFound(NotFound):
    def __init__(self, contract_id: UUID) -> None:
        super().__init__(f"contract {contract_id} not found", message_zh=f"未找到合同 {contract_id}")


class AssignmentNotFound(NotFound):
    def __init__(self, assignment_id: UUID) -> None:
        super().__init__(f"care assignment {assignment_id} not found", message_zh=f"未找到照料安排 {assignment_id}")


class InvalidGrade(BadRequest):
    def __init__(self, detail: str, zh: str) -> None:
        super().__init__(detail, message_zh=zh)


class GradeReapplicationBarred(RuleRefused):
    def __init__(self, until: date) -> None:
        super().__init__(
            f"after a downgrade or cancellation the provider may not re-apply for a grade until after {until} (S10)",
            message_zh=f"降级或撤销等级后，{until} 前不得重新申请评估",
        )


class ProviderBlacklisted(RuleRefused):
    def __init__(self, provider_id: UUID, reason: str) -> None:
        super().__init__(
            f"provider {provider_id} is on the blacklist: {reason}",
            message_zh=f"承接主体 {provider_id} 在禁止参加政府采购活动期间：{reason}",
        )


class SupplierConditionsUnmet(RuleRefused):
    def __init__(self, provider_id: UUID, missing: list[str]) -> None:
        super().__init__(
            f"provider {provider_id} does not meet the supplier conditions (S11 Art. 22): {', '.join(missing)}",
            message_zh=f"承接主体 {provider_id} 不符合供应商条件（政府采购法第22条）：{', '.join(missing)}",
        )
        self.missing = missing


class GradeRequirementUnmet(RuleRefused):
    def __init__(self, provider_id: UUID, required: Any, why: str) -> None:
        super().__init__(
            f"the project requires a valid grade of {required} or above; provider {provider_id}: {why}",
            message_zh=f"本项目要求有效期内{required}及以上评估等级；承接主体 {provider_id}：{why}",
        )


class NotInvited(RuleRefused):
    def __init__(self, provider_id: UUID) -> None:
        super().__init__(
            f"provider {provider_id} was not invited to this project",
            message_zh=f"承接主体 {provider_id} 未受邀参加本项目",
        )


class OnNegativeList(RuleRefused):
    def __init__(self, code: str, article: str, reason_en: str, reason_zh: str) -> None:
        super().__init__(
            f"{code} may not be purchased (102号令 {article}): {reason_en}",
            message_zh=f"不得列入政府购买服务（财政部令第102号第10条）：{reason_zh}",
        )
        self.code = code


class NotInServiceList(RuleRefused):
    def __init__(self, item: str) -> None:
        super().__init__(
            f"{item} is not on the service list (购买服务清单); only listed services may be bought (102号令 Art. 14)",
            message_zh=f"{item} 不在政府购买社会救助服务清单内",
        )


class ThresholdsUnknown(RuleRefused):
    def __init__(self, province: str, year: int) -> None:
        super().__init__(
            f"no procurement thresholds are configured for province {province} in {year}",
            message_zh=f"未配置 {province} {year} 年度政府采购限额标准",
        )


class MethodNotAllowed(RuleRefused):
    def __init__(self, method: Any, why: str, why_zh: str) -> None:
        super().__init__(f"{method} is not allowed here: {why}", message_zh=f"不得采用该采购方式（{method}）：{why_zh}")


class SplittingDetected(RuleRefused):
    def __init__(self, total: int, threshold: int, earlier: list[UUID]) -> None:
        super().__init__(
            f"化整为零: this year's non-tender purchases of the same item and budget line total {total} fen, "
            f"reaching the public-tender threshold {threshold} fen (earlier: {', '.join(map(str, earlier))})",
            message_zh=f"化整为零：同一预算项目、同一品目年度内非招标采购累计 {total} 分，达到公开招标数额标准",
        )


class DeadlineTooSoon(RuleRefused):
    def __init__(self, method: Any, deadline: date, earliest: date) -> None:
        super().__init__(
            f"the bid deadline {deadline} is too soon for {method}: the earliest is {earliest} (DOMAIN-RULES §9.5)",
            message_zh=f"提交投标/响应文件截止日 {deadline} 过早，最早为 {earliest}",
        )


class DateOutsideCalendar(BadRequest):
    def __init__(self, detail: str, zh: str) -> None:
        super().__init__(detail, message_zh=zh)


class PublicityRunning(Conflict):
    def __init__(self, until: date) -> None:
        super().__init__(
            f"the single-source 公示 runs until {until}: no offer before it ends",
            message_zh=f"单一来源公示期至 {until}，公示期满前不得进行后续程序",
        )


class BidTooLate(Conflict):
    def __init__(self, project_id: UUID, deadline: datetime) -> None:
        super().__init__(
            f"project {project_id} took bids until {deadline.isoformat()}: this bid is late and refused",
            message_zh=f"项目 {project_id} 投标截止时间为 {deadline.isoformat()}，逾期送达的投标文件不予接收",
        )


class BidsSealed(Conflict):
    def __init__(self, project_id: UUID, opening: datetime) -> None:
        super().__init__(
            f"the bids of project {project_id} are sealed until the opening at {opening.isoformat()}",
            message_zh=f"项目 {project_id} 的投标文件在 {opening.isoformat()} 开标前密封，任何人不得查阅",
        )


class DuplicateBid(Conflict):
    def __init__(self, provider_id: UUID) -> None:
        super().__init__(
            f"provider {provider_id} has already bid on this project",
            message_zh=f"承接主体 {provider_id} 已提交投标文件",
        )


class WrongState(Conflict):
    def __init__(self, project_id: UUID, state: Any, needed: str) -> None:
        super().__init__(
            f"project {project_id} is {state}; this step needs it {needed}",
            message_zh=f"项目 {project_id} 当前状态为 {state}，此操作要求状态为 {needed}",
        )


class InvalidCriteria(RuleRefused):
    def __init__(self, detail: str, zh: str) -> None:
        super().__init__(detail, message_zh=zh)


class InvalidPanel(RuleRefused):
    def __init__(self, detail: str, zh: str) -> None:
        super().__init__(detail, message_zh=zh)


class BidNotRanked(RuleRefused):
    def __init__(self, bid_id: UUID) -> None:
        super().__init__(f"bid {bid_id} is not in the evaluation report", message_zh=f"投标 {bid_id} 不在评审报告中")


class InvalidTerm(RuleRefused):
    def __init__(self, detail: str, zh: str) -> None:
        super().__init__(detail, message_zh=zh)


class InvalidMilestones(RuleRefused):
    def __init__(self) -> None:
        super().__init__(
            "milestones are at least one, with positive shares adding up to 100%",
            message_zh="付款节点至少一个，比例为正且合计100%",
        )


class SupplementTooLarge(RuleRefused):
    def __init__(self, total: int, original: int) -> None:
        super().__init__(
            f"supplementary contracts total {total} fen, over 10% of the original {original} fen (S11 Art. 49)",
            message_zh=f"补充合同累计 {total} 分，超过原合同金额 {original} 分的10%",
        )


class NoSuchMilestone(RuleRefused):
    def __init__(self, contract_id: UUID, period: str) -> None:
        super().__init__(
            f"contract {contract_id} has no milestone for period {period}",
            message_zh=f"合同 {contract_id} 无 {period} 付款节点",
        )


class AlreadyEvaluated(Conflict):
    def __init__(self, contract_id: UUID, period: str) -> None:
        super().__init__(
            f"contract {contract_id} is already evaluated for {period}",
            message_zh=f"合同 {contract_id} 的 {period} 期已完成绩效评价",
        )


class RecipientOpinionsMissing(RuleRefused):
    def __init__(self) -> None:
        super().__init__(
            "acceptance of a public service needs the recipients' opinions (S12 Art. 45)",
            message_zh="向社会公众提供的公共服务项目验收应当邀请服务对象参与并出具意见",
        )


class ContractNotRunning(RuleRefused):
    def __init__(self, contract_id: UUID, day: date) -> None:
        super().__init__(
            f"contract {contract_id} is not running on {day}", message_zh=f"合同 {contract_id} 在 {day} 不在履行期内"
        )


class AssignmentEnded(Conflict):
    def __init__(self, assignment_id: UUID) -> None:
        super().__init__(f"care assignment {assignment_id} has ended", message_zh=f"照料安排 {assignment_id} 已终止")


class ComplaintNotFound(NotFound):
    def __init__(self, complaint_id: UUID) -> None:
        super().__init__(f"complaint {complaint_id} not found", message_zh=f"未找到投诉 {complaint_id}")
