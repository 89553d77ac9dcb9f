"""Token verification, roles → scopes, region scoping and declared route requirements
(jiuzhu_platform.auth)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from jiuzhu_platform.auth import (
    AGREEMENT_ONLY_SCOPES,
    ALL_SCOPES,
    CITY_WIDE_ROLES,
    PRIVILEGED_SCOPES,
    ROLE_SCOPES,
    SCOPE_PATTERN,
    SERVICE_SCOPES,
    AccessLevel,
    AuthenticationUnavailable,
    AuthFailure,
    Principal,
    PrincipalKind,
    RegionScope,
    RemoteJwks,
    Requirement,
    ScopeMissing,
    StaticKeySet,
    TokenVerifier,
    Unauthorized,
    assert_all_declared,
    can_access,
    declared_requirement,
    load_jwks,
    require_region,
    require_scopes,
    requires,
    scopes_for_roles,
    undeclared_routes,
)
from jiuzhu_platform.auth import verifier as verifier_module
from jiuzhu_platform.errors import Forbidden
from jiuzhu_platform.http_errors import register_exception_handlers

ISSUER = "https://gateway.jiuzhu.test"
AUDIENCE = "eligibility"
NOW = 1_750_000_000.0
LEEWAY = 30

NANMING = "520102"
NANMING_TOWN = "520102001000"
NANMING_OTHER_TOWN = "520102002000"
YUNYAN = "520103"
YUNYAN_TOWN = "520103001000"

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    private: PrivateKey

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            data = ECAlgorithm.to_jwk(public, as_dict=True)
        elif isinstance(public, ed25519.Ed25519PublicKey):
            data = OKPAlgorithm.to_jwk(public, as_dict=True)
        else:
            data = RSAAlgorithm.to_jwk(public, as_dict=True)
        return {**data, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def jwks(*keys: SigningKey) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}


@pytest.fixture(scope="module")
def es_key() -> SigningKey:
    return SigningKey("es-1", "ES256", ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="module")
def es_key_2() -> SigningKey:
    return SigningKey("es-2", "ES256", ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="module")
def ed_key() -> SigningKey:
    return SigningKey("ed-1", "EdDSA", ed25519.Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey("rs-1", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims of a town caseworker; `None` removes a claim."""
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "staff-0001",
        "iat": int(NOW) - 10,
        "exp": int(NOW) + 300,
        "jti": str(uuid.uuid4()),
        "kind": "staff",
        "roles": ["town_caseworker"],
        "region": NANMING_TOWN,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: SigningKey, payload: dict[str, Any] | None = None, *, kid: str | None = "", **headers: Any) -> str:
    """A token signed by `key`, naming `kid` (default: the key's own; `None`: no kid)."""
    header = {**headers}
    if kid is not None:
        header["kid"] = kid or key.kid
    body = json.dumps(payload if payload is not None else claims()).encode()
    return jwt.PyJWS().encode(body, key.private, algorithm=key.alg, headers={"typ": "JWT", **header})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_token(header: dict[str, Any], payload: Any, signature: bytes = b"") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{b64(signature)}"


def verifier(*keys: SigningKey, **options: Any) -> TokenVerifier:
    options.setdefault("leeway_seconds", LEEWAY)
    options.setdefault("clock", lambda: NOW)
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=StaticKeySet(jwks(*keys)), **options)


async def failure(v: TokenVerifier, token: str) -> AuthFailure:
    with pytest.raises(Unauthorized) as caught:
        await v.verify(token)
    assert caught.value.status_code == 401
    assert caught.value.reason in set(AuthFailure)
    assert caught.value.message_zh
    return caught.value.reason


# --------------------------------------------------------------------------- verification


