"""A sign-in after it began, for staff and citizens alike: rotating the refresh token (a reused
one revokes the whole sign-in) and logging out."""

from __future__ import annotations

import uuid

from gateway.identity.adapters.audit import entry
from gateway.identity.adapters.crypto import token_digest
from gateway.identity.adapters.repository import IdentityRepository
from gateway.identity.domain import rules
from gateway.identity.domain.errors import RefreshTokenInvalid, RefreshTokenReused
from gateway.identity.domain.model import RefreshRecord, SubjectKind, TokenPair, TokenSubject
from gateway.identity.revocation import session_key
from gateway.identity.service.context import IdentityContext
from gateway.identity.service.tokens import citizen_subject, issue_pair, staff_subject
from jiuzhu_platform.auth import Principal
from jiuzhu_platform.errors import DomainError


class Sessions:
    def __init__(self, context: IdentityContext) -> None:
        self.context = context

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: the token is consumed and a new pair issued in its family; a token used a
        second time revokes the whole family (someone else holds a copy)."""
        ctx = self.context
        signer = await ctx.keys.signer()
        now = ctx.clock()
        failure: DomainError | None = None
        cut_session: uuid.UUID | None = None
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            record = await repository.refresh_by_hash(token_digest(refresh_token))
            decision = rules.RefreshDecision.INVALID if record is None else rules.refresh_decision(record, now)
            rotating = record is not None and decision is rules.RefreshDecision.ROTATE
            if rotating and record is not None and not await repository.consume_refresh(record.token_id, now):
                decision = rules.RefreshDecision.REUSED  # consumed concurrently: a reuse
            if record is not None and decision is rules.RefreshDecision.REUSED:
                await repository.revoke_family(record.family_id, now)
                await repository.revoke_jti(session_key(record.family_id), expires_at=ctx.deny_until(now), now=now)
                cut_session = record.family_id
                await ctx.audit.append(
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
                    pair = await issue_pair(
                        ctx.config,
                        repository,
                        signer,
                        subject,
                        subject_kind=record.subject_kind,
                        subject_id=record.subject_id,
                        now=now,
                        family=record,
                    )
                    await ctx.audit.append(
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
            ctx.revocations.add(session_key(cut_session), ctx.deny_until(now))
        if failure is not None:
            raise failure
        return pair

    @staticmethod
    async def _current_subject(repository: IdentityRepository, record: RefreshRecord) -> TokenSubject | None:
        """The claims as they are now (roles, region and binding are re-read, so a change or a
        disabled account takes effect at the next refresh)."""
        try:
            subject_id = uuid.UUID(record.subject_id)
        except ValueError:
            return None
        if record.subject_kind is SubjectKind.STAFF:
            user = await repository.staff_by_id(subject_id)
            return None if user is None or user.disabled else staff_subject(user)
        citizen = await repository.citizen_by_id(subject_id)
        return None if citizen is None else citizen_subject(citizen.citizen_id, citizen.household_id)

    async def logout(self, refresh_token: str | None, access: Principal | None = None) -> None:
        """Revoke the refresh token's family and, with `access`, the family of its sign-in (the
        `sid` claim) too, and deny its access token until it expires: a logout with the access
        token alone ends the sign-in for good. Unknown tokens are ignored (logging out twice is
        fine)."""
        ctx = self.context
        now = ctx.clock()
        deny_until = ctx.deny_until(now)
        async with ctx.database.transaction() as session:
            repository = ctx.repository(session)
            record = await repository.refresh_by_hash(token_digest(refresh_token)) if refresh_token else None
            sessions = {str(record.family_id)} if record is not None else set()
            if access is not None and access.session_id is not None:
                sessions.add(access.session_id)
            for sid in sessions:  # the sign-in ends for good: its refresh token is refused after the deny-list entry
                family = _family_id(sid)
                if family is not None:
                    await repository.revoke_family(family, now)
            if access is not None and access.token_id is not None:
                await repository.revoke_jti(access.token_id, expires_at=deny_until, now=now)
            for sid in sessions:  # every access token of the sign-in, not only the one presented
                await repository.revoke_jti(session_key(sid), expires_at=deny_until, now=now)
            if record is not None or access is not None:
                actor = access.subject if access is not None else record.subject_id if record is not None else None
                kind = access.kind.value if access is not None else record.subject_kind.value if record else "anonymous"
                await ctx.audit.append(
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
            ctx.revocations.add(access.token_id, deny_until)
        for sid in sessions:
            ctx.revocations.add(session_key(sid), deny_until)


def _family_id(session_id: str) -> uuid.UUID | None:
    """The refresh-token family of a sign-in (`sid`), or None when it is not one of ours."""
    try:
        return uuid.UUID(session_id)
    except ValueError:
        return None
