"""Pure identity rules: inputs are values, outputs are decisions. No I/O, no clock (`now` is
passed), no settings (policies are passed as small dataclasses).

- password policy and staff role/region validation (user creation);
- lockout after consecutive failures;
- one-time codes for citizens (generation from a given random source, usability, tries);
- TOTP matching with replay protection (the last used time step);
- refresh-token rotation decision;
- client scopes (grantable, requested subset);
- request signatures of department pushes (headers, window, canonical string);
- access-token claims and signing-key publication windows.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import pyotp

from gateway.identity.domain.errors import InvalidInput, OperatorOnlyAccount, RoleNotGrantable, SignatureRefused
from gateway.identity.domain.model import LockoutState, OtpCode, RefreshRecord, SigningKeyRecord, TokenSubject
from jiuzhu_platform.auth.roles import ALL_SCOPES, CITY_WIDE_ROLES, PRIVILEGED_SCOPES, STAFF_ROLES, Role
from shared.types import is_county_or_town_code

# --------------------------------------------------------------------------- staff users


USERNAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,63}")
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
PASSWORD_MIN_CLASSES = 3


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_username(username: str) -> str:
    """The canonical (lower-case) username, or `InvalidInput`."""
    canonical = normalise_username(username)
    if not USERNAME_PATTERN.fullmatch(canonical):
        raise InvalidInput(
            "username_invalid",
            "the username must be 2-64 characters: a letter, then letters, digits, '.', '_' or '-'",
            "用户名须为2至64个字符，以字母开头，只能包含字母、数字、'.'、'_'或'-'",
        )
    return canonical


def _character_classes(password: str) -> int:
    classes = [
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c.isdigit() for c in password),
        any(not (c.isascii() and c.isalnum()) for c in password),
    ]
    return sum(classes)


def check_password(password: str, *, username: str) -> None:
    """Raise `InvalidInput` (422) unless the password is acceptable: 12-128 characters, at
    least three of lower case, upper case, digits and other characters, not built on the
    username, not one repeated character."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise InvalidInput(
            "password_length",
            f"the password must have {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters",
            f"密码长度须为{PASSWORD_MIN_LENGTH}至{PASSWORD_MAX_LENGTH}个字符",
        )
    if _character_classes(password) < PASSWORD_MIN_CLASSES:
        raise InvalidInput(
            "password_classes",
            "the password must mix at least three of: lower case, upper case, digits, other characters",
            "密码须至少包含小写字母、大写字母、数字、其他字符中的三类",
        )
    if len(set(password)) < 4 or (username and normalise_username(username) in password.lower()):
        raise InvalidInput(
            "password_guessable",
            "the password is too easy to guess (repeated characters or the username)",
            "密码过于简单（重复字符或包含用户名）",
        )


def check_region(region: str | None) -> str | None:
    if region is None:
        return None
    region = region.strip()
    if not is_county_or_town_code(region):
        raise InvalidInput(
            "region_invalid",
            "the region must be a Guiyang county code (6 digits) or a town code in one (12 digits)",
            "辖区须为贵阳市的区县代码（6位）或其下属乡镇街道代码（12位）",
        )
    return region


CONFLICTING_ROLES: tuple[tuple[Role, Role, str, str], ...] = (
    (
        Role.TOWN_CASEWORKER,
        Role.COUNTY_APPROVER,
        "who prepares a case (经办) never confirms it (审核确认)",
        "经办与审核确认须由不同人员承担",
    ),
    (
        Role.CITY_ADMIN,
        Role.AUDITOR,
        "the administrator is not their own auditor (三员分立)",
        "系统管理员与审计员须分设（三员分立）",
    ),
    (
        Role.COUNTY_APPROVER,
        Role.PAYMENT_OFFICER,
        "who confirms entitlements does not pay them out",
        "审核确认与资金发放须由不同人员承担",
    ),
    (
        Role.PROCUREMENT_OFFICER,
        Role.PAYMENT_OFFICER,
        "who buys services does not pay the providers",
        "购买服务经办与资金支付须由不同人员承担",
    ),
)
"""Separation of duties per account (不相容岗位分离): pairs of roles one account never holds
together. Within the payment officers, calculating and approving one run are separated per run
(four-eyes: the approver of a run is never who calculated it), not by roles."""


def check_separation_of_duties(roles: Iterable[str]) -> None:
    """Raise `InvalidInput` (`roles_conflict`) for a role set that holds both sides of a pair of
    `CONFLICTING_ROLES` (for the operator's command line too: it is a rule of the office, not a
    limit of the API)."""
    held = set(roles)
    for first, second, why_en, why_zh in CONFLICTING_ROLES:
        if first in held and second in held:
            raise InvalidInput(
                "roles_conflict",
                f"one account cannot hold both {first.value} and {second.value}: {why_en}",
                f"同一账户不得同时具有 {first.value} 与 {second.value} 角色：{why_zh}",
            )


