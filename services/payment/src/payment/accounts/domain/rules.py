"""Payee account rules (pure)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from payment.accounts.domain.errors import AlreadyConfirmed, SameOfficerConfirms
from payment.accounts.domain.model import PayeeAccount


def confirm(account: PayeeAccount, by: str, at: datetime) -> PayeeAccount:
    """第二人确认 of an account change (four-eyes on where money goes)."""
    if account.confirmed_by is not None:
        raise AlreadyConfirmed()
    if by == account.changed_by:
        raise SameOfficerConfirms()
    return dataclasses.replace(account, confirmed_by=by, confirmed_at=at)
