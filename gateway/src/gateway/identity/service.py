"""Identity use cases: staff, citizen and client sign-in, token rotation and revocation, user,
client and key administration.

`IdentityService` is the unit-of-work edge of the identity part (like a worker's
`database.transaction()`): each use case opens its own short transactions. It has to, because
many refusals must be *stored* (a failed login counts towards a lockout and is audited) while
the answer is an error: the state change commits, then the refusal is raised. Slow work
(argon2) runs between transactions, never inside one. Decisions come from
`gateway.identity.domain.rules`; this module only loads, decides, stores and audits.

Audit entries never carry a raw phone or resident ID: citizens appear as their masked phone
(before binding) or their citizen id, households by their household id.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyotp

from gateway.identity.adapters.audit import AuditLog, entry
from gateway.identity.adapters.clients import CodeSender, RealNameVerifier
from gateway.identity.adapters.crypto import (
    SecretHasher,
    load_ed25519_public_key,
    new_client_id,
    new_client_secret,
    new_refresh_token,
    token_digest,
)
from gateway.identity.adapters.repository import IdentityRepository
from gateway.identity.domain import rules
from gateway.identity.domain.errors import (
    AccountLocked,
    AlreadyBound,
    ClientNotFound,
    CodeExpired,
    CodeInvalid,
    InvalidCredentials,
    InvalidInput,
    RealNameRejected,
    RefreshTokenInvalid,
    RefreshTokenReused,
    TotpInvalid,
    TotpRequired,
    UserExists,
    UserNotFound,
)
from gateway.identity.domain.model import (
    ClientKind,
    ClientToken,
    LockoutState,
    NewClient,
    NewStaffUser,
    OAuthClient,
    RefreshRecord,
    RegisteredClient,
    StaffUser,
    SubjectKind,
    TokenPair,
    TokenSubject,
)
from gateway.identity.keys import Signer, SigningKeys
from gateway.identity.revocation import RevocationList, account_deny_key, session_key
from gateway.limits import TokenBucketLimiter
from jiuzhu_platform.audit import AuditEntry
from jiuzhu_platform.auth import Principal
from jiuzhu_platform.db import Database
from jiuzhu_platform.errors import DomainError
from jiuzhu_platform.pii import KeyRing, blind_index, mask_phone, validate_phone
from shared.types import InvalidValueError, ResidentId

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def _phone(value: str) -> str:
    try:
        return validate_phone(value)
    except InvalidValueError as exc:
        raise validation_problem(exc, "phone") from None


logger = logging.getLogger(__name__)

BIND_SCOPE = "auth:identity:bind"
"""The one capability of a citizen token before real-name binding."""

TOTP_ISSUER = "Jiuzhu"


class OAuthError(DomainError):
    """An RFC 6749 §5.2 error of the token endpoint (400): `reason` is the OAuth2 error code
    (`invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_scope`)."""

    def __init__(self, reason: str, message_en: str, message_zh: str) -> None:
        super().__init__(message_en, message_zh=message_zh, reason=reason)


class InvalidClient(OAuthError):
    """401 `invalid_client`: the client could not be authenticated."""

    status_code = 401
    reason = "invalid_client"

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(self.reason, message_en, message_zh)


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    issuer: str
    audience: str
    access_ttl_seconds: int = 300
    staff_refresh_ttl_seconds: int = 8 * 3600
    citizen_refresh_ttl_seconds: int = 30 * 86400
    lockout: rules.LockoutPolicy = field(default_factory=rules.LockoutPolicy)
    otp: rules.OtpPolicy = field(default_factory=rules.OtpPolicy)
    login_attempts_per_minute: int = 5
    login_ip_attempts_per_minute: int = 30


@dataclass(frozen=True, slots=True)
class StaffUserView:
    user_id: uuid.UUID
    username: str
    display_name: str
    roles: tuple[str, ...]
    region: str | None
    totp_enrolled: bool


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs an administrative action (for the audit trail)."""

    id: str
    kind: str
    role: str | None = None
    region: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.subject, principal.kind.value, principal.role_label, principal.region_code)

    @classmethod
    def cli(cls) -> Actor:
        return cls("cli", "system")


