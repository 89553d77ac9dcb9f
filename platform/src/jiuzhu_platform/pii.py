"""Personal data at rest: field encryption, blind indexes, masking and edge validation.

Resident ID numbers, phone numbers and bank account numbers are stored **encrypted** and found
by a **blind index**; this module is the one implementation every service uses.

Keys (`KeyRing`)
    Encryption keys are AES-256 keys (32 bytes) by key id (`kid`); one of them is *active* and
    encrypts new values, the others only decrypt, so keys can rotate without a flag day. The
    blind-index key is a separate 32-byte HMAC-SHA256 key. `KeyRing.from_config` builds a ring
    from settings strings (base64url, with or without padding); `KeyRing.generate` makes a
    random ring for dev and tests and is never called implicitly. Nothing here reads settings or
    the environment: a service's runtime builds its ring from its settings and installs it on
    its database engine (`install_key_ring`); the column types and repositories read it from
    there at *use* time (`key_ring_of`, `session_key_ring`). No module-level state: several
    runtimes in one process (the embedded mode, tests) each keep their own ring.

Ciphertext (`encrypt` / `decrypt` / `rotate`)
    A token is text: ``v1.<kid>.<base64url(nonce ‖ ciphertext ‖ tag)>`` (no padding), with a
    random 12-byte nonce per encryption, so equal plaintexts give different tokens. The
    associated data is ``v1.<kid>.<context>``: `context` names the column
    (``"eligibility.application.applicant_resident_id"``), so a token copied into another
    column, or relabelled with another key id, does not decrypt. `decrypt` picks the key by the
    token's kid, so values written under a retired-but-kept key still read; `rotate`
    re-encrypts under the active key. Every failure (malformed token, unknown kid, wrong
    context, tampering, wrong key) is one `PiiDecryptionError` whose message never contains the
    token or the plaintext.

    Rotation runbook: add the new key and make it active (``KeyRing.with_key``), deploy, re-encrypt
    each stored token with `rotate` (`needs_rotation` tells which), then drop the old key.

Blind index (`blind_index`)
    ``HMAC-SHA256(index_key, "jiuzhu.blind-index.v1" 0x00 kind 0x00 normalised)`` as 64 lowercase
    hex characters, stored in an indexed ``String(64)`` column next to the ciphertext and used for
    equality look-ups. The value is normalised first (`normalise`) so formatting variants of one
    number give one index, and `kind` separates domains (the same digits as a phone and as a bank
    account index differently). It is deterministic by design, so it reveals which rows share a
    value to whoever reads the table; it does not reveal the value without the index key.
    **Rotating the index key means recomputing every blind index** from the decrypted values
    (there is no index key id: the ring has exactly one index key at a time).

SQLAlchemy (`EncryptedString`, `PiiField`)
    `EncryptedString(context)` is a ``Text`` column that encrypts on bind and decrypts on read
    with the ring of the engine it runs on, on PostgreSQL (asyncpg) and SQLite (aiosqlite)
    alike. It takes ``str``
    only (a `shared.types.ResidentId` must be stored as ``.value``: its ``str()`` is masked), and
    it refuses SQL comparisons (``==``, ``in_``, ``like``, ordering…) because a randomised
    ciphertext never equals anything: query the blind-index column instead (``is_(None)`` and
    ``is_not(None)`` are allowed). `PiiField` bundles one encrypted column with its blind-index
    column and computes the values of both with the ring it is given.

Masking and validation
    `mask_resident_id` → ``1101**********002X`` (first 4, last 4; the same as
    ``ResidentId.masked()``); `mask_phone` → ``138****5678``; `mask_bank_account` →
    ``6222***********0123`` (first 4, last 4, one ``*`` per hidden digit, no spaces: the length is
    kept and the result is one token in logs). `validate_phone` (mainland mobile, 11 digits,
    ``1[3-9]…``) and `validate_bank_account` (12–19 digits; the Luhn check is opt-in because
    passbook and corporate account numbers do not carry one, only card numbers do) are pure and
    raise `shared.types.InvalidValueError` subclasses with stable codes (``phone_type``,
    ``phone_format``, ``bank_account_type``, ``bank_account_chars``, ``bank_account_length``,
    ``bank_account_luhn``) whose ``to_pydantic()`` serves the API edge. Resident IDs are
    validated by `shared.types.parse_resident_id` / ``ResidentId``. No message echoes the value.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, Final, Literal, Protocol, get_args

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import AfterValidator, Field
from sqlalchemy import Column, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.operators import OperatorType

from shared import types as shared_types
from shared.types import FULLWIDTH_TO_ASCII, InvalidValueError, mask_middle

__all__ = [
    "BLIND_INDEX_LENGTH",
    "CIPHERTEXT_VERSION",
    "KEY_BYTES",
    "EncryptedString",
    "InvalidBankAccount",
    "InvalidPhoneNumber",
    "KeyRing",
    "Phone",
    "PiiConfigError",
    "PiiDecryptionError",
    "PiiError",
    "PiiField",
    "PiiKind",
    "PiiQueryError",
    "blind_index",
    "decrypt",
    "decryptor",
    "encrypt",
    "generate_key",
    "install_key_ring",
    "is_valid_bank_account",
    "is_valid_phone",
    "key_ring_of",
    "luhn_valid",
    "mask_bank_account",
    "mask_phone",
    "mask_resident_id",
    "needs_rotation",
    "normalise",
    "rotate",
    "session_key_ring",
    "token_key_id",
    "validate_bank_account",
    "validate_phone",
]

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
CIPHERTEXT_VERSION: Final = "v1"
BLIND_INDEX_LENGTH: Final = 64  # hex SHA-256

PiiKind = Literal["resident_id", "phone", "bank_account"]
PII_KINDS: Final[frozenset[str]] = frozenset(get_args(PiiKind))

_KID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_INDEX_DOMAIN = b"jiuzhu.blind-index.v1"


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class PiiError(Exception):
    """Base of this module's errors. Messages never contain key material, tokens or PII."""


