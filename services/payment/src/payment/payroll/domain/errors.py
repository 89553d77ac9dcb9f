"""Refusals of the payroll, in the common error shape (zh-CN and English)."""

from __future__ import annotations

from jiuzhu_platform.errors import Conflict, Forbidden


class RunNotInStatus(Conflict):
    reason = "run_status_refuses"

    def __init__(self, status: str, wanted: str) -> None:
        super().__init__(
            f"the run is {status}: this needs it {wanted}",
            message_zh=f"发放批次当前状态为 {status}，此操作需要 {wanted}",
        )


class SameOfficer(Forbidden):
    """四眼原则: who calculated a run never approves it."""

    reason = "same_officer"

    def __init__(self) -> None:
        super().__init__(
            "the officer who calculated the run cannot approve it: another payment officer must",
            message_zh="计算发放批次的经办人不能审核同一批次，须由另一名发放经办人审核",
        )


class BudgetExceeded(Conflict):
    reason = "budget_exceeded"

    def __init__(self, programme: str, budget_fen: int, needed_fen: int) -> None:
        super().__init__(
            f"the {programme} budget of this county and year ({budget_fen / 100:.2f} yuan) would be exceeded "
            f"({needed_fen / 100:.2f} yuan committed with this run); approve with an override reason if decided",
            message_zh=f"{programme} 资金预算（{budget_fen / 100:.2f} 元）将被超出"
            f"（含本批次共 {needed_fen / 100:.2f} 元），如经批准请填写超预算理由",
        )


class ResultFileRefused(Conflict):
    reason = "result_file_refused"

    def __init__(self, detail: str, detail_zh: str) -> None:
        super().__init__(detail, message_zh=detail_zh)
