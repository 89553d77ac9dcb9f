"""Refusals of the exchange, in the common error shape."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from jiuzhu_platform.errors import Conflict, DomainError, NotFound


class NotADepartmentClient(DomainError):
    """403: only a department client (token kind `department`, with its `client_id`) uses the
    exchange; the scope alone is not enough."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "only a department client may use the exchange", message_zh="只有部门客户端可以使用数据交换接口"
        )


class ExchangeRefused(DomainError):
    """422: the envelope is well formed but cannot be accepted. `reason` says why."""

    status_code = 422
    reason = "exchange_refused"
    reasons: ClassVar[tuple[str, ...]] = ("sender_mismatch", "callback_uri_invalid", "duplicate_reference_id")

    @classmethod
    def sender_mismatch(cls) -> ExchangeRefused:
        return cls(
            "header.sender_id is not the authenticated client",
            message_zh="header.sender_id 与认证的客户端不一致",
            reason="sender_mismatch",
        )

    @classmethod
    def callback_invalid(cls, why: str) -> ExchangeRefused:
        return cls(f"callback_uri: {why}", message_zh=f"回调地址无效：{why}", reason="callback_uri_invalid")

    @classmethod
    def duplicate_reference(cls) -> ExchangeRefused:
        return cls(
            "reference_id values must be unique within a message",
            message_zh="同一消息内 reference_id 不得重复",
            reason="duplicate_reference_id",
        )


class TransactionExists(Conflict):
    def __init__(self, transaction_id: str) -> None:
        super().__init__(
            f"transaction {transaction_id} was already received from this client",
            message_zh=f"交易 {transaction_id} 已提交过",
        )


class TransactionNotFound(NotFound):
    def __init__(self, transaction_id: str) -> None:
        super().__init__(f"transaction {transaction_id} not found", message_zh=f"未找到交易 {transaction_id}")


class SubscriptionNotFound(NotFound):
    def __init__(self, subscription_id: UUID) -> None:
        super().__init__(f"subscription {subscription_id} not found", message_zh=f"未找到订阅 {subscription_id}")


class SubscriptionExists(Conflict):
    """409: this client's subscribe message was received before (its secret was shown then)."""

    def __init__(self, message_id: str, subscription_id: UUID) -> None:
        super().__init__(
            f"message {message_id} already created subscription {subscription_id}",
            message_zh=f"消息 {message_id} 已创建订阅 {subscription_id}",
        )
        self.subscription_id = subscription_id
