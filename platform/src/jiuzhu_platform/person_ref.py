"""Person references (人员标识): the one way to compute a `shared.types.PersonRef`.

Events never carry a clear resident ID; they name people by a keyed pseudonym of it (see
`shared/types/person_ref.py` for the format). This module holds the computation, so `shared`
stays free of keys and of anything but pydantic.

The key
    One **city-wide pseudonymisation key** (32 random bytes, base64url in settings), the same
    in every service that computes references: that is what makes a death notice received by
    verification match the case in eligibility and the payee in payment. It is **not** a
    service's blind-index key (`<SVC>_PII_INDEX_KEY`, private to one service's tables) nor one
    of its encryption keys (`<SVC>_PII_KEYS`): those stay per service and may rotate on their
    own schedule, while this one is shared and its rotation changes every reference (a new
    scheme prefix, ``pr2_``, and a re-keying of every read model that stores references).
    Settings: `<SVC>_PERSON_REF_KEY` (`jiuzhu_platform.settings.PersonRefKeySettings`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Final

from jiuzhu_platform.pii import KEY_BYTES, PiiConfigError, _b64url_decode
from shared.types import PERSON_REF_PREFIX, PersonRef, ResidentId

__all__ = ["DEV_PERSON_REF_KEY", "PERSON_REF_DOMAIN", "person_ref", "person_ref_key_from_config"]

PERSON_REF_DOMAIN: Final = b"jiuzhu.person-ref.v1"
"""Domain separation: the HMAC input starts with this, so the same key and ID never give a
value that collides with another use of HMAC-SHA256 (blind indexes use their own domain)."""

DEV_PERSON_REF_KEY: Final = hashlib.sha256(b"jiuzhu.person-ref.dev-key.v1 (DEV ONLY, public)").digest()
"""The `env=dev` key: derived deterministically from a public string, so every service of an
embedded or compose setup computes the same references across restarts. Public, hence refused
outside dev (`PersonRefKeySettings.person_ref_secret`)."""


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        size = len(key) if isinstance(key, bytes) else type(key).__name__
        raise PiiConfigError(f"the person reference key must be {KEY_BYTES} bytes, got {size}")


def person_ref(resident_id: ResidentId, key: bytes) -> PersonRef:
    """The person reference of a resident ID under the city-wide pseudonymisation key.

    ``ref`` is ``pr1_`` + base32 (lower case, unpadded) of
    ``HMAC-SHA256(key, b"jiuzhu.person-ref.v1" 0x00 canonical_id)``; ``masked_id`` is
    ``resident_id.masked()`` (the one masker, ``shared.types.mask_resident_id``).
    Deterministic; formatting variants give one reference because `ResidentId` is canonical
    (``x`` → ``X``, full-width → ASCII). The clear ID is not recoverable from the result
    without the key, and never appears in it.

    ``key`` is the city-wide pseudonymisation key (32 bytes), distinct from each service's
    blind-index key and from its encryption keys: never pass a `KeyRing`'s index key here.
    """
    if not isinstance(resident_id, ResidentId):
        raise TypeError(f"person_ref() needs a ResidentId, got {type(resident_id).__name__}")
    _check_key(key)
    message = PERSON_REF_DOMAIN + b"\x00" + resident_id.value.encode("ascii")
    digest = hmac.new(key, message, hashlib.sha256).digest()
    encoded = base64.b32encode(digest).decode("ascii").rstrip("=").lower()
    return PersonRef(ref=PERSON_REF_PREFIX + encoded, masked_id=resident_id.masked())


def person_ref_key_from_config(value: str) -> bytes:
    """The key from its settings text: base64url of 32 bytes, padding optional (like the PII keys)."""
    key = _b64url_decode(value, "the person reference key")
    _check_key(key)
    return key