class PiiConfigError(PiiError, ValueError):
    """The key ring configuration is unusable (bad base64, wrong key length, unknown active id…)."""


class PiiDecryptionError(PiiError):
    """A token could not be decrypted: malformed, unknown key id, wrong context or tampered."""


class PiiQueryError(PiiError, TypeError):
    """An SQL comparison on an encrypted column: compare its blind-index column instead."""


class InvalidPhoneNumber(InvalidValueError):
    """Not a mainland China mobile number."""


class InvalidBankAccount(InvalidValueError):
    """Not a plausible bank account or card number."""


# --------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------


class _Secret(Protocol):
    """Anything like `pydantic.SecretStr`."""

    def get_secret_value(self) -> str: ...


def _reveal(value: str | _Secret) -> str:
    return value if isinstance(value, str) else value.get_secret_value()


def _b64url_decode(text: str, what: str) -> bytes:
    compact = text.strip()
    if not _B64URL_RE.fullmatch(compact):
        raise PiiConfigError(f"{what} is not base64url (characters A-Z a-z 0-9 - _)")
    try:
        return base64.urlsafe_b64decode(compact.rstrip("=") + "=" * (-len(compact.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise PiiConfigError(f"{what} is not valid base64url") from None


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate_key() -> str:
    """A fresh random 32-byte key as base64url: a value for the key settings."""
    return _b64url_encode(os.urandom(KEY_BYTES))


class KeyRing:
    """Encryption keys by id, the id of the active one, and the blind-index key. Immutable.

    Key ids are 1–32 characters of ``A-Z a-z 0-9 _ -`` (they are part of every token).
    The repr shows the ids only, never key material.
    """

    __slots__ = ("_active", "_ciphers", "_index_key", "_keys")

    _keys: Mapping[str, bytes]
    _active: str
    _index_key: bytes
    _ciphers: Mapping[str, AESGCM]

    def __init__(self, keys: Mapping[str, bytes], active: str, index_key: bytes) -> None:
        if not keys:
            raise PiiConfigError("the key ring has no encryption keys")
        for kid, key in keys.items():
            if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
                raise PiiConfigError(f"key id {kid!r} must be 1-32 characters of A-Z a-z 0-9 _ -")
            if not isinstance(key, bytes) or len(key) != KEY_BYTES:
                size = len(key) if isinstance(key, bytes) else type(key).__name__
                raise PiiConfigError(f"encryption key {kid!r} must be {KEY_BYTES} bytes (AES-256), got {size}")
        if active not in keys:
            raise PiiConfigError(f"active key id {active!r} is not in the key ring (ids: {', '.join(sorted(keys))})")
        if not isinstance(index_key, bytes) or len(index_key) != KEY_BYTES:
            size = len(index_key) if isinstance(index_key, bytes) else type(index_key).__name__
            raise PiiConfigError(f"the blind-index key must be {KEY_BYTES} bytes, got {size}")
        if any(hmac.compare_digest(index_key, key) for key in keys.values()):
            raise PiiConfigError("the blind-index key must differ from every encryption key")
        object.__setattr__(self, "_keys", MappingProxyType(dict(keys)))
        object.__setattr__(self, "_active", active)
        object.__setattr__(self, "_index_key", index_key)
        object.__setattr__(self, "_ciphers", MappingProxyType({kid: AESGCM(key) for kid, key in keys.items()}))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("KeyRing is immutable")

    def __repr__(self) -> str:
        return f"KeyRing(active={self._active!r}, key_ids={self.key_ids!r})"

    @classmethod
    def from_config(
        cls,
        keys: Mapping[str, str | _Secret],
        active: str,
        index_key: str | _Secret,
    ) -> KeyRing:
        """A ring from settings: base64url keys (padding optional) by id, the active id, the
        base64url blind-index key. `pydantic.SecretStr` values are accepted as they are."""
        decoded = {kid: _b64url_decode(_reveal(value), f"encryption key {kid!r}") for kid, value in keys.items()}
        return cls(decoded, active, _b64url_decode(_reveal(index_key), "the blind-index key"))

    @classmethod
    def generate(cls, kid: str = "k1") -> KeyRing:
        """A random one-key ring (`os.urandom`) for dev and tests. Data encrypted with it is lost
        with the process unless its keys are kept; production rings come from `from_config`."""
        return cls({kid: os.urandom(KEY_BYTES)}, kid, os.urandom(KEY_BYTES))

    @property
    def active(self) -> str:
        """The id of the key that encrypts new values."""
        return self._active

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(sorted(self._keys))

    def with_key(self, kid: str, key: bytes, *, activate: bool = True) -> KeyRing:
        """A new ring with `key` added under `kid` (active unless `activate=False`)."""
        if kid in self._keys:
            raise PiiConfigError(f"key id {kid!r} is already in the key ring")
        return KeyRing({**self._keys, kid: key}, kid if activate else self._active, self._index_key)

    def without_key(self, kid: str) -> KeyRing:
        """A new ring without `kid` (after every token has been rotated off it)."""
        if kid == self._active:
            raise PiiConfigError(f"key id {kid!r} is active and cannot be removed")
        if kid not in self._keys:
            raise PiiConfigError(f"key id {kid!r} is not in the key ring")
        return KeyRing({k: v for k, v in self._keys.items() if k != kid}, self._active, self._index_key)

    def with_index_key(self, index_key: bytes) -> KeyRing:
        """A new ring with another blind-index key (every blind index must then be recomputed)."""
        return KeyRing(self._keys, self._active, index_key)

    def uses_key(self, key: bytes) -> bool:
        """Whether `key` is one of this ring's encryption keys or its blind-index key (keys that
        must stay distinct from them, such as the person reference key, are checked with this)."""
        return any(hmac.compare_digest(key, own) for own in (*self._keys.values(), self._index_key))

    def _cipher(self, kid: str) -> AESGCM | None:
        return self._ciphers.get(kid)


_ENGINE_RING: Final = "jiuzhu_pii_key_ring"


def install_key_ring(engine: AsyncEngine | Engine, ring: KeyRing) -> None:
    """Make `ring` the key ring of everything that runs on `engine` (and on the engines made from
    it with ``execution_options``, which share its dialect)."""
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    setattr(sync_engine.dialect, _ENGINE_RING, ring)


def key_ring_of(dialect: Dialect) -> KeyRing:
    """The key ring installed on the engine of `dialect`; `PiiConfigError` when none is."""
    ring = getattr(dialect, _ENGINE_RING, None)
    if not isinstance(ring, KeyRing):
        raise PiiConfigError("no key ring is installed on this database engine (install_key_ring at start-up)")
    return ring


def session_key_ring(session: AsyncSession) -> KeyRing:
    """The key ring of the engine `session` works on (for blind indexes in repositories)."""
    return key_ring_of(session.get_bind().dialect)


# --------------------------------------------------------------------------------------
# Encryption
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _aad(kid: str, context: str) -> bytes:
    """The associated data binding a token to its key id and column (a few distinct ones)."""
    return f"{CIPHERTEXT_VERSION}.{kid}.{context}".encode()


def _check_context(context: str) -> None:
    if not isinstance(context, str) or not context:
        raise ValueError("context must be a non-empty string naming the column")


def encrypt(ring: KeyRing, plaintext: str, *, context: str) -> str:
    """Encrypt `plaintext` under the active key: ``v1.<kid>.<base64url(nonce‖ciphertext‖tag)>``."""
    if not isinstance(plaintext, str):
        raise TypeError(f"encrypt takes str, got {type(plaintext).__name__}")
    _check_context(context)
    kid = ring.active
    cipher = ring._cipher(kid)
    assert cipher is not None  # the ring guarantees the active key exists
    nonce = os.urandom(NONCE_BYTES)
    sealed = cipher.encrypt(nonce, plaintext.encode("utf-8"), _aad(kid, context))
    return f"{CIPHERTEXT_VERSION}.{kid}.{_b64url_encode(nonce + sealed)}"


def _split(token: str) -> tuple[str, str]:
    """(kid, payload) of a well-formed token, else `PiiDecryptionError`."""
    if not isinstance(token, str):
        raise PiiDecryptionError(f"a PII token must be a string, got {type(token).__name__}")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != CIPHERTEXT_VERSION or not _KID_RE.fullmatch(parts[1]):
        raise PiiDecryptionError(f"not a {CIPHERTEXT_VERSION} PII token")
    return parts[1], parts[2]


def token_key_id(token: str) -> str:
    """The key id a token was encrypted with (no decryption; the token is not verified)."""
    return _split(token)[0]


def decrypt(ring: KeyRing, token: str, *, context: str) -> str:
    """The plaintext of `token`, which must have been encrypted for `context` with a key the
    ring still holds. Any failure raises `PiiDecryptionError`. (Hot: a bank file decrypts two
    values per line; the checks are C calls, the regular expressions only run on a failure.)"""
    _check_context(context)
    if not isinstance(token, str):
        raise PiiDecryptionError(f"a PII token must be a string, got {type(token).__name__}")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != CIPHERTEXT_VERSION:
        raise PiiDecryptionError(f"not a {CIPHERTEXT_VERSION} PII token")
    kid, payload = parts[1], parts[2]
    cipher = ring._cipher(kid)
    if cipher is None:
        if not _KID_RE.fullmatch(kid):
            raise PiiDecryptionError(f"not a {CIPHERTEXT_VERSION} PII token")
        raise PiiDecryptionError(f"PII token key id {kid!r} is not in the key ring (context {context!r})")
    raw = _b64url_decode_strict(payload, context)
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise PiiDecryptionError(f"PII token is truncated (context {context!r})")
    try:
        plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(kid, context))
    except InvalidTag:
        raise PiiDecryptionError(
            f"PII token failed authentication: tampered, or not encrypted for context {context!r}"
        ) from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:  # pragma: no cover - only reachable with a forged, authenticated token
        raise PiiDecryptionError(f"PII token plaintext is not UTF-8 (context {context!r})") from None


def decryptor(ring: KeyRing, *, context: str) -> Callable[[str], str]:
    """`decrypt` for the tokens of one column, one after the other (a bank file decrypts a
    million payees): the same checks and the same errors, with what depends on the column only
    (the context's check, each key's cipher and associated data) settled once, not per token."""
    _check_context(context)
    keys = {kid: (cipher, _aad(kid, context)) for kid, cipher in ring._ciphers.items()}

    def one(token: str) -> str:
        parts = token.split(".") if isinstance(token, str) else ()
        if len(parts) != 3 or parts[0] != CIPHERTEXT_VERSION or (key := keys.get(parts[1])) is None:
            return decrypt(ring, token, context=context)  # raises what is wrong with it
        raw = _b64url_decode_strict(parts[2], context)
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise PiiDecryptionError(f"PII token is truncated (context {context!r})")
        try:
            return key[0].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key[1]).decode("utf-8")
        except InvalidTag:
            raise PiiDecryptionError(
                f"PII token failed authentication: tampered, or not encrypted for context {context!r}"
            ) from None
        except UnicodeDecodeError:  # pragma: no cover - only reachable with a forged, authenticated token
            raise PiiDecryptionError(f"PII token plaintext is not UTF-8 (context {context!r})") from None

    return one


_URLSAFE_TO_STANDARD: Final = bytes.maketrans(b"-_", b"+/")


def _b64url_decode_strict(payload: str, context: str) -> bytes:
    """Unpadded base64url, strictly: only `[A-Za-z0-9_-]` (no padding, no standard-alphabet
    `+` `/`, no whitespace), else `PiiDecryptionError`. binascii's strict mode rejects anything
    outside the standard alphabet once `-_` are mapped to `+/`, so `+` and `/` are refused first."""
    if "=" in payload or "+" in payload or "/" in payload or not payload.isascii():
        raise PiiDecryptionError(f"PII token payload is not base64url (context {context!r})")
    data = payload.encode("ascii").translate(_URLSAFE_TO_STANDARD)
    try:
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4), strict_mode=True)
    except (binascii.Error, ValueError):
        raise PiiDecryptionError(f"PII token payload is not base64url (context {context!r})") from None