class TestVerify:
    @pytest.mark.parametrize("key_name", ["es_key", "ed_key", "rsa_key"])
    async def test_valid_token_gives_the_principal(self, key_name: str, request: pytest.FixtureRequest) -> None:
        key: SigningKey = request.getfixturevalue(key_name)
        token = sign(key, claims(jti="t-1", scope="audit:read openid", client_id="portal"))
        principal = await verifier(key).verify(token)
        assert principal == Principal(
            subject="staff-0001",
            kind=PrincipalKind.STAFF,
            scopes=ROLE_SCOPES["town_caseworker"] | {"audit:read", "openid"},
            roles=frozenset({"town_caseworker"}),
            region_code=NANMING_TOWN,
            household_id=None,
            client_id="portal",
            token_id="t-1",
            issued_at=float(int(NOW) - 10),
        )

    async def test_citizen_claims_and_oidc_style_fields(self, es_key: SigningKey) -> None:
        payload = claims(
            kind="citizen", roles=["citizen"], region=None, household_id="hh-42", azp="wechat", aud=["x", AUDIENCE]
        )
        principal = await verifier(es_key).verify(sign(es_key, payload))
        assert principal.kind is PrincipalKind.CITIZEN
        assert principal.household_id == "hh-42"
        assert principal.client_id == "wechat"
        assert principal.scopes == ROLE_SCOPES["citizen"]

    async def test_two_keys_in_a_static_set_both_verify(self, es_key: SigningKey, ed_key: SigningKey) -> None:
        v = verifier(es_key, ed_key)
        assert (await v.verify(sign(es_key))).subject == "staff-0001"
        assert (await v.verify(sign(ed_key))).subject == "staff-0001"

    @pytest.mark.parametrize("token", ["", "   "])
    async def test_missing(self, es_key: SigningKey, token: str) -> None:
        assert await failure(verifier(es_key), token) is AuthFailure.MISSING

    @pytest.mark.parametrize(
        "token",
        [
            "abc",
            "a.b",
            "a.b.c",
            "!!!.###.$$$",
            "eyJhbGciOiJFUzI1NiJ9",
            b64(b"not json") + "." + b64(b"{}") + ".",
            b64(b"[1, 2]") + "." + b64(b"{}") + ".",
            "ééé.ééé.ééé",
            "a" * 10_000,
        ],
    )
    async def test_malformed(self, es_key: SigningKey, token: str) -> None:
        assert await failure(verifier(es_key), token) is AuthFailure.MALFORMED

    async def test_payload_that_is_not_an_object_is_malformed(self, es_key: SigningKey) -> None:
        token = jwt.PyJWS().encode(b"[1, 2]", es_key.private, algorithm="ES256", headers={"kid": es_key.kid})
        assert await failure(verifier(es_key), token) is AuthFailure.MALFORMED

    @pytest.mark.parametrize("header", [{"typ": "JOSE+JSON"}, {"crit": ["exp"]}])
    async def test_unexpected_headers_are_malformed(self, es_key: SigningKey, header: dict[str, Any]) -> None:
        assert await failure(verifier(es_key), sign(es_key, **header)) is AuthFailure.MALFORMED

    async def test_at_jwt_type_is_accepted(self, es_key: SigningKey) -> None:
        assert (await verifier(es_key).verify(sign(es_key, typ="at+jwt"))).subject == "staff-0001"

    @pytest.mark.parametrize(("offset", "valid"), [(-LEEWAY + 1, True), (-LEEWAY, False), (-3600, False)])
    async def test_expiry_with_leeway_edge(self, es_key: SigningKey, offset: int, valid: bool) -> None:
        token = sign(es_key, claims(iat=int(NOW) - 4000, exp=int(NOW) + offset))
        if valid:
            assert (await verifier(es_key).verify(token)).subject == "staff-0001"
        else:
            assert await failure(verifier(es_key), token) is AuthFailure.EXPIRED

    async def test_no_leeway_means_expired_at_exp(self, es_key: SigningKey) -> None:
        token = sign(es_key, claims(exp=int(NOW)))
        assert await failure(verifier(es_key, leeway_seconds=0), token) is AuthFailure.EXPIRED

    @pytest.mark.parametrize(("offset", "valid"), [(LEEWAY, True), (LEEWAY + 1, False), (3600, False)])
    async def test_not_before_in_the_future(self, es_key: SigningKey, offset: int, valid: bool) -> None:
        token = sign(es_key, claims(nbf=int(NOW) + offset))
        if valid:
            assert (await verifier(es_key).verify(token)).subject == "staff-0001"
        else:
            assert await failure(verifier(es_key), token) is AuthFailure.NOT_YET_VALID

    async def test_issued_in_the_future(self, es_key: SigningKey) -> None:
        token = sign(es_key, claims(iat=int(NOW) + LEEWAY + 60))
        assert await failure(verifier(es_key), token) is AuthFailure.NOT_YET_VALID

    async def test_signed_by_another_key_with_the_same_kid(self, es_key: SigningKey, es_key_2: SigningKey) -> None:
        token = sign(es_key_2, kid=es_key.kid)
        assert await failure(verifier(es_key), token) is AuthFailure.BAD_SIGNATURE

    async def test_tampered_payload(self, es_key: SigningKey) -> None:
        header, _, signature = sign(es_key).split(".")
        forged = b64(json.dumps(claims(roles=["city_admin"], region=None)).encode())
        assert await failure(verifier(es_key), f"{header}.{forged}.{signature}") is AuthFailure.BAD_SIGNATURE

    async def test_stripped_signature(self, es_key: SigningKey) -> None:
        header, payload, _ = sign(es_key).split(".")
        assert await failure(verifier(es_key), f"{header}.{payload}.") is AuthFailure.BAD_SIGNATURE

    async def test_alg_none(self, es_key: SigningKey) -> None:
        token = jwt.encode(claims(), "", algorithm="none", headers={"kid": es_key.kid})
        assert await failure(verifier(es_key), token) is AuthFailure.BAD_SIGNATURE
        for alg in ("None", "NONE", ""):
            token = raw_token({"alg": alg, "kid": es_key.kid, "typ": "JWT"}, claims())
            assert await failure(verifier(es_key), token) in (AuthFailure.BAD_SIGNATURE, AuthFailure.MALFORMED)

    @pytest.mark.parametrize("key_name", ["es_key", "rsa_key", "ed_key"])
    async def test_hs256_signed_with_the_public_key_is_refused(
        self, key_name: str, request: pytest.FixtureRequest
    ) -> None:
        """Algorithm confusion: an HMAC over the token keyed with the (public) PEM or JWK."""
        key: SigningKey = request.getfixturevalue(key_name)
        v = verifier(key)
        for secret in (key.public_pem(), json.dumps(key.jwk()).encode()):
            for alg, digest in (("HS256", hashlib.sha256), ("HS512", hashlib.sha512)):
                header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
                signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims()).encode())}"
                mac = hmac.new(secret, signing_input.encode(), digest).digest()
                assert await failure(v, f"{signing_input}.{b64(mac)}") is AuthFailure.BAD_SIGNATURE

    async def test_algorithm_must_match_the_key_of_the_kid(self, es_key: SigningKey, ed_key: SigningKey) -> None:
        """A valid ES256 signature naming the EdDSA key's kid is refused (the key fixes the alg)."""
        v = verifier(es_key, ed_key)
        assert await failure(v, sign(es_key, kid=ed_key.kid)) is AuthFailure.BAD_SIGNATURE

    async def test_allowed_algorithms_narrow_what_is_accepted(self, es_key: SigningKey, ed_key: SigningKey) -> None:
        v = verifier(es_key, ed_key, algorithms=["EdDSA"])
        assert await failure(v, sign(es_key)) is AuthFailure.BAD_SIGNATURE
        assert (await v.verify(sign(ed_key))).subject == "staff-0001"

    @pytest.mark.parametrize("algorithms", [["HS256"], ["ES256", "HS256"], ["none"], []])
    def test_symmetric_or_none_algorithms_cannot_be_configured(self, es_key: SigningKey, algorithms: list[str]) -> None:
        with pytest.raises(ValueError, match="algorithms"):
            verifier(es_key, algorithms=algorithms)

    @pytest.mark.parametrize("issuer", ["https://evil.test", "", None, 42])
    async def test_wrong_issuer(self, es_key: SigningKey, issuer: Any) -> None:
        payload = claims(iss=issuer) if issuer is not None else claims(iss=None)
        assert await failure(verifier(es_key), sign(es_key, payload)) is AuthFailure.WRONG_ISSUER

    @pytest.mark.parametrize("audience", ["payment", ["payment", "monitoring"], [], 42, {"a": 1}, None])
    async def test_wrong_audience(self, es_key: SigningKey, audience: Any) -> None:
        payload = claims(aud=audience) if audience is not None else claims(aud=None)
        assert await failure(verifier(es_key), sign(es_key, payload)) is AuthFailure.WRONG_AUDIENCE

    @pytest.mark.parametrize(
        "broken",
        [
            {"sub": None},
            {"jti": None},
            {"exp": None},
            {"iat": None},
            {"sub": 123},
            {"sub": ""},
            {"jti": 7},
            {"exp": "soon"},
            {"exp": True},
            {"iat": [1]},
            {"nbf": "later"},
            {"kind": None},
            {"kind": "robot"},
            {"kind": ["staff"]},
            {"scope": ["audit:read"]},
            {"roles": "city_admin"},
            {"roles": [1]},
            {"region": "999999"},
            {"region": "520100"},
            {"region": "5201020010"},
            {"region": "520102000000"},
            {"region": 520102},
            {"household_id": 42},
            {"client_id": {"id": 1}},
        ],
    )
    async def test_missing_or_invalid_claims(self, es_key: SigningKey, broken: dict[str, Any]) -> None:
        payload = claims()
        for name, value in broken.items():
            if value is None:
                payload.pop(name)
            else:
                payload[name] = value
        assert await failure(verifier(es_key), sign(es_key, payload)) is AuthFailure.CLAIMS_INVALID

    async def test_unknown_kid_and_missing_kid(self, es_key: SigningKey, es_key_2: SigningKey) -> None:
        assert await failure(verifier(es_key), sign(es_key_2)) is AuthFailure.UNKNOWN_KEY
        assert await failure(verifier(es_key), sign(es_key, kid=None)) is AuthFailure.UNKNOWN_KEY

    async def test_revoked_jti(self, es_key: SigningKey) -> None:
        asked: list[str] = []

        async def is_revoked(principal: Principal) -> bool:
            assert principal.token_id is not None
            asked.append(principal.token_id)
            return principal.token_id == "revoked-1"

        v = verifier(es_key, is_revoked=is_revoked)
        assert await failure(v, sign(es_key, claims(jti="revoked-1"))) is AuthFailure.REVOKED
        assert (await v.verify(sign(es_key, claims(jti="fine-1")))).token_id == "fine-1"
        assert await failure(v, sign(es_key, claims(jti="x", exp=int(NOW) - 999))) is AuthFailure.EXPIRED
        assert asked == ["revoked-1", "fine-1"]  # invalid tokens never reach the revocation store

    async def test_revocation_store_down_fails_closed_with_503(self, es_key: SigningKey) -> None:
        async def is_revoked(principal: Principal) -> bool:
            raise ConnectionError("redis down")

        with pytest.raises(AuthenticationUnavailable) as caught:
            await verifier(es_key, is_revoked=is_revoked).verify(sign(es_key))
        assert caught.value.status_code == 503
        assert caught.value.reason == "revocation_unavailable"

    def test_every_reason_has_bilingual_messages(self) -> None:
        for reason in AuthFailure:
            error = Unauthorized(reason)
            assert error.reason == reason
            assert error.message_zh
            assert error.status_code == 401
        custom = Unauthorized("token_expired", "custom")
        assert (custom.reason, custom.detail) == ("token_expired", "custom")
        with pytest.raises(ValueError, match="not_a_reason"):
            Unauthorized("not_a_reason")

    @settings(max_examples=200, deadline=None)
    @given(data=st.data())
    async def test_mutated_tokens_only_ever_raise_unauthorized(self, es_key: SigningKey, data: st.DataObject) -> None:
        """A token changed anywhere is refused with a 401 (never another error, never another
        principal). A change the signature does not cover (the same character, or base64url
        bits and characters the decoder ignores) may still verify: then it is the same token's
        principal."""
        key = es_key
        token = sign(key)
        original = await verifier(key).verify(token)
        index = data.draw(st.integers(0, len(token) - 1))
        replacement = data.draw(st.text(min_size=0, max_size=3))
        mutated = token[:index] + replacement + token[index + 1 :]
        outcome: Principal | Unauthorized
        try:
            outcome = await verifier(key).verify(mutated)
        except Unauthorized as refused:  # anything else fails the test
            outcome = refused
        if isinstance(outcome, Unauthorized):
            assert outcome.status_code == 401
            assert isinstance(outcome.reason, AuthFailure)
        else:
            assert outcome == original

    @pytest.mark.parametrize("part", [0, 1, 2], ids=["header", "payload", "signature"])
    async def test_a_changed_character_in_any_part_is_refused(self, es_key: SigningKey, part: int) -> None:
        token = sign(es_key)
        parts = token.split(".")
        middle = len(parts[part]) // 2  # not the last character, whose low bits base64url may ignore
        flipped = "B" if parts[part][middle] == "A" else "A"
        parts[part] = parts[part][:middle] + flipped + parts[part][middle + 1 :]

        with pytest.raises(Unauthorized) as refused:
            await verifier(es_key).verify(".".join(parts))

        assert refused.value.status_code == 401

    @settings(max_examples=200, deadline=None)
    @given(token=st.text(max_size=300))
    async def test_arbitrary_strings_only_ever_raise_unauthorized(self, es_key: SigningKey, token: str) -> None:
        with pytest.raises(Unauthorized):
            await verifier(es_key).verify(token)


