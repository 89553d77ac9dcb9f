"""The lock-out steps the sign-ins share (staff sign-in, password change, citizen sign-in,
real-name binding): count an attempt before checking it, lock at the limit, audit.

Lock order: every transaction here takes its row locks (lockout rows, codes) first and
appends to the audit log (PostgreSQL advisory lock) last, via `append_all`; appending in
between would let two sign-ins deadlock (row → audit against audit → row)."""

from __future__ import annotations

from collections.abc import Sequence
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


async def reserve_attempt(
    ctx: IdentityContext,
    repository: IdentityRepository,
    pending: list[AuditEntry],
    account_key: str,
    actor: str,
    actor_kind: str,
    now: datetime,
) -> LockoutState:
    """Count an attempt before checking it (`IdentityRepository.reserve_attempt`); one beyond
    the limit (the others still being checked) locks the account at once. The lockout state
    to decide on; a lockout's audit entry goes to `pending` (see the lock order above)."""
    state = await repository.reserve_attempt(account_key, now)
    if rules.locked_for(state, now) is None and rules.over_limit(state, ctx.config.lockout):
        state = LockoutState(failures=0, locked_until=now + ctx.config.lockout.lock_for)
        await repository.save_lockout(account_key, state, now)
        pending.append(lockout_entry(actor, actor_kind, state))
    return state


async def register_failure(
    ctx: IdentityContext,
    repository: IdentityRepository,
    pending: list[AuditEntry],
    account_key: str,
    actor: str,
    actor_kind: str,
) -> None:
    """A checked attempt failed (it was counted when reserved): lock at the limit."""
    now = ctx.clock()
    until = now + ctx.config.lockout.lock_for
    if await repository.lock_if_over(account_key, max_failures=ctx.config.lockout.max_failures, until=until, now=now):
        pending.append(lockout_entry(actor, actor_kind, LockoutState(locked_until=until)))


async def reserve_all(
    ctx: IdentityContext,
    repository: IdentityRepository,
    pending: list[AuditEntry],
    account_keys: Sequence[str],
    actor: str,
    actor_kind: str,
    now: datetime,
) -> timedelta | None:
    """The sign-in guard, step one (inside the caller's transaction): count an attempt on
    every key the sign-in is limited by (`reserve_attempt`); the longest lock still running,
    or None when the attempt may be checked."""
    remaining: timedelta | None = None
    for key in account_keys:
        state = await reserve_attempt(ctx, repository, pending, key, actor, actor_kind, now)
        locked = rules.locked_for(state, now)
        if locked is not None and (remaining is None or locked > remaining):
            remaining = locked
    return remaining


async def refuse_if_locked(
    ctx: IdentityContext, remaining: timedelta | None, *, category: str, actor: str, actor_kind: str, audit: bool = True
) -> None:
    """The sign-in guard, step two (after the transaction committed the counted attempt):
    a locked account is refused with the time left, audited unless `audit` is False."""
    if remaining is None:
        return
    if audit:
        await ctx.audit.record(entry(category, "locked", actor=actor, actor_kind=actor_kind))
    raise AccountLocked(remaining.total_seconds())


def lockout_entry(actor: str, actor_kind: str, state: LockoutState) -> AuditEntry:
    details = None if actor_kind != "staff" or state.locked_until is None else {"until": state.locked_until.isoformat()}
    return entry("lockout", "locked", actor=actor, actor_kind=actor_kind, details=details)


async def append_all(ctx: IdentityContext, session: AsyncSession, entries: list[AuditEntry]) -> None:
    """Append audit entries as the last step of a transaction (the lock order above)."""
    for item in entries:
        await ctx.audit.append(session, item)


async def failure(ctx: IdentityContext, account_key: str, actor: str, actor_kind: str, outcome: str) -> None:
    """A checked sign-in attempt failed: audited, and counted towards the lock-out."""
    async with ctx.database.transaction() as session:
        pending = [entry("authentication", outcome, actor=actor, actor_kind=actor_kind)]
        await register_failure(ctx, ctx.repository(session), pending, account_key, actor, actor_kind)
        await append_all(ctx, session, pending)
