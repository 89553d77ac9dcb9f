"""Refusals of authentication and authorisation (pure: no web framework, no JWT library):
401 `Unauthorized` with an `AuthFailure` reason, 503 `AuthenticationUnavailable`, 403
`ScopeMissing` and `RegionNotAllowed`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar

from jiuzhu_platform.errors import DomainError, Forbidden, Unauthenticated, Unavailable


class AuthFailure(StrEnum):
    """Stable reason codes of a 401 (the error body's `reason`)."""

    MISSING = "token_missing"
    MALFORMED = "token_malformed"
    EXPIRED = "token_expired"
    NOT_YET_VALID = "token_not_yet_valid"
    BAD_SIGNATURE = "token_bad_signature"
    WRONG_ISSUER = "token_wrong_issuer"
    WRONG_AUDIENCE = "token_wrong_audience"
    UNKNOWN_KEY = "token_unknown_key"
    REVOKED = "token_revoked"
    CLAIMS_INVALID = "token_claims_invalid"


_FAILURE_MESSAGES: Mapping[AuthFailure, tuple[str, str]] = MappingProxyType(
    {
        AuthFailure.MISSING: ("no bearer token was sent", "请求未携带访问令牌"),
        AuthFailure.MALFORMED: ("the bearer token is malformed", "访问令牌格式错误"),
        AuthFailure.EXPIRED: ("the token has expired", "访问令牌已过期"),
        AuthFailure.NOT_YET_VALID: ("the token is not valid yet", "访问令牌尚未生效"),
        AuthFailure.BAD_SIGNATURE: ("the token signature is not valid", "访问令牌签名无效"),
        AuthFailure.WRONG_ISSUER: ("the token was not issued by the trusted issuer", "访问令牌的签发方不受信任"),
        AuthFailure.WRONG_AUDIENCE: ("the token is not meant for this service", "访问令牌不适用于本服务"),
        AuthFailure.UNKNOWN_KEY: ("the token was signed with an unknown key", "访问令牌的签名密钥未知"),
        AuthFailure.REVOKED: ("the token has been revoked", "访问令牌已被吊销"),
        AuthFailure.CLAIMS_INVALID: ("the token claims are invalid", "访问令牌声明内容无效"),
    }
)


class Unauthorized(Unauthenticated):
    """401: no usable credentials. `reason` is the `AuthFailure` code (`token_expired`, …)."""

    reasons: ClassVar[tuple[str, ...]] = tuple(AuthFailure)

    def __init__(self, reason: AuthFailure | str, detail: str | None = None) -> None:
        reason = AuthFailure(reason)
        message_en, message_zh = _FAILURE_MESSAGES[reason]
        challenge = 'Bearer realm="jiuzhu"' if reason is AuthFailure.MISSING else 'Bearer error="invalid_token"'
        super().__init__(
            detail or message_en,
            message_zh=message_zh,
            reason=reason,
            headers={"WWW-Authenticate": challenge},
        )


class AuthenticationUnavailable(Unavailable):
    """503: the token could not be judged (no verifier configured, revocation store down).
    Fails closed, and is not the caller's fault, so neither a 401 nor a 500."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail, message_zh="身份认证服务暂不可用，请稍后重试", reason=reason)


class ScopeMissing(Forbidden):
    """403: the token lacks a scope the operation needs."""

    reason = "scope_missing"

    def __init__(self, missing: Iterable[str]) -> None:
        listed = ", ".join(missing)
        super().__init__(f"this operation needs {listed}", message_zh=f"缺少执行此操作所需的权限范围：{listed}")


class RegionNotAllowed(Forbidden):
    """403: the record (or the area asked for) is outside the caller's region or household."""

    reason = "region_not_allowed"

    def __init__(
        self,
        detail: str = "the record is outside the caller's region or household",
        message_zh: str = "无权访问辖区或家庭范围以外的记录",
    ) -> None:
        super().__init__(detail, message_zh=message_zh)


PROTECTED: tuple[type[DomainError], ...] = (Unauthorized, ScopeMissing)
"""What every route that declares scopes can answer (`refusals(*PROTECTED, ...)`)."""