class TestVerifiedTokenCache:
    """A token verified once skips its signature check next time, and nothing else."""

    async def test_a_remembered_token_still_expires(self, es_key: SigningKey) -> None:
        now = {"t": NOW}
        v = verifier(es_key, clock=lambda: now["t"], leeway_seconds=0)
        token = sign(es_key, claims(exp=int(NOW) + 60))
        assert (await v.verify(token)).subject == "staff-0001"
        now["t"] = NOW + 61
        assert await failure(v, token) is AuthFailure.EXPIRED

    async def test_a_remembered_token_is_asked_about_revocation_every_time(self, es_key: SigningKey) -> None:
        revoked: set[str] = set()

        async def is_revoked(principal: Principal) -> bool:
            return principal.token_id in revoked

        v = verifier(es_key, is_revoked=is_revoked)
        token = sign(es_key, claims(jti="jti-1"))
        assert (await v.verify(token)).token_id == "jti-1"
        revoked.add("jti-1")  # logout: the gateway's deny-list learns of it
        assert await failure(v, token) is AuthFailure.REVOKED

    async def test_a_withdrawn_key_stops_its_remembered_tokens(self, es_key: SigningKey, es_key_2: SigningKey) -> None:
        issuer, clock = FakeIssuer(jwks(es_key, es_key_2)), FakeClock()
        v, _ = remote(issuer, clock, ttl_seconds=300)
        token = sign(es_key)
        await v.verify(token)
        issuer.document = jwks(es_key_2)
        clock.now += 301
        assert await failure(v, token) is AuthFailure.UNKNOWN_KEY

    async def test_another_signature_on_the_same_claims_is_checked(self, es_key: SigningKey) -> None:
        v = verifier(es_key)
        token = sign(es_key)
        await v.verify(token)
        header_and_payload = token.rsplit(".", 1)[0]
        forged = f"{header_and_payload}.{b64(b'x' * 64)}"
        assert await failure(v, forged) is AuthFailure.BAD_SIGNATURE
        assert (await v.verify(token)).subject == "staff-0001"

    async def test_the_memory_is_bounded(self, es_key: SigningKey, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(verifier_module, "VERIFIED_CACHE_SIZE", 3)
        v = verifier(es_key)
        tokens = [sign(es_key) for _ in range(5)]
        for token in tokens:
            await v.verify(token)
        assert list(v._verified) == tokens[2:]  # the oldest are forgotten
        for token in tokens:  # and still verify (the slow way)
            assert (await v.verify(token)).subject == "staff-0001"


class TestKeySets:
    def test_load_jwks_skips_unusable_keys(self, es_key: SigningKey, ed_key: SigningKey) -> None:
        document = {
            "keys": [
                es_key.jwk(),
                {**ed_key.jwk(), "kid": es_key.kid},  # duplicate kid: the first wins
                {"kty": "oct", "k": b64(b"secret"), "kid": "hmac"},
                {**ed_key.jwk(), "kid": "enc", "use": "enc"},
                {**ed_key.jwk(), "kid": None},
                {"kty": "EC", "kid": "broken"},
                "not a key",
                ed_key.jwk(),
            ]
        }
        keys = load_jwks(document)
        assert sorted(keys) == [ed_key.kid, es_key.kid]
        assert keys[es_key.kid].algorithm_name == "ES256"

    def test_private_members_are_dropped(self, es_key: SigningKey) -> None:
        assert isinstance(es_key.private, ec.EllipticCurvePrivateKey)
        private = {**ECAlgorithm.to_jwk(es_key.private, as_dict=True), "kid": "p", "alg": "ES256"}
        assert "d" in private
        key = load_jwks({"keys": [private]})["p"]
        assert isinstance(key.key, ec.EllipticCurvePublicKey)

    @pytest.mark.parametrize("document", [{}, {"keys": "x"}, {"keys": []}, {"keys": [{"kty": "oct", "kid": "h"}]}])
    def test_static_key_set_needs_a_usable_key(self, document: dict[str, Any]) -> None:
        with pytest.raises(ValueError, match="JWKS"):
            StaticKeySet(document)


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeIssuer:
    """The issuer's JWKS endpoint: counts fetches; `fail` makes it unreachable."""

    document: Mapping[str, Any]
    fetches: int = 0
    fail: bool = False
    urls: list[str] = field(default_factory=list)

    async def get(self, url: str) -> Mapping[str, Any]:
        self.fetches += 1
        self.urls.append(url)
        await asyncio.sleep(0)  # let concurrent callers run while the fetch is in flight
        if self.fail:
            raise httpx.ConnectError("issuer down")
        return self.document


JWKS_URL = "https://gateway.jiuzhu.test/.well-known/jwks.json"


def remote(issuer: FakeIssuer, clock: FakeClock, **options: Any) -> tuple[TokenVerifier, RemoteJwks]:
    options.setdefault("ttl_seconds", 300)
    options.setdefault("min_refresh_interval", 30)
    keys = RemoteJwks(JWKS_URL, issuer.get, clock=clock, **options)
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=keys, clock=lambda: NOW), keys


