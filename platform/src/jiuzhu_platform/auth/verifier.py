"""`TokenVerifier`: a bearer token in, a `Principal` out (see the package docstring)."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from jiuzhu_platform.auth.errors import AuthenticationUnavailable, AuthFailure, Unauthorized
from jiuzhu_platform.auth.keys import ASYMMETRIC_ALGORITHMS, DEFAULT_ALGORITHMS, KeySource
from jiuzhu_platform.auth.principal import Principal, PrincipalKind
from jiuzhu_platform.auth.roles import ROLE_SCOPES, scopes_for_roles
from shared.types import is_county_or_town_code

logger = logging.getLogger(__name__)


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
            raise invalid("claim 'kind' must be one of staff, citizen, department, third_party, service")
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
            issued_at=float(claims["iat"]),
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
