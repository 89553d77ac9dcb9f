"""Policy errors (rendered as ErrorBody by the platform)."""

from __future__ import annotations

from datetime import date

from jiuzhu_platform.errors import BadRequest, Conflict, NotFound


class PolicyNotInForce(NotFound):
    def __init__(self, day: date) -> None:
        super().__init__(f"no policy version is in force on {day}", message_zh=f"{day} 没有生效的政策参数版本")


class PolicyVersionNotFound(NotFound):
    def __init__(self, version: str) -> None:
        super().__init__(f"policy version {version} not found", message_zh=f"未找到政策参数版本 {version}")


class RegionNotCovered(BadRequest):
    def __init__(self, region_code: str) -> None:
        super().__init__(
            f"region {region_code} is not covered by the policy set", message_zh=f"政策参数未覆盖行政区划 {region_code}"
        )


class PolicyVersionChanged(Conflict):
    def __init__(self, policy_set: str, version: str) -> None:
        super().__init__(
            f"policy {policy_set} version {version} differs from the stored one; versions are immutable, add a new one",
            message_zh=f"政策参数 {policy_set} 版本 {version} 与已入库内容不一致；版本不可修改，请新增版本",
        )