class TestRemoteJwks:
    async def test_fetches_once_and_caches(self, es_key: SigningKey) -> None:
        issuer, clock = FakeIssuer(jwks(es_key)), FakeClock()
        v, keys = remote(issuer, clock)
        for _ in range(5):
            await v.verify(sign(es_key))
            clock.now += 10
        assert issuer.fetches == 1
        assert issuer.urls == [JWKS_URL]
        assert keys.key_ids == (es_key.kid,)

    async def test_cold_start_burst_shares_one_fetch(self, es_key: SigningKey) -> None:
        issuer, clock = FakeIssuer(jwks(es_key)), FakeClock()
        v, _ = remote(issuer, clock)
        principals = await asyncio.gather(*(v.verify(sign(es_key)) for _ in range(20)))
        assert {p.subject for p in principals} == {"staff-0001"}
        assert issuer.fetches == 1

    @pytest.mark.parametrize("options", [{"ttl_seconds": 0}, {"min_refresh_interval": -1}, {"fetch_timeout": 0}])
    def test_refuses_bad_configuration(self, options: dict[str, Any]) -> None:
        with pytest.raises(ValueError, match="positive"):
            RemoteJwks(JWKS_URL, FakeIssuer({}).get, **options)

    async def test_rotation_new_kid_triggers_exactly_one_refresh(
        self, es_key: SigningKey, es_key_2: SigningKey
    ) -> None:
        issuer, clock = FakeIssuer(jwks(es_key)), FakeClock()
        v, _ = remote(issuer, clock)
        await v.verify(sign(es_key))
        assert issuer.fetches == 1
        issuer.document = jwks(es_key, es_key_2)  # the issuer publishes the next key and signs with it
        clock.now += 60
        assert (await v.verify(sign(es_key_2))).subject == "staff-0001"
        assert issuer.fetches == 2
        assert (await v.verify(sign(es_key))).subject == "staff-0001"  # the old key still verifies
        assert (await v.verify(sign(es_key_2))).subject == "staff-0001"
        assert issuer.fetches == 2

    async def test_new_kid_within_the_interval_waits_for_the_next_refresh(
        self, es_key: SigningKey, es_key_2: SigningKey
    ) -> None:
        issuer, clock = FakeIssuer(jwks(es_key)), FakeClock()
        v, _ = remote(issuer, clock)
        await v.verify(sign(es_key))
        issuer.document = jwks(es_key, es_key_2)
        clock.now += 5
        assert await failure(v, sign(es_key_2)) is AuthFailure.UNKNOWN_KEY
        assert issuer.fetches == 1
        clock.now += 30
        assert (await v.verify(sign(es_key_2))).subject == "staff-0001"
        assert issuer.fetches == 2

    async def test_flood_of_unknown_kids_refreshes_at_most_once_per_interval(self, es_key: SigningKey) -> None:
        issuer, clock = FakeIssuer(jwks(es_key)), FakeClock()
        v, _ = remote(issuer, clock, min_refresh_interval=30)
        await v.verify(sign(es_key))
        assert issuer.fetches == 1
        clock.now += 30
        for i in range(100):
            assert await failure(v, sign(es_key, kid=f"bogus-{i}")) is AuthFailure.UNKNOWN_KEY
            clock.now += 0.1  # 10 s of flood in all
        assert issuer.fetches == 2
        results = await asyncio.gather(
            *(v.verify(sign(es_key, kid=f"burst-{i}")) for i in range(50)), return_exceptions=True
        )
        assert all(isinstance(r, Unauthorized) and r.reason is AuthFailure.UNKNOWN_KEY for r in results)
        assert issuer.fetches == 2
        clock.now += 30
        results = await asyncio.gather(
            *(v.verify(sign(es_key, kid=f"burst-{i}")) for i in range(50)), return_exceptions=True
        )
        assert all(isinstance(r, Unauthorized) for r in results)
        assert issuer.fetches == 3  # concurrent callers share one refresh
        assert (await v.verify(sign(es_key))).subject == "staff-0001"  # real tokens are unaffected
        assert issuer.fetches == 3

    async def test_expired_set_is_refreshed_and_removed_keys_stop_verifying(
        self, es_key: SigningKey, es_key_2: SigningKey
    ) -> None:
        issuer, clock = FakeIssuer(jwks(es_key, es_key_2)), FakeClock()
        v, _ = remote(issuer, clock, ttl_seconds=300)
        await v.verify(sign(es_key))
        issuer.document = jwks(es_key_2)  # rotation finished: the old key is withdrawn
        clock.now += 301
        assert await failure(v, sign(es_key)) is AuthFailure.UNKNOWN_KEY
        assert issuer.fetches == 2
        assert (await v.verify(sign(es_key_2))).subject == "staff-0001"

    async def test_issuer_down_at_start_is_a_401_not_a_500(self, es_key: SigningKey) -> None:
        issuer, clock = FakeIssuer(jwks(es_key), fail=True), FakeClock()
        v, _ = remote(issuer, clock)
        assert await failure(v, sign(es_key)) is AuthFailure.UNKNOWN_KEY
        assert await failure(v, sign(es_key)) is AuthFailure.UNKNOWN_KEY
        assert issuer.fetches == 1  # a failed attempt also counts against the interval
        issuer.fail = False
        clock.now += 30
        assert (await v.verify(sign(es_key))).subject == "staff-0001"

    @pytest.mark.parametrize("broken", ["down", {}, {"keys": []}, {"keys": "x"}, ["not", "a", "dict"]])
    async def test_failed_refresh_keeps_the_previous_keys(self, es_key: SigningKey, broken: Any) -> None:
        issuer, clock = FakeIssuer(jwks(es_key)), FakeClock()
        v, _ = remote(issuer, clock)
        await v.verify(sign(es_key))
        if broken == "down":
            issuer.fail = True
        else:
            issuer.document = broken
        clock.now += 301
        assert (await v.verify(sign(es_key))).subject == "staff-0001"
        assert issuer.fetches == 2

    async def test_hanging_issuer_times_out(self, es_key: SigningKey) -> None:
        async def hang(url: str) -> Mapping[str, Any]:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        keys = RemoteJwks(JWKS_URL, hang, fetch_timeout=0.01, clock=FakeClock())
        v = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=keys, clock=lambda: NOW)
        assert await failure(v, sign(es_key)) is AuthFailure.UNKNOWN_KEY

    async def test_explicit_refresh_ignores_the_interval(self, es_key: SigningKey) -> None:
        issuer, clock = FakeIssuer(jwks(es_key)), FakeClock()
        _, keys = remote(issuer, clock)
        await keys.refresh()
        await keys.refresh()
        assert issuer.fetches == 2
        assert keys.key_ids == (es_key.kid,)


