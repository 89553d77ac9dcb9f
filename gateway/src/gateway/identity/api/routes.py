"""The gateway's own endpoints: discovery, sign-in, tokens, administration and its audit log.
Thin: parse, call the caller's use case (`IdentityService.staff`, `.citizens`, `.sessions`,
`.clients`, `.admin`), shape the answer. Never proxied."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from gateway.auth import bearer_token
from gateway.identity.adapters.audit import AuditLog, entry
from gateway.identity.api import schemas
from gateway.identity.domain.errors import BindingNotFound, RefreshTokenInvalid, RefreshTokenReused
from gateway.identity.domain.model import ClientKind, NewClient, NewStaffUser
from gateway.identity.keys import SigningKeys
from gateway.identity.service import IdentityService
from gateway.identity.service.admin import Actor
from gateway.identity.service.oauth import InvalidClient, OAuthError
from gateway.identity.service.tokens import BIND_SCOPE
from gateway.runtime import runtime_of
from gateway.settings import Settings, is_issuer_url
from jiuzhu_platform.access import AuditPage, audit_page
from jiuzhu_platform.auth import ALL_SCOPES, PRIVILEGED_SCOPES, Principal, Unauthorized, requires
from jiuzhu_platform.errors import BadRequest
from jiuzhu_platform.http_errors import error_response, refusals
from jiuzhu_platform.params import AfterSeq, CleanText, limit_query, within_range

TOKEN_FORM_LIMIT = 8192

USERS_WRITE = "auth:users:write"
CLIENTS_WRITE = "auth:clients:write"
KEYS_ROTATE = "auth:keys:rotate"
AUDIT_READ = "audit:read"


def _identity(request: Request) -> IdentityService:
    identity = runtime_of(request.app).identity
    assert identity is not None, "these routes exist in issuer mode only"
    return identity


def _keys(request: Request) -> SigningKeys:
    return _identity(request).context.keys


def _audit(request: Request) -> AuditLog:
    audit = runtime_of(request.app).audit
    assert audit is not None, "the audit routes exist with the gateway database only"
    return audit


async def _identity_dependency(request: Request) -> IdentityService:
    return _identity(request)


async def _audit_dependency(request: Request) -> AuditLog:
    return _audit(request)


# Async dependencies: FastAPI runs a plain `def` dependency in the thread pool on every request.
IdentityDep = Annotated[IdentityService, Depends(_identity_dependency)]
AuditDep = Annotated[AuditLog, Depends(_audit_dependency)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _pair(pair: Any) -> schemas.TokenResponse:
    return schemas.TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_in=pair.refresh_expires_in,
    )


NO_CACHE = {"Pragma": "no-cache"}


def discovery_router(settings: Settings) -> APIRouter:
    router = APIRouter(tags=["identity"])

    @router.get("/.well-known/jwks.json", summary="Public keys of the token issuer (JWKS)")
    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(await _keys(request).jwks(), headers={"Cache-Control": "public, max-age=60"})

    @router.get("/.well-known/openid-configuration", summary="Issuer discovery document")
    async def openid_configuration(request: Request) -> dict[str, Any]:
        # The issuer URL is where discovery lives (OpenID Connect Discovery §4); without one, the
        # configured public base URL or this request's.
        base = str(
            settings.issuer if is_issuer_url(settings.issuer) else (settings.public_base_url or request.base_url)
        ).rstrip("/")
        return {
            "issuer": settings.issuer,
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "token_endpoint": f"{base}/v1/auth/token",
            "grant_types_supported": ["client_credentials", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "scopes_supported": sorted(ALL_SCOPES - PRIVILEGED_SCOPES),
        }

    return router


def identity_router() -> APIRouter:
    router = APIRouter(prefix="/v1/auth", tags=["identity"])

    @router.post("/login", summary="Staff sign-in (username, password, TOTP when enrolled)")
    async def login(body: schemas.StaffLogin, request: Request, identity: IdentityDep) -> JSONResponse:
        pair = await identity.staff.login(body.username, body.password, body.totp, ip=client_ip(request))
        return JSONResponse(_pair(pair).model_dump(), headers=NO_CACHE)

    @router.post("/citizen/code", status_code=202, summary="Send a sign-in code to a citizen's phone")
    async def citizen_code(body: schemas.CitizenCodeRequest, request: Request, identity: IdentityDep) -> Response:
        await identity.citizens.request_code(body.phone, ip=client_ip(request))
        return Response(status_code=202)

    @router.post("/citizen/login", summary="Citizen sign-in with the phone and the code")
    async def citizen_login(body: schemas.CitizenLogin, request: Request, identity: IdentityDep) -> JSONResponse:
        pair = await identity.citizens.login(body.phone, body.code, ip=client_ip(request))
        return JSONResponse(_pair(pair).model_dump(), headers=NO_CACHE)

    @router.post("/citizen/bind", summary="Real-name binding: name and resident ID → household")
    async def citizen_bind(
        body: schemas.CitizenBind,
        identity: IdentityDep,
        principal: Annotated[Principal, requires(BIND_SCOPE)],
    ) -> JSONResponse:
        pair = await identity.citizens.bind(principal, body.name, body.resident_id)
        return JSONResponse(_pair(pair).model_dump(), headers=NO_CACHE)

    @router.post("/refresh", summary="Rotate a refresh token into a new token pair")
    async def refresh(body: schemas.RefreshRequest, identity: IdentityDep) -> JSONResponse:
        pair = await identity.sessions.refresh(body.refresh_token)
        return JSONResponse(_pair(pair).model_dump(), headers=NO_CACHE)

    @router.post("/logout", status_code=204, summary="Revoke the refresh token (and the bearer access token)")
    async def logout(body: schemas.LogoutRequest, request: Request, identity: IdentityDep) -> Response:
        access = await _optional_principal(request)
        await identity.sessions.logout(body.refresh_token, access)
        return Response(status_code=204)

    @router.post("/token", summary="OAuth2 token endpoint (client_credentials, refresh_token)")
    async def token(request: Request, identity: IdentityDep) -> JSONResponse:
        try:
            return await _token(request, identity)
        except OAuthError as exc:
            # RFC 6749 §5.2: the body's `error` is the OAuth2 code (and so is our `reason`)
            headers = {"WWW-Authenticate": 'Basic realm="jiuzhu"'} if exc.status_code == 401 else {}
            return error_response(
                exc.status_code,
                exc.reason,
                exc.detail,
                reason=exc.reason,
                message_zh=exc.message_zh,
                headers={**headers, **NO_CACHE},
            )

    @router.post("/users", status_code=201, response_model=schemas.UserRead, summary="Create a staff user")
    async def create_user(
        body: schemas.UserCreate, identity: IdentityDep, principal: Annotated[Principal, requires(USERS_WRITE)]
    ) -> schemas.UserRead:
        user = await identity.admin.create_user(
            NewStaffUser(body.username, body.password, tuple(body.roles), body.display_name, body.region),
            actor=Actor.of(principal),
        )
        return schemas.UserRead(
            user_id=user.user_id,
            username=user.username,
            display_name=user.display_name,
            roles=list(user.roles),
            region=user.region,
            totp_enrolled=user.totp_enrolled,
        )

    @router.post(
        "/users/{username}/totp",
        status_code=201,
        response_model=schemas.TotpEnrolment,
        summary="Enrol TOTP for a staff user (the URI is shown once)",
    )
    async def enrol_totp(
        username: str, identity: IdentityDep, principal: Annotated[Principal, requires(USERS_WRITE)]
    ) -> JSONResponse:
        uri = await identity.admin.enrol_totp(username, actor=Actor.of(principal))
        return JSONResponse(schemas.TotpEnrolment(otpauth_uri=uri).model_dump(), status_code=201, headers=NO_CACHE)

    @router.post(
        "/clients",
        status_code=201,
        response_model=schemas.ClientCreated,
        summary="Register a department or third-party client (the secret is shown once)",
    )
    async def register_client(
        body: schemas.ClientCreate, identity: IdentityDep, principal: Annotated[Principal, requires(CLIENTS_WRITE)]
    ) -> JSONResponse:
        client = await identity.admin.register_client(
            NewClient(body.name, ClientKind(body.kind), tuple(body.scopes), body.region, body.signing_public_key),
            actor=Actor.of(principal),
        )
        created = schemas.ClientCreated(
            client_id=client.client_id,
            client_secret=client.client_secret,
            name=client.name,
            kind=client.kind.value,
            scopes=list(client.scopes),
            region=client.region,
        )
        return JSONResponse(created.model_dump(), status_code=201, headers=NO_CACHE)

    @router.post(
        "/password",
        status_code=204,
        summary="Change your own password (staff); every sign-in of yours ends, sign in again",
    )
    async def change_password(
        body: schemas.PasswordChange,
        request: Request,
        identity: IdentityDep,
        principal: Annotated[Principal, requires("auth:password:change")],
    ) -> Response:
        await identity.staff.change_password(principal, body.current_password, body.new_password, ip=client_ip(request))
        return Response(status_code=204)

    @router.post(
        "/users/{username}/disable",
        status_code=204,
        summary="Disable a staff user (no sign-in; their tokens are refused at once)",
    )
    async def disable_user(
        username: Annotated[str, Path(max_length=64)],
        identity: IdentityDep,
        principal: Annotated[Principal, requires(USERS_WRITE)],
    ) -> Response:
        await identity.admin.disable_user(username, actor=Actor.of(principal))
        return Response(status_code=204)

    @router.post(
        "/citizen-bindings/release",
        status_code=204,
        summary="End the real-name binding of the account holding a resident ID (so it can bind again)",
        description="For a person who changed phone numbers or whose ID was bound by another account: "
        "the account stays, unbound, and every sign-in it has ends at once. Audited with the reason code.",
        responses=refusals(BindingNotFound),
    )
    async def release_binding(
        body: schemas.BindingRelease,
        identity: IdentityDep,
        principal: Annotated[Principal, requires(USERS_WRITE)],
    ) -> Response:
        await identity.admin.release_binding(body.resident_id, body.reason, actor=Actor.of(principal))
        return Response(status_code=204)

    @router.post(
        "/clients/{client_id}/disable",
        status_code=204,
        summary="Disable a department or third-party client (an agreement ended)",
    )
    async def disable_client(
        client_id: Annotated[str, Path(max_length=100)],
        identity: IdentityDep,
        principal: Annotated[Principal, requires(CLIENTS_WRITE)],
    ) -> Response:
        await identity.admin.disable_client(client_id, actor=Actor.of(principal))
        return Response(status_code=204)

    @router.post("/keys/rotate", response_model=schemas.KeyRotated, summary="Rotate the token signing key")
    async def rotate_keys(
        identity: IdentityDep, principal: Annotated[Principal, requires(KEYS_ROTATE)]
    ) -> schemas.KeyRotated:
        kid = await identity.admin.rotate_keys(actor=Actor.of(principal))
        return schemas.KeyRotated(kid=kid, published=list(identity.context.keys.key_ids))

    return router


def audit_router() -> APIRouter:
    router = APIRouter(prefix="/v1/auth", tags=["identity"])

    @router.get("/audit", response_model=AuditPage, summary="The gateway's audit trail (auditors)")
    async def audit_log(
        audit: AuditDep,
        principal: Annotated[Principal, requires(AUDIT_READ)],
        limit: Annotated[int, limit_query(le=1000)] = 100,
        after_seq: AfterSeq = None,
        actor: Annotated[CleanText | None, Query(max_length=200)] = None,
        kind: Annotated[CleanText | None, Query(max_length=50)] = None,
        since: Annotated[datetime, AfterValidator(within_range)] | None = None,
        until: Annotated[datetime, AfterValidator(within_range)] | None = None,
    ) -> AuditPage:
        for instant in (since, until):
            if instant is not None and instant.tzinfo is None:
                raise _naive_instant()
        records = await audit.page(limit=limit, after_seq=after_seq, actor=actor, kind=kind, since=since, until=until)
        await audit.record(
            entry(
                "audit_read",
                "success",
                actor=principal.subject,
                actor_kind=principal.kind.value,
                role=principal.role_label,
                region_code=principal.region_code,
                route="/v1/auth/audit",
                method="GET",
                details={"count": len(records)},
            )
        )
        return audit_page(records, limit)

    return router


def _naive_instant() -> Exception:
    return BadRequest("since and until need a time zone (e.g. 2026-01-01T00:00:00Z)", message_zh="时间须带时区")


async def _optional_principal(request: Request) -> Principal | None:
    """The bearer's principal when a valid token is sent; None otherwise (logout must work
    even with an expired access token)."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return None
    verifier = runtime.token_verifier
    try:
        token = bearer_token(request)
        return None if token is None else await verifier.verify(token)
    except Unauthorized:
        return None


