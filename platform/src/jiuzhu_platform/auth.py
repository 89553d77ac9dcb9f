"""Identity and access for every service: bearer-token verification, roles → scopes as data,
region scoping and declared per-route requirements (deny by default).

Every service route declares its requirement with `requires(...)`; the gateway enforces the same
requirements from the services' published OpenAPI.

Tokens
======

`TokenVerifier.verify(token)` checks a JWT (JWS compact form) and returns a `Principal`.
Every service verifies again, also behind the gateway (defence in depth). The verifier is
configured with an issuer, an audience and a key source:

- `StaticKeySet(jwks)`: a JWKS document held in memory (embedded and test modes, where the
  gateway is the issuer and hands its JWKS to the services).
- `RemoteJwks(url, http_get, ...)`: the issuer's published JWKS, cached by `kid` for
  `ttl_seconds`. A token whose `kid` is not cached triggers a refresh, at most once per
  `min_refresh_interval` (so a flood of made-up kids cannot hammer the issuer). This is how
  key rotation works without downtime: the issuer publishes the new key next to the old one,
  starts signing with it, and tokens signed with either key verify during the overlap. An
  external OIDC provider is the issuer in production by configuration only (issuer URL,
  audience, JWKS URL); no code changes.

Only asymmetric algorithms are accepted (`ES256`, `RS256`, `EdDSA` by default; never `none`
or `HS*`). The algorithm is bound to the key: the token's `alg` header must equal the
algorithm of the JWK its `kid` selects, so a token cannot choose how its signature is
checked (no algorithm confusion). Symmetric (`oct`) JWKs are ignored, private JWK members are
dropped, and a token must name its key with `kid`.

Claims: `sub`, `iss`, `aud` (string or list), `exp`, `iat` and `jti` are required; `nbf` is
optional; `kind` (staff | citizen | department | third_party) is required; `scope` (OAuth2
space-separated string), `roles` (list of strings), `region` (6-digit county or 12-digit town
code of Guiyang), `household_id`, `client_id` (or OIDC `azp`) and `sid` (the sign-in session,
as in OIDC) are optional. `leeway_seconds`
applies to `exp`, `nbf` and `iat`. An external provider must be configured (claim mappers) to
emit `kind`, `roles` and `region`.

Every failure is `Unauthorized` (401) with a stable `reason` (`AuthFailure`); the rendered
body is the common error shape with that `reason`, an English `detail` and a zh-CN
`message_zh`. No PyJWT exception escapes. When the verifier cannot decide (revocation store
down, no verifier configured) the answer is `AuthenticationUnavailable` (503), never a 500.

Roles and scopes
================

Scopes are named `<service>:<resource>:<action>` (two-part for the cross-cutting `audit:read`
and `pii:read_full`). A principal's effective scopes are the union of the token's `scope`
claim and the scopes its `roles` map to in `ROLE_SCOPES` (both come from the signed token;
unknown roles grant nothing). The table is data, not branches in endpoints:

====================  =======================================================================
role                  scopes
====================  =======================================================================
town_caseworker       eligibility:applications:read, eligibility:applications:write,
                      eligibility:assessments:run, eligibility:policies:read,
                      monitoring:households:read, verification:consents:read,
                      verification:consents:write
county_approver       eligibility:applications:read, eligibility:applications:approve,
                      eligibility:assessments:run, eligibility:policies:read,
                      monitoring:households:read, verification:consents:read,
                      payment:payroll:read, pii:read_full
city_admin            eligibility:applications:read, eligibility:policies:read,
                      monitoring:households:read, verification:consents:read,
                      payment:payroll:read, procurement:providers:read,
                      auth:users:write, auth:clients:write, auth:keys:rotate
auditor               audit:read, eligibility:applications:read, eligibility:policies:read,
                      monitoring:households:read, verification:consents:read,
                      payment:payroll:read, procurement:providers:read
procurement_officer   procurement:providers:read, procurement:providers:write,
                      eligibility:policies:read
payment_officer       payment:payroll:read, payment:payroll:write
citizen               eligibility:applications:read, eligibility:applications:write,
                      eligibility:policies:read, verification:consents:read,
                      verification:consents:write
citizen_unbound       auth:identity:bind (a citizen signed in by phone, before real-name binding)
department            eligibility:policies:read
third_party           eligibility:policies:read
====================  =======================================================================

Every staff role also holds `auth:password:change` (a user changes their own password).
Separation of duties: no role both writes and approves applications; only county approvers
read unmasked personal data (`pii:read_full`); only auditors read the audit trail. Scopes
for a department's data-sharing agreement (for example `monitoring:households:read`) are
granted in its token's `scope` claim, not by the `department` role.

Region scoping
==============

`RegionScope.for_principal(p)` / `can_access(p, region_code=..., household_id=...)`:

- staff with a 12-digit town code: only records carrying that same town code. A record that
  carries only a county code (all records today) is refused: it cannot be placed in the town.
  Kept strict on purpose; records gain town codes before town caseworkers get access.
- staff with a 6-digit county code: records whose code starts with it (the county itself or
  any of its towns).
- staff without a region: city-wide, but only with a city-wide role (`CITY_WIDE_ROLES`:
  `city_admin`, `auditor`, `procurement_officer`); any other staff token without a region sees
  nothing.
- citizens: only records of their own `household_id`, nothing else (no region-level records).
- departments and third parties: region rules as for staff by their `region` (none =
  city-wide), but household records (any record passed with a `household_id`) only if they
  hold one of `HOUSEHOLD_DATA_SCOPES`.
- a record without a region code is visible to city-wide principals only.

Callers pass `household_id` whenever the record belongs to a household. `require_region`
raises `RegionNotAllowed` (403, reason `region_not_allowed`). `RegionScope.region_prefix` gives the
prefix to filter lists by (`region_code LIKE prefix || '%'`).

Declared requirements (deny by default)
=======================================

`requires(*scopes)` is a FastAPI dependency (a `Depends`, usable as `Annotated[Principal,
requires(...)]` or in `dependencies=[...]`). It reads `Authorization: Bearer <token>`, verifies
it with the `TokenVerifier` found on `request.app.state.token_verifier`, checks every scope
(`ScopeMissing`, 403, reason `scope_missing`, listing the missing ones), stores the principal on
`request.state.principal` and returns it. `requires(public=True)` declares an open route
(returns `None` without a token; a token that is sent is still verified).

`declared_requirement(route)` finds the requirement in a route's dependency tree;
`undeclared_routes(app)` lists every route with none (except `INFRASTRUCTURE_PATHS`) so a test
can fail on it, and `assert_all_declared(app)` refuses to serve such an app.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Protocol

import jwt
from fastapi import Depends, FastAPI, Request, params
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import BaseRoute, Host, Mount, Route

from jiuzhu_platform.errors import DomainError, Forbidden, Unauthenticated, Unavailable
from shared.types import is_county_or_town_code

__all__ = [
    "ALL_SCOPES",
    "ASYMMETRIC_ALGORITHMS",
    "CITY_WIDE_ROLES",
    "DEFAULT_ALGORITHMS",
    "HOUSEHOLD_DATA_SCOPES",
    "INFRASTRUCTURE_PATHS",
    "OPENAPI_PUBLIC_KEY",
    "OPENAPI_SCOPES_KEY",
    "PRIVILEGED_SCOPES",
    "PROTECTED",
    "ROLE_SCOPES",
    "SCOPE_PATTERN",
    "AccessLevel",
    "AuthFailure",
    "AuthenticationUnavailable",
    "KeySource",
    "Principal",
    "PrincipalKind",
    "RegionNotAllowed",
    "RegionScope",
    "RemoteJwks",
    "Requirement",
    "ScopeMissing",
    "StaticKeySet",
    "TokenVerifier",
    "Unauthorized",
    "assert_all_declared",
    "bearer_token",
    "can_access",
    "declared_requirement",
    "default_town",
    "load_jwks",
    "publish_requirements",
    "published_requirement",
    "require_region",
    "require_scopes",
    "requires",
    "scopes_for_roles",
    "undeclared_routes",
]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- errors


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


# --------------------------------------------------------------------------- roles and scopes

SCOPE_PATTERN = re.compile(r"^[a-z][a-z_]*(?::[a-z][a-z_]*){1,2}$")
"""`<service>:<resource>:<action>`, or `<area>:<action>` for cross-cutting scopes."""


def _scopes(*names: str) -> frozenset[str]:
    return frozenset(names)


def _staff(*names: str) -> frozenset[str]:
    """A staff role's scopes: every staff user may also change their own password."""
    return frozenset((*names, "auth:password:change"))