# --------------------------------------------------------------------------- roles and scopes

EXPECTED_ROLES = {
    "citizen_unbound",
    "town_caseworker",
    "county_approver",
    "city_admin",
    "auditor",
    "procurement_officer",
    "payment_officer",
    "citizen",
    "department",
    "third_party",
}


class TestRoleScopes:
    def test_the_roles(self) -> None:
        assert set(ROLE_SCOPES) == EXPECTED_ROLES
        assert CITY_WIDE_ROLES <= EXPECTED_ROLES

    def test_every_scope_is_well_named_and_known(self) -> None:
        for role, scopes in ROLE_SCOPES.items():
            assert scopes, role
            for scope in scopes:
                assert SCOPE_PATTERN.fullmatch(scope), (role, scope)
                assert scope in ALL_SCOPES, (role, scope)
        assert all(SCOPE_PATTERN.fullmatch(scope) for scope in ALL_SCOPES)
        # no scope nobody can hold: the rest are the gateway's own (service) or a department's by agreement
        assert frozenset().union(*ROLE_SCOPES.values()) == ALL_SCOPES - SERVICE_SCOPES - AGREEMENT_ONLY_SCOPES
        assert not AGREEMENT_ONLY_SCOPES & PRIVILEGED_SCOPES
        assert not SERVICE_SCOPES & frozenset().union(*ROLE_SCOPES.values())
        assert SERVICE_SCOPES <= PRIVILEGED_SCOPES  # and no client may be granted one

    def test_separation_of_duties(self) -> None:
        assert "audit:read" in ROLE_SCOPES["auditor"]
        assert {r for r, s in ROLE_SCOPES.items() if "audit:read" in s} == {"auditor"}
        assert not any(scope.endswith(":approve") for scope in ROLE_SCOPES["citizen"])
        for role, scopes in ROLE_SCOPES.items():
            both = {"eligibility:applications:write", "eligibility:applications:approve"}
            assert not both <= scopes, role
        assert not any(s.endswith((":write", ":approve", ":run")) for s in ROLE_SCOPES["auditor"])
        assert {r for r, s in ROLE_SCOPES.items() if "pii:read_full" in s} == {"county_approver"}
        assert "eligibility:applications:approve" in ROLE_SCOPES["county_approver"]
        assert "eligibility:applications:write" in ROLE_SCOPES["town_caseworker"]

    def test_non_staff_roles_get_no_household_reads(self) -> None:
        for role in ("department", "third_party"):
            assert not ROLE_SCOPES[role] & {"monitoring:households:read", "eligibility:applications:read"}

    def test_table_is_read_only(self) -> None:
        with pytest.raises(TypeError):
            ROLE_SCOPES["citizen"] = frozenset({"audit:read"})  # type: ignore[index]

    def test_scopes_for_roles(self) -> None:
        assert scopes_for_roles([]) == frozenset()
        assert scopes_for_roles(["nobody"]) == frozenset()
        assert (
            scopes_for_roles(["auditor", "payment_officer"]) == ROLE_SCOPES["auditor"] | ROLE_SCOPES["payment_officer"]
        )
        assert scopes_for_roles(["x"], {"x": frozenset({"audit:read"})}) == {"audit:read"}
        with pytest.raises(TypeError):
            scopes_for_roles("auditor")

    async def test_verifier_uses_a_configured_table(self, es_key: SigningKey) -> None:
        v = verifier(es_key, role_scopes={"town_caseworker": frozenset({"eligibility:policies:read"})})
        assert (await v.verify(sign(es_key))).scopes == {"eligibility:policies:read"}

    def test_require_scopes(self) -> None:
        p = staff("county_approver", NANMING)
        require_scopes(p, "eligibility:applications:approve")
        with pytest.raises(ScopeMissing) as caught:
            require_scopes(p, "audit:read", "payment:payroll:write", "eligibility:applications:read")
        assert caught.value.reason == "scope_missing"
        assert caught.value.detail == "this operation needs audit:read, payment:payroll:write"
        assert caught.value.message_zh


