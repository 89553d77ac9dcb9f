"""Reads and writes of the identity tables in the caller's session (it never commits).

Encryption of personal data and key material happens here, with the key ring handed in:
phones, names and resident IDs of citizens, TOTP secrets of staff, and the signing keys'
private PEM. Look-ups of encrypted values go through their blind index."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.identity.adapters import orm
from gateway.identity.domain.errors import ResidentAlreadyBound
from gateway.identity.domain.model import (
    CitizenIdentity,
    ClientKind,
    LockoutState,
    OAuthClient,
    OtpCode,
    RefreshRecord,
    SigningKeyRecord,
    StaffUser,
    SubjectKind,
)
from jiuzhu_platform.db import is_unique_violation
from jiuzhu_platform.pii import KeyRing, PiiDecryptionError, PiiKind, blind_index, decrypt, encrypt

logger = logging.getLogger(__name__)

CONTEXT_PHONE = "gateway.citizen_identity.phone"
CONTEXT_NAME = "gateway.citizen_identity.name"
CONTEXT_RESIDENT_ID = "gateway.citizen_identity.resident_id"
CONTEXT_TOTP = "gateway.staff_user.totp_secret"
CONTEXT_SIGNING_KEY = "gateway.signing_key.private_key"


class IdentityRepository:
    def __init__(self, session: AsyncSession, ring: KeyRing) -> None:
        self.session = session
        self.ring = ring

    def index(self, value: str, kind: PiiKind) -> str:
        return blind_index(self.ring, value, kind=kind)

    async def _execute(self, statement: Any) -> Any:
        return await self.session.execute(statement)

    def _insert(self, table: Table) -> Any:
        """A dialect insert (for ON CONFLICT): PostgreSQL and SQLite both have it."""
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # ------------------------------------------------------------------ staff

    def _staff(self, row: Mapping[str, Any]) -> StaffUser:
        secret = row["totp_secret"]
        return StaffUser(
            user_id=row["user_id"],
            username=row["username"],
            display_name=row["display_name"],
            roles=tuple(row["roles"].split()),
            region=row["region"],
            password_hash=row["password_hash"],
            totp_secret=None if secret is None else decrypt(self.ring, secret, context=CONTEXT_TOTP),
            totp_last_step=row["totp_last_step"],
            disabled=row["disabled_at"] is not None,
        )

    async def staff_by_username(self, username: str) -> StaffUser | None:
        row = (
            (await self._execute(select(orm.staff_user).where(orm.staff_user.c.username == username)))
            .mappings()
            .first()
        )
        return None if row is None else self._staff(row)

    async def staff_by_id(self, user_id: uuid.UUID) -> StaffUser | None:
        row = (
            (await self._execute(select(orm.staff_user).where(orm.staff_user.c.user_id == user_id))).mappings().first()
        )
        return None if row is None else self._staff(row)

    async def add_staff(self, user: StaffUser, now: datetime) -> bool:
        """Insert `user`; False when the username is taken."""
        result = await self._execute(
            self._insert(orm.staff_user)
            .values(
                user_id=user.user_id,
                username=user.username,
                display_name=user.display_name,
                roles=" ".join(user.roles),
                region=user.region,
                password_hash=user.password_hash,
                totp_secret=None,
                totp_last_step=None,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
        )
        return bool(result.rowcount == 1)

    async def set_totp_secret(self, user_id: uuid.UUID, secret: str, now: datetime) -> None:
        await self._execute(
            update(orm.staff_user)
            .where(orm.staff_user.c.user_id == user_id)
            .values(totp_secret=encrypt(self.ring, secret, context=CONTEXT_TOTP), totp_last_step=None, updated_at=now)
        )

    async def use_totp_step(self, user_id: uuid.UUID, step: int) -> bool:
        """Record `step` as used; False if it (or a later one) already was (a concurrent replay)."""
        column = orm.staff_user.c.totp_last_step
        result = await self._execute(
            update(orm.staff_user)
            .where(orm.staff_user.c.user_id == user_id, (column.is_(None)) | (column < step))
            .values(totp_last_step=step)
        )
        return bool(result.rowcount == 1)

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str, now: datetime) -> None:
        await self._execute(
            update(orm.staff_user)
            .where(orm.staff_user.c.user_id == user_id)
            .values(password_hash=password_hash, updated_at=now)
        )

    # ------------------------------------------------------------------ lockout

    async def lockout(self, account_key: str) -> LockoutState:
        row = (
            (await self._execute(select(orm.login_lockout).where(orm.login_lockout.c.account_key == account_key)))
            .mappings()
            .first()
        )
        if row is None:
            return LockoutState()
        return LockoutState(failures=row["failures"], locked_until=row["locked_until"])

    async def save_lockout(self, account_key: str, state: LockoutState, now: datetime) -> None:
        values = {"failures": state.failures, "locked_until": state.locked_until, "updated_at": now}
        statement = self._insert(orm.login_lockout).values(account_key=account_key, **values)
        await self._execute(statement.on_conflict_do_update(index_elements=["account_key"], set_=values))

    async def reserve_attempt(self, account_key: str, now: datetime) -> LockoutState:
        """Count one attempt *before* it is checked, in one atomic statement (the row stays
        locked until the transaction ends), and return the state after it: concurrent attempts
        each see the ones before them, so no more than the limit are ever checked. A locked
        account is not counted (its state is returned as it is)."""
        table = orm.login_lockout
        statement = self._insert(table).values(account_key=account_key, failures=1, locked_until=None, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["account_key"],
            set_={"failures": table.c.failures + 1, "updated_at": now},
            where=table.c.locked_until.is_(None) | (table.c.locked_until <= now),
        ).returning(table.c.failures, table.c.locked_until)
        row = (await self._execute(statement)).first()
        if row is None:  # locked: the conditional update did nothing
            return await self.lockout(account_key)
        return LockoutState(failures=row.failures, locked_until=row.locked_until)

    async def release_attempt(self, account_key: str) -> None:
        """Give back a reserved attempt that was neither a failure nor a success."""
        table = orm.login_lockout
        await self._execute(
            update(table)
            .where(table.c.account_key == account_key, table.c.failures > 0)
            .values(failures=table.c.failures - 1)
        )

    async def lock_if_over(
        self, account_key: str, *, max_failures: int, until: datetime, now: datetime, keep_failures: bool = False
    ) -> bool:
        """After a failure: lock the key until `until` if it has `max_failures` or more and is
        not locked already; the count starts again unless `keep_failures` (progressive delays
        count on). True when this call locked it."""
        table = orm.login_lockout
        result = await self._execute(
            update(table)
            .where(
                table.c.account_key == account_key,
                table.c.failures >= max_failures,
                table.c.locked_until.is_(None) | (table.c.locked_until <= now),
            )
            .values(failures=table.c.failures if keep_failures else 0, locked_until=until, updated_at=now)
        )
        return bool(result.rowcount == 1)

    # ------------------------------------------------------------------ citizens

    @staticmethod
    def _citizen(row: Mapping[str, Any]) -> CitizenIdentity:
        return CitizenIdentity(citizen_id=row["citizen_id"], household_id=row["household_id"])

    async def citizen_by_phone(self, phone: str) -> CitizenIdentity | None:
        bidx = self.index(phone, "phone")
        row = (
            (await self._execute(select(orm.citizen_identity).where(orm.citizen_identity.c.phone_bidx == bidx)))
            .mappings()
            .first()
        )
        return None if row is None else self._citizen(row)

    async def citizen_by_id(self, citizen_id: uuid.UUID) -> CitizenIdentity | None:
        row = (
            (await self._execute(select(orm.citizen_identity).where(orm.citizen_identity.c.citizen_id == citizen_id)))
            .mappings()
            .first()
        )
        return None if row is None else self._citizen(row)

    async def citizen_for_login(self, phone: str, now: datetime) -> CitizenIdentity:
        """The citizen of `phone`, made on first sign-in; `last_login_at` set."""
        bidx = self.index(phone, "phone")
        await self._execute(
            self._insert(orm.citizen_identity)
            .values(
                citizen_id=uuid.uuid4(),
                phone=encrypt(self.ring, phone, context=CONTEXT_PHONE),
                phone_bidx=bidx,
                created_at=now,
            )
            .on_conflict_do_nothing()
        )
        await self._execute(
            update(orm.citizen_identity).where(orm.citizen_identity.c.phone_bidx == bidx).values(last_login_at=now)
        )
        citizen = await self.citizen_by_phone(phone)
        assert citizen is not None
        return citizen

    async def household_for_resident(self, resident_id: str, now: datetime) -> uuid.UUID:
        """The household id of `resident_id` (18 characters), minted on first use."""
        bidx = self.index(resident_id, "resident_id")
        await self._execute(
            self._insert(orm.resident_household)
            .values(resident_id_bidx=bidx, household_id=uuid.uuid4(), created_at=now)
            .on_conflict_do_nothing(index_elements=["resident_id_bidx"])
        )
        household = (
            await self._execute(
                select(orm.resident_household.c.household_id).where(orm.resident_household.c.resident_id_bidx == bidx)
            )
        ).scalar_one()
        return uuid.UUID(str(household))

    async def bind_citizen(
        self, citizen_id: uuid.UUID, *, name: str, resident_id: str, household_id: uuid.UUID, now: datetime
    ) -> bool:
        """Bind an unbound citizen; False when the citizen is bound already (concurrently).
        `ResidentAlreadyBound` when another account bound this resident ID meanwhile (the
        unique index decides the race; in a savepoint, so the transaction can still answer)."""
        try:
            async with self.session.begin_nested():
                result = await self._bind(
                    citizen_id, name=name, resident_id=resident_id, household_id=household_id, now=now
                )
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            raise ResidentAlreadyBound() from None
        return bool(result.rowcount == 1)

    async def _bind(
        self, citizen_id: uuid.UUID, *, name: str, resident_id: str, household_id: uuid.UUID, now: datetime
    ) -> Any:
        return await self._execute(
            update(orm.citizen_identity)
            .where(orm.citizen_identity.c.citizen_id == citizen_id, orm.citizen_identity.c.household_id.is_(None))
            .values(
                name=encrypt(self.ring, name, context=CONTEXT_NAME),
                resident_id=encrypt(self.ring, resident_id, context=CONTEXT_RESIDENT_ID),
                resident_id_bidx=self.index(resident_id, "resident_id"),
                household_id=household_id,
                bound_at=now,
            )
        )

    async def unbind_citizen(self, citizen_id: uuid.UUID) -> bool:
        """End a citizen's real-name binding: the name, the resident ID and the household are
        forgotten (the account stays, unbound); whether it was bound."""
        result = await self._execute(
            update(orm.citizen_identity)
            .where(orm.citizen_identity.c.citizen_id == citizen_id, orm.citizen_identity.c.household_id.is_not(None))
            .values(name=None, resident_id=None, resident_id_bidx=None, household_id=None, bound_at=None)
        )
        return bool(result.rowcount == 1)

    async def citizen_holding_resident(self, resident_bidx: str) -> uuid.UUID | None:
        """The account bound to this resident ID (blind index), if any."""
        found = await self._execute(
            select(orm.citizen_identity.c.citizen_id).where(orm.citizen_identity.c.resident_id_bidx == resident_bidx)
        )
        value = found.scalar_one_or_none()
        return None if value is None else uuid.UUID(str(value))

    async def citizen_resident_bidx(self, citizen_id: uuid.UUID) -> str | None:
        return (  # type: ignore[no-any-return]
            await self._execute(
                select(orm.citizen_identity.c.resident_id_bidx).where(orm.citizen_identity.c.citizen_id == citizen_id)
            )
        ).scalar_one_or_none()

    # ------------------------------------------------------------------ one-time codes

    async def latest_code(self, phone: str) -> OtpCode | None:
        bidx = self.index(phone, "phone")
        row = (
            (
                await self._execute(
                    select(orm.otp_code)
                    .where(orm.otp_code.c.phone_bidx == bidx)
                    .order_by(orm.otp_code.c.created_at.desc())
                    .limit(1)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return OtpCode(
            code_id=row["code_id"],
            code_hash=row["code_hash"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            attempts=row["attempts"],
            consumed_at=row["consumed_at"],
        )

    async def add_code(self, phone: str, code_hash: str, *, now: datetime, expires_at: datetime) -> None:
        """A new code for `phone`; every earlier unused one stops working."""
        bidx = self.index(phone, "phone")
        await self._execute(
            update(orm.otp_code)
            .where(orm.otp_code.c.phone_bidx == bidx, orm.otp_code.c.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        await self._execute(
            orm.otp_code.insert().values(
                code_id=uuid.uuid4(),
                phone_bidx=bidx,
                code_hash=code_hash,
                created_at=now,
                expires_at=expires_at,
                attempts=0,
            )
        )

    async def reserve_code_try(self, code_id: uuid.UUID, *, max_attempts: int, now: datetime) -> bool:
        """Count one try of a code *before* it is compared, atomically; False when the code is
        used, expired or out of tries (so concurrent guesses never exceed `max_attempts`)."""
        code = orm.otp_code
        result = await self._execute(
            update(code)
            .where(
                code.c.code_id == code_id,
                code.c.consumed_at.is_(None),
                code.c.expires_at > now,
                code.c.attempts < max_attempts,
            )
            .values(attempts=code.c.attempts + 1)
        )
        return bool(result.rowcount == 1)

    async def consume_code(self, code_id: uuid.UUID, now: datetime) -> bool:
        result = await self._execute(
            update(orm.otp_code)
            .where(orm.otp_code.c.code_id == code_id, orm.otp_code.c.consumed_at.is_(None))
            .values(consumed_at=now)
        )
        return bool(result.rowcount == 1)

    # ------------------------------------------------------------------ OAuth clients

    async def client(self, client_id: str) -> OAuthClient | None:
        row = (
            (await self._execute(select(orm.oauth_client).where(orm.oauth_client.c.client_id == client_id)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return OAuthClient(
            client_id=row["client_id"],
            name=row["name"],
            kind=ClientKind(row["kind"]),
            scopes=frozenset(row["scopes"].split()),
            region=row["region"],
            secret_hash=row["secret_hash"],
            signing_public_key=row["signing_public_key"],
            disabled=row["disabled_at"] is not None,
        )

    async def add_client(self, client: OAuthClient, now: datetime) -> None:
        await self._execute(
            orm.oauth_client.insert().values(
                client_id=client.client_id,
                name=client.name,
                kind=client.kind.value,
                secret_hash=client.secret_hash,
                scopes=" ".join(sorted(client.scopes)),
                region=client.region,
                signing_public_key=client.signing_public_key,
                created_at=now,
            )
        )

    # ------------------------------------------------------------------ signing keys

    def _private_pem(self, kid: str, token: str | None) -> str | None:
        """The decrypted private key; None when the ring cannot decrypt it (the key ring was
        replaced): the key then cannot sign, and a new one is made at start-up."""
        if token is None:
            return None
        try:
            return decrypt(self.ring, token, context=CONTEXT_SIGNING_KEY)
        except PiiDecryptionError:
            logger.warning("signing key %s cannot be decrypted with the current key ring; it will not sign", kid)
            return None

    async def signing_keys(self) -> list[SigningKeyRecord]:
        rows = (await self._execute(select(orm.signing_key).order_by(orm.signing_key.c.created_at))).mappings().all()
        return [
            SigningKeyRecord(
                kid=row["kid"],
                algorithm=row["algorithm"],
                public_jwk=json.loads(row["public_jwk"]),
                created_at=row["created_at"],
                private_pem=self._private_pem(row["kid"], row["private_key"]),
                retired_at=row["retired_at"],
                publish_until=row["publish_until"],
            )
            for row in rows
        ]

    async def add_signing_key(
        self, kid: str, algorithm: str, private_pem: str, public_jwk: dict[str, Any], now: datetime
    ) -> None:
        await self._execute(
            orm.signing_key.insert().values(
                kid=kid,
                algorithm=algorithm,
                private_key=encrypt(self.ring, private_pem, context=CONTEXT_SIGNING_KEY),
                public_jwk=json.dumps(public_jwk, sort_keys=True),
                created_at=now,
            )
        )

    async def retire_signing_keys(self, except_kid: str, *, now: datetime, publish_until: datetime) -> list[str]:
        """Retire every active key but `except_kid` (published until `publish_until`)."""
        retired = (
            await self._execute(
                update(orm.signing_key)
                .where(orm.signing_key.c.retired_at.is_(None), orm.signing_key.c.kid != except_kid)
                .values(retired_at=now, publish_until=publish_until)
                .returning(orm.signing_key.c.kid)
            )
        ).scalars()
        return sorted(retired)

    async def forget_unpublished_private_keys(self, now: datetime) -> None:
        """A retired key no longer published will never sign again: drop its private part."""
        await self._execute(
            update(orm.signing_key)
            .where(orm.signing_key.c.publish_until.is_not(None), orm.signing_key.c.publish_until <= now)
            .values(private_key=None)
        )

    # ------------------------------------------------------------------ refresh tokens

    async def add_refresh(self, record: RefreshRecord, token_hash: str) -> None:
        await self._execute(
            orm.refresh_token.insert().values(
                token_id=record.token_id,
                token_hash=token_hash,
                family_id=record.family_id,
                subject_kind=record.subject_kind.value,
                subject_id=record.subject_id,
                issued_at=record.issued_at,
                expires_at=record.expires_at,
            )
        )

    async def refresh_by_hash(self, token_hash: str) -> RefreshRecord | None:
        row = (
            (await self._execute(select(orm.refresh_token).where(orm.refresh_token.c.token_hash == token_hash)))
            .mappings()
            .first()
        )
        if row is None:
            return None
        return RefreshRecord(
            token_id=row["token_id"],
            family_id=row["family_id"],
            subject_kind=SubjectKind(row["subject_kind"]),
            subject_id=row["subject_id"],
            issued_at=row["issued_at"],
            expires_at=row["expires_at"],
            consumed_at=row["consumed_at"],
            revoked_at=row["revoked_at"],
        )

    async def consume_refresh(self, token_id: uuid.UUID, now: datetime) -> bool:
        """Mark used; False when it already was (a concurrent reuse)."""
        result = await self._execute(
            update(orm.refresh_token)
            .where(
                orm.refresh_token.c.token_id == token_id,
                orm.refresh_token.c.consumed_at.is_(None),
                orm.refresh_token.c.revoked_at.is_(None),
            )
            .values(consumed_at=now)
        )
        return bool(result.rowcount == 1)

    async def disable_staff(self, username: str, now: datetime) -> bool:
        """Mark a staff user disabled; False if there is no such (enabled) user."""
        table = orm.staff_user
        result = await self._execute(
            update(table).where(table.c.username == username, table.c.disabled_at.is_(None)).values(disabled_at=now)
        )
        return bool(result.rowcount == 1)

    async def disable_client(self, client_id: str, now: datetime) -> bool:
        """Mark a client disabled; False if there is no such (enabled) client."""
        table = orm.oauth_client
        result = await self._execute(
            update(table).where(table.c.client_id == client_id, table.c.disabled_at.is_(None)).values(disabled_at=now)
        )
        return bool(result.rowcount == 1)

    async def revoke_subject_refresh(self, subject_kind: str, subject_id: str, now: datetime) -> None:
        """Revoke every refresh token of one subject (all its sign-ins)."""
        table = orm.refresh_token
        await self._execute(
            update(table)
            .where(table.c.subject_kind == subject_kind, table.c.subject_id == subject_id, table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self._execute(
            update(orm.refresh_token)
            .where(orm.refresh_token.c.family_id == family_id, orm.refresh_token.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    # ------------------------------------------------------------------ deny-list

    async def revoke_jti(self, jti: str, *, expires_at: datetime, now: datetime) -> None:
        await self._execute(
            self._insert(orm.revoked_token)
            .values(jti=jti, expires_at=expires_at, revoked_at=now)
            .on_conflict_do_nothing(index_elements=["jti"])
        )

    async def revoke_issued_before(self, key: str, *, cutoff: datetime, expires_at: datetime) -> None:
        """Deny the tokens of `key` (an account) issued before `cutoff` (kept in `revoked_at`);
        a later cutoff replaces an earlier one, and the entry lives until `expires_at`."""
        table = orm.revoked_token
        statement = self._insert(table).values(jti=key, expires_at=expires_at, revoked_at=cutoff)
        await self._execute(
            statement.on_conflict_do_update(
                index_elements=["jti"],
                set_={"expires_at": statement.excluded.expires_at, "revoked_at": statement.excluded.revoked_at},
                where=table.c.revoked_at < statement.excluded.revoked_at,
            )
        )

    async def revoked_entries(self, now: datetime) -> dict[str, datetime]:
        """The live deny-list: each key (a `jti`, a sign-in, an account) and when it was revoked
        (for an "issued before" entry: its cutoff)."""
        table = orm.revoked_token
        rows = await self._execute(select(table.c.jti, table.c.revoked_at).where(table.c.expires_at > now))
        return {str(jti): revoked_at for jti, revoked_at in rows}

    async def subject_families(self, subject_kind: str, subject_id: str) -> list[uuid.UUID]:
        """The sign-ins (refresh-token families) of one subject not revoked yet."""
        table = orm.refresh_token
        rows = await self._execute(
            select(table.c.family_id)
            .where(table.c.subject_kind == subject_kind, table.c.subject_id == subject_id, table.c.revoked_at.is_(None))
            .distinct()
        )
        return list(rows.scalars())

    # ------------------------------------------------------------------ nonces

    async def remember_nonce(self, client_id: str, nonce: str, now: datetime) -> bool:
        """True the first time (client, nonce) is seen; False for a replay."""
        result = await self._execute(
            self._insert(orm.request_nonce)
            .values(client_id=client_id, nonce=nonce, seen_at=now)
            .on_conflict_do_nothing(index_elements=["client_id", "nonce"])
        )
        return bool(result.rowcount == 1)

    # ------------------------------------------------------------------ housekeeping

    async def purge(self, now: datetime, *, nonces_before: datetime, lockouts_before: datetime) -> None:
        """Delete rows nothing can use any more (expired tokens, codes, nonces, lockouts)."""
        await self._execute(delete(orm.revoked_token).where(orm.revoked_token.c.expires_at <= now))
        await self._execute(delete(orm.otp_code).where(orm.otp_code.c.expires_at <= now))
        await self._execute(delete(orm.refresh_token).where(orm.refresh_token.c.expires_at <= now))
        await self._execute(delete(orm.request_nonce).where(orm.request_nonce.c.seen_at < nonces_before))
        await self._execute(
            delete(orm.login_lockout).where(
                orm.login_lockout.c.updated_at < lockouts_before,
                (orm.login_lockout.c.locked_until.is_(None)) | (orm.login_lockout.c.locked_until <= now),
            )
        )
        await self.forget_unpublished_private_keys(now)