ROLE_SCOPES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "town_caseworker": _staff(
            "eligibility:applications:read",
            "eligibility:applications:write",
            "eligibility:assessments:run",
            "eligibility:policies:read",
            "monitoring:households:read",
            "verification:consents:read",
            "verification:consents:write",
        ),
        "county_approver": _staff(
            "eligibility:applications:read",
            "eligibility:applications:approve",
            "eligibility:assessments:run",
            "eligibility:policies:read",
            "monitoring:households:read",
            "verification:consents:read",
            "payment:payroll:read",
            "pii:read_full",
        ),
        "city_admin": _staff(
            "eligibility:applications:read",
            "eligibility:policies:read",
            "monitoring:households:read",
            "verification:consents:read",
            "payment:payroll:read",
            "procurement:providers:read",
            "auth:users:write",
            "auth:clients:write",
            "auth:keys:rotate",
        ),
        "auditor": _staff(
            "audit:read",
            "eligibility:applications:read",
            "eligibility:policies:read",
            "monitoring:households:read",
            "verification:consents:read",
            "payment:payroll:read",
            "procurement:providers:read",
        ),
        "procurement_officer": _staff(
            "procurement:providers:read",
            "procurement:providers:write",
            "eligibility:policies:read",
        ),
        "payment_officer": _staff(
            "payment:payroll:read",
            "payment:payroll:write",
        ),
        "citizen": _scopes(
            "eligibility:applications:read",
            "eligibility:applications:write",
            "eligibility:policies:read",
            "verification:consents:read",
            "verification:consents:write",
        ),
        "citizen_unbound": _scopes(
            "auth:identity:bind",
        ),
        "department": _scopes(
            "eligibility:policies:read",
        ),
        "third_party": _scopes(
            "eligibility:policies:read",
        ),
    }
)
"""Role → scopes (see the module docstring's table). Read-only."""