# --------------------------------------------------------------------------- region scoping


def staff(role: str, region: str | None, *extra_scopes: str) -> Principal:
    return Principal(
        subject=f"{role}-1",
        kind=PrincipalKind.STAFF,
        scopes=ROLE_SCOPES[role] | set(extra_scopes),
        roles=frozenset({role}),
        region_code=region,
    )


def other(kind: PrincipalKind, region: str | None = None, *extra_scopes: str) -> Principal:
    role = kind.value
    return Principal(
        subject=f"{role}-1",
        kind=kind,
        scopes=ROLE_SCOPES[role] | set(extra_scopes),
        roles=frozenset({role}),
        region_code=region,
    )


def citizen(household_id: str | None) -> Principal:
    return Principal(
        subject="citizen-1",
        kind=PrincipalKind.CITIZEN,
        scopes=ROLE_SCOPES["citizen"],
        roles=frozenset({"citizen"}),
        region_code=NANMING_TOWN,
        household_id=household_id,
    )


class TestRegionScope:
    @pytest.mark.parametrize(
        ("record", "allowed"),
        [
            (NANMING_TOWN, True),
            (NANMING_OTHER_TOWN, False),
            (NANMING, False),  # a county-only record cannot be placed in the town
            (YUNYAN, False),
            (YUNYAN_TOWN, False),
            (None, False),
        ],
    )
    def test_town_caseworker(self, record: str | None, allowed: bool) -> None:
        p = staff("town_caseworker", NANMING_TOWN)
        assert can_access(p, region_code=record) is allowed
        assert can_access(p, region_code=record, household_id="hh-1") is allowed

    @pytest.mark.parametrize(
        ("record", "allowed"),
        [
            (NANMING, True),
            (NANMING_TOWN, True),
            (NANMING_OTHER_TOWN, True),
            (YUNYAN, False),
            (YUNYAN_TOWN, False),
            ("5201", False),
            ("52010x", False),
            ("5201020", False),
            (None, False),
        ],
    )
    def test_county_approver(self, record: str | None, allowed: bool) -> None:
        assert can_access(staff("county_approver", NANMING), region_code=record) is allowed

    @pytest.mark.parametrize("role", ["city_admin", "auditor"])
    @pytest.mark.parametrize("record", [NANMING, YUNYAN_TOWN, None])
    def test_city_wide_roles(self, role: str, record: str | None) -> None:
        p = staff(role, None)
        assert RegionScope.for_principal(p).level is AccessLevel.CITY
        assert can_access(p, region_code=record, household_id="hh-1")

    @pytest.mark.parametrize("role", ["town_caseworker", "county_approver", "payment_officer"])
    def test_staff_without_region_and_without_a_city_wide_role_sees_nothing(self, role: str) -> None:
        p = staff(role, None)
        assert RegionScope.for_principal(p).level is AccessLevel.NONE
        assert not can_access(p, region_code=NANMING)
        assert not can_access(p)

    def test_city_wide_role_with_a_region_is_limited_to_it(self) -> None:
        p = staff("auditor", YUNYAN)
        assert can_access(p, region_code=YUNYAN_TOWN)
        assert not can_access(p, region_code=NANMING)

    def test_citizen_only_their_household(self) -> None:
        p = citizen("hh-1")
        assert can_access(p, household_id="hh-1")
        assert can_access(p, region_code=YUNYAN, household_id="hh-1")  # their household, wherever it is
        assert not can_access(p, household_id="hh-2")
        assert not can_access(p, region_code=NANMING_TOWN)  # no region-level records
        assert not can_access(p)
        assert not can_access(citizen(None), household_id="hh-1")

    @pytest.mark.parametrize("kind", [PrincipalKind.DEPARTMENT, PrincipalKind.THIRD_PARTY])
    def test_departments_and_third_parties(self, kind: PrincipalKind) -> None:
        plain = other(kind)
        assert can_access(plain, region_code=NANMING)  # city-wide, non-household records
        assert not can_access(plain, region_code=NANMING, household_id="hh-1")
        assert not can_access(plain, household_id="hh-1")
        agreed = other(kind, None, "monitoring:households:read")  # an agreement's scope in the token
        assert can_access(agreed, region_code=NANMING, household_id="hh-1")
        county = other(kind, YUNYAN, "monitoring:households:read")
        assert can_access(county, region_code=YUNYAN_TOWN, household_id="hh-1")
        assert not can_access(county, region_code=NANMING, household_id="hh-1")

    def test_require_region(self) -> None:
        p = staff("town_caseworker", NANMING_TOWN)
        require_region(p, NANMING_TOWN)
        with pytest.raises(Forbidden) as caught:
            require_region(p, YUNYAN_TOWN)
        assert caught.value.status_code == 403
        assert caught.value.reason == "region_not_allowed"
        assert caught.value.message_zh
        with pytest.raises(Forbidden):
            require_region(citizen("hh-1"), household_id="hh-2")

    def test_region_prefix_for_list_filters(self) -> None:
        assert RegionScope.for_principal(staff("city_admin", None)).region_prefix == ""
        assert RegionScope.for_principal(staff("county_approver", NANMING)).region_prefix == NANMING
        assert RegionScope.for_principal(staff("town_caseworker", NANMING_TOWN)).region_prefix == NANMING_TOWN
        assert RegionScope.for_principal(citizen("hh-1")).region_prefix is None
        assert RegionScope.for_principal(staff("town_caseworker", None)).region_prefix is None


