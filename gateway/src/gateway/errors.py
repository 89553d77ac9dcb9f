"""Gateway errors, rendered in the common ErrorBody shape."""

from __future__ import annotations

from jiuzhu_platform.errors import BadRequest, DomainError, NotFound


class UnknownService(NotFound):
    def __init__(self, service: str) -> None:
        super().__init__(f"no service named {service!r}", message_zh=f"不存在名为 {service!r} 的服务")


class PayloadTooLarge(DomainError):
    status_code = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes", message_zh=f"请求体超过 {limit} 字节")


class UpstreamUnavailable(DomainError):
    status_code = 502

    def __init__(self, service: str) -> None:
        super().__init__(f"the {service} service cannot be reached", message_zh=f"无法连接 {service} 服务")


class UpstreamTimeout(DomainError):
    status_code = 504

    def __init__(self, service: str) -> None:
        super().__init__(f"the {service} service did not answer in time", message_zh=f"{service} 服务响应超时")


class InvalidPath(BadRequest):
    def __init__(self) -> None:
        super().__init__(
            "the path must stay under /v1/<service>/ without '.' or '..' segments",
            message_zh="请求路径不合法：不得包含 '.' 或 '..' 路径段",
        )
