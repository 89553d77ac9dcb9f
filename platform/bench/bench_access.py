"""Benchmark: what identity, access and privacy cost per request, each against a baseline
measured in the same run (ratios mean something on a noisy machine).

    uv run python platform/bench/bench_access.py --count 20000

1. Token verification (ES256 signature, claims, scopes) vs decoding the same token's payload
   without checking it: the floor any JWT handling pays.
2. A protected read through a service app in process (ASGI: token verified, scope and region
   checked, policy list rendered) vs the same app's `/healthz`.
3. Personal data: AES-GCM encrypt + decrypt + blind index of a resident ID vs one SHA-256 of it.
4. Password hashing: one argon2id verify at argon2-cffi's default cost (the price of a sign-in,
   paid on purpose) vs the cheap test parameters.
Not a test: nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from eligibility.main import DEFINITION as ELIGIBILITY
from jiuzhu_platform.auth import TokenVerifier
from jiuzhu_platform.pii import blind_index, decrypt, encrypt
from jiuzhu_platform.testing import TestIssuer, service_harness, test_key_ring

RESIDENT_ID = "11010519491231002X"


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>12,.0f}/s  ({seconds / count * 1e6:8.1f} µs each)"


async def timed(count: int, action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await action()
    return time.perf_counter() - started


def timed_sync(count: int, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(count):
        action()
    return time.perf_counter() - started


def report(title: str, count: int, baseline: tuple[str, float], measured: tuple[str, float]) -> None:
    print(f"\n{title}")
    print(f"  {baseline[0]:<44} {rate(count, baseline[1])}")
    print(f"  {measured[0]:<44} {rate(count, measured[1])}")
    print(f"  ratio {measured[1] / baseline[1]:.1f}x the baseline")


async def main(count: int) -> None:
    issuer = TestIssuer()
    token = issuer.token(roles=("county_approver",), region="520102")
    verifier = TokenVerifier(issuer=issuer.issuer, audience=issuer.audience, keys=issuer.key_source())

    def decode_only() -> object:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    report(
        "1. token verification",
        count,
        ("payload decoded, not checked", timed_sync(count, decode_only)),
        ("TokenVerifier.verify (ES256 + claims)", await timed(count, lambda: verifier.verify(token))),
    )

    requests = max(1, count // 10)
    with tempfile.TemporaryDirectory() as directory:
        async with service_harness(ELIGIBILITY, Path(directory), issuer=issuer) as harness:
            client = harness.client
            headers = {"Authorization": f"Bearer {token}"}

            async def health() -> httpx.Response:
                return await client.get("/healthz")

            async def protected() -> httpx.Response:
                response = await client.get("/v1/eligibility/policies", headers=headers)
                assert response.status_code == 200
                return response

            await health()
            await protected()
            report(
                "2. a protected read in process (eligibility, ASGI)",
                requests,
                ("GET /healthz", await timed(requests, health)),
                ("GET /v1/eligibility/policies with a token", await timed(requests, protected)),
            )

    ring = test_key_ring()

    def pii_round_trip() -> object:
        stored = encrypt(ring, RESIDENT_ID, context="bench.resident_id")
        blind_index(ring, RESIDENT_ID, kind="resident_id")
        return decrypt(ring, stored, context="bench.resident_id")

    report(
        "3. personal data at rest",
        count,
        ("sha256 of the number", timed_sync(count, lambda: hashlib.sha256(RESIDENT_ID.encode()).digest())),
        ("encrypt + blind index + decrypt", timed_sync(count, pii_round_trip)),
    )

    rounds = 20
    cheap = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    default = PasswordHasher()
    cheap_hash, default_hash = cheap.hash("Guiyang-Relief-2026"), default.hash("Guiyang-Relief-2026")
    report(
        "4. password check (a sign-in)",
        rounds,
        (
            "argon2id, test parameters (t=1, 8 MiB)",
            timed_sync(rounds, lambda: cheap.verify(cheap_hash, "Guiyang-Relief-2026")),
        ),
        (
            "argon2id, defaults (t=3, 64 MiB, p=4)",
            timed_sync(rounds, lambda: default.verify(default_hash, "Guiyang-Relief-2026")),
        ),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20_000, help="operations per micro-benchmark")
    asyncio.run(main(parser.parse_args().count))
