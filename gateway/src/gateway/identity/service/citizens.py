"""Citizens (the mobile app's backend): a sign-in code by SMS, sign-in with the phone and the
code, then real-name binding to a household. The code and the real-name check are limited by
the lock-out (`lockout`).

Audit entries never carry a raw phone or resident ID: citizens appear as their masked phone
(before binding) or their citizen id, households by their household id."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from gateway.identity.adapters.audit import entry
from gateway.identity.adapters.clients import CodeSender, RealNameVerifier
from gateway.identity.adapters.households import HouseholdDirectory
from gateway.identity.adapters.repository import IdentityRepository
from gateway.identity.domain import rules
from gateway.identity.domain.errors import (
    AlreadyBound,
    CodeExpired,
    CodeInvalid,
    InvalidInput,
    RealNameRejected,
    RefreshTokenInvalid,
    ResidentAlreadyBound,
)
from gateway.identity.domain.model import SubjectKind, TokenPair
from gateway.identity.service import lockout
from gateway.identity.service.context import IdentityContext
from gateway.identity.service.tokens import RESOLVE_SCOPE, citizen_subject, issue_pair, service_token
from jiuzhu_platform.audit import AuditEntry
from jiuzhu_platform.auth import Principal
from jiuzhu_platform.pii import blind_index, mask_phone, validate_phone
from shared.types import InvalidValueError, ResidentId


def validation_problem(exc: InvalidValueError, name: str) -> InvalidInput:
    """A value-type failure (phone, resident ID) as a 422 naming the field (no value echoed)."""
    return InvalidInput(exc.reason, f"{name}: {exc.message_en}", exc.message_zh)


def _phone(value: str) -> str:
    try:
        return validate_phone(value)
    except InvalidValueError as exc:
        raise validation_problem(exc, "phone") from None


class CitizenSignIn:
    def __init__(
        self,
        context: IdentityContext,
        *,
        code_sender: CodeSender,
        real_name: RealNameVerifier,
        households: HouseholdDirectory,
        random_below: Callable[[int], int],
    ) -> None:
        self.context = context
        self.code_sender = code_sender
        self.real_name = real_name
        self.households = households
        self.random_below = random_below

    async def request_code(self, phone: str, *, ip: str) -> None:
        """Send a code (at most one per resend interval per phone); the caller answers 202
        whatever happened, so nobody learns which phones are known."""
        ctx = self.context
        number = _phone(phone)
        masked = mask_phone(number)
        ctx.throttle.ip.check(ip)
        code = rules.new_code(self.random_below)
        code_hash = await ctx.hasher.hash(code)
        now = ctx.clock()
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            latest = await repository.latest_code(number)
            send = rules.may_send_code(None if latest is None else latest.created_at, now, ctx.config.otp)
            if send:
                await repository.add_code(number, code_hash, now=now, expires_at=now + ctx.config.otp.ttl)
                await ctx.audit.append(
                    session, entry("authentication", "code_sent", actor=masked, actor_kind="citizen")
                )
        if send:
            await self.code_sender.send_code(number, code)

    async def login(self, phone: str, code: str, *, ip: str) -> TokenPair:
        ctx = self.context
        number = _phone(phone)
        masked = mask_phone(number)
        account_key = f"citizen:{blind_index(ctx.ring, number, kind='phone')}"
        ctx.throttle.check(account_key, ip)
        keys = lockout.sign_in_keys(ctx, account_key, ip)
        signer = await ctx.keys.signer()
        now = ctx.clock()
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            pending: list[AuditEntry] = []
            remaining = await lockout.reserve_all(ctx, repository, pending, keys, masked, "citizen", now)
            stored = await repository.latest_code(number) if not remaining else None
            tried = (
                stored is not None
                and rules.code_state(stored, now, ctx.config.otp) is rules.CodeState.USABLE
                and await repository.reserve_code_try(stored.code_id, max_attempts=ctx.config.otp.max_attempts, now=now)
            )
            await lockout.append_all(ctx, session, pending)
        await lockout.refuse_if_locked(ctx, remaining, category="authentication", actor=masked, actor_kind="citizen")
        if stored is None or not tried:
            await lockout.failure(ctx, keys, masked, "citizen", "code_expired")
            raise CodeExpired()
        matches = rules.is_code_format(code) and await ctx.hasher.verify(stored.code_hash, code)
        if not matches:
            await lockout.failure(ctx, keys, masked, "citizen", "code_invalid")
            raise CodeInvalid()
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            consumed = await repository.consume_code(stored.code_id, now)
            if consumed:
                await lockout.succeeded(repository, keys, now)
                citizen = await repository.citizen_for_login(number, now)
                pair = await issue_pair(
                    ctx.config,
                    repository,
                    signer,
                    citizen_subject(citizen.citizen_id, citizen.household_id),
                    subject_kind=SubjectKind.CITIZEN,
                    subject_id=str(citizen.citizen_id),
                    now=now,
                )
                await ctx.audit.append(
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

    async def bind(self, principal: Principal, name: str, resident_id: ResidentId) -> TokenPair:
        """Real-name binding: verify the name against the resident ID (port), then give the
        citizen the household of that resident ID (the same ID always the same household)."""
        ctx = self.context
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
        resident_bidx = blind_index(ctx.ring, resident_id.value, kind="resident_id")
        classic = ctx.config.lockout.classic()
        keys = (
            lockout.Guarded(f"bind:{citizen_id}", classic),
            lockout.Guarded(f"bind-resident:{resident_bidx}", classic),
        )
        signer = await ctx.keys.signer()
        now = ctx.clock()
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            pending: list[AuditEntry] = []
            remaining = await lockout.reserve_all(ctx, repository, pending, keys, principal.subject, "citizen", now)
            await lockout.append_all(ctx, session, pending)
        await lockout.refuse_if_locked(
            ctx, remaining, category="identity_binding", actor=principal.subject, actor_kind="citizen"
        )
        if not await self.real_name.verify(name, resident_id):
            async with ctx.database.transaction() as session:
                repository = ctx.repository(session)
                pending = [
                    entry("identity_binding", "real_name_rejected", actor=principal.subject, actor_kind="citizen")
                ]
                for guarded in keys:
                    await lockout.register_failure(ctx, repository, pending, guarded, principal.subject, "citizen")
                await lockout.append_all(ctx, session, pending)
            raise RealNameRejected()
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            await lockout.succeeded(repository, keys, now)
            citizen = await repository.citizen_by_id(citizen_id)
            if citizen is None:
                raise RefreshTokenInvalid()
            if citizen.household_id is None:
                await self._refuse_if_held(repository, citizen_id, resident_bidx)
        # The household register (eligibility) is asked between transactions, before anything
        # is bound: unreachable, it refuses the binding and leaves the account unbound.
        found = None
        if citizen.household_id is None:
            token = service_token(ctx.config, signer, now, RESOLVE_SCOPE)
            found = await self.households.household_of(name, resident_id, service_token=token, now=now)
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            citizen = await repository.citizen_by_id(citizen_id)
            if citizen is None:
                raise RefreshTokenInvalid()
            if citizen.household_id is None and found is not None:
                await self._refuse_if_held(repository, citizen_id, resident_bidx)
                if await repository.bind_citizen(
                    citizen_id, name=name, resident_id=resident_id.value, household_id=found, now=now
                ):
                    household_id = found
                else:  # bound concurrently
                    household_id = await self._bound_household(repository, citizen_id, resident_bidx)
            else:
                household_id = await self._bound_household(repository, citizen_id, resident_bidx)
            pair = await issue_pair(
                ctx.config,
                repository,
                signer,
                citizen_subject(citizen_id, household_id),
                subject_kind=SubjectKind.CITIZEN,
                subject_id=str(citizen_id),
                now=now,
            )
            await ctx.audit.append(
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

    @staticmethod
    async def _refuse_if_held(repository: IdentityRepository, citizen_id: uuid.UUID, resident_bidx: str) -> None:
        """One resident ID, one phone account at a time: another account holds it → 409."""
        holder = await repository.citizen_holding_resident(resident_bidx)
        if holder is not None and holder != citizen_id:
            raise ResidentAlreadyBound()

    @staticmethod
    async def _bound_household(repository: IdentityRepository, citizen_id: uuid.UUID, resident_bidx: str) -> uuid.UUID:
        """The household of an account already bound: binding again with the same resident ID
        answers the same tokens' household; another resident ID is refused (409)."""
        citizen = await repository.citizen_by_id(citizen_id)
        if citizen is None or citizen.household_id is None:
            raise AlreadyBound()
        if await repository.citizen_resident_bidx(citizen_id) != resident_bidx:
            raise AlreadyBound()
        return citizen.household_id