ALL_SCOPES: frozenset[str] = frozenset(
    {
        "eligibility:applications:read",
        "eligibility:applications:write",
        "eligibility:applications:approve",
        "eligibility:assessments:run",
        "eligibility:policies:read",
        "monitoring:households:read",
        "verification:consents:write",
        "verification:consents:read",
        "payment:payroll:write",
        "payment:payroll:read",
        "procurement:providers:write",
        "procurement:providers:read",
        "audit:read",
        "pii:read_full",
        "auth:users:write",
        "auth:clients:write",
        "auth:keys:rotate",
        "auth:identity:bind",
        "auth:password:change",
    }
)
"""Every scope the platform defines (agreements may grant any of them in a token's `scope`)."""

PRIVILEGED_SCOPES: frozenset[str] = frozenset(
    {
        "audit:read",
        "pii:read_full",
        "auth:users:write",
        "auth:clients:write",
        "auth:keys:rotate",
        "auth:identity:bind",
        "auth:password:change",
    }
)
"""Scopes never granted to a department or third-party client: staff roles carry them, and an
unbound citizen's token carries `auth:identity:bind` only."""

CITY_WIDE_ROLES: frozenset[str] = frozenset({"city_admin", "auditor", "procurement_officer"})
"""Staff roles that see the whole city when the token carries no region. Procurement officers
work at the city bureau (the provider registry is city-wide) and hold no household scope."""

HOUSEHOLD_DATA_SCOPES: frozenset[str] = frozenset({"monitoring:households:read", "eligibility:applications:read"})
"""Scopes that let a department or third party touch household records at all."""


def scopes_for_roles(roles: Iterable[str], table: Mapping[str, frozenset[str]] = ROLE_SCOPES) -> frozenset[str]:
    """The union of the scopes of `roles`; unknown roles grant nothing (deny by default)."""
    if isinstance(roles, str):
        raise TypeError("roles must be a collection of role names, not one string")
    granted: set[str] = set()
    for role in roles:
        granted |= table.get(role, frozenset())
    return frozenset(granted)


# --------------------------------------------------------------------------- principal


