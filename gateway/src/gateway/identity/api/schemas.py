"""HTTP request and response models of the gateway's own identity endpoints."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from jiuzhu_platform.pii import Phone
from shared.types import ResidentId


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


def example(values: JsonDict) -> ConfigDict:
    """A request model's config: no unknown fields, and `values` as its example in /docs."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})


EXAMPLE_REFRESH_TOKEN = "3PHJNk3PnzOniNXcpRUgqDdd_1Vc3G8MU0CZkOsbEKg"  # noqa: S105 (an example, never issued)
"""The shape of a refresh token (43 URL-safe characters); this one was never issued."""


class StaffLogin(Request):
    """Embedded mode (`make run`) writes the first administrator's password to
    `var/embedded/credentials.json`."""

    model_config = example({"username": "admin", "password": "（var/embedded/credentials.json 中 admin 的密码）"})

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    totp: str | None = Field(default=None, max_length=10, description="Six-digit one-time password, when enrolled")


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class CitizenCodeRequest(Request):
    model_config = example({"phone": "13800138000"})

    phone: Phone


class CitizenLogin(Request):
    """Embedded mode sends no SMS: the code is in `var/embedded/sms-codes.jsonl`."""

    model_config = example({"phone": "13800138000", "code": "482913"})

    phone: Phone
    code: str = Field(min_length=1, max_length=10)


class CitizenBind(Request):
    model_config = example({"name": "王芳", "resident_id": "520102198603140421"})

    name: str = Field(min_length=1, max_length=50, description="姓名, as registered")
    resident_id: ResidentId = Field(description="公民身份号码 (18 characters, check digit verified)")


class RefreshRequest(Request):
    model_config = example({"refresh_token": EXAMPLE_REFRESH_TOKEN})

    refresh_token: str = Field(min_length=1, max_length=512)


class PasswordChange(Request):
    model_config = example({"current_password": "（当前密码）", "new_password": "Yunyan-Chuntian-2027"})

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class LogoutRequest(Request):
    model_config = example({"refresh_token": EXAMPLE_REFRESH_TOKEN})

    refresh_token: str | None = Field(default=None, max_length=512)


class ClientTokenResponse(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105
    expires_in: int
    scope: str


class UserCreate(Request):
    model_config = example(
        {
            "username": "li.juan",
            "password": "Lvshu-Qingshan-2026",
            "roles": ["town_caseworker"],
            "region": "520102001000",
            "display_name": "李娟",
        }
    )

    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    roles: list[str] = Field(min_length=1, max_length=10)
    region: str | None = Field(default=None, max_length=12)
    display_name: str = Field(min_length=1, max_length=100)


class UserRead(BaseModel):
    user_id: uuid.UUID
    username: str
    display_name: str
    roles: list[str]
    region: str | None
    totp_enrolled: bool


class TotpEnrolment(BaseModel):
    otpauth_uri: str = Field(description="Shown once: scan into an authenticator app")


class ClientCreate(Request):
    model_config = example(
        {
            "name": "贵阳市公安局（户籍与死亡注销信息推送）",
            "kind": "department",
            "scopes": ["verification:notices:push"],
            "signing_public_key": "DzpS1-Yfw-EER2I9txJVkwsr6XC7m1MuCbHqO6RsuBc",
        }
    )

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["department", "third_party"]
    scopes: list[str] = Field(min_length=1, max_length=64)
    region: str | None = Field(default=None, max_length=12)
    signing_public_key: str | None = Field(
        default=None, max_length=2000, description="Ed25519 public key (raw 32 bytes base64url, or PEM)"
    )


class ClientCreated(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown once; only its hash is stored")
    name: str
    kind: str
    scopes: list[str]
    region: str | None


class KeyRotated(BaseModel):
    kid: str
    published: list[str]


class BindingRelease(Request):
    """解除实名绑定: the resident ID whose account binding ends, and why (a code: the audit
    trail takes no free text)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"resident_id": "11010519491231002X", "reason": "phone_changed"}]},
    )

    resident_id: ResidentId
    reason: Literal["phone_changed", "bound_by_another", "deceased", "other"] = Field(
        description="phone_changed (换号), bound_by_another (被他人冒绑), deceased (本人死亡), other"
    )