def needs_rotation(ring: KeyRing, token: str) -> bool:
    """Whether `token` is under a key other than the active one."""
    return token_key_id(token) != ring.active


def rotate(ring: KeyRing, token: str, *, context: str) -> str:
    """`token` re-encrypted under the active key (always a fresh nonce). The token is fully
    decrypted, so a tampered or foreign token raises `PiiDecryptionError` instead of moving."""
    return encrypt(ring, decrypt(ring, token, context=context), context=context)


# --------------------------------------------------------------------------------------
# Normalisation and blind index
# --------------------------------------------------------------------------------------

# Full-width ASCII variants (U+FF01..U+FF5E) → ASCII, plus the ideographic space (as in shared.types).
_NOT_ASCII_DIGIT = re.compile(r"[^0-9]")
_WHITESPACE = re.compile(r"\s+")


def _ascii(value: str) -> str:
    return value.translate(FULLWIDTH_TO_ASCII)


def _phone_digits(value: str) -> str:
    digits = _NOT_ASCII_DIGIT.sub("", _ascii(value))
    if len(digits) == 13 and digits.startswith("86"):
        return digits[2:]
    if len(digits) == 15 and digits.startswith("0086"):
        return digits[4:]
    return digits


def normalise(value: str, *, kind: PiiKind) -> str:
    """The form a value is indexed under.

    - ``resident_id``: full-width → ASCII, all whitespace removed, upper-cased (``x`` → ``X``);
    - ``phone``: ASCII digits only, then a ``86`` (from ``+86``) or ``0086`` country prefix
      removed from a 13- or 15-digit result;
    - ``bank_account``: ASCII digits only.

    This does not validate (use the validators at the edge); it only makes formatting variants
    of one valid number equal.
    """
    if not isinstance(value, str):
        raise TypeError(f"PII values are str, got {type(value).__name__}")
    if kind == "resident_id":
        return _WHITESPACE.sub("", _ascii(value)).upper()
    if kind == "phone":
        return _phone_digits(value)
    if kind == "bank_account":
        return _NOT_ASCII_DIGIT.sub("", _ascii(value))
    raise ValueError(f"unknown PII kind {kind!r}; expected one of {sorted(PII_KINDS)}")


