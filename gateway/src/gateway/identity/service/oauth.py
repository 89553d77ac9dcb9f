"""Departments and third parties: OAuth2 client credentials (RFC 6749 §4.4) and the token
endpoint's errors (§5.2)."""

from __future__ import annotations

from gateway.identity.adapters.audit import entry
from gateway.identity.domain import rules
from gateway.identity.domain.model import ClientToken, TokenSubject
from gateway.identity.service.context import IdentityContext, audit_text
from gateway.identity.service.tokens import access_token
from jiuzhu_platform.errors import DomainError


class OAuthError(DomainError):
    """An RFC 6749 §5.2 error of the token endpoint (400): `reason` is the OAuth2 error code
    (`invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_scope`)."""

    def __init__(self, reason: str, message_en: str, message_zh: str) -> None:
        super().__init__(message_en, message_zh=message_zh, reason=reason)


class InvalidClient(OAuthError):
    """401 `invalid_client`: the client could not be authenticated."""

    status_code = 401
    reason = "invalid_client"

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(self.reason, message_en, message_zh)


class ClientCredentials:
    def __init__(self, context: IdentityContext) -> None:
        self.context = context

    async def issue_token(self, client_id: str, client_secret: str, scope: str | None) -> ClientToken:
        """An access token for an authenticated client, with the requested scopes (all granted
        ones when none are asked for). An unknown client costs a secret check like a known one."""
        ctx = self.context
        signer = await ctx.keys.signer()
        client = None
        if client_id.isprintable():  # no client id holds control characters (nor NUL, which databases refuse)
            async with ctx.database.transaction() as session:
                client = await ctx.repository(session).client(client_id[:64])
        usable = client if client is not None and not client.disabled else None
        if not await ctx.hasher.verify(usable.secret_hash if usable else None, client_secret) or usable is None:
            await ctx.audit.record(
                entry("authentication", "invalid_client", actor=audit_text(client_id) or None, actor_kind="third_party")
            )
            raise InvalidClient("client authentication failed", "客户端认证失败")
        granted = rules.requested_scopes(scope, usable.scopes)
        if granted is None:
            raise OAuthError(
                "invalid_scope",
                "the requested scope is not granted to this client",
                "请求的权限范围超出该客户端的授权",
            )
        now = ctx.clock()
        subject = TokenSubject(
            subject=usable.client_id,
            kind=usable.kind.value,
            roles=(usable.kind.value,),
            scopes=granted,
            region=usable.region,
            client_id=usable.client_id,
        )
        token = access_token(ctx.config, signer, subject, now)
        await ctx.audit.record(
            entry(
                "authentication",
                "success",
                actor=usable.client_id,
                actor_kind=usable.kind.value,
                region_code=usable.region,
                details={"method": "client_credentials", "scope": sorted(granted)},
            )
        )
        return ClientToken(token, ctx.config.access_ttl_seconds, " ".join(sorted(granted)))
