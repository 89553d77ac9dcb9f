"""Identity and access for every service (this package re-exports its modules' public names):
`errors` (refusals), `roles` (roles → scopes), `principal` (the caller, scopes and region
scoping), `keys` (JWKS), `verifier` (`TokenVerifier`), `routes` (declared requirements and
their OpenAPI publication).

Identity and access for every service: bearer-token verification, roles → scopes as data,
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
optional; `kind` (staff | citizen | department | third_party | service) is required; `scope` (OAuth2
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
and `pii:read_full`). `Scope` and `Role` (in `roles`) are the only places their names are
written; `ROLE_SCOPES` maps each role to its scopes as data (not branches in endpoints), and a
principal's effective scopes are the union of the token's `scope` claim and its roles' scopes
(both come from the signed token; unknown roles grant nothing). Every staff role also holds
`auth:password:change` (a user changes their own password).
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

from jiuzhu_platform.auth.errors import (
    PROTECTED,
    AuthenticationUnavailable,
    AuthFailure,
    RegionNotAllowed,
    ScopeMissing,
    Unauthorized,
)
from jiuzhu_platform.auth.keys import (
    ASYMMETRIC_ALGORITHMS,
    DEFAULT_ALGORITHMS,
    KeySource,
    RemoteJwks,
    StaticKeySet,
    load_jwks,
)
from jiuzhu_platform.auth.principal import (
    AccessLevel,
    Principal,
    PrincipalKind,
    RegionScope,
    can_access,
    default_town,
    require_region,
    require_scopes,
)
from jiuzhu_platform.auth.roles import (
    AGREEMENT_ONLY_SCOPES,
    ALL_SCOPES,
    CITY_WIDE_ROLES,
    HOUSEHOLD_DATA_SCOPES,
    PRIVILEGED_SCOPES,
    ROLE_SCOPES,
    SCOPE_PATTERN,
    SERVICE_SCOPES,
    STAFF_ROLES,
    Role,
    Scope,
    scopes_for_roles,
)
from jiuzhu_platform.auth.routes import (
    INFRASTRUCTURE_PATHS,
    OPENAPI_PUBLIC_KEY,
    OPENAPI_SCOPES_KEY,
    Requirement,
    assert_all_declared,
    bearer_token,
    declared_requirement,
    publish_requirements,
    published_requirement,
    requires,
    undeclared_routes,
)
from jiuzhu_platform.auth.verifier import MAX_TOKEN_LENGTH, VERIFIED_CACHE_SIZE, TokenVerifier

__all__ = [
    "AGREEMENT_ONLY_SCOPES",
    "ALL_SCOPES",
    "ASYMMETRIC_ALGORITHMS",
    "CITY_WIDE_ROLES",
    "DEFAULT_ALGORITHMS",
    "HOUSEHOLD_DATA_SCOPES",
    "INFRASTRUCTURE_PATHS",
    "MAX_TOKEN_LENGTH",
    "OPENAPI_PUBLIC_KEY",
    "OPENAPI_SCOPES_KEY",
    "PRIVILEGED_SCOPES",
    "PROTECTED",
    "ROLE_SCOPES",
    "SCOPE_PATTERN",
    "SERVICE_SCOPES",
    "STAFF_ROLES",
    "VERIFIED_CACHE_SIZE",
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
    "Role",
    "Scope",
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
