"""Refusals of the identity use cases, each with a stable reason code (the error body's
`reason`) and a zh-CN message. They render in the common error shape
(`jiuzhu_platform.http_errors`)."""

from __future__ import annotations

import math
from typing import ClassVar

from jiuzhu_platform.errors import Conflict, DomainError, Forbidden, NotFound


class Refused(DomainError):
    """Base: `reason` is the stable code, `detail` the English message."""

    reason = "refused"

    def __init__(
        self, message_en: str, message_zh: str, *, headers: dict[str, str] | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message_en, message_zh=message_zh, headers=headers, reason=reason)


class InvalidCredentials(Refused):
    status_code = 401
    reason = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("the username or password is wrong", "用户名或密码错误")


class TotpRequired(Refused):
    status_code = 401
    reason = "totp_required"

    def __init__(self) -> None:
        super().__init__("this account needs a one-time password (TOTP)", "该账号需要输入动态口令")


class TotpInvalid(Refused):
    status_code = 401
    reason = "totp_invalid"

    def __init__(self) -> None:
        super().__init__("the one-time password (TOTP) is wrong or already used", "动态口令错误或已使用")


class AccountLocked(Refused):
    """423 Locked with `Retry-After`: too many consecutive failures on this account. Chosen over
    429 so a client can tell "this account is locked" from "you are sending too fast"."""

    status_code = 423
    reason = "account_locked"

    def __init__(self, retry_after_seconds: float) -> None:
        seconds = max(1, math.ceil(retry_after_seconds))
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__(
            f"too many failed sign-in attempts; try again in {seconds} s",
            f"登录失败次数过多，账号已临时锁定，请 {minutes} 分钟后重试",
            headers={"Retry-After": str(seconds)},
        )


class CodeInvalid(Refused):
    status_code = 401
    reason = "code_invalid"

    def __init__(self) -> None:
        super().__init__("the verification code is wrong", "验证码错误")


class CodeExpired(Refused):
    status_code = 401
    reason = "code_expired"

    def __init__(self) -> None:
        super().__init__(
            "the verification code has expired, was used, or had too many wrong tries; request a new one",
            "验证码已失效（过期、已使用或错误次数过多），请重新获取",
        )


class RefreshTokenInvalid(Refused):
    status_code = 401
    reason = "refresh_token_invalid"

    def __init__(self) -> None:
        super().__init__("the refresh token is not valid; sign in again", "刷新令牌无效，请重新登录")


class RefreshTokenReused(Refused):
    status_code = 401
    reason = "refresh_token_reused"

    def __init__(self) -> None:
        super().__init__(
            "the refresh token was already used; every session of this sign-in is revoked",
            "刷新令牌已被使用过，本次登录的所有会话均已吊销，请重新登录",
        )


class InvalidInput(Refused):
    """422 for a rule the request breaks (weak password, unknown role…)."""

    status_code = 422

    def __init__(self, reason: str, message_en: str, message_zh: str) -> None:
        super().__init__(message_en, message_zh, reason=reason)


class UserExists(Conflict):
    reason = "user_exists"

    def __init__(self) -> None:
        super().__init__("a user with this username already exists", message_zh="该用户名已存在")


class BindingNotFound(NotFound):
    reason = "binding_not_found"

    def __init__(self) -> None:
        super().__init__("no account is bound to that resident ID", message_zh="该身份证号未绑定任何账号")


class UserNotFound(NotFound):
    reason = "user_not_found"

    def __init__(self) -> None:
        super().__init__("no such user", message_zh="用户不存在")


class ClientNotFound(NotFound):
    reason = "client_not_found"

    def __init__(self) -> None:
        super().__init__("no such client", message_zh="客户端不存在")


class ResidentAlreadyBound(Conflict):
    """One resident ID binds to one phone account at a time: another account holds it."""

    reason = "resident_already_bound"

    def __init__(self) -> None:
        super().__init__(
            "this resident ID is bound to another account; sign in with that phone, or ask the "
            "civil-affairs office to release it",
            message_zh="该身份证号码已绑定其他手机账号，请使用原手机号登录，或到民政部门办理解绑",
        )


class AlreadyBound(Conflict):
    reason = "already_bound"

    def __init__(self) -> None:
        super().__init__(
            "this account is already bound to another resident ID", message_zh="该账号已绑定其他身份证号码"
        )


class RealNameRejected(Refused):
    status_code = 422
    reason = "real_name_rejected"

    def __init__(self) -> None:
        super().__init__("the name and resident ID do not match public records", "姓名与身份证号码核验不一致")


class ServiceNotConfigured(Refused):
    """503: a port (SMS sender, real-name check) has no adapter in this deployment."""

    status_code = 503
    reason = "not_configured"

    def __init__(self, what_en: str, what_zh: str) -> None:
        super().__init__(f"{what_en} is not available", f"{what_zh}暂不可用")


class SignatureRefused(Refused):
    """401 for a department push whose request signature is missing, wrong, stale or replayed."""

    status_code = 401

    _MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {
        "signature_missing": ("the request signature headers are missing or malformed", "请求缺少签名或签名格式错误"),
        "signature_invalid": ("the request signature does not verify", "请求签名校验失败"),
        "signature_expired": ("the request timestamp is outside the accepted window", "请求时间戳超出允许范围"),
        "signature_replayed": ("the request nonce was already used", "请求随机数已被使用（重放请求）"),
        "signature_key_unknown": ("no signing key is registered for this client", "该客户端未登记签名公钥"),
    }

    def __init__(self, reason: str) -> None:
        message_en, message_zh = self._MESSAGES[reason]
        super().__init__(message_en, message_zh, reason=reason)


class RoleNotGrantable(Forbidden):
    reason = "role_not_grantable"

    def __init__(self, roles: list[str]) -> None:
        listed = ", ".join(roles)
        super().__init__(
            f"{listed} can be granted by the operator's command line only "
            "(python -m gateway create-admin / create-user)",
            message_zh=f"角色 {listed} 只能由运维人员通过命令行授予（三员分立）",
        )


class OperatorOnlyAccount(Forbidden):
    reason = "account_operator_only"

    def __init__(self, roles: list[str]) -> None:
        listed = ", ".join(roles)
        super().__init__(
            f"an account with the role {listed} is changed by its holder or the operator's command line only "
            "(python -m gateway), not by another administrator",
            message_zh=f"具有 {listed} 角色的账户只能由本人或运维人员通过命令行变更，其他管理员不可变更（三员分立）",
        )