# --------------------------------------------------------------------------- declared requirements

CaseReader = Annotated[Principal, requires("eligibility:applications:read")]


async def current_caseworker(principal: Annotated[Principal, requires("eligibility:assessments:run")]) -> str:
    return principal.subject


def build_app(v: TokenVerifier | None) -> FastAPI:
    app = FastAPI()
    register_exception_handlers(app)
    if v is not None:
        app.state.token_verifier = v

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/applications")
    async def list_applications(principal: CaseReader, request: Request) -> dict[str, Any]:
        assert request.state.principal is principal
        return {"subject": principal.subject}

    @app.post("/applications/{application_id}/approve", dependencies=[requires("eligibility:applications:approve")])
    async def approve(application_id: str) -> dict[str, str]:
        return {"approved": application_id}

    @app.get("/policies")
    async def policies(principal: Annotated[Principal | None, requires(public=True)]) -> dict[str, Any]:
        return {"subject": principal.subject if principal else None}

    @app.get("/assessments")
    async def assessments(subject: Annotated[str, Depends(current_caseworker)]) -> dict[str, str]:
        return {"subject": subject}

    audit = APIRouter(prefix="/audit", dependencies=[requires("audit:read")])

    @audit.get("/events")
    async def audit_events() -> list[str]:
        return []

    app.include_router(audit)

    @app.get("/undeclared")
    async def undeclared() -> dict[str, str]:
        return {"oops": "open"}

    return app


def route(app: FastAPI, path: str) -> Any:
    """The effective view of the API route at `path` (routes of included routers too)."""
    return next(
        context
        for context in iter_route_contexts(app.router.routes)
        if isinstance(context.original_route, APIRoute) and context.path == path
    )


ERROR_KEYS = {"error", "reason", "detail", "message_zh", "correlation_id"}


@pytest.fixture
def app(es_key: SigningKey) -> FastAPI:
    return build_app(verifier(es_key))


async def call(app: FastAPI, method: str, path: str, token: str | None = None, **headers: str) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, headers=headers)