def check_staff_roles(roles: Iterable[str], region: str | None) -> tuple[str, ...]:
    """Sorted, de-duplicated staff roles; each must be a staff role, no two may conflict
    (`check_separation_of_duties`), and a user without a city-wide role (`city_admin`,
    `auditor`) needs a region (else they could see nothing)."""
    unique = tuple(sorted(set(roles)))
    unknown = [role for role in unique if role not in STAFF_ROLES]
    if not unique or unknown:
        listed = ", ".join(sorted(STAFF_ROLES))
        raise InvalidInput(
            "roles_invalid",
            f"roles must be a non-empty list of: {listed}",
            f"角色须为以下之一或多个：{listed}",
        )
    check_separation_of_duties(unique)
    if region is None and not set(unique) & CITY_WIDE_ROLES:
        city_wide = ", ".join(sorted(CITY_WIDE_ROLES))
        raise InvalidInput(
            "region_required",
            f"a user without a city-wide role ({city_wide}) needs a region",
            f"不具备全市范围角色（{city_wide}）的用户必须指定辖区",
        )
    return unique


# --------------------------------------------------------------------------- lockout


@dataclass(frozen=True, slots=True)
class Limit:
    """How one lock-out key locks: after `max_failures`, for `longest_lock`; or, `progressive`,
    for `first_lock` doubling with every failure beyond the limit (the count is kept across the
    locks and reset by a success), never longer than `longest_lock`."""

    max_failures: int
    first_lock: timedelta
    longest_lock: timedelta
    progressive: bool = False

    def lock_for(self, failures: int) -> timedelta:
        if not self.progressive:
            return self.longest_lock
        doublings = min(max(failures - self.max_failures, 0), 30)  # 2**30 × anything is past the cap
        delay: timedelta = self.first_lock * (2**doublings)
        return min(delay, self.longest_lock)


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """Sign-in lock-outs (issue 15 #10: a lock-out anyone could trigger was a denial of service).

    - Per account *and client address*: `max_failures`, then progressive delays from
      `first_delay`, doubling up to `lock_for`. Guessing from one address gets slower and
      slower; it does not lock the owner out from theirs.
    - Per account, all addresses together: `account_max_failures`, then `lock_for`: the ceiling
      on guessing spread over many addresses. A staff member with TOTP lifts it by signing in
      with password and code (the second factor proves it is them)."""

    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)
    first_delay: timedelta = timedelta(seconds=30)
    account_max_failures: int = 50

    def per_client(self) -> Limit:
        return Limit(self.max_failures, self.first_delay, self.lock_for, progressive=True)

    def per_account(self) -> Limit:
        return Limit(self.account_max_failures, self.lock_for, self.lock_for)

    def classic(self) -> Limit:
        """One key, `max_failures` then `lock_for` (real-name binding: per account and resident ID)."""
        return Limit(self.max_failures, self.lock_for, self.lock_for)


def locked_for(state: LockoutState, now: datetime) -> timedelta | None:
    """How much longer the account is locked, or None when it is not."""
    if state.locked_until is not None and state.locked_until > now:
        return state.locked_until - now
    return None


def after_success() -> LockoutState:
    return LockoutState()


def over_limit(reserved: LockoutState, limit: Limit) -> bool:
    """Whether an attempt counted ahead of its check (`reserved`: the state after counting it)
    is beyond the limit: `max_failures` attempts are failed or still being checked, so this
    one is refused unchecked and the key locks."""
    return reserved.failures > limit.max_failures


def is_possible_username(username: str) -> bool:
    """Whether a (normalised) username could belong to a user (`check_username` admits it)."""
    return bool(USERNAME_PATTERN.fullmatch(username))


# --------------------------------------------------------------------------- one-time codes

CODE_DIGITS = 6


@dataclass(frozen=True, slots=True)
class OtpPolicy:
    ttl: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    resend_interval: timedelta = timedelta(seconds=60)


def new_code(random_below: Callable[[int], int]) -> str:
    """A 6-digit code from `random_below(n)` (e.g. `secrets.randbelow`), leading zeros kept."""
    return f"{random_below(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def is_code_format(code: str) -> bool:
    return len(code) == CODE_DIGITS and code.isascii() and code.isdigit()


def may_send_code(latest_created_at: datetime | None, now: datetime, policy: OtpPolicy) -> bool:
    """At most one code per phone per `resend_interval` (the caller answers 202 either way)."""
    return latest_created_at is None or now - latest_created_at >= policy.resend_interval