class LoginThrottle:
    """In-process token buckets: per account+IP and per IP. One replica's view; with several
    replicas each enforces its own share (the database lockout is the shared, hard limit)."""

    def __init__(self, per_account_ip: int, per_ip: int) -> None:
        self.account_ip = TokenBucketLimiter(rate=per_account_ip / 60, burst=per_account_ip)
        self.ip = TokenBucketLimiter(rate=per_ip / 60, burst=per_ip)

    def check(self, account_key: str, ip: str) -> None:
        self.ip.check(ip)
        self.account_ip.check(f"{account_key}|{ip}")


class IdentityService:
    def __init__(
        self,
        *,
        database: Database,
        ring: KeyRing,
        keys: SigningKeys,
        hasher: SecretHasher,
        audit: AuditLog,
        revocations: RevocationList,
        code_sender: CodeSender,
        real_name: RealNameVerifier,
        config: IdentityConfig,
        clock: Callable[[], datetime],
        random_below: Callable[[int], int] = secrets.randbelow,
    ) -> None:
        self.database = database
        self.ring = ring
        self.keys = keys
        self.hasher = hasher
        self.audit = audit
        self.revocations = revocations
        self.code_sender = code_sender
        self.real_name = real_name
        self.config = config
        self.clock = clock
        self.random_below = random_below
        self.throttle = LoginThrottle(config.login_attempts_per_minute, config.login_ip_attempts_per_minute)

    def _repository(self, session: object) -> IdentityRepository:
        return IdentityRepository(session, self.ring)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ tokens

    def _access_token(
        self, signer: Signer, subject: TokenSubject, now: datetime, session_id: uuid.UUID | None = None
    ) -> str:
        claims = rules.access_claims(
            subject,
            issuer=self.config.issuer,
            audience=self.config.audience,
            now=now,
            ttl_seconds=self.config.access_ttl_seconds,
            jti=uuid.uuid4().hex,
            session_id=None if session_id is None else str(session_id),
        )
        return signer.sign(claims)

    async def _issue_pair(
        self,
        repository: IdentityRepository,
        signer: Signer,
        subject: TokenSubject,
        *,
        subject_kind: SubjectKind,
        subject_id: str,
        now: datetime,
        family: RefreshRecord | None = None,
    ) -> TokenPair:
        """An access token and a refresh token; a rotation stays in `family` and keeps its
        expiry (the sign-in's lifetime is absolute, not extended by refreshing)."""
        ttl = (
            self.config.staff_refresh_ttl_seconds
            if subject_kind is SubjectKind.STAFF
            else self.config.citizen_refresh_ttl_seconds
        )
        expires_at = family.expires_at if family is not None else now + timedelta(seconds=ttl)
        token = new_refresh_token()
        record = RefreshRecord(
            token_id=uuid.uuid4(),
            family_id=family.family_id if family is not None else uuid.uuid4(),
            subject_kind=subject_kind,
            subject_id=subject_id,
            issued_at=now,
            expires_at=expires_at,
        )
        await repository.add_refresh(record, token_digest(token))
        return TokenPair(
            access_token=self._access_token(signer, subject, now, record.family_id),
            expires_in=self.config.access_ttl_seconds,
            refresh_token=token,
            refresh_expires_in=max(0, int((expires_at - now).total_seconds())),
        )

    @staticmethod
    def _staff_subject(user: StaffUser) -> TokenSubject:
        return TokenSubject(subject=user.username, kind="staff", roles=user.roles, region=user.region)

    @staticmethod
    def _citizen_subject(citizen_id: uuid.UUID, household_id: uuid.UUID | None) -> TokenSubject:
        if household_id is None:
            return TokenSubject(subject=str(citizen_id), kind="citizen", scopes=frozenset({BIND_SCOPE}))
        return TokenSubject(subject=str(citizen_id), kind="citizen", roles=("citizen",), household_id=str(household_id))

    # ------------------------------------------------------------------ staff sign-in

    async def login_staff(self, username: str, password: str, totp: str | None, *, ip: str) -> TokenPair:
        canonical = rules.normalise_username(username)[:64]
        account_key = f"staff:{canonical}"
        self.throttle.check(account_key, ip)
        if not rules.is_possible_username(canonical):
            # No user can have this name (and it may hold bytes the database refuses): the
            # answer of an unknown user, at the cost of a password check, nothing stored.
            await self.hasher.verify(None, password)
            await self.audit.record(
                entry("authentication", "invalid_credentials", actor=audit_text(canonical), actor_kind="staff")
            )
            raise InvalidCredentials()
        signer = await self.keys.signer()
        now = self.clock()
        async with self.database.transaction() as session:
            repository = self._repository(session)
            pending: list[AuditEntry] = []
            state = await self._reserve_attempt(repository, pending, account_key, canonical, "staff", now)
            user = await repository.staff_by_username(canonical)
            await self._append_all(session, pending)
        remaining = rules.locked_for(state, now)
        if remaining is not None:
            await self.audit.record(entry("authentication", "locked", actor=canonical, actor_kind="staff"))
            raise AccountLocked(remaining.total_seconds())
        usable = user if user is not None and not user.disabled else None
        password_ok = await self.hasher.verify(usable.password_hash if usable else None, password)
        if usable is None or not password_ok:
            await self._failure(account_key, canonical, "staff", "invalid_credentials")
            raise InvalidCredentials()
        if usable.totp_secret is not None:
            if not totp:
                async with self.database.transaction() as session:
                    await self._repository(session).release_attempt(account_key)  # not a failure
                    await self.audit.append(
                        session, entry("authentication", "totp_required", actor=canonical, actor_kind="staff")
                    )
                raise TotpRequired()
            step = rules.totp_step(usable.totp_secret, totp.strip(), now, last_step=usable.totp_last_step)
            if step is None:
                await self._failure(account_key, canonical, "staff", "totp_invalid")
                raise TotpInvalid()
        else:
            step = None
        async with self.database.transaction() as session:
            repository = self._repository(session)
            if step is not None and not await repository.use_totp_step(usable.user_id, step):
                replayed = True
            else:
                replayed = False
                await repository.save_lockout(account_key, rules.after_success(), now)
                pair = await self._issue_pair(
                    repository,
                    signer,
                    self._staff_subject(usable),
                    subject_kind=SubjectKind.STAFF,
                    subject_id=str(usable.user_id),
                    now=now,
                )
                await self.audit.append(
                    session,
                    entry(
                        "authentication",
                        "success",
                        actor=canonical,
                        actor_kind="staff",
                        role=" ".join(usable.roles),
                        region_code=usable.region,
                        details={"method": "password+totp" if step is not None else "password"},
                    ),
                )
        if replayed:
            await self._failure(account_key, canonical, "staff", "totp_invalid")
            raise TotpInvalid()
        return pair

    async def _reserve_attempt(
        self,
        repository: IdentityRepository,
        pending: list[AuditEntry],
        account_key: str,
        actor: str,
        actor_kind: str,
        now: datetime,
    ) -> LockoutState:
        """Count an attempt before checking it (`IdentityRepository.reserve_attempt`); one beyond
        the limit (the others still being checked) locks the account at once. The lockout state
        to decide on; a lockout's audit entry goes to `pending`.

        Lock order: every transaction here takes its row locks (lockout rows, codes) first and
        appends to the audit log (PostgreSQL advisory lock) last, via `_append_all`; appending
        in between would let two sign-ins deadlock (row → audit against audit → row)."""
        state = await repository.reserve_attempt(account_key, now)
        if rules.locked_for(state, now) is None and rules.over_limit(state, self.config.lockout):
            state = LockoutState(failures=0, locked_until=now + self.config.lockout.lock_for)
            await repository.save_lockout(account_key, state, now)
            pending.append(self._lockout_entry(actor, actor_kind, state))
        return state

    async def _register_failure(
        self, repository: IdentityRepository, pending: list[AuditEntry], account_key: str, actor: str, actor_kind: str
    ) -> None:
        """A checked attempt failed (it was counted when reserved): lock at the limit."""
        now = self.clock()
        until = now + self.config.lockout.lock_for
        if await repository.lock_if_over(
            account_key, max_failures=self.config.lockout.max_failures, until=until, now=now
        ):
            pending.append(self._lockout_entry(actor, actor_kind, LockoutState(locked_until=until)))

    @staticmethod
    def _lockout_entry(actor: str, actor_kind: str, state: LockoutState) -> AuditEntry:
        details = (
            None if actor_kind != "staff" or state.locked_until is None else {"until": state.locked_until.isoformat()}
        )
        return entry("lockout", "locked", actor=actor, actor_kind=actor_kind, details=details)

    async def _append_all(self, session: AsyncSession, entries: list[AuditEntry]) -> None:
        """Append audit entries as the last step of a transaction (see `_reserve_attempt`)."""
        for item in entries:
            await self.audit.append(session, item)

    async def _failure(self, account_key: str, actor: str, actor_kind: str, outcome: str) -> None:
        """A checked sign-in attempt failed: audited, and counted towards the lock-out."""
        async with self.database.transaction() as session:
            pending = [entry("authentication", outcome, actor=actor, actor_kind=actor_kind)]
            await self._register_failure(self._repository(session), pending, account_key, actor, actor_kind)
            await self._append_all(session, pending)

    # ------------------------------------------------------------------ citizen sign-in

    async def request_citizen_code(self, phone: str, *, ip: str) -> None:
        """Send a code (at most one per resend interval per phone); the caller answers 202
        whatever happened, so nobody learns which phones are known."""
        number = _phone(phone)
        masked = mask_phone(number)
        self.throttle.ip.check(ip)
        code = rules.new_code(self.random_below)
        code_hash = await self.hasher.hash(code)
        now = self.clock()
        async with self.database.transaction() as session:
            repository = self._repository(session)
            latest = await repository.latest_code(number)
            send = rules.may_send_code(None if latest is None else latest.created_at, now, self.config.otp)
            if send:
                await repository.add_code(number, code_hash, now=now, expires_at=now + self.config.otp.ttl)
                await self.audit.append(
                    session, entry("authentication", "code_sent", actor=masked, actor_kind="citizen")
                )
        if send:
            await self.code_sender.send_code(number, code)

    async def login_citizen(self, phone: str, code: str, *, ip: str) -> TokenPair:
        number = _phone(phone)
        masked = mask_phone(number)
        account_key = f"citizen:{blind_index(self.ring, number, kind='phone')}"
        self.throttle.check(account_key, ip)
        signer = await self.keys.signer()
        now = self.clock()
        async with self.database.transaction() as session:
            repository = self._repository(session)
            pending: list[AuditEntry] = []
            state = await self._reserve_attempt(repository, pending, account_key, masked, "citizen", now)
            remaining = rules.locked_for(state, now)
            stored = await repository.latest_code(number) if remaining is None else None
            tried = (
                stored is not None
                and rules.code_state(stored, now, self.config.otp) is rules.CodeState.USABLE
                and await repository.reserve_code_try(
                    stored.code_id, max_attempts=self.config.otp.max_attempts, now=now
                )
            )
            await self._append_all(session, pending)
        if remaining is not None:
            await self.audit.record(entry("authentication", "locked", actor=masked, actor_kind="citizen"))
            raise AccountLocked(remaining.total_seconds())
        if stored is None or not tried:
            await self._failure(account_key, masked, "citizen", "code_expired")
            raise CodeExpired()
        matches = rules.is_code_format(code) and await self.hasher.verify(stored.code_hash, code)
        if not matches:
            await self._failure(account_key, masked, "citizen", "code_invalid")
            raise CodeInvalid()
        async with self.database.transaction() as session:
            repository = self._repository(session)
            consumed = await repository.consume_code(stored.code_id, now)
            if consumed:
                await repository.save_lockout(account_key, rules.after_success(), now)
                citizen = await repository.citizen_for_login(number, now)
                pair = await self._issue_pair(
                    repository,
                    signer,
                    self._citizen_subject(citizen.citizen_id, citizen.household_id),
                    subject_kind=SubjectKind.CITIZEN,
                    subject_id=str(citizen.citizen_id),
                    now=now,
                )
                await self.audit.append(
                    session,
                    entry(
                        "authentication",
                        "success",
                        actor=str(citizen.citizen_id),
                        actor_kind="citizen",
                        details={"method": "sms_code", "bound": citizen.household_id is not None},
                    ),
                )
        if not consumed:  # used concurrently by another request
            raise CodeExpired()
        return pair

    async def bind_citizen(self, principal: Principal, name: str, resident_id: ResidentId) -> TokenPair:
        """Real-name binding: verify the name against the resident ID (port), then give the
        citizen the household of that resident ID (the same ID always the same household)."""
        try:
            citizen_id = uuid.UUID(principal.subject)
        except ValueError:
            raise RefreshTokenInvalid() from None
        name = name.strip()
        if not 1 <= len(name) <= 50:
            raise InvalidInput("name_invalid", "the name must have 1 to 50 characters", "姓名须为1至50个字符")
        # The real-name check is an oracle (does this name go with this resident ID?) and its
        # success opens that household's records: tries are limited like sign-in attempts, per
        # account and per resident ID (so many accounts cannot share the guessing either).
        resident_bidx = blind_index(self.ring, resident_id.value, kind="resident_id")
        keys = (f"bind:{citizen_id}", f"bind-resident:{resident_bidx}")
        signer = await self.keys.signer()
        now = self.clock()
        async with self.database.transaction() as session:
            repository = self._repository(session)
            pending: list[AuditEntry] = []
            states = [
                await self._reserve_attempt(repository, pending, key, principal.subject, "citizen", now) for key in keys
            ]
            await self._append_all(session, pending)
        remaining = max((r for r in (rules.locked_for(state, now) for state in states) if r is not None), default=None)
        if remaining is not None:
            await self.audit.record(entry("identity_binding", "locked", actor=principal.subject, actor_kind="citizen"))
            raise AccountLocked(remaining.total_seconds())
        if not await self.real_name.verify(name, resident_id):
            async with self.database.transaction() as session:
                repository = self._repository(session)
                pending = [
                    entry("identity_binding", "real_name_rejected", actor=principal.subject, actor_kind="citizen")
                ]
                for key in keys:
                    await self._register_failure(repository, pending, key, principal.subject, "citizen")
                await self._append_all(session, pending)
            raise RealNameRejected()
        async with self.database.transaction() as session:
            repository = self._repository(session)
            for key in keys:
                await repository.save_lockout(key, rules.after_success(), now)
            citizen = await repository.citizen_by_id(citizen_id)
            if citizen is None:
                raise RefreshTokenInvalid()
            if citizen.household_id is None:
                household_id = await repository.household_for_resident(resident_id.value, now)
                if not await repository.bind_citizen(
                    citizen_id, name=name, resident_id=resident_id.value, household_id=household_id, now=now
                ):
                    citizen = await repository.citizen_by_id(citizen_id)  # bound concurrently
                    assert citizen is not None
            if citizen.household_id is not None:
                bound_to = await repository.citizen_resident_bidx(citizen_id)
                if bound_to != resident_bidx:
                    raise AlreadyBound()
                household_id = citizen.household_id
            pair = await self._issue_pair(
                repository,
                signer,
                self._citizen_subject(citizen_id, household_id),
                subject_kind=SubjectKind.CITIZEN,
                subject_id=str(citizen_id),
                now=now,
            )
            await self.audit.append(
                session,
                entry(
                    "identity_binding",
                    "success",
                    actor=str(citizen_id),
                    actor_kind="citizen",
                    target_id=str(household_id),
                ),
            )
        return pair

    # ------------------------------------------------------------------ refresh and logout

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: the token is consumed and a new pair issued in its family; a token used a
        second time revokes the whole family (someone else holds a copy)."""
        signer = await self.keys.signer()
        now = self.clock()
        failure: DomainError | None = None
        cut_session: uuid.UUID | None = None
        async with self.database.transaction() as session:
            repository = self._repository(session)
            record = await repository.refresh_by_hash(token_digest(refresh_token))
            decision = rules.RefreshDecision.INVALID if record is None else rules.refresh_decision(record, now)
            rotating = record is not None and decision is rules.RefreshDecision.ROTATE
            if rotating and record is not None and not await repository.consume_refresh(record.token_id, now):
                decision = rules.RefreshDecision.REUSED  # consumed concurrently: a reuse
            if record is not None and decision is rules.RefreshDecision.REUSED:
                await repository.revoke_family(record.family_id, now)
                await repository.revoke_jti(session_key(record.family_id), expires_at=self._deny_until(now), now=now)
                cut_session = record.family_id
                await self.audit.append(
                    session,
                    entry(
                        "token_refresh",
                        "reuse_detected",
                        actor=record.subject_id,
                        actor_kind=record.subject_kind.value,
                        target_id=str(record.family_id),
                    ),
                )
                failure = RefreshTokenReused()
            elif record is None or decision is rules.RefreshDecision.INVALID:
                failure = RefreshTokenInvalid()
            else:
                subject = await self._current_subject(repository, record)
                if subject is None:
                    await repository.revoke_family(record.family_id, now)
                    failure = RefreshTokenInvalid()
                else:
                    pair = await self._issue_pair(
                        repository,
                        signer,
                        subject,
                        subject_kind=record.subject_kind,
                        subject_id=record.subject_id,
                        now=now,
                        family=record,
                    )
                    await self.audit.append(
                        session,
                        entry(
                            "token_refresh",
                            "success",
                            actor=subject.subject,
                            actor_kind=record.subject_kind.value,
                            target_id=str(record.family_id),
                        ),
                    )
        if cut_session is not None:  # every access token of that sign-in, on this replica at once
            self.revocations.add(session_key(cut_session), self._deny_until(now))
        if failure is not None:
            raise failure
        return pair

    def _deny_until(self, now: datetime) -> datetime:
        """How long a deny-list entry must live: until every access token it covers has expired."""
        return now + timedelta(seconds=self.config.access_ttl_seconds + 60)

    async def _current_subject(self, repository: IdentityRepository, record: RefreshRecord) -> TokenSubject | None:
        """The claims as they are now (roles, region and binding are re-read, so a change or a
        disabled account takes effect at the next refresh)."""
        try:
            subject_id = uuid.UUID(record.subject_id)
        except ValueError:
            return None
        if record.subject_kind is SubjectKind.STAFF:
            user = await repository.staff_by_id(subject_id)
            return None if user is None or user.disabled else self._staff_subject(user)
        citizen = await repository.citizen_by_id(subject_id)
        return None if citizen is None else self._citizen_subject(citizen.citizen_id, citizen.household_id)

    async def logout(self, refresh_token: str | None, access: Principal | None = None) -> None:
        """Revoke the refresh token's family and, with `access`, deny its access token until it
        expires. Unknown tokens are ignored (logging out twice is fine)."""
        now = self.clock()
        deny_until = self._deny_until(now)
        async with self.database.transaction() as session:
            repository = self._repository(session)
            record = await repository.refresh_by_hash(token_digest(refresh_token)) if refresh_token else None
            sessions = {str(record.family_id)} if record is not None else set()
            if access is not None and access.session_id is not None:
                sessions.add(access.session_id)
            if record is not None:
                await repository.revoke_family(record.family_id, now)
            if access is not None and access.token_id is not None:
                await repository.revoke_jti(access.token_id, expires_at=deny_until, now=now)
            for sid in sessions:  # every access token of the sign-in, not only the one presented
                await repository.revoke_jti(session_key(sid), expires_at=deny_until, now=now)
            if record is not None or access is not None:
                actor = access.subject if access is not None else record.subject_id if record is not None else None
                kind = access.kind.value if access is not None else record.subject_kind.value if record else "anonymous"
                await self.audit.append(
                    session,
                    entry(
                        "logout",
                        "success",
                        actor=actor,
                        actor_kind=kind,
                        target_id=None if record is None else str(record.family_id),
                    ),
                )
        if access is not None and access.token_id is not None:
            self.revocations.add(access.token_id, deny_until)
        for sid in sessions:
            self.revocations.add(session_key(sid), deny_until)

    # ------------------------------------------------------------------ client credentials

    async def client_credentials(self, client_id: str, client_secret: str, scope: str | None) -> ClientToken:
        signer = await self.keys.signer()
        client = None
        if client_id.isprintable():  # no client id holds control characters (nor NUL, which databases refuse)
            async with self.database.transaction() as session:
                client = await self._repository(session).client(client_id[:64])
        usable = client if client is not None and not client.disabled else None
        if not await self.hasher.verify(usable.secret_hash if usable else None, client_secret) or usable is None:
            await self.audit.record(
                entry("authentication", "invalid_client", actor=audit_text(client_id) or None, actor_kind="third_party")
            )
            raise InvalidClient("client authentication failed", "客户端认证失败")
        granted = rules.requested_scopes(scope, usable.scopes)
        if granted is None:
            raise OAuthError(
                "invalid_scope",
                "the requested scope is not granted to this client",
                "请求的权限范围超出该客户端的授权",
            )
        now = self.clock()
        subject = TokenSubject(
            subject=usable.client_id,
            kind=usable.kind.value,
            roles=(usable.kind.value,),
            scopes=granted,
            region=usable.region,
            client_id=usable.client_id,
        )
        token = self._access_token(signer, subject, now)
        await self.audit.record(
            entry(
                "authentication",
                "success",
                actor=usable.client_id,
                actor_kind=usable.kind.value,
                region_code=usable.region,
                details={"method": "client_credentials", "scope": sorted(granted)},
            )
        )
        return ClientToken(token, self.config.access_ttl_seconds, " ".join(sorted(granted)))

    # ------------------------------------------------------------------ administration

    async def create_user(self, new: NewStaffUser, *, actor: Actor) -> StaffUserView:
        username = rules.check_username(new.username)
        region = rules.check_region(new.region)
        roles = rules.check_staff_roles(new.roles, region)
        if actor.kind != "system":  # through the API: not the operator's command line
            rules.check_grantable_by_api(roles)
        rules.check_password(new.password, username=username)
        display_name = new.display_name.strip()
        if not 1 <= len(display_name) <= 100:
            raise InvalidInput(
                "display_name_invalid", "the display name must have 1 to 100 characters", "显示名称须为1至100个字符"
            )
        user = StaffUser(
            user_id=uuid.uuid4(),
            username=username,
            display_name=display_name,
            roles=roles,
            region=region,
            password_hash=await self.hasher.hash(new.password),
        )
        now = self.clock()
        async with self.database.transaction() as session:
            repository = self._repository(session)
            if not await repository.add_staff(user, now):
                raise UserExists()
            await self.audit.append(
                session,
                self._admin_entry(
                    actor, "user_created", target_id=username, details={"roles": list(roles), "region": region}
                ),
            )
        return StaffUserView(user.user_id, username, display_name, roles, region, totp_enrolled=False)

    async def enrol_totp(self, username: str, *, actor: Actor) -> str:
        """A new TOTP secret for the user, enforced from the next sign-in; the otpauth URI
        (holding the secret) is returned once and never shown again."""
        canonical = rules.normalise_username(username)
        if not rules.is_possible_username(canonical):
            raise UserNotFound()
        secret = pyotp.random_base32()
        async with self.database.transaction() as session:
            repository = self._repository(session)
            user = await repository.staff_by_username(canonical)
            if user is None:
                raise UserNotFound()
            await repository.set_totp_secret(user.user_id, secret, self.clock())
            await self.audit.append(session, self._admin_entry(actor, "totp_enrolled", target_id=canonical))
        return pyotp.TOTP(secret, interval=rules.TOTP_STEP_SECONDS).provisioning_uri(
            name=canonical, issuer_name=TOTP_ISSUER
        )

    async def register_client(self, new: NewClient, *, actor: Actor) -> RegisteredClient:
        name = new.name.strip()
        if not 1 <= len(name) <= 200:
            raise InvalidInput("name_invalid", "the name must have 1 to 200 characters", "名称须为1至200个字符")
        scopes = rules.check_client_scopes(new.scopes)
        region = rules.check_region(new.region)
        key = (new.signing_public_key or "").strip() or None
        if key is None and new.kind is ClientKind.DEPARTMENT:
            raise InvalidInput(
                "signing_key_required",
                "a department client needs an Ed25519 public key to sign its pushes",
                "部门客户端必须登记用于请求签名的Ed25519公钥",
            )
        if key is not None:
            try:
                load_ed25519_public_key(key)
            except ValueError:
                raise InvalidInput(
                    "signing_key_invalid",
                    "the signing key must be an Ed25519 public key (raw 32 bytes base64url, or PEM)",
                    "签名公钥须为Ed25519公钥（32字节原始公钥的base64url编码或PEM格式）",
                ) from None
        secret = new_client_secret()
        client = OAuthClient(
            client_id=new_client_id(new.kind.value),
            name=name,
            kind=new.kind,
            scopes=frozenset(scopes),
            region=region,
            secret_hash=await self.hasher.hash(secret),
            signing_public_key=key,
        )
        async with self.database.transaction() as session:
            await self._repository(session).add_client(client, self.clock())
            await self.audit.append(
                session,
                self._admin_entry(
                    actor,
                    "client_registered",
                    target_id=client.client_id,
                    details={"kind": new.kind.value, "scopes": list(scopes), "region": region},
                ),
            )
        return RegisteredClient(client.client_id, secret, name, new.kind, scopes, region)

    async def change_password(self, principal: Principal, current: str, new: str, *, ip: str) -> None:
        """A staff user changes their own password. The current one is checked like a sign-in
        (throttled, counted towards the lock-out); afterwards every sign-in of the user ends
        (refresh tokens revoked, access tokens refused): a changed password locks out whoever
        may have known the old one."""
        if principal.kind.value != "staff":
            raise InvalidCredentials()
        canonical = rules.normalise_username(principal.subject)[:64]
        account_key = f"staff:{canonical}"
        rules.check_password(new, username=canonical)  # before the throttle: a weak choice is no guess
        self.throttle.check(account_key, ip)
        now = self.clock()
        async with self.database.transaction() as session:
            repository = self._repository(session)
            pending: list[AuditEntry] = []
            state = await self._reserve_attempt(repository, pending, account_key, canonical, "staff", now)
            user = await repository.staff_by_username(canonical)
            await self._append_all(session, pending)
        remaining = rules.locked_for(state, now)
        if remaining is not None:
            raise AccountLocked(remaining.total_seconds())
        usable = user if user is not None and not user.disabled else None
        if usable is None or not await self.hasher.verify(usable.password_hash, current):
            await self._failure(account_key, canonical, "staff", "password_change_refused")
            raise InvalidCredentials()
        new_hash = await self.hasher.hash(new)
        key, deny_until = account_deny_key("staff", canonical), self._deny_until(now)
        async with self.database.transaction() as session:
            repository = self._repository(session)
            await repository.set_password_hash(usable.user_id, new_hash, now)
            await repository.save_lockout(account_key, rules.after_success(), now)
            await repository.revoke_subject_refresh(SubjectKind.STAFF.value, str(usable.user_id), now)
            await repository.revoke_jti(key, expires_at=deny_until, now=now)
            await self.audit.append(
                session,
                entry("state_change", "password_changed", actor=canonical, actor_kind="staff", target_id=canonical),
            )
        self.revocations.add(key, deny_until)

    async def disable_user(self, username: str, *, actor: Actor) -> None:
        """Disable a staff user: no more sign-ins, every refresh token revoked, and the access
        tokens they hold refused for their remaining lifetime (deny-list by subject). Operator-
        only roles (administrators, auditors) are disabled from the command line only."""
        canonical = rules.normalise_username(username)[:64]
        now = self.clock()
        deny_until = self._deny_until(now)
        key = account_deny_key("staff", canonical)
        async with self.database.transaction() as session:
            repository = self._repository(session)
            user = await repository.staff_by_username(canonical)
            if user is None:
                raise UserNotFound()
            if actor.kind != "system":
                rules.check_grantable_by_api(user.roles)
            if await repository.disable_staff(canonical, now):
                await repository.revoke_subject_refresh(SubjectKind.STAFF.value, str(user.user_id), now)
                await repository.revoke_jti(key, expires_at=deny_until, now=now)
                await self.audit.append(session, self._admin_entry(actor, "user_disabled", target_id=canonical))
        self.revocations.add(key, deny_until)

    async def disable_client(self, client_id: str, *, actor: Actor) -> None:
        """Disable an OAuth2 client (an agreement ended): no more tokens, and the ones it holds
        are refused for their remaining lifetime."""
        now = self.clock()
        deny_until = self._deny_until(now)
        key = account_deny_key("client", client_id)
        async with self.database.transaction() as session:
            repository = self._repository(session)
            if await repository.client(client_id) is None:
                raise ClientNotFound()
            if await repository.disable_client(client_id, now):
                await repository.revoke_jti(key, expires_at=deny_until, now=now)
                await self.audit.append(session, self._admin_entry(actor, "client_disabled", target_id=client_id))
        self.revocations.add(key, deny_until)

    async def rotate_keys(self, *, actor: Actor) -> str:
        kid = await self.keys.rotate()
        await self.audit.record(self._admin_entry(actor, "signing_key_rotated", target_id=kid))
        return kid

    @staticmethod
    def _admin_entry(
        actor: Actor, outcome: str, *, target_id: str, details: dict[str, object] | None = None
    ) -> AuditEntry:
        return entry(
            "state_change",
            outcome,
            actor=actor.id,
            actor_kind=actor.kind,
            role=actor.role,
            region_code=actor.region,
            target_id=target_id,
            details=details,
        )

    # ------------------------------------------------------------------ housekeeping

    async def purge(self, *, signature_window_seconds: int) -> None:
        now = self.clock()
        async with self.database.transaction() as session:
            await self._repository(session).purge(
                now,
                nonces_before=now - timedelta(seconds=2 * signature_window_seconds),
                lockouts_before=now - timedelta(days=1),
            )


def audit_text(value: str, limit: int = 200) -> str:
    """Caller-typed text for the audit trail: control characters (NUL included, which the
    trail and the databases refuse) escaped, cut to `limit`."""
    if value.isprintable():
        return value[:limit]
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value)[:limit]


def validation_problem(exc: InvalidValueError, name: str) -> InvalidInput:
    """A value-type failure (phone, resident ID) as a 422 naming the field (no value echoed)."""
    return InvalidInput(exc.reason, f"{name}: {exc.message_en}", exc.message_zh)