def assert_error(response: httpx.Response, status: int, error: str, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error"] == error
    assert body["reason"] == reason
    assert body["message_zh"]
    return body


class TestRequires:
    async def test_without_token_401(self, app: FastAPI) -> None:
        assert_error(await call(app, "GET", "/applications"), 401, "Unauthorized", "token_missing")
        assert_error(await call(app, "GET", "/audit/events"), 401, "Unauthorized", "token_missing")
        assert_error(await call(app, "GET", "/assessments"), 401, "Unauthorized", "token_missing")

    @pytest.mark.parametrize(
        ("header", "reason"),
        [
            ("Bearer garbage", "token_malformed"),
            ("Bearer a.b.c", "token_malformed"),
            ("Bearer ", "token_missing"),
            ("Basic dXNlcjpwYXNz", "token_malformed"),
            ("Token abc", "token_malformed"),
        ],
    )
    async def test_bad_authorization_header_401(self, app: FastAPI, header: str, reason: str) -> None:
        response = await call(app, "GET", "/applications", Authorization=header)
        assert_error(response, 401, "Unauthorized", reason)

    async def test_expired_and_wrongly_signed_tokens_401(
        self, app: FastAPI, es_key: SigningKey, es_key_2: SigningKey
    ) -> None:
        expired = sign(es_key, claims(exp=int(NOW) - 3600))
        assert_error(await call(app, "GET", "/applications", expired), 401, "Unauthorized", "token_expired")
        forged = sign(es_key_2, kid=es_key.kid)
        assert_error(await call(app, "GET", "/applications", forged), 401, "Unauthorized", "token_bad_signature")

    async def test_without_the_scope_403_lists_it(self, app: FastAPI, es_key: SigningKey) -> None:
        caseworker = sign(es_key)
        body = assert_error(
            await call(app, "POST", "/applications/a-1/approve", caseworker), 403, "ScopeMissing", "scope_missing"
        )
        assert "eligibility:applications:approve" in body["detail"]
        body = assert_error(await call(app, "GET", "/audit/events", caseworker), 403, "ScopeMissing", "scope_missing")
        assert "audit:read" in body["detail"]

    async def test_with_the_scope_200(self, app: FastAPI, es_key: SigningKey) -> None:
        caseworker = sign(es_key)
        response = await call(app, "GET", "/applications", caseworker)
        assert response.status_code == 200
        assert response.json() == {"subject": "staff-0001"}
        response = await call(app, "GET", "/assessments", caseworker)
        assert response.json() == {"subject": "staff-0001"}
        approver = sign(es_key, claims(sub="approver-1", roles=["county_approver"], region=NANMING))
        response = await call(app, "POST", "/applications/a-1/approve", approver)
        assert response.status_code == 200
        assert response.json() == {"approved": "a-1"}
        auditor = sign(es_key, claims(roles=[], region=None, scope="audit:read"))
        assert (await call(app, "GET", "/audit/events", auditor)).status_code == 200

    async def test_public_route(self, app: FastAPI, es_key: SigningKey) -> None:
        response = await call(app, "GET", "/policies")
        assert response.status_code == 200
        assert response.json() == {"subject": None}
        response = await call(app, "GET", "/policies", sign(es_key))
        assert response.json() == {"subject": "staff-0001"}
        assert_error(await call(app, "GET", "/policies", "garbage"), 401, "Unauthorized", "token_malformed")

    async def test_revoked_token_401(self, es_key: SigningKey) -> None:
        async def is_revoked(principal: Principal) -> bool:
            return True

        app = build_app(verifier(es_key, is_revoked=is_revoked))
        assert_error(await call(app, "GET", "/applications", sign(es_key)), 401, "Unauthorized", "token_revoked")

    async def test_no_verifier_configured_503(self) -> None:
        app = build_app(None)
        assert_error(
            await call(app, "GET", "/applications", "x.y.z"),
            503,
            "AuthenticationUnavailable",
            "verifier_not_configured",
        )
        assert (await call(app, "GET", "/policies")).status_code == 200

    async def test_never_500(self, app: FastAPI, es_key: SigningKey, ed_key: SigningKey) -> None:
        tokens = [
            "",
            "a",
            "a.b.c.d",
            "..",
            sign(es_key, claims(exp="never")),
            sign(es_key, kid="nope"),
            sign(ed_key),
            jwt.encode(claims(), "", algorithm="none", headers={"kid": es_key.kid}),
            sign(es_key, claims(kind={"x": 1})),
            raw_token({"alg": ["ES256"], "kid": es_key.kid}, claims()),
            raw_token({"alg": "ES256", "kid": {"k": 1}}, claims()),
            raw_token({"alg": "ES256", "kid": es_key.kid, "b64": False, "crit": ["b64"]}, claims()),
        ]
        for path, method in (("/applications", "GET"), ("/policies", "GET"), ("/applications/1/approve", "POST")):
            for token in tokens:
                response = await call(app, method, path, token)
                assert response.status_code == 401, (path, token, response.text)  # never accepted
                assert set(response.json()) == ERROR_KEYS
                assert response.json()["reason"].startswith("token_")

    def test_openapi_declares_the_bearer_scheme(self, app: FastAPI) -> None:
        schema = app.openapi()
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert schema["paths"]["/applications"]["get"]["security"] == [{"bearer": []}]

    def test_undeclared_routes_names_exactly_the_undeclared_route(self, app: FastAPI) -> None:
        assert undeclared_routes(app) == ["GET /undeclared"]
        with pytest.raises(RuntimeError, match="GET /undeclared"):
            assert_all_declared(app)

    def test_declared_requirements(self, app: FastAPI) -> None:
        assert declared_requirement(route(app, "/policies")) == Requirement(frozenset(), public=True)
        assert declared_requirement(route(app, "/applications")) == Requirement(
            frozenset({"eligibility:applications:read"})
        )
        assert declared_requirement(route(app, "/applications/{application_id}/approve")) == Requirement(
            frozenset({"eligibility:applications:approve"})
        )
        assert declared_requirement(route(app, "/audit/events")) == Requirement(frozenset({"audit:read"}))
        assert declared_requirement(route(app, "/assessments")) == Requirement(
            frozenset({"eligibility:assessments:run"})
        )
        assert declared_requirement(route(app, "/undeclared")) is None
        assert declared_requirement(route(app, "/healthz")) is None  # allowed by path, not declared

    def test_public_counts_as_declared_and_infrastructure_is_allowlisted(self) -> None:
        app = FastAPI()

        @app.get("/healthz")
        async def healthz() -> str:
            return "ok"

        @app.get("/metrics")
        async def metrics() -> str:
            return ""

        @app.get("/open", dependencies=[requires(public=True)])
        async def open_route() -> str:
            return "hi"

        assert undeclared_routes(app) == []
        assert_all_declared(app)
        everything = undeclared_routes(app, allow=())
        assert {"GET /healthz", "GET /metrics", "GET /openapi.json", "GET /docs", "GET /redoc"} <= set(everything)
        assert "GET /open" not in everything

    def test_routes_that_cannot_declare_are_listed(self) -> None:
        app = FastAPI()
        sub = FastAPI()

        @sub.put("/items/{item_id}")
        async def put_item(item_id: str) -> str:
            return item_id

        @sub.get("/items", dependencies=[requires("procurement:providers:read")])
        async def items() -> list[str]:
            return []

        @app.api_route("/both", methods=["GET", "POST"])
        async def both() -> str:
            return ""

        async def plain(request: Request) -> PlainTextResponse:
            return PlainTextResponse("plain")

        app.add_route("/plain", plain, methods=["GET"])
        app.mount("/sub", sub)
        assert undeclared_routes(app) == [
            "GET /both",
            "GET /plain",
            "HEAD /plain",
            "POST /both",
            "PUT /sub/items/{item_id}",
        ]

    @pytest.mark.parametrize(
        ("args", "kwargs"),
        [
            ((), {}),
            (("Audit:Read",), {}),
            (("eligibility",), {}),
            (("a:b:c:d",), {}),
            (("audit:read",), {"public": True}),
        ],
    )
    def test_requires_refuses_bad_declarations(self, args: tuple[str, ...], kwargs: dict[str, bool]) -> None:
        with pytest.raises(ValueError, match="scope"):
            requires(*args, **kwargs)

    def test_requires_has_a_readable_repr(self) -> None:
        dependency = requires("audit:read", "pii:read_full").dependency
        assert repr(dependency) == "requires('audit:read', 'pii:read_full')"
        assert repr(requires(public=True).dependency) == "requires(public=True)"
