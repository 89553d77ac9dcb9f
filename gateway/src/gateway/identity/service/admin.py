"""Administration, by an administrator through the API or the operator on the command line:
staff users, TOTP enrolment, OAuth2 clients, disabling either, signing-key rotation, and the
housekeeping purge. Every change is audited with who made it (`Actor`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pyotp

from gateway.identity.adapters.audit import entry
from gateway.identity.adapters.crypto import load_ed25519_public_key, new_client_id, new_client_secret
from gateway.identity.domain import rules
from gateway.identity.domain.errors import (
    BindingNotFound,
    ClientNotFound,
    InvalidInput,
    OperatorOnlyAccount,
    UserExists,
    UserNotFound,
)
from gateway.identity.domain.model import (
    ClientKind,
    NewClient,
    NewStaffUser,
    OAuthClient,
    RegisteredClient,
    StaffUser,
    SubjectKind,
)
from gateway.identity.revocation import account_deny_key, issued_before_key, session_key
from gateway.identity.service.context import IdentityContext
from jiuzhu_platform.audit import AuditEntry
from jiuzhu_platform.auth import Principal
from shared.types import ResidentId

TOTP_ISSUER = "Jiuzhu"


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

    def is_staff_user(self, username: str) -> bool:
        """Whether the actor is the staff user `username` (canonical) acting on their own account."""
        return self.kind == "staff" and self.id == username


def _admin_entry(actor: Actor, outcome: str, *, target_id: str, details: dict[str, object] | None = None) -> AuditEntry:
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


class Administration:
    def __init__(self, context: IdentityContext) -> None:
        self.context = context

    async def create_user(self, new: NewStaffUser, *, actor: Actor) -> StaffUserView:
        ctx = self.context
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
            password_hash=await ctx.hasher.hash(new.password),
        )
        now = ctx.clock()
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            if not await repository.add_staff(user, now):
                raise UserExists()
            await ctx.audit.append(
                session,
                _admin_entry(
                    actor, "user_created", target_id=username, details={"roles": list(roles), "region": region}
                ),
            )
        return StaffUserView(user.user_id, username, display_name, roles, region, totp_enrolled=False)

    async def enrol_totp(self, username: str, *, actor: Actor) -> str:
        """A new TOTP secret for the user, enforced from the next sign-in; the otpauth URI
        (holding the secret) is returned once and never shown again. Through the API, the
        account of an administrator or an auditor is enrolled by its holder only (the secret
        is shown to them alone): another administrator replacing it would lock them out and
        hold their second factor (三员分立); the operator's command line may."""
        ctx = self.context
        canonical = rules.normalise_username(username)
        if not rules.is_possible_username(canonical):
            raise UserNotFound()
        secret = pyotp.random_base32()
        refused: OperatorOnlyAccount | None = None
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            user = await repository.staff_by_username(canonical)
            if user is None:
                raise UserNotFound()
            try:
                if actor.kind != "system" and not actor.is_staff_user(canonical):
                    rules.check_changeable_by_api(user.roles)
            except OperatorOnlyAccount as exc:
                refused = exc
                await ctx.audit.append(session, _admin_entry(actor, "totp_enrolment_refused", target_id=canonical))
            else:
                await repository.set_totp_secret(user.user_id, secret, ctx.clock())
                await ctx.audit.append(session, _admin_entry(actor, "totp_enrolled", target_id=canonical))
        if refused is not None:
            raise refused
        return pyotp.TOTP(secret, interval=rules.TOTP_STEP_SECONDS).provisioning_uri(
            name=canonical, issuer_name=TOTP_ISSUER
        )

    async def register_client(self, new: NewClient, *, actor: Actor) -> RegisteredClient:
        ctx = self.context
        name = new.name.strip()
        if not 1 <= len(name) <= 200:
            raise InvalidInput("name_invalid", "the name must have 1 to 200 characters", "名称须为1至200个字符")
        scopes = rules.check_client_scopes(new.scopes, new.kind.value)
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
            secret_hash=await ctx.hasher.hash(secret),
            signing_public_key=key,
        )
        async with ctx.database.transaction() as session:
            await ctx.repository(session).add_client(client, ctx.clock())
            await ctx.audit.append(
                session,
                _admin_entry(
                    actor,
                    "client_registered",
                    target_id=client.client_id,
                    details={"kind": new.kind.value, "scopes": list(scopes), "region": region},
                ),
            )
        return RegisteredClient(client.client_id, secret, name, new.kind, scopes, region)

    async def disable_user(self, username: str, *, actor: Actor) -> None:
        """Disable a staff user: no more sign-ins, every refresh token revoked, and the access
        tokens they hold refused for their remaining lifetime (deny-list by subject). Operator-
        only roles (administrators, auditors) are disabled from the command line only."""
        ctx = self.context
        canonical = rules.normalise_username(username)[:64]
        now = ctx.clock()
        deny_until = ctx.deny_until(now)
        key = account_deny_key("staff", canonical)
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            user = await repository.staff_by_username(canonical)
            if user is None:
                raise UserNotFound()
            if actor.kind != "system":
                rules.check_grantable_by_api(user.roles)
            if await repository.disable_staff(canonical, now):
                await repository.revoke_subject_refresh(SubjectKind.STAFF.value, str(user.user_id), now)
                await repository.revoke_jti(key, expires_at=deny_until, now=now)
                await ctx.audit.append(session, _admin_entry(actor, "user_disabled", target_id=canonical))
        ctx.revocations.add(key, deny_until)

    async def release_binding(self, resident_id: ResidentId, reason: str, *, actor: Actor) -> None:
        """解除实名绑定: end the binding of the account that holds this resident ID (a person who
        changed phone numbers, or whose number was bound by someone else), so the resident ID
        can be bound again. The account stays, unbound; every sign-in it has ends at once (its
        tokens name the household). Audited with the reason."""
        ctx = self.context
        now = ctx.clock()
        deny_until = ctx.deny_until(now)
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            holder = await repository.citizen_holding_resident(repository.index(resident_id.value, "resident_id"))
            if holder is None or not await repository.unbind_citizen(holder):
                raise BindingNotFound()
            subject = str(holder)
            families = await repository.subject_families(SubjectKind.CITIZEN.value, subject)
            await repository.revoke_subject_refresh(SubjectKind.CITIZEN.value, subject, now)
            key = issued_before_key("citizen", subject)
            await repository.revoke_issued_before(key, cutoff=now, expires_at=deny_until)
            for family in families:
                await repository.revoke_jti(session_key(family), expires_at=deny_until, now=now)
            await ctx.audit.append(
                session,
                _admin_entry(actor, "citizen_binding_released", target_id=subject, details={"reason": reason}),
            )
        ctx.revocations.add_issued_before(key, now, deny_until)
        for family in families:
            ctx.revocations.add(session_key(family), deny_until)

    async def disable_client(self, client_id: str, *, actor: Actor) -> None:
        """Disable an OAuth2 client (an agreement ended): no more tokens, and the ones it holds
        are refused for their remaining lifetime."""
        ctx = self.context
        now = ctx.clock()
        deny_until = ctx.deny_until(now)
        key = account_deny_key("client", client_id)
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            if await repository.client(client_id) is None:
                raise ClientNotFound()
            if await repository.disable_client(client_id, now):
                await repository.revoke_jti(key, expires_at=deny_until, now=now)
                await ctx.audit.append(session, _admin_entry(actor, "client_disabled", target_id=client_id))
        ctx.revocations.add(key, deny_until)

    async def rotate_keys(self, *, actor: Actor) -> str:
        kid = await self.context.keys.rotate()
        await self.context.audit.record(_admin_entry(actor, "signing_key_rotated", target_id=kid))
        return kid

    async def purge(self, *, signature_window_seconds: int) -> None:
        """Housekeeping: expired codes, tokens, nonces and lockouts."""
        now = self.context.clock()
        async with self.context.database.transaction() as session:
            await self.context.repository(session).purge(
                now,
                nonces_before=now - timedelta(seconds=2 * signature_window_seconds),
                lockouts_before=now - timedelta(days=1),
            )
