"""Loading and storing payee accounts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_platform.pii import session_key_ring
from payment.accounts.adapters.orm import ACCOUNT_NUMBER, payee_account
from payment.accounts.domain.model import PayeeAccount
from payment.adapters.among import among


def _model(row: Any) -> PayeeAccount:
    return PayeeAccount(**{k: v for k, v in row.items() if k != ACCOUNT_NUMBER.index_name})


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, account: PayeeAccount) -> None:
        values = asdict(account) | ACCOUNT_NUMBER.values(session_key_ring(self.session), account.account_number)
        await self.session.execute(insert(payee_account), values)

    async def get(self, account_id: UUID) -> PayeeAccount | None:
        row = (
            (await self.session.execute(select(payee_account).where(payee_account.c.account_id == account_id)))
            .mappings()
            .first()
        )
        return None if row is None else _model(row)

    async def confirm(self, account: PayeeAccount) -> None:
        await self.session.execute(
            update(payee_account)
            .where(payee_account.c.account_id == account.account_id)
            .values(confirmed_by=account.confirmed_by, confirmed_at=account.confirmed_at)
        )

    async def current(self, refs: Collection[str], on: date) -> dict[str, PayeeAccount]:
        """Each payee's account in force on `on` (the newest effective one)."""
        if not refs:
            return {}
        rows = (
            await self.session.execute(
                select(payee_account)
                .where(payee_account.c.payee_ref.in_(list(refs)), payee_account.c.effective_from <= on)
                .order_by(payee_account.c.effective_from, payee_account.c.changed_at)
            )
        ).mappings()
        found: dict[str, PayeeAccount] = {}
        for row in rows:
            found[row["payee_ref"]] = _model(row)  # later rows win
        return found

    async def hold_states(self, refs: Collection[str], on: date) -> dict[str, tuple[UUID, datetime, bool]]:
        """Each payee's account in force on `on` as the hold rule needs it (id, changed at,
        confirmed), without the number: nothing is decrypted to judge a line."""
        if not refs:
            return {}
        a = payee_account
        rows = await self.session.execute(
            select(a.c.payee_ref, a.c.account_id, a.c.changed_at, a.c.confirmed_by)
            .where(among(self.session, a.c.payee_ref, refs), a.c.effective_from <= on)
            .order_by(a.c.effective_from, a.c.changed_at)
        )
        return {
            ref: (account_id, changed_at, confirmed_by is not None)
            for ref, account_id, changed_at, confirmed_by in rows
        }

    async def by_ids(self, ids: Collection[UUID]) -> dict[UUID, PayeeAccount]:
        if not ids:
            return {}
        rows = (
            await self.session.execute(select(payee_account).where(payee_account.c.account_id.in_(list(ids))))
        ).mappings()
        return {r["account_id"]: _model(r) for r in rows}

    async def of_payee(self, person_ref: str) -> list[PayeeAccount]:
        rows = (
            await self.session.execute(
                select(payee_account)
                .where(payee_account.c.payee_ref == person_ref)
                .order_by(payee_account.c.effective_from.desc(), payee_account.c.changed_at.desc())
            )
        ).mappings()
        return [_model(r) for r in rows]