class PrincipalKind(StrEnum):
    STAFF = "staff"
    CITIZEN = "citizen"
    DEPARTMENT = "department"
    THIRD_PARTY = "third_party"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, from a verified token.

    `region_code`: 6-digit county or 12-digit town code; `None` for city-wide.
    `household_id`: the citizen's own household. `token_id`: the `jti`.
    `scopes`: effective scopes (token `scope` claim ∪ scopes of `roles`)."""

    subject: str
    kind: PrincipalKind
    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    region_code: str | None = None
    household_id: str | None = None
    client_id: str | None = None
    token_id: str | None = None
    session_id: str | None = None
    """The sign-in the token belongs to (`sid`): revoking it cuts every token of that sign-in."""

    @property
    def role_label(self) -> str | None:
        """The roles as one space-separated string (audit entries, logs); None without roles."""
        return " ".join(sorted(self.roles)) or None

    def missing_scopes(self, scopes: Iterable[str]) -> list[str]:
        return sorted(set(scopes) - self.scopes)


def require_scopes(principal: Principal, *scopes: str) -> None:
    """Raise `ScopeMissing` unless the principal holds every scope."""
    missing = principal.missing_scopes(scopes)
    if missing:
        raise ScopeMissing(missing)


# --------------------------------------------------------------------------- region scoping

_COUNTY_CODE = re.compile(r"^\d{6}$")
_TOWN_CODE = re.compile(r"^\d{12}$")


class AccessLevel(StrEnum):
    NONE = "none"
    HOUSEHOLD = "household"
    TOWN = "town"
    COUNTY = "county"
    CITY = "city"


@dataclass(frozen=True, slots=True)
class RegionScope:
    """What records a principal may see and change (see the module docstring)."""

    level: AccessLevel
    region_code: str | None = None
    household_id: str | None = None
    household_data: bool = True

    @classmethod
    def for_principal(cls, principal: Principal) -> RegionScope:
        if principal.kind is PrincipalKind.CITIZEN:
            if principal.household_id is None:
                return cls(AccessLevel.NONE)
            return cls(AccessLevel.HOUSEHOLD, household_id=principal.household_id)
        household_data = True
        if principal.kind is not PrincipalKind.STAFF:
            household_data = bool(principal.scopes & HOUSEHOLD_DATA_SCOPES)
        code = principal.region_code
        if code is None:
            if principal.kind is PrincipalKind.STAFF and not (principal.roles & CITY_WIDE_ROLES):
                return cls(AccessLevel.NONE)
            return cls(AccessLevel.CITY, household_data=household_data)
        if _TOWN_CODE.fullmatch(code):
            return cls(AccessLevel.TOWN, region_code=code, household_data=household_data)
        if _COUNTY_CODE.fullmatch(code):
            return cls(AccessLevel.COUNTY, region_code=code, household_data=household_data)
        return cls(AccessLevel.NONE)

    @property
    def region_prefix(self) -> str | None:
        """Prefix of the region codes a list may show: `""` city-wide, the county or town code,
        or `None` when lists cannot be filtered by region (households, nothing)."""
        if self.level is AccessLevel.CITY:
            return ""
        if self.level in (AccessLevel.COUNTY, AccessLevel.TOWN):
            return self.region_code
        return None

    def allows(self, *, region_code: str | None = None, household_id: str | None = None) -> bool:
        if self.level is AccessLevel.NONE:
            return False
        if self.level is AccessLevel.HOUSEHOLD:
            return household_id is not None and household_id == self.household_id
        if household_id is not None and not self.household_data:
            return False
        if self.level is AccessLevel.CITY:
            return True
        if region_code is None or self.region_code is None:
            return False
        if self.level is AccessLevel.COUNTY:
            return bool(_COUNTY_CODE.fullmatch(region_code) or _TOWN_CODE.fullmatch(region_code)) and (
                region_code[:6] == self.region_code
            )
        return region_code == self.region_code  # TOWN: the same 12-digit town code only


def can_access(principal: Principal, *, region_code: str | None = None, household_id: str | None = None) -> bool:
    """Whether `principal` may see or change a record of this region and household."""
    return RegionScope.for_principal(principal).allows(region_code=region_code, household_id=household_id)


def require_region(principal: Principal, region_code: str | None = None, household_id: str | None = None) -> None:
    """Raise `RegionNotAllowed` unless `can_access`."""
    if not can_access(principal, region_code=region_code, household_id=household_id):
        raise RegionNotAllowed()


# --------------------------------------------------------------------------- keys

ASYMMETRIC_ALGORITHMS: frozenset[str] = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)
DEFAULT_ALGORITHMS: tuple[str, ...] = ("ES256", "RS256", "EdDSA")

_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def load_jwks(document: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """The usable verification keys of a JWKS document, by `kid`.

    Skipped: entries without a `kid`, symmetric (`oct`) keys, keys not for signatures
    (`use` other than `sig`), keys of non-asymmetric algorithms and keys PyJWT cannot load.
    Private members are dropped. The first key of a duplicated `kid` wins."""
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise ValueError("a JWKS document needs a 'keys' list")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid or kid in keys:
            continue
        if entry.get("kty") == "oct" or entry.get("use", "sig") != "sig":
            continue
        public = {name: value for name, value in entry.items() if name not in _PRIVATE_JWK_MEMBERS}
        try:
            key = jwt.PyJWK(public)
        except (jwt.PyJWTError, ValueError, TypeError):
            logger.warning("JWKS key %s skipped: it cannot be loaded", kid)
            continue
        if key.algorithm_name not in ASYMMETRIC_ALGORITHMS:
            continue
        keys[kid] = key
    return keys


class KeySource(Protocol):
    """Where a verifier finds the public key a token's `kid` names."""

    async def get_key(self, kid: str) -> jwt.PyJWK | None: ...