def blind_index(ring: KeyRing, value: str, *, kind: PiiKind) -> str:
    """The keyed, deterministic look-up hash of `value` (64 lowercase hex characters).

    Equal for formatting variants (`normalise`), different per `kind` and per index key.
    Rotating the index key requires recomputing every stored blind index.
    """
    normalised = normalise(value, kind=kind)
    if not normalised:
        raise ValueError(f"a {kind} value with nothing to index (empty after normalisation)")
    message = b"\x00".join((_INDEX_DOMAIN, kind.encode("ascii"), normalised.encode("utf-8")))
    return hmac.new(ring._index_key, message, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------


def mask_resident_id(value: str) -> str:
    """First 4 and last 4 characters, the rest ``*``: ``1101**********002X`` (15-digit legacy
    numbers: ``1101*******0021``). Normalised first, then ``shared.types.mask_resident_id``
    (the mask ``ResidentId.masked()`` uses); 8 characters or fewer are all ``*``."""
    return shared_types.mask_resident_id(normalise(value, kind="resident_id"))


def mask_phone(value: str) -> str:
    """First 3 and last 4 digits: ``138****5678`` (country prefix and separators dropped)."""
    return mask_middle(_phone_digits(value), 3, 4)


def mask_bank_account(value: str) -> str:
    """First 4 and last 4 digits, one ``*`` per hidden digit, no spaces: ``6222***********0123``."""
    return mask_middle(normalise(value, kind="bank_account"), 4, 4)


# --------------------------------------------------------------------------------------
# Validation (pure; for the API edge)
# --------------------------------------------------------------------------------------

_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_PHONE_RE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")
_ACCOUNT_SEPARATORS = re.compile(r"[\s-]")
_ASCII_DIGITS = re.compile(r"[0-9]*")


def validate_phone(value: str) -> str:
    """A mainland mobile number as its 11 digits. Accepts separators (spaces, ``-``, brackets),
    full-width digits and a ``+86`` / ``86`` / ``0086`` prefix; raises `InvalidPhoneNumber`."""
    if not isinstance(value, str):
        raise InvalidPhoneNumber(
            "phone_type", f"phone number must be a string, got {type(value).__name__}", "手机号码须为字符串"
        )
    match = _PHONE_RE.fullmatch(_PHONE_SEPARATORS.sub("", _ascii(value)))
    if match is None:
        raise InvalidPhoneNumber(
            "phone_format",
            "phone number must be a mainland China mobile number: 11 digits starting with 13-19",
            "手机号码须为以13至19开头的11位中国大陆手机号码",
        )
    return match.group(1)


def _phone_field(value: str) -> str:
    try:
        return validate_phone(value)
    except InvalidValueError as exc:
        raise exc.to_pydantic() from None


Phone = Annotated[str, Field(min_length=1, max_length=32), AfterValidator(_phone_field)]
"""A request field of a mainland mobile number, normalised to its 11 digits (422 otherwise,
the value not echoed)."""


def is_valid_phone(value: str) -> bool:
    try:
        validate_phone(value)
    except InvalidPhoneNumber:
        return False
    return True


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of ASCII digits (False for anything else)."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def validate_bank_account(value: str, *, luhn: bool = False) -> str:
    """A bank account or card number as 12–19 ASCII digits (spaces and ``-`` removed,
    full-width digits accepted). `luhn=True` also requires the Luhn check digit, which bank
    *card* numbers (e.g. UnionPay 62…) carry but passbook and corporate accounts do not, hence
    off by default. Raises `InvalidBankAccount`."""
    if not isinstance(value, str):
        raise InvalidBankAccount(
            "bank_account_type", f"bank account must be a string, got {type(value).__name__}", "银行账号须为字符串"
        )
    digits = _ACCOUNT_SEPARATORS.sub("", _ascii(value))
    if not _ASCII_DIGITS.fullmatch(digits):
        raise InvalidBankAccount("bank_account_chars", "bank account must contain digits only", "银行账号只能包含数字")
    if not 12 <= len(digits) <= 19:
        raise InvalidBankAccount(
            "bank_account_length",
            f"bank account must have 12 to 19 digits, got {len(digits)}",
            f"银行账号应为12至19位数字，实际为{len(digits)}位",
        )
    if luhn and not luhn_valid(digits):
        raise InvalidBankAccount("bank_account_luhn", "bank card number check digit mismatch", "银行卡号校验位错误")
    return digits


def is_valid_bank_account(value: str, *, luhn: bool = False) -> bool:
    try:
        validate_bank_account(value, luhn=luhn)
    except InvalidBankAccount:
        return False
    return True


# --------------------------------------------------------------------------------------
# SQLAlchemy
# --------------------------------------------------------------------------------------


_ALLOWED_OPERATORS: Final = (operators.is_, operators.is_not)


class _EncryptedComparator(TypeDecorator.Comparator[str]):
    """Refuses every SQL operator but IS [NOT] NULL: ciphertexts are randomised."""

    __slots__ = ()

    def _check(self, op: OperatorType, other: tuple[Any, ...]) -> None:
        if op in _ALLOWED_OPERATORS or (op in (operators.eq, operators.ne) and other == (None,)):
            return
        raise PiiQueryError(
            f"cannot use {getattr(op, '__name__', op)!s} on an encrypted column ({self.expr}): "
            "ciphertexts are randomised; compare its blind-index column with blind_index(...) instead"
        )

    def operate(self, op: OperatorType, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
        self._check(op, other)
        return super().operate(op, *other, **kwargs)

    def reverse_operate(self, op: OperatorType, other: Any, **kwargs: Any) -> ColumnElement[Any]:
        self._check(op, (other,))
        return super().reverse_operate(op, other, **kwargs)


class EncryptedString(TypeDecorator[str]):
    """A ``Text`` column holding `encrypt(ring, value, context=context)` tokens.

    The ring is the one installed on the engine (`install_key_ring`), looked up on every bind
    and every read (never at import or definition), so it can be rotated at run time. NULL stays NULL. Values must
    be ``str``. SQL comparisons other than IS [NOT] NULL raise `PiiQueryError`.

    The type exists on the Python side only: in Alembic migrations declare the column as
    ``sa.Text()`` (and its blind index as ``sa.String(64)`` with an index).
    """

    impl = Text
    cache_ok = True
    comparator_factory = _EncryptedComparator

    def __init__(self, context: str) -> None:
        _check_context(context)
        super().__init__()
        # The attribute name matches the parameter: SQLAlchemy's statement cache key reads it.
        self.context = context

    @property
    def python_type(self) -> type[str]:
        return str

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(
                f"EncryptedString({self.context!r}) takes str, got {type(value).__name__} "
                "(store a ResidentId as .value: its str() is masked)"
            )
        return encrypt(key_ring_of(dialect), value, context=self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(key_ring_of(dialect), value, context=self.context)

    def __repr__(self) -> str:
        return f"EncryptedString({self.context!r})"


@dataclass(frozen=True)
class PiiField:
    """One piece of PII in a table: the encrypted column `name` and its blind-index column
    ``<name>_bidx`` (indexed ``String(64)``).

        APPLICANT_ID = PiiField("applicant_resident_id", kind="resident_id",
                                context="eligibility.application.applicant_resident_id")
        application = Table("application", metadata, ..., *APPLICANT_ID.columns())
        ring = session_key_ring(session)
        session.execute(insert(application), {..., **APPLICANT_ID.values(ring, resident_id.value)})
        select(application).where(application.c[APPLICANT_ID.index_name] == APPLICANT_ID.index(ring, raw))

    The stored value is encrypted as given, so pass the canonical form (e.g. ``ResidentId.value``
    or `validate_phone`'s result); the index is computed from the normalised value.
    """

    name: str
    kind: PiiKind
    context: str

    def __post_init__(self) -> None:
        if self.kind not in PII_KINDS:
            raise ValueError(f"unknown PII kind {self.kind!r}; expected one of {sorted(PII_KINDS)}")
        _check_context(self.context)

    @property
    def index_name(self) -> str:
        return f"{self.name}_bidx"

    def column_type(self) -> EncryptedString:
        return EncryptedString(self.context)

    def columns(
        self, *, nullable: bool = False, index: bool = True, unique: bool = False
    ) -> tuple[Column[str], Column[str]]:
        """The encrypted column and the blind-index column, for a `Table` definition."""
        return (
            Column(self.name, self.column_type(), nullable=nullable),
            Column(
                self.index_name,
                String(BLIND_INDEX_LENGTH),
                nullable=nullable,
                index=index and not unique,
                unique=unique or None,
            ),
        )

    def index(self, ring: KeyRing, value: str) -> str:
        """The blind index of `value`, for writes and for ``WHERE <index column> = …``."""
        return blind_index(ring, value, kind=self.kind)

    def values(self, ring: KeyRing, value: str | None) -> dict[str, str | None]:
        """``{name: value, index_name: blind index}`` (both None for None), for insert/update."""
        if value is None:
            return {self.name: None, self.index_name: None}
        return {self.name: value, self.index_name: self.index(ring, value)}