class CodeState(StrEnum):
    USABLE = "usable"
    SPENT = "spent"  # expired, consumed or out of tries


def code_state(code: OtpCode | None, now: datetime, policy: OtpPolicy) -> CodeState:
    if code is None or code.consumed_at is not None or code.expires_at <= now or code.attempts >= policy.max_attempts:
        return CodeState.SPENT
    return CodeState.USABLE


# --------------------------------------------------------------------------- TOTP

TOTP_STEP_SECONDS = 30


def totp_step(secret: str, code: str, now: datetime, *, last_step: int | None, window: int = 1) -> int | None:
    """The time step `code` is valid for (now ± `window` steps), or None; a step at or before
    `last_step` (already used) does not count, so a code cannot be replayed."""
    if not is_code_format(code):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in range(current - window, current + window + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --------------------------------------------------------------------------- refresh tokens


class RefreshDecision(StrEnum):
    ROTATE = "rotate"
    REUSED = "reused"  # consumed before: the family is revoked
    INVALID = "invalid"  # revoked or expired


def refresh_decision(record: RefreshRecord, now: datetime) -> RefreshDecision:
    if record.revoked_at is not None:
        return RefreshDecision.INVALID
    if record.consumed_at is not None:
        return RefreshDecision.REUSED
    if record.expires_at <= now:
        return RefreshDecision.INVALID
    return RefreshDecision.ROTATE


# --------------------------------------------------------------------------- client scopes

SCOPE_LIMIT = 64


DEPARTMENT_WRITE_SCOPES: frozenset[str] = frozenset(
    {"verification:notices:push", "verification:exchange:search", "verification:exchange:subscribe"}
)
"""What a department's data-sharing agreement (数据共享协议) lets it do besides reading: push
notices of changes and use the exchange. Nothing else that writes."""

THIRD_PARTY_NO_WRITE = ("eligibility:", "payment:")
"""Services whose writes no third party (bank, social organisation, provincial platform) gets:
deciding and paying assistance are the civil-affairs offices' own acts."""
THIRD_PARTY_WRITE_SCOPES: frozenset[str] = frozenset({"payment:bankfiles:write"})
"""The one exception: the paying bank (代发银行) uploads its own result file (回盘) for the runs of
its county. That reports what the bank did; it decides and pays nothing (the file is checked —
run, counts, totals — and applied once per file)."""


def _writes(scope: str) -> bool:
    return not scope.endswith(":read")


def check_client_scopes(scopes: Iterable[str], kind: str) -> tuple[str, ...]:
    """Scopes a department or third party may be granted: platform scopes, never the
    privileged ones (audit, full PII, identity administration), and never an approval (审核确认
    is a statutory act of a civil-affairs official, not of a system); a department writes only
    what its agreement covers (`DEPARTMENT_WRITE_SCOPES`), a third party never writes to
    eligibility or payment, but for a bank's result files (`THIRD_PARTY_WRITE_SCOPES`)."""
    unique = tuple(sorted(set(scopes)))
    bad = [s for s in unique if s not in ALL_SCOPES or s in PRIVILEGED_SCOPES or s.endswith(":approve")]
    if kind == "department":
        bad += [s for s in unique if _writes(s) and s not in DEPARTMENT_WRITE_SCOPES and s not in bad]
    else:
        bad += [
            s
            for s in unique
            if _writes(s) and s.startswith(THIRD_PARTY_NO_WRITE) and s not in THIRD_PARTY_WRITE_SCOPES and s not in bad
        ]
    if not unique or bad or len(unique) > SCOPE_LIMIT:
        raise InvalidInput(
            "scopes_invalid",
            "scopes must be a non-empty list of platform scopes, none of them privileged "
            f"(refused: {', '.join(bad) or 'none given'})",
            f"权限范围须为平台定义的非特权范围（不允许：{', '.join(bad) or '未提供'}）",
        )
    return unique


def requested_scopes(requested: str | None, granted: frozenset[str]) -> frozenset[str] | None:
    """The scopes of a client-credentials token: all granted ones when none are requested,
    else the requested ones if every one is granted; None when any is not (invalid_scope)."""
    if requested is None or not requested.strip():
        return granted
    asked = frozenset(requested.split())
    return asked if asked <= granted else None


# --------------------------------------------------------------------------- request signatures

SIGNED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
TIMESTAMP_PATTERN = re.compile(r"\d{1,12}")
SIGNATURE_PATTERN = re.compile(r"[A-Za-z0-9_-]{80,90}={0,2}")


@dataclass(frozen=True, slots=True)
class SignatureHeaders:
    timestamp: int
    nonce: str
    signature: str


def needs_signature(kind: str, method: str) -> bool:
    """A department's pushes (state-changing methods) must be signed."""
    return kind == "department" and method.upper() in SIGNED_METHODS


def parse_signature_headers(
    timestamp: str | None, nonce: str | None, signature: str | None, *, now: datetime, window_seconds: int
) -> SignatureHeaders:
    """Checked headers, or `SignatureRefused` (`signature_missing` / `signature_expired`)."""
    if timestamp is None or nonce is None or signature is None:
        raise SignatureRefused("signature_missing")
    if not (
        TIMESTAMP_PATTERN.fullmatch(timestamp)
        and NONCE_PATTERN.fullmatch(nonce)
        and SIGNATURE_PATTERN.fullmatch(signature)
    ):
        raise SignatureRefused("signature_missing")
    stamp = int(timestamp)
    if abs(now.timestamp() - stamp) > window_seconds:
        raise SignatureRefused("signature_expired")
    return SignatureHeaders(stamp, nonce, signature)


def canonical_request(timestamp: int | str, nonce: str, method: str, raw_path_with_query: str, body: bytes) -> bytes:
    """What a department signs (Ed25519):
    `f"{timestamp}\\n{nonce}\\n{METHOD}\\n{raw_path_with_query}\\n{sha256_hex(body)}"` in UTF-8,
    with the path exactly as sent (percent escapes not decoded) and `?query` when present."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{timestamp}\n{nonce}\n{method.upper()}\n{raw_path_with_query}\n{digest}".encode()


# --------------------------------------------------------------------------- tokens and keys


def access_claims(
    subject: TokenSubject,
    *,
    issuer: str,
    audience: str,
    now: datetime,
    ttl_seconds: int,
    jti: str,
    session_id: str | None = None,
) -> dict[str, Any]:
    """The claims `jiuzhu_platform.auth.TokenVerifier` accepts (see its docstring); `sid` is the
    sign-in (the refresh-token family) the token was issued in."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject.subject,
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
        "jti": jti,
        "kind": subject.kind,
        "roles": list(subject.roles),
        "scope": " ".join(sorted(subject.scopes)),
    }
    optional = {
        "region": subject.region,
        "household_id": subject.household_id,
        "client_id": subject.client_id,
        "sid": session_id,
    }
    claims.update({name: value for name, value in optional.items() if value is not None})
    return claims


