"""The lock-out steps the sign-ins share (staff sign-in, password change, citizen sign-in,
real-name binding): count an attempt before checking it, lock at the limit, audit.

Lock order: every transaction here takes its row locks (lockout rows, codes) first and
appends to the audit log (PostgreSQL advisory lock) last, via `append_all`; appending in
between would let two sign-ins deadlock (row → audit against audit → row)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gateway.identity.adapters.audit import entry
from gateway.identity.adapters.repository import IdentityRepository
from gateway.identity.domain import rules
from gateway.identity.domain.errors import AccountLocked
from gateway.identity.domain.model import LockoutState
from gateway.identity.service.context import IdentityContext
from jiuzhu_platform.audit import AuditEntry

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class Guarded:
    """A lock-out key and how it locks."""

    key: str
    limit: rules.Limit


def sign_in_keys(ctx: IdentityContext, account_key: str, ip: str) -> tuple[Guarded, Guarded]:
    """The keys a sign-in is limited by: the account from this client address (progressive
    delays) and the account from everywhere (the ceiling; see `rules.LockoutPolicy`)."""
    policy = ctx.config.lockout
    return Guarded(f"{account_key}@{ip}", policy.per_client()), Guarded(account_key, policy.per_account())


async def reserve_attempt(
    ctx: IdentityContext,
    repository: IdentityRepository,
    pending: list[AuditEntry],
    guarded: Guarded,
    actor: str,
    actor_kind: str,
    now: datetime,
) -> LockoutState:
    """Count an attempt before checking it (`IdentityRepository.reserve_attempt`); one beyond
    the limit (the others still being checked) locks the key at once. The lockout state to
    decide on; a lockout's audit entry goes to `pending` (see the lock order above)."""
    state = await repository.reserve_attempt(guarded.key, now)
    # A progressive key keeps its count across delays: the attempt after a delay is checked
    # (and doubles the delay if it fails). Many at once from one address are the throttle's
    # business, and many from many addresses the account ceiling's (a classic key, guarded here).
    if (
        not guarded.limit.progressive
        and rules.locked_for(state, now) is None
        and rules.over_limit(state, guarded.limit)
    ):
        state = LockoutState(failures=0, locked_until=now + guarded.limit.lock_for(state.failures))
        await repository.save_lockout(guarded.key, state, now)
        pending.append(lockout_entry(actor, actor_kind, state))
    return state


async def register_failure(
    ctx: IdentityContext,
    repository: IdentityRepository,
    pending: list[AuditEntry],
    guarded: Guarded,
    actor: str,
    actor_kind: str,
) -> None:
    """A checked attempt failed (it was counted when reserved): lock at the limit."""
    now = ctx.clock()
    limit = guarded.limit
    if limit.progressive:
        state = await repository.lockout(guarded.key)
        if state.failures < limit.max_failures:
            return
        until = now + limit.lock_for(state.failures)
        locked = await repository.lock_if_over(
            guarded.key, max_failures=state.failures, until=until, now=now, keep_failures=True
        )
    else:
        until = now + limit.longest_lock
        locked = await repository.lock_if_over(guarded.key, max_failures=limit.max_failures, until=until, now=now)
    if locked:
        pending.append(lockout_entry(actor, actor_kind, LockoutState(locked_until=until)))


async def reserve_all(
    ctx: IdentityContext,
    repository: IdentityRepository,
    pending: list[AuditEntry],
    keys: Sequence[Guarded],
    actor: str,
    actor_kind: str,
    now: datetime,
) -> dict[str, timedelta]:
    """The sign-in guard, step one (inside the caller's transaction): count an attempt on
    every key the sign-in is limited by (`reserve_attempt`); the keys locked now, with the
    time left (empty when the attempt may be checked)."""
    locks: dict[str, timedelta] = {}
    for guarded in keys:
        state = await reserve_attempt(ctx, repository, pending, guarded, actor, actor_kind, now)
        locked = rules.locked_for(state, now)
        if locked is not None:
            locks[guarded.key] = locked
    return locks


async def refuse_if_locked(
    ctx: IdentityContext,
    locks: dict[str, timedelta],
    *,
    category: str,
    actor: str,
    actor_kind: str,
    audit: bool = True,
) -> None:
    """The sign-in guard, step two (after the transaction committed the counted attempt): a
    locked key is refused with the longest time left, audited unless `audit` is False."""
    if not locks:
        return
    if audit:
        await ctx.audit.record(entry(category, "locked", actor=actor, actor_kind=actor_kind))
    raise AccountLocked(max(locks.values()).total_seconds())


async def succeeded(repository: IdentityRepository, keys: Sequence[Guarded], now: datetime) -> None:
    """A success resets every key of the sign-in (a progressive count too)."""
    for guarded in keys:
        await repository.save_lockout(guarded.key, rules.after_success(), now)


def lockout_entry(actor: str, actor_kind: str, state: LockoutState) -> AuditEntry:
    details = None if actor_kind != "staff" or state.locked_until is None else {"until": state.locked_until.isoformat()}
    return entry("lockout", "locked", actor=actor, actor_kind=actor_kind, details=details)


async def append_all(ctx: IdentityContext, session: AsyncSession, entries: list[AuditEntry]) -> None:
    """Append audit entries as the last step of a transaction (the lock order above)."""
    for item in entries:
        await ctx.audit.append(session, item)


async def failure(ctx: IdentityContext, keys: Sequence[Guarded], actor: str, actor_kind: str, outcome: str) -> None:
    """A checked sign-in attempt failed: audited, and counted towards every key's lock-out."""
    async with ctx.database.transaction() as session:
        pending = [entry("authentication", outcome, actor=actor, actor_kind=actor_kind)]
        repository = ctx.repository(session)
        for guarded in keys:
            await register_failure(ctx, repository, pending, guarded, actor, actor_kind)
        await append_all(ctx, session, pending)
