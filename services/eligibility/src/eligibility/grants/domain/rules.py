"""临时救助 rules (pure).

急难型 (DOMAIN-RULES §4.2, §4.4): the town pays at once, with no 核对, 评议 or 公示, up to the
first-aid ceiling (`temporary.emergency_multiple` × the six-district monthly standard); the
paperwork follows by the backfill deadline. The part above the ceiling is not refused: it goes
the 支出型 procedure while it fits that route's cap (`temporary.expenditure_cap_multiple` ×
standard × members), and 一事一议 beyond it. The answer says all three: granted, remainder, route.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from eligibility.grants.domain.model import FirstAid, Grant, RemainderRoute
from eligibility.procedure.domain.errors import StepRefused
from jiuzhu_platform.errors import Conflict


class AlreadyBackfilled(Conflict):
    def __init__(self) -> None:
        super().__init__("the paperwork of this grant is already complete", message_zh="该笔救助已补办手续")


def first_aid(requested_fen: int, *, ceiling_fen: int, expenditure_cap_fen: int) -> FirstAid:
    if requested_fen <= 0:
        raise StepRefused("amount_required")
    granted = min(requested_fen, ceiling_fen)
    remainder = requested_fen - granted
    if remainder == 0:
        route = RemainderRoute.NONE
    elif remainder <= expenditure_cap_fen:
        route = RemainderRoute.EXPENDITURE_APPLICATION
    else:
        route = RemainderRoute.CASE_BY_CASE
    return FirstAid(requested_fen, granted, remainder, route, ceiling_fen)


def backfill(grant: Grant, *, signed: bool, note: str, today: date) -> Grant:
    """补办: recipient, reason and amount registered, signatures and seals complete."""
    if grant.backfilled_on is not None:
        raise AlreadyBackfilled()
    if not signed:
        raise StepRefused("family_signature_required")
    return dataclasses.replace(grant, backfilled_on=today, backfill_note=note.strip(), version=grant.version + 1)


def backfill_overdue(grant: Grant, today: date) -> bool:
    return grant.backfilled_on is None and grant.backfill_due is not None and today > grant.backfill_due