def publish_until(retired_at: datetime, *, access_ttl_seconds: int, margin_seconds: float) -> datetime:
    """How long a replaced signing key stays in the JWKS: every token it signed (up to the
    moment every replica noticed the rotation) must still verify until it expires."""
    return retired_at + timedelta(seconds=access_ttl_seconds + margin_seconds)


def is_published(key: SigningKeyRecord, now: datetime) -> bool:
    return key.retired_at is None or (key.publish_until is not None and key.publish_until > now)


def published_keys(keys: Iterable[SigningKeyRecord], now: datetime) -> list[SigningKeyRecord]:
    """The keys of the JWKS, the active ones first (newest first), then the replaced ones
    still published (most recently replaced first)."""
    published = [k for k in keys if is_published(k, now)]
    active = sorted((k for k in published if k.retired_at is None), key=lambda k: k.created_at, reverse=True)
    replaced = sorted(
        (k for k in published if k.retired_at is not None), key=lambda k: k.retired_at or now, reverse=True
    )
    return active + replaced


def active_key(keys: Iterable[SigningKeyRecord]) -> SigningKeyRecord | None:
    """The newest key that is not retired (the one that signs)."""
    candidates = [k for k in keys if k.retired_at is None and k.private_pem is not None]
    return max(candidates, key=lambda k: k.created_at, default=None)


OPERATOR_ONLY_ROLES: frozenset[str] = frozenset({Role.CITY_ADMIN, Role.AUDITOR})
"""Roles granted by the operator's command line only, never through the API (三员分立: an
administrator cannot create another administrator, nor the auditors who watch them)."""


def check_grantable_by_api(roles: tuple[str, ...]) -> None:
    """Raise `RoleNotGrantable` (403) if an API caller tries to grant an operator-only role."""
    reserved = sorted(OPERATOR_ONLY_ROLES & set(roles))
    if reserved:
        raise RoleNotGrantable(reserved)


def check_changeable_by_api(roles: tuple[str, ...]) -> None:
    """Raise `OperatorOnlyAccount` (403) if an API caller tries to change (TOTP, disabling…) the
    account of someone else who holds an operator-only role: an administrator cannot take over
    or lock out another administrator, nor an auditor (三员分立). One's own account is not
    checked here (the caller decides)."""
    reserved = sorted(OPERATOR_ONLY_ROLES & set(roles))
    if reserved:
        raise OperatorOnlyAccount(reserved)
