"""The integrator example signs exactly what the gateway checks."""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path
from types import ModuleType

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.identity.domain.rules import canonical_request

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "push_notice.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("push_notice_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_signing_string_is_the_gateways_canonical_request() -> None:
    example = load_example()
    body = b'{"header": {"message_id": "m-1"}}'

    assert example.signing_string("1764547200", "n" * 16, "post", "/v1/verification/notices?x=%2F", body) == (
        canonical_request("1764547200", "n" * 16, "POST", "/v1/verification/notices?x=%2F", body)
    )


def test_the_signature_headers_verify_with_the_public_key() -> None:
    example = load_example()
    key = Ed25519PrivateKey.generate()
    body = b"{}"

    headers = example.signature_headers(key, "POST", "/v1/verification/notices", body)

    signature = base64.urlsafe_b64decode(headers["X-Jiuzhu-Signature"] + "==")
    message = canonical_request(
        headers["X-Jiuzhu-Timestamp"], headers["X-Jiuzhu-Nonce"], "POST", "/v1/verification/notices", body
    )
    key.public_key().verify(signature, message)  # raises if wrong
