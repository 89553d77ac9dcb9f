"""Cryptographic edges: argon2id hashing, ES256 signing keys and JWTs, Ed25519 request
signatures, random secrets. Everything slow (argon2) runs in a worker thread."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGNING_ALGORITHM = "ES256"
TOKEN_TYPE = "at+jwt"  # noqa: S105 (a JWT header value, not a secret)


class SecretHasher:
    """argon2id hashes for passwords, client secrets and one-time codes. The parameters come
    from settings (the defaults are argon2-cffi's; tests use cheap ones).

    Each hash holds `memory_cost_kib` of memory while it runs, so at most `max_concurrent`
    run at once (a semaphore; the others wait their turn): a burst of sign-ins costs latency,
    never more than `max_concurrent × memory_cost` of memory, and cannot get the pod OOM-killed
    (`gateway/bench/bench_argon2_memory.py` measures it; the k8s memory limit is set from that)."""

    def __init__(
        self, *, time_cost: int = 3, memory_cost_kib: int = 65536, parallelism: int = 4, max_concurrent: int = 2
    ) -> None:
        self._hasher = Argon2Hasher(
            time_cost=time_cost, memory_cost=memory_cost_kib, parallelism=parallelism, type=Type.ID
        )
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        self._slots = asyncio.Semaphore(max_concurrent)
        self.max_concurrent = max_concurrent

    async def hash(self, secret: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, secret)

    async def verify(self, hashed: str | None, secret: str) -> bool:
        """Whether `secret` matches; with `hashed=None` a dummy hash is checked so an unknown
        account costs the same time as a known one."""

        def check() -> bool:
            try:
                return self._hasher.verify(hashed or self._dummy, secret) and hashed is not None
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        async with self._slots:
            return await asyncio.to_thread(check)


# --------------------------------------------------------------------------- ES256 keys and tokens


@dataclass(frozen=True, slots=True)
class NewSigningKey:
    kid: str
    private_pem: str
    public_jwk: dict[str, Any]


def generate_signing_key() -> NewSigningKey:
    """A fresh P-256 key with a random `kid`, its private PEM and its public JWK."""
    private = ec.generate_private_key(ec.SECP256R1())
    kid = f"gw-{uuid.uuid4().hex[:16]}"
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    return NewSigningKey(kid, pem, {**public, "kid": kid, "alg": SIGNING_ALGORITHM, "use": "sig"})


def load_private_key(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the signing key is not an EC private key")
    return key


def sign_token(claims: dict[str, Any], private_key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    return jwt.encode(claims, private_key, algorithm=SIGNING_ALGORITHM, headers={"kid": kid, "typ": TOKEN_TYPE})


# --------------------------------------------------------------------------- Ed25519 request signatures


def _b64url_decode(text: str) -> bytes:
    stripped = text.strip().rstrip("=")
    return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))


def load_ed25519_public_key(text: str) -> Ed25519PublicKey:
    """A department's registered key: raw 32 bytes as base64url, or a PEM public key.
    Raises `ValueError` for anything else."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 public key")
        return key
    try:
        raw = _b64url_decode(text)
    except (binascii.Error, ValueError):
        raise ValueError("the key is neither PEM nor base64url") from None
    if len(raw) != 32:
        raise ValueError("a raw Ed25519 public key has 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_ed25519(public_key: Ed25519PublicKey, signature_b64url: str, message: bytes) -> bool:
    try:
        public_key.verify(_b64url_decode(signature_b64url), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


# --------------------------------------------------------------------------- random secrets


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """SHA-256 hex of a high-entropy random token (refresh tokens): a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_client_id(kind: str) -> str:
    prefix = "dept" if kind == "department" else "tp"
    return f"{prefix}_{secrets.token_hex(12)}"


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)
