"""Push one department notice to Jiuzhu through the gateway (an integrator's example).

    python push_notice.py --gateway https://jiuzhu.example.gov.cn \\
        --client-id dept_… --client-secret … --private-key gaj-ed25519.pem

What it does:

1. gets an access token with OAuth2 client credentials (`POST /v1/auth/token`); the client's
   agreement must grant `verification:notices:push`;
2. builds the envelope (`header` + `message`, see the OpenAPI of `POST /v1/verification/notices`)
   and serialises it ONCE: the bytes signed are the bytes sent;
3. signs the request with the department's Ed25519 private key (its public key is registered
   with the client). The signing string is five lines joined by `\\n`, UTF-8 encoded:

       <timestamp>          unix seconds, also sent as X-Jiuzhu-Timestamp (must be near the gateway's clock)
       <nonce>              16–64 of [A-Za-z0-9_-], fresh per request, also sent as X-Jiuzhu-Nonce
       <METHOD>             upper case: POST
       <path?query>         exactly as sent, percent escapes not decoded: /v1/verification/notices
       <sha256 hex of body> lower-case hex digest of the exact body bytes

   and `X-Jiuzhu-Signature` is the signature, base64url without padding. The gateway refuses a
   missing, wrong or stale signature and a reused nonce (401, reason `signature_*`);
4. reads the answer: 201 `accepted` or 200 `duplicate` (an ACK with the notice id: sending the
   same message id again is safe), or a NACK (422 with `reason`, e.g.
   `kind_not_reported_by_department`) in the common error shape.

A batch (`POST /v1/verification/notices/batch`, `application/x-ndjson`, one envelope per line)
is signed the same way over the whole body.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

NOTICES = "/v1/verification/notices"


def signing_string(timestamp: str, nonce: str, method: str, target: str, body: bytes) -> bytes:
    """The gateway's canonical request (`gateway.identity.domain.rules.canonical_request`)."""
    return f"{timestamp}\n{nonce}\n{method.upper()}\n{target}\n{hashlib.sha256(body).hexdigest()}".encode()


def signature_headers(key: Ed25519PrivateKey, method: str, target: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    nonce = secrets.token_urlsafe(18)  # 24 characters of [A-Za-z0-9_-]
    signature = key.sign(signing_string(timestamp, nonce, method, target, body))
    return {
        "X-Jiuzhu-Timestamp": timestamp,
        "X-Jiuzhu-Nonce": nonce,
        "X-Jiuzhu-Signature": base64.urlsafe_b64encode(signature).rstrip(b"=").decode("ascii"),
    }


def envelope(message_id: str, client_id: str) -> dict[str, Any]:
    return {
        "header": {"message_id": message_id, "sender_id": client_id, "sent_at": datetime.now(UTC).isoformat()},
        "message": {
            "kind": "death",
            "department": "public_security",
            "resident_id": "11010519491231002X",
            "name": "李四",
            "occurred_on": "2026-11-30",
            "reference": "HJ-ZX-2026-0042",
        },
    }


def push(gateway: str, client_id: str, client_secret: str, key: Ed25519PrivateKey, message_id: str) -> httpx.Response:
    with httpx.Client(base_url=gateway, timeout=30) as http:
        token = http.post(
            "/v1/auth/token",
            data={"grant_type": "client_credentials", "scope": "verification:notices:push"},
            auth=(client_id, client_secret),
        )
        token.raise_for_status()
        body = json.dumps(envelope(message_id, client_id), ensure_ascii=False).encode("utf-8")
        headers = {
            "Authorization": f"Bearer {token.json()['access_token']}",
            "Content-Type": "application/json",
            **signature_headers(key, "POST", NOTICES, body),
        }
        return http.post(NOTICES, content=body, headers=headers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--private-key", required=True, type=Path, help="Ed25519 private key, PEM (PKCS#8)")
    parser.add_argument("--message-id", default=f"example-{secrets.token_hex(6)}")
    args = parser.parse_args()
    key = load_pem_private_key(args.private_key.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SystemExit("the private key must be Ed25519")
    response = push(args.gateway, args.client_id, args.client_secret, key, args.message_id)
    print(response.status_code, response.text)


if __name__ == "__main__":
    main()
