"""Refusals of the procedure (pure): each a typed error with a stable `reason`.

Wrong stage and missing preconditions are 409 (the request is fine, the application is not
ready for it); acting in a capacity the action does not allow, on a relative's case, or
confirming a case one prepared is 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar
from uuid import UUID

from jiuzhu_platform.errors import Conflict, Forbidden, NotFound


class ApplicationNotFound(NotFound):
    def __init__(self, application_id: UUID) -> None:
        super().__init__(f"application {application_id} not found", message_zh=f"未找到申请 {application_id}")


class WrongStage(Conflict):
    """The action is not possible at the application's stage."""

    def __init__(self, action: str, stage: str) -> None:
        super().__init__(
            f"'{action}' is not possible while the application is '{stage}'",
            message_zh=f"申请当前处于“{stage}”环节，不能执行“{action}”",
        )


class CapacityNotAllowed(Forbidden):
    """The caller may not take this action in any capacity they hold."""

    def __init__(self, action: str) -> None:
        super().__init__(
            f"your role cannot take the action '{action}'",
            message_zh=f"您的角色不能执行“{action}”",
        )


class OwnRelative(Forbidden):
    """经办人员 may not act on the case of a recorded close relative (回避, S1 Art. 11)."""

    def __init__(self) -> None:
        super().__init__(
            "you are recorded as a close relative of a member of this household and must not act on it",
            message_zh="您登记为该户成员的近亲属，须回避，不能办理本申请",
        )


class FourEyes(Forbidden):
    """The account that prepared a case (investigation, 初审) cannot confirm it."""

    reason = "same_account_prepared"

    def __init__(self) -> None:
        super().__init__(
            "the account that investigated or gave the preliminary opinion cannot also confirm the case",
            message_zh="参与调查或出具初审意见的账号不能同时审核确认本申请",
        )


class StaleApplication(Conflict):
    """Someone changed the application since the caller read it (`expected_version`)."""

    reason = "application_changed"

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f"the application is at version {actual}, not {expected}: reload it and try again",
            message_zh=f"申请已被他人更新（当前版本 {actual}，提交版本 {expected}），请刷新后重试",
        )


class RelativeAlreadyRecorded(Conflict):
    """The 回避 registry already holds this account and this relative."""

    reason = "relative_already_recorded"

    def __init__(self) -> None:
        super().__init__(
            "this account is already recorded as a close relative of this resident",
            message_zh="该账号与该居民的近亲属关系已登记",
        )


class StepRefused(Conflict):
    """A precondition of the step is not met; `reason` says which (one class, many codes)."""

    MESSAGES: ClassVar[Mapping[str, tuple[str, str]]] = {
        "missing_items_required": (
            "list every missing item in one notice (一次性告知)",
            "请一次性列明需补齐的全部材料",
        ),
        "supplement_already_requested": (
            "the one-time notice of missing items was already given; accept the materials or record why not",
            "已一次性告知过需补齐的材料，不能再次要求补件",
        ),
        "two_investigators_required": (
            "a home visit needs at least two different staff investigators, you among them",
            "入户调查须由至少两名工作人员进行（含本人）",
        ),
        "family_signature_required": (
            "the home-visit form must be signed by the family members present",
            "入户调查表须由在场家庭成员签字",
        ),
        "home_visit_missing": ("record the home visit (入户调查) first", "请先登记入户调查"),
        "verification_report_missing": (
            "the verification report (核对报告) has not been received yet",
            "尚未收到家庭经济状况核对报告",
        ),
        "self_care_missing": ("record the self-care assessment first", "请先登记生活自理能力评估"),
        "placement_missing": ("record 集中 or 分散供养 first", "请先登记集中或分散供养方式"),
        "publicity_running": ("the 7-day publicity has not ended yet", "7天公示期尚未届满"),
        "publicity_over": ("the publicity period has ended", "公示期已届满"),
        "county_visit_missing": (
            "a county home visit is required before confirming (单独登记备案, complaint or spot check)",
            "该申请须先由县级开展入户调查（单独登记备案、投诉举报或抽查）",
        ),
        "evidence_required": ("an objection needs the evidence it rests on", "提出异议须提供证据或理由"),
        "reasons_required": ("give the reasons in writing", "请书面说明理由"),
        "extension_already_recorded": (
            "the time limit was already extended once",
            "办理时限已延长过一次",
        ),
        "amount_above_town_ceiling": (
            "the amount is above the town's approval ceiling: the county approves it",
            "金额超过乡镇（街道）审批权限，须报县级审批",
        ),
        "town_cannot_confirm": (
            "confirmation is not delegated to the town for this assistance type",
            "该救助类型的审核确认未委托乡镇（街道）",
        ),
        "not_for_this_assistance": (
            "this step does not exist in the procedure of this assistance type",
            "该救助类型的办理程序没有此环节",
        ),
        "amount_required": ("an approval needs a positive monthly amount", "批准须确定大于零的救助金额"),
        "phase_out_not_allowed": (
            "a 渐退期 is for 低保 cases only and lasts 1 to 6 months",
            "渐退期仅适用于低保对象，期限为1至6个月",
        ),
        "phase_out_running": ("the 渐退期 has not ended yet", "渐退期尚未届满"),
    }

    def __init__(self, reason: str) -> None:
        detail, zh = self.MESSAGES[reason]
        super().__init__(detail, message_zh=zh, reason=reason)
