"""What the gateway's lifespan builds, typed: the gateway's counterpart of the services'
`jiuzhu_platform.runtime.Runtime`, instead of an untyped bag of `app.state` attributes.

`app.state.runtime` holds a `GatewayRuntime` once the lifespan has started;
`app.state.token_verifier` stays where the platform's scope dependencies look for it
(`jiuzhu_platform.auth.routes`), and is the same object as `runtime.token_verifier`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jiuzhu_platform.errors import Unavailable

if TYPE_CHECKING:
    from fastapi import FastAPI

    from gateway.auth import Authenticator
    from gateway.identity.adapters.audit import AuditLog
    from gateway.identity.adapters.clients import CodeSender, RealNameVerifier
    from gateway.identity.service import IdentityService
    from gateway.identity.signatures import RequestSignatures
    from gateway.limits import TokenBucketLimiter
    from gateway.proxy import Proxy
    from gateway.requirements import RequirementCatalog
    from jiuzhu_platform.auth import TokenVerifier
    from jiuzhu_platform.db import Database


@dataclass(slots=True)
class GatewayRuntime:
    """The started gateway. `database`, `audit` and `signatures` exist when the gateway has a
    database; `identity` in issuer mode (it holds the signing keys: `identity.context.keys`)."""

    proxy: Proxy
    limiter: TokenBucketLimiter
    client_limiter: TokenBucketLimiter
    requirements: RequirementCatalog
    token_verifier: TokenVerifier
    authenticator: Authenticator
    code_sender: CodeSender
    real_name_verifier: RealNameVerifier
    database: Database | None = None
    audit: AuditLog | None = None
    signatures: RequestSignatures | None = None
    identity: IdentityService | None = None


def runtime_of(app: FastAPI) -> GatewayRuntime:
    """The started gateway's runtime; 503 while it starts (or after it stopped)."""
    runtime: GatewayRuntime | None = getattr(app.state, "runtime", None)
    if runtime is None:
        raise Unavailable("the gateway is starting", message_zh="网关正在启动")
    return runtime