class StaticKeySet:
    """A fixed JWKS (embedded and test modes). Two keys in it = a rotation in progress."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = load_jwks(jwks)
        if not self._keys:
            raise ValueError("the JWKS holds no usable signature key")

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    async def get_key(self, kid: str) -> jwt.PyJWK | None:
        return self._keys.get(kid)


class RemoteJwks:
    """The issuer's published JWKS, fetched with `http_get(url)` and cached by `kid`.

    - A cached key is served while the set is younger than `ttl_seconds`.
    - An unknown `kid`, or an expired set, triggers a refresh, but at most one attempt per
      `min_refresh_interval` seconds (successful or not): a flood of bogus kids costs the
      issuer one request per interval. Concurrent callers share one refresh.
    - A failed or empty fetch keeps the previous keys (stale keys beat an outage); a
      successful one replaces them (a key removed by the issuer stops verifying).

    `clock` is monotonic seconds (injectable for tests). Use one instance per event loop."""

    def __init__(
        self,
        url: str,
        http_get: Callable[[str], Awaitable[Mapping[str, Any]]],
        *,
        ttl_seconds: float = 300.0,
        min_refresh_interval: float = 30.0,
        fetch_timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0 or min_refresh_interval < 0 or fetch_timeout <= 0:
            raise ValueError("ttl_seconds and fetch_timeout must be positive, min_refresh_interval not negative")
        self.url = url
        self._http_get = http_get
        self._ttl = ttl_seconds
        self._min_interval = min_refresh_interval
        self._fetch_timeout = fetch_timeout
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def _fresh(self, now: float) -> bool:
        return self._fetched_at is not None and now - self._fetched_at < self._ttl

    def _may_refresh(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._min_interval

    async def get_key(self, kid: str) -> jwt.PyJWK | None:
        if kid in self._keys and self._fresh(self._clock()):
            return self._keys[kid]
        # Join a refresh in flight (a cold start under load must not 401 everyone but the
        # first caller); otherwise start one if the interval allows.
        if self._lock.locked() or self._may_refresh(self._clock()):
            async with self._lock:
                now = self._clock()  # re-check: another task may have refreshed meanwhile
                if not (kid in self._keys and self._fresh(now)) and self._may_refresh(now):
                    await self._refresh(now)
        return self._keys.get(kid)

    async def refresh(self) -> None:
        """Fetch the key set now (for example at startup), regardless of the interval."""
        async with self._lock:
            await self._refresh(self._clock())

    async def _refresh(self, now: float) -> None:
        self._attempted_at = now
        try:
            document = await asyncio.wait_for(self._http_get(self.url), timeout=self._fetch_timeout)
            keys = load_jwks(document)
        except Exception as exc:  # the issuer being down must not become a 500
            logger.warning("JWKS refresh from %s failed: %s", self.url, type(exc).__name__)
            return
        if not keys:
            logger.warning("JWKS from %s holds no usable key; keeping the previous keys", self.url)
            return
        self._keys = keys
        self._fetched_at = now


# --------------------------------------------------------------------------- verifier

MAX_TOKEN_LENGTH = 8192
_MAX_CLAIM_LENGTH = 256
_ACCEPTED_TYPES = frozenset({"jwt", "at+jwt", "application/at+jwt"})


def _is_time(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _short_str(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_CLAIM_LENGTH


VERIFIED_CACHE_SIZE = 4096
"""Tokens whose signature a verifier remembers (about 4 MB at most)."""


@dataclass(frozen=True, slots=True)
class _Verified:
    kid: str
    key: jwt.PyJWK
    claims: dict[str, Any]
    principal: Principal


class TokenVerifier:
    """Verifies bearer tokens of one issuer for one audience (see the module docstring).

    `is_revoked(principal)` is asked last, for otherwise valid tokens only (the issuer's deny-list:
    a revoked `jti`, or a disabled `subject`); if it fails the answer
    is `AuthenticationUnavailable` (fail closed). `clock` is wall-clock epoch seconds."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: KeySource,
        leeway_seconds: float = 30.0,
        algorithms: Collection[str] = DEFAULT_ALGORITHMS,
        is_revoked: Callable[[Principal], Awaitable[bool]] | None = None,
        role_scopes: Mapping[str, frozenset[str]] = ROLE_SCOPES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not issuer or not audience:
            raise ValueError("issuer and audience are required")
        allowed = frozenset(algorithms)
        if not allowed or not allowed <= ASYMMETRIC_ALGORITHMS:
            raise ValueError(
                f"algorithms must be asymmetric ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}); "
                f"refused: {', '.join(sorted(allowed - ASYMMETRIC_ALGORITHMS)) or 'none given'}"
            )
        if not 0 <= leeway_seconds <= 300:
            raise ValueError("leeway_seconds must be between 0 and 300")
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.leeway_seconds = leeway_seconds
        self.algorithms = allowed
        self._is_revoked = is_revoked
        self._role_scopes = role_scopes
        self._clock = clock
        self._jws = jwt.PyJWS()
        self._verified: dict[str, _Verified] = {}

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; otherwise `Unauthorized` with a reason.

        A token whose signature was checked is remembered (up to `VERIFIED_CACHE_SIZE` tokens):
        the same token again skips the signature (~0.1–0.5 ms of ES256) but nothing else: its
        key must still be the one the issuer publishes under its `kid` (a withdrawn key stops
        its tokens at once), the times are checked against the clock again and the deny-list
        is asked again."""
        if not isinstance(token, str) or not token.strip():
            raise Unauthorized(AuthFailure.MISSING)
        token = token.strip()
        if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise Unauthorized(AuthFailure.MALFORMED)
        known = self._verified.get(token)
        if known is not None and await self.keys.get_key(known.kid) is known.key:
            self._check_registered_claims(known.claims)
            principal = known.principal
        else:
            key, header = await self._key_for(token)
            claims = self._verified_claims(token, key, header["alg"])
            principal = self._principal(claims)
            self._remember(token, _Verified(header["kid"], key, claims, principal))
        await self._check_revocation(principal)
        return principal

    def _remember(self, token: str, verified: _Verified) -> None:
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest: tokens live minutes
        self._verified[token] = verified

    async def _key_for(self, token: str) -> tuple[jwt.PyJWK, dict[str, Any]]:
        try:
            header = self._jws.get_unverified_header(token)
        except (jwt.PyJWTError, ValueError, TypeError):
            raise Unauthorized(AuthFailure.MALFORMED) from None
        alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
        if not isinstance(alg, str) or "crit" in header:
            raise Unauthorized(AuthFailure.MALFORMED)
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in _ACCEPTED_TYPES):
            raise Unauthorized(AuthFailure.MALFORMED, "the token is not a JWT access token")
        if alg not in self.algorithms:
            raise Unauthorized(AuthFailure.BAD_SIGNATURE, "the signature algorithm is not accepted")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized(AuthFailure.UNKNOWN_KEY, "the token does not name its key (kid)")
        key = await self.keys.get_key(kid)
        if key is None:
            raise Unauthorized(AuthFailure.UNKNOWN_KEY)
        if key.algorithm_name != alg:
            raise Unauthorized(AuthFailure.BAD_SIGNATURE, "the algorithm does not match the key")
        return key, header

    def _verified_claims(self, token: str, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
        try:
            decoded = self._jws.decode_complete(token, key=key, algorithms=[alg])
            claims = json.loads(decoded["payload"])
        except jwt.InvalidSignatureError:
            raise Unauthorized(AuthFailure.BAD_SIGNATURE) from None
        except jwt.InvalidAlgorithmError:
            raise Unauthorized(AuthFailure.BAD_SIGNATURE, "the signature algorithm is not accepted") from None
        except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
            raise Unauthorized(AuthFailure.MALFORMED) from None
        if not isinstance(claims, dict):
            raise Unauthorized(AuthFailure.MALFORMED, "the token payload is not a JSON object")
        self._check_registered_claims(claims)
        return claims

    def _check_registered_claims(self, claims: dict[str, Any]) -> None:
        if claims.get("iss") != self.issuer:
            raise Unauthorized(AuthFailure.WRONG_ISSUER)
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud
        if not isinstance(audiences, list) or self.audience not in audiences:
            raise Unauthorized(AuthFailure.WRONG_AUDIENCE)
        for name in ("sub", "jti"):
            if not _short_str(claims.get(name)):
                raise Unauthorized(AuthFailure.CLAIMS_INVALID, f"claim {name!r} is missing or not a string")
        for name in ("exp", "iat"):
            if not _is_time(claims.get(name)):
                raise Unauthorized(AuthFailure.CLAIMS_INVALID, f"claim {name!r} is missing or not a number")
        nbf = claims.get("nbf")
        if nbf is not None and not _is_time(nbf):
            raise Unauthorized(AuthFailure.CLAIMS_INVALID, "claim 'nbf' is not a number")
        now, leeway = self._clock(), self.leeway_seconds
        if now >= claims["exp"] + leeway:
            raise Unauthorized(AuthFailure.EXPIRED)
        if nbf is not None and now + leeway < nbf:
            raise Unauthorized(AuthFailure.NOT_YET_VALID)
        if now + leeway < claims["iat"]:
            raise Unauthorized(AuthFailure.NOT_YET_VALID, "the token was issued in the future")

    def _principal(self, claims: dict[str, Any]) -> Principal:
        def invalid(detail: str) -> Unauthorized:
            return Unauthorized(AuthFailure.CLAIMS_INVALID, detail)

        kind_claim = claims.get("kind")
        if not isinstance(kind_claim, str) or kind_claim not in {k.value for k in PrincipalKind}:
            raise invalid("claim 'kind' must be one of staff, citizen, department, third_party")
        kind = PrincipalKind(kind_claim)
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise invalid("claim 'scope' must be a space-separated string")
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(_short_str(role) for role in roles):
            raise invalid("claim 'roles' must be a list of strings")
        region = claims.get("region")
        if region is not None and not (isinstance(region, str) and is_county_or_town_code(region)):
            raise invalid("claim 'region' must be a Guiyang county or town code")
        household_id = claims.get("household_id")
        if household_id is not None and not _short_str(household_id):
            raise invalid("claim 'household_id' must be a string")
        client_id = claims.get("client_id", claims.get("azp"))
        if client_id is not None and not _short_str(client_id):
            raise invalid("claim 'client_id' must be a string")
        session_id = claims.get("sid")
        if session_id is not None and not _short_str(session_id):
            raise invalid("claim 'sid' must be a string")
        return Principal(
            subject=claims["sub"],
            kind=kind,
            scopes=frozenset(scope.split()) | scopes_for_roles(roles, self._role_scopes),
            roles=frozenset(roles),
            region_code=region,
            household_id=household_id,
            client_id=client_id,
            token_id=claims["jti"],
            session_id=session_id,
        )

    async def _check_revocation(self, principal: Principal) -> None:
        if self._is_revoked is None:
            return
        try:
            revoked = await self._is_revoked(principal)
        except Exception as exc:  # fail closed, but as "try again", not as a 500
            logger.warning("token revocation check failed: %s", type(exc).__name__)
            raise AuthenticationUnavailable(
                "revocation_unavailable", "the token's revocation status cannot be checked"
            ) from None
        if revoked:
            raise Unauthorized(AuthFailure.REVOKED)


# --------------------------------------------------------------------------- route requirements

INFRASTRUCTURE_PATHS: frozenset[str] = frozenset(
    {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
"""Paths that need no declared requirement (health, metrics, API docs)."""

_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="Access token (JWT) of the platform issuer: `Authorization: Bearer <token>`",
)


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a route declared: the scopes it needs, or that it is public."""

    scopes: frozenset[str]
    public: bool = False


