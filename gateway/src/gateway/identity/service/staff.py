"""Staff: sign-in with username, password and (once enrolled) a TOTP code; changing one's own
password. Both check a secret under the lock-out (`lockout`)."""

from __future__ import annotations

from gateway.identity.adapters.audit import entry
from gateway.identity.domain import rules
from gateway.identity.domain.errors import InvalidCredentials, TotpInvalid, TotpRequired
from gateway.identity.domain.model import SubjectKind, TokenPair
from gateway.identity.revocation import issued_before_key, session_key
from gateway.identity.service import lockout
from gateway.identity.service.context import IdentityContext, audit_text
from gateway.identity.service.tokens import issue_pair, staff_subject
from jiuzhu_platform.audit import AuditEntry
from jiuzhu_platform.auth import Principal


def _account(username: str) -> tuple[str, str]:
    """The canonical username (as far as a caller's text goes) and its lock-out key."""
    canonical = rules.normalise_username(username)[:64]
    return canonical, f"staff:{canonical}"


class StaffSignIn:
    def __init__(self, context: IdentityContext) -> None:
        self.context = context

    async def login(self, username: str, password: str, totp: str | None, *, ip: str) -> TokenPair:
        ctx = self.context
        canonical, account_key = _account(username)
        ctx.throttle.check(account_key, ip)
        keys = lockout.sign_in_keys(ctx, account_key, ip)
        client_key, _ = keys
        if not rules.is_possible_username(canonical):
            # No user can have this name (and it may hold bytes the database refuses): the
            # answer of an unknown user, at the cost of a password check, nothing stored.
            await ctx.hasher.verify(None, password)
            await ctx.audit.record(
                entry("authentication", "invalid_credentials", actor=audit_text(canonical), actor_kind="staff")
            )
            raise InvalidCredentials()
        signer = await ctx.keys.signer()
        now = ctx.clock()
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            pending: list[AuditEntry] = []
            locks = await lockout.reserve_all(ctx, repository, pending, keys, canonical, "staff", now)
            user = await repository.staff_by_username(canonical)
            await lockout.append_all(ctx, session, pending)
        usable = user if user is not None and not user.disabled else None
        # The account's ceiling (many addresses guessing) does not stop its holder: with TOTP
        # enrolled and a code given, password and code are checked, and success lifts it.
        liftable = client_key.key not in locks and usable is not None and usable.totp_secret is not None and bool(totp)
        if not liftable:
            await lockout.refuse_if_locked(ctx, locks, category="authentication", actor=canonical, actor_kind="staff")
        password_ok = await ctx.hasher.verify(usable.password_hash if usable else None, password)
        if usable is None or not password_ok:
            await lockout.failure(ctx, keys, canonical, "staff", "invalid_credentials")
            raise InvalidCredentials()
        if usable.totp_secret is not None:
            if not totp:
                async with ctx.database.transaction() as session:
                    for guarded in keys:  # not a failure
                        await ctx.repository(session).release_attempt(guarded.key)
                    await ctx.audit.append(
                        session, entry("authentication", "totp_required", actor=canonical, actor_kind="staff")
                    )
                raise TotpRequired()
            step = rules.totp_step(usable.totp_secret, totp.strip(), now, last_step=usable.totp_last_step)
            if step is None:
                await lockout.failure(ctx, keys, canonical, "staff", "totp_invalid")
                raise TotpInvalid()
        else:
            step = None
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            if step is not None and not await repository.use_totp_step(usable.user_id, step):
                replayed = True
            else:
                replayed = False
                await lockout.succeeded(repository, keys, now)
                pair = await issue_pair(
                    ctx.config,
                    repository,
                    signer,
                    staff_subject(usable),
                    subject_kind=SubjectKind.STAFF,
                    subject_id=str(usable.user_id),
                    now=now,
                )
                await ctx.audit.append(
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
            await lockout.failure(ctx, keys, canonical, "staff", "totp_invalid")
            raise TotpInvalid()
        return pair

    async def change_password(self, principal: Principal, current: str, new: str, *, ip: str) -> None:
        """A staff user changes their own password. The current one is checked like a sign-in
        (throttled, counted towards the lock-out); afterwards every sign-in of the user ends
        (refresh tokens revoked, the access tokens issued before the change refused, not the
        ones of a sign-in made after it): a changed password locks out whoever may have known
        the old one."""
        ctx = self.context
        if principal.kind.value != "staff":
            raise InvalidCredentials()
        canonical, account_key = _account(principal.subject)
        rules.check_password(new, username=canonical)  # before the throttle: a weak choice is no guess
        ctx.throttle.check(account_key, ip)
        keys = lockout.sign_in_keys(ctx, account_key, ip)
        now = ctx.clock()
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            pending: list[AuditEntry] = []
            remaining = await lockout.reserve_all(ctx, repository, pending, keys, canonical, "staff", now)
            user = await repository.staff_by_username(canonical)
            await lockout.append_all(ctx, session, pending)
        await lockout.refuse_if_locked(
            ctx, remaining, category="authentication", actor=canonical, actor_kind="staff", audit=False
        )
        usable = user if user is not None and not user.disabled else None
        if usable is None or not await ctx.hasher.verify(usable.password_hash, current):
            await lockout.failure(ctx, keys, canonical, "staff", "password_change_refused")
            raise InvalidCredentials()
        new_hash = await ctx.hasher.hash(new)
        key, deny_until = issued_before_key("staff", canonical), ctx.deny_until(now)
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            await repository.set_password_hash(usable.user_id, new_hash, now)
            await lockout.succeeded(repository, keys, now)
            families = await repository.subject_families(SubjectKind.STAFF.value, str(usable.user_id))
            await repository.revoke_subject_refresh(SubjectKind.STAFF.value, str(usable.user_id), now)
            # Tokens issued before the change are refused, not the account: a sign-in with the new
            # password works at once. The sign-ins that end are cut by their `sid` too (a token
            # issued in the change's own second is not "before" it by its whole-second `iat`).
            await repository.revoke_issued_before(key, cutoff=now, expires_at=deny_until)
            for family in families:
                await repository.revoke_jti(session_key(family), expires_at=deny_until, now=now)
            await ctx.audit.append(
                session,
                entry(
                    "state_change",
                    "password_changed",
                    actor=canonical,
                    actor_kind="staff",
                    target_id=canonical,
                    details={"sign_ins_ended": len(families)},
                ),
            )
        ctx.revocations.add_issued_before(key, now, deny_until)
        for family in families:
            ctx.revocations.add(session_key(family), deny_until)