# --------------------------------------------------------------------------- the token endpoint


def _oauth(code: str, message_en: str, message_zh: str) -> OAuthError:
    if code == InvalidClient.reason:
        return InvalidClient(message_en, message_zh)
    return OAuthError(code, message_en, message_zh)


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise _oauth("invalid_request", "the body must be application/x-www-form-urlencoded", "请求体须为表单编码格式")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > TOKEN_FORM_LIMIT:
            raise _oauth("invalid_request", "the request body is too large", "请求体过大")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        raise _oauth("invalid_request", "the form cannot be parsed", "表单无法解析") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise _oauth("invalid_request", f"parameter {name!r} is repeated", f"参数 {name!r} 重复")
        form[name] = value
    return form


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _oauth("invalid_client", "client authentication must use HTTP Basic", "客户端认证须使用HTTP Basic")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _oauth("invalid_client", "malformed Basic credentials", "Basic认证信息格式错误") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise _oauth("invalid_client", "malformed Basic credentials", "Basic认证信息格式错误")
    return unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 §2.3.1: form-urlencoded first


async def _token(request: Request, identity: IdentityService) -> JSONResponse:
    identity.context.throttle.ip.check(client_ip(request))
    form = await _form(request)
    grant_type = form.get("grant_type")
    if grant_type == "refresh_token":
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            raise _oauth("invalid_request", "refresh_token is required", "缺少refresh_token参数")
        try:
            pair = await identity.sessions.refresh(refresh_token)
        except (RefreshTokenInvalid, RefreshTokenReused) as exc:
            raise _oauth("invalid_grant", exc.detail, exc.message_zh or "刷新令牌无效") from None
        return JSONResponse({**_pair(pair).model_dump()}, headers=NO_CACHE)
    if grant_type != "client_credentials":
        raise _oauth(
            "unsupported_grant_type",
            "grant_type must be client_credentials or refresh_token",
            "grant_type 须为 client_credentials 或 refresh_token",
        )
    basic = _basic_credentials(request)
    posted = (form.get("client_id"), form.get("client_secret"))
    if basic is not None and any(posted):
        raise _oauth("invalid_request", "use one client authentication method", "只能使用一种客户端认证方式")
    client_id, client_secret = basic if basic is not None else posted
    if not client_id or not client_secret:
        raise _oauth("invalid_client", "client authentication is required", "缺少客户端认证信息")
    issued = await identity.clients.issue_token(client_id, client_secret, form.get("scope"))
    body = schemas.ClientTokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
    )
    return JSONResponse(body.model_dump(), headers=NO_CACHE)