def bearer_token(request: Request) -> str | None:
    """The bearer token of the request, `None` without an `Authorization` header."""
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        return None
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized(AuthFailure.MALFORMED, "the Authorization header must use the Bearer scheme")
    if not credentials.strip():
        raise Unauthorized(AuthFailure.MISSING)
    return credentials.strip()


class _AuthDependency:
    """Base of the dependencies `requires` makes; `declared_requirement` looks for it."""

    __slots__ = ("requirement",)

    def __init__(self, requirement: Requirement) -> None:
        self.requirement = requirement

    def __repr__(self) -> str:
        if self.requirement.public:
            return "requires(public=True)"
        return f"requires({', '.join(repr(s) for s in sorted(self.requirement.scopes))})"

    async def _authenticate(self, request: Request, token: str) -> Principal:
        verifier = getattr(request.app.state, "token_verifier", None)
        if not isinstance(verifier, TokenVerifier):
            logger.error("no TokenVerifier on app.state.token_verifier: refusing the request")
            raise AuthenticationUnavailable("verifier_not_configured", "token verification is not configured")
        principal = await verifier.verify(token)
        request.state.principal = principal  # before the scope check: a refusal is audited with its actor
        require_scopes(principal, *self.requirement.scopes)
        return principal


class _RequireAuth(_AuthDependency):
    __slots__ = ()

    async def __call__(
        self,
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise Unauthorized(AuthFailure.MISSING)
        return await self._authenticate(request, token)


class _PublicAuth(_AuthDependency):
    __slots__ = ()

    async def __call__(self, request: Request) -> Principal | None:
        token = bearer_token(request)
        if token is None:
            return None
        return await self._authenticate(request, token)


def requires(*scopes: str, public: bool = False) -> params.Depends:
    """Declare (and enforce) what a route needs; see the module docstring.

        Caseworker = Annotated[Principal, requires("eligibility:applications:read")]

        @router.get("/x", dependencies=[requires(public=True)])

    At least one scope is required unless `public=True` (which takes no scopes)."""
    for scope in scopes:
        if not isinstance(scope, str) or not SCOPE_PATTERN.fullmatch(scope):
            raise ValueError(f"scope {scope!r} does not follow <service>:<resource>:<action>")
    if public and scopes:
        raise ValueError("a public route cannot require scopes")
    if not public and not scopes:
        raise ValueError("declare at least one scope, or public=True")
    requirement = Requirement(frozenset(scopes), public=public)
    dependency: _PublicAuth | _RequireAuth = _PublicAuth(requirement) if public else _RequireAuth(requirement)
    return params.Depends(dependency)


def _requirements(dependant: Any) -> Iterator[Requirement]:
    call = getattr(dependant, "call", None)
    if isinstance(call, _AuthDependency):
        yield call.requirement
    for sub in getattr(dependant, "dependencies", None) or ():
        yield from _requirements(sub)


def declared_requirement(route: object) -> Requirement | None:
    """The requirement declared anywhere in a route's dependency tree (route, router, include
    or nested dependencies); several merge: all their scopes, public only if all are public.

    `route` is an `APIRoute`/`APIWebSocketRoute` or a FastAPI route context (from
    `fastapi.routing.iter_route_contexts`, whose dependencies include those given to
    `include_router`)."""
    found = list(_requirements(getattr(route, "dependant", None)))
    if not found:
        return None
    if all(r.public for r in found):
        return Requirement(frozenset(), public=True)
    return Requirement(frozenset().union(*(r.scopes for r in found)), public=False)


def _route_views(routes: Sequence[BaseRoute]) -> Iterator[tuple[BaseRoute, Any]]:
    """(original route, effective view): routes of included routers are seen with their full
    path and every dependency added on the way (FastAPI includes routers lazily)."""
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    if iterate is None:  # FastAPI copying routes at include time: the route is its own view
        yield from ((route, route) for route in routes)
        return
    for context in iterate(routes):
        yield context.original_route, context


def _undeclared(routes: Sequence[BaseRoute], prefix: str, allow: Collection[str]) -> Iterator[str]:
    for original, view in _route_views(routes):
        local_path = str(getattr(view, "path", "") or "")
        path = prefix + local_path
        allowed = path in allow or local_path in allow  # infrastructure of a mounted app too
        if isinstance(original, APIRoute | APIWebSocketRoute):
            if allowed or declared_requirement(view) is not None:
                continue
            methods = sorted(view.methods or ()) if isinstance(original, APIRoute) else ["WEBSOCKET"]
            yield from (f"{method} {path}" for method in methods)
        elif isinstance(original, Mount | Host):
            sub_routes = view.routes
            if sub_routes:
                yield from _undeclared(sub_routes, path if isinstance(original, Mount) else prefix, allow)
            elif not allowed:
                yield f"MOUNT {path}"
        elif not allowed:
            methods = sorted(getattr(view, "methods", None) or ()) if isinstance(original, Route) else []
            yield from (f"{method} {path}" for method in methods or ["ANY"])


def undeclared_routes(app: FastAPI, *, allow: Collection[str] = INFRASTRUCTURE_PATHS) -> list[str]:
    """Every route (`"METHOD /path"`) of `app` without a declared requirement, except the
    paths in `allow` (matched against the full path and, inside a mounted app, its own path).
    Routes that cannot declare one (plain Starlette routes, mounted ASGI apps) are listed
    too: deny by default."""
    return sorted(set(_undeclared(app.router.routes, "", allow)))


def assert_all_declared(app: FastAPI, *, allow: Collection[str] = INFRASTRUCTURE_PATHS) -> None:
    """Raise `RuntimeError` if any route of `app` has no declared requirement."""
    missing = undeclared_routes(app, allow=allow)
    if missing:
        raise RuntimeError(f"routes without a declared access requirement: {', '.join(missing)}")


# --------------------------------------------------------------------------- published requirements

OPENAPI_SCOPES_KEY = "x-jiuzhu-scopes"
OPENAPI_PUBLIC_KEY = "x-jiuzhu-public"


def publish_requirements(app: FastAPI) -> None:
    """Write each route's declared requirement into its OpenAPI operation, so the gateway can
    enforce the same requirement before forwarding (the declaration stays in one place):

        "x-jiuzhu-scopes": ["eligibility:applications:read"], "x-jiuzhu-public": false

    Routes without a declaration get nothing (the gateway then only requires a valid token,
    and the service refuses them anyway). Done by wrapping `app.openapi`: FastAPI renders
    included routers from copies of their routes, so per-route `openapi_extra` set afterwards
    would not show."""
    declared: dict[tuple[str, str], Requirement] = {}
    for original, view in _route_views(app.router.routes):
        if not isinstance(original, APIRoute):
            continue
        requirement = declared_requirement(view)
        if requirement is None:
            continue
        path = str(getattr(view, "path_format", None) or getattr(view, "path", ""))
        for method in getattr(view, "methods", None) or original.methods or ():
            declared[(path, method.lower())] = requirement
    render = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = render()
        for (path, method), requirement in declared.items():
            operation = document.get("paths", {}).get(path, {}).get(method)
            if isinstance(operation, dict):
                operation[OPENAPI_SCOPES_KEY] = sorted(requirement.scopes)
                operation[OPENAPI_PUBLIC_KEY] = requirement.public
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def published_requirement(operation: Mapping[str, Any]) -> Requirement | None:
    """The requirement `publish_requirements` wrote into an OpenAPI operation, if any."""
    scopes = operation.get(OPENAPI_SCOPES_KEY)
    public = operation.get(OPENAPI_PUBLIC_KEY)
    if not isinstance(scopes, list) or not isinstance(public, bool):
        return None
    if not all(isinstance(scope, str) and SCOPE_PATTERN.fullmatch(scope) for scope in scopes):
        return None
    return Requirement(frozenset(scopes), public=public)


def default_town(principal: Principal, county_code: str, town_code: str | None) -> str | None:
    """The town a new record is placed in: the given one, else the town of a town-level caller
    working in that county (a town caseworker's records belong to their town), else none."""
    if town_code is not None:
        return town_code
    region = principal.region_code
    if region is not None and _TOWN_CODE.fullmatch(region) and region[:6] == county_code:
        return region
    return None
